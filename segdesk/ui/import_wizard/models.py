"""The wizard's table models: files, the sheet grid, the live preview, the review and the results."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QFont

from segdesk.services.profiles import (
    FIELD_LABELS,
    NUMBER_FIELDS,
    PreviewRow,
    column_letter,
)
from segdesk.ui.import_wizard.common import (
    AMBER,
    GREEN,
    GREY,
    HEADER_BG,
    PROBLEM_BG,
    RED,
    Item,
    shown,
)
from segdesk.ui.rows_model import RowsTableModel


class ItemsModel(RowsTableModel[Item]):
    COLUMNS = ("File", "Sheet", "Profile", "What happens")

    def cells(self, item: Item) -> tuple[str, ...]:
        return (item.name, item.sheet or "", item.profile_name(), self.status(item))

    @staticmethod
    def status(item: Item) -> str:
        if item.error:
            return f"Cannot be read: {item.error}"
        if item.look is None:
            return "Reading…"
        if item.needs_setup and item.profile is None:
            return "New layout: you will set up a profile for it next"
        if item.needs_setup:
            return f"Profile made here for {item.profile.source}"
        p = item.profile
        if p is None:
            return "New layout: you will set up a profile for it next"
        return f"{item.how.capitalize()}: {p.source} ({p.kind})"

    def style(self, item: Item, column: int, role: int) -> object:
        if role == Qt.ItemDataRole.ForegroundRole and column == 3:
            if item.look is None and not item.error:
                return QBrush(GREY)
            return QBrush(RED if item.error else GREEN if item.ready and not item.needs_setup else AMBER)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.status(item)
        return None


class GridModel(QAbstractTableModel):
    """The top of a sheet as the spreadsheet shows it: row numbers, column letters, the header row
    highlighted and the rows above it greyed."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[int, tuple[str, ...]]] = []
        self.width = 0
        self.header_row = 0

    def set_grid(self, width: int, rows: list[tuple[int, tuple[str, ...]]], header_row: int) -> None:
        self.beginResetModel()
        self.width, self.rows, self.header_row = width, rows, header_row
        self.endResetModel()

    def set_header_row(self, row: int) -> None:
        self.header_row = row
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, max(self.width - 1, 0)))
            self.headerDataChanged.emit(Qt.Orientation.Vertical, 0, len(self.rows) - 1)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else self.width

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        number, cells = self.rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return cells[index.column()]
        if role == Qt.ItemDataRole.BackgroundRole and number == self.header_row:
            return QBrush(HEADER_BG)
        if role == Qt.ItemDataRole.FontRole and number == self.header_row:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and number < self.header_row:
            return QBrush(GREY)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return column_letter(section)
        number = self.rows[section][0]
        return f"{number} ▶" if number == self.header_row else str(number)


class PreviewModel(RowsTableModel[PreviewRow]):
    """Each row under the header as the importer reads it: exact values of a balance, or the cells
    of a row it refuses or skips. ``Qt.UserRole`` gives the parsed value itself."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[str] = []
        self.COLUMNS = ("Row", "Note")  # type: ignore[misc]  # per instance: the fields assigned

    def set_preview(self, fields: list[str], rows: list[PreviewRow]) -> None:
        self.beginResetModel()
        self.fields = list(fields)
        self.COLUMNS = ("Row", *(FIELD_LABELS[f] for f in fields), "Note")  # type: ignore[misc]
        self.RIGHT = frozenset([0] + [i + 1 for i, f in enumerate(fields) if f in NUMBER_FIELDS])  # type: ignore[misc]
        self.endResetModel()
        self.set_rows(rows)

    def cells(self, row: PreviewRow) -> tuple[str, ...]:
        return (str(row.row), *(shown(row.values.get(f)) for f in self.fields), row.note)

    def keys(self, row: PreviewRow) -> tuple[Any, ...]:
        return (row.row, *(str(row.values.get(f)) for f in self.fields), row.note)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if role == Qt.ItemDataRole.UserRole and index.isValid():
            row = self.row(index.row())
            column = index.column()
            return row.row if column == 0 else row.values.get(self.fields[column - 1]) if column <= len(self.fields) else row.note
        return super().data(index, role)

    def style(self, row: PreviewRow, column: int, role: int) -> object:
        field_name = self.fields[column - 1] if 0 < column <= len(self.fields) else None
        if role == Qt.ItemDataRole.BackgroundRole and row.state == "problem":
            return QBrush(PROBLEM_BG)
        if role == Qt.ItemDataRole.ForegroundRole:
            if row.state == "problem" and (field_name in row.bad_columns or column == len(self.fields) + 1):
                return QBrush(RED)
            if row.state == "skipped":
                return QBrush(GREY)
        if role == Qt.ItemDataRole.FontRole and row.state == "problem" and field_name in row.bad_columns:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.note or None
        return None


# --- the wizard ----------------------------------------------------------------------------------------




class ReviewModel(RowsTableModel[Item]):
    COLUMNS = ("File", "Sheet", "Profile", "Source", "Balances", "As of", "Check")
    RIGHT = frozenset({4})

    def cells(self, item: Item) -> tuple[str, ...]:
        p = item.profile
        check = item.check
        return (
            item.name,
            item.sheet or "",
            item.profile_name(),
            f"{p.source} ({p.kind})" if p is not None else "",
            f"{check.balances:,}" if check else "",
            ", ".join(d.isoformat() for d in check.dates[:2]) + ("…" if check and len(check.dates) > 2 else "")
            if check else "",
            self.status(item),
        )

    @staticmethod
    def status(item: Item) -> str:
        if item.error:
            return f"Not imported: cannot be read ({item.error})"
        if item.profile is None:
            return "Not imported: no profile"
        if item.check_error:
            return f"Not imported: {item.check_error}"
        if item.check is None:
            return "Checking…"
        if item.check.problems:
            n = len(item.check.problems)
            return f"Not imported: {n} problem{'s' if n != 1 else ''}"
        return "Ready"

    def style(self, item: Item, column: int, role: int) -> object:
        if role == Qt.ItemDataRole.ForegroundRole and column == 6:
            text = self.status(item)
            return QBrush(GREEN if text == "Ready" else GREY if text == "Checking…" else RED)
        if role == Qt.ItemDataRole.ToolTipRole and column == 6:
            return self.status(item)
        return None




class ResultsModel(RowsTableModel[Item]):
    COLUMNS = ("File", "Result", "Source", "Rows", "As of", "Superseded")
    RIGHT = frozenset({3})

    def cells(self, item: Item) -> tuple[str, ...]:
        r = item.result
        return (
            item.name + (f" [{item.sheet}]" if item.sheet else ""),
            item.outcome,
            r.source if r else "",
            f"{r.rows:,}" if r else "",
            (r.as_of.isoformat() if r.as_of else "several dates") if r else "",
            f"{r.superseded:,} earlier statement{'s' if r.superseded != 1 else ''}" if r and r.superseded else
            "—" if r else "",
        )

    def style(self, item: Item, column: int, role: int) -> object:
        if role == Qt.ItemDataRole.ForegroundRole and column == 1:
            return QBrush(GREEN if item.result else GREY if item.outcome.startswith("Waiting") else RED)
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join(item.problems) or item.outcome
        return None


