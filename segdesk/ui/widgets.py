"""Small widgets the pages share: a table view wired for our models, a table-or-empty stack, a
figure card, and copying selected rows to the clipboard as text Excel understands."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHeaderView,
    QLabel,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from segdesk.ui.rows_model import RowsTableModel


def make_table(model: RowsTableModel) -> QTableView:  # type: ignore[type-arg]
    """A view on one of our models: it sorts through the model (not a proxy), selects whole rows,
    and Ctrl+C copies the selected rows as tab-separated text."""
    table = QTableView()
    table.setModel(model)
    table.setSortingEnabled(True)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)  # one line per row; the tooltip holds the whole text
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(24)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    header.setSortIndicatorShown(True)
    # Qt's default indicator is descending; a table opens A to Z by its first column unless the page
    # chooses another order.
    table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    copy = QShortcut(QKeySequence.StandardKey.Copy, table, context=Qt.ShortcutContext.WidgetShortcut)
    copy.activated.connect(lambda: copy_selection(table))
    return table


def fit_columns(table: QTableView, limit: int = 360) -> None:
    """Columns as wide as their content (measured on the rows in view), none wider than ``limit``."""
    table.resizeColumnsToContents()
    header = table.horizontalHeader()
    for c in range(header.count() - 1):
        if header.sectionSize(c) > limit:
            header.resizeSection(c, limit)


def selected_rows(table: QTableView) -> list[int]:
    return sorted({i.row() for i in table.selectionModel().selectedRows()}) if table.selectionModel() else []


def copy_selection(table: QTableView) -> str:
    model = table.model()
    rows = selected_rows(table)
    if not rows or not isinstance(model, RowsTableModel):
        return ""
    text = model.as_tsv(rows)
    QGuiApplication.clipboard().setText(text)
    return text


class TableOrEmpty(QStackedWidget):
    """A table, or a line saying what to do while it has no rows."""

    def __init__(self, model: RowsTableModel, empty_text: str) -> None:  # type: ignore[type-arg]
        super().__init__()
        self.table = make_table(model)
        self.empty = QLabel(empty_text)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setObjectName("emptyState")
        self.addWidget(self.empty)
        self.addWidget(self.table)

    def show_rows(self, has_rows: bool) -> None:
        self.setCurrentWidget(self.table if has_rows else self.empty)


class FigureCard(QFrame):
    """One headline figure: a caption, a big number, a small note."""

    def __init__(self, caption: str) -> None:
        super().__init__()
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName("figureCard")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        self.caption = QLabel(caption)
        self.caption.setObjectName("caption")
        self.value = QLabel("—")
        font = self.value.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.value.setFont(font)
        self.value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note = QLabel("")
        self.note.setObjectName("note")
        for w in (self.caption, self.value, self.note):
            layout.addWidget(w)

    def set_figure(self, value: str, note: str = "", colour: str | None = None) -> None:
        self.value.setText(value)
        self.value.setStyleSheet(f"color: {colour};" if colour else "")
        self.note.setText(note)


def heading(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 1.35)
    font.setBold(True)
    label.setFont(font)
    return label


def page_layout(widget: QWidget) -> QVBoxLayout:
    layout = QVBoxLayout(widget)
    layout.setContentsMargins(16, 12, 16, 12)
    layout.setSpacing(10)
    return layout
