"""The part every SegDesk table model shares: a list of plain values, one per row, fixed columns.

The model sorts and filters its own list with Python key functions rather than through a
QSortFilterProxyModel: a proxy compares rows by calling ``data()`` through Qt for every
comparison, which takes tens of seconds at 100k rows; sorting the list by a key takes a fraction of
a second, and the view only ever asks ``data()`` for the rows on screen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

Index = QModelIndex | QPersistentModelIndex
T = TypeVar("T")


class RowsTableModel(QAbstractTableModel, Generic[T]):
    """Subclasses name their ``COLUMNS`` and say, per row, its ``cells`` (the texts shown) and its
    ``keys`` (what each column sorts by: numbers as numbers); ``style`` adds alignment, colour and
    tooltips. Rows are replaced whole."""

    COLUMNS: ClassVar[tuple[str, ...]] = ()
    RIGHT: ClassVar[frozenset[int]] = frozenset()  # columns aligned right (numbers)

    def cells(self, row: T) -> tuple[str, ...]:
        raise NotImplementedError

    def keys(self, row: T) -> tuple[Any, ...]:
        return tuple(c.casefold() for c in self.cells(row))

    def style(self, row: T, column: int, role: int) -> object:
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cells(row)[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in self.RIGHT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return self.style(row, index.column(), role)

    def __init__(self, rows: list[T] | None = None) -> None:
        super().__init__()
        self._all: list[T] = []
        self._rows: list[T] = []
        self._keep: Callable[[T], bool] | None = None
        self._order: tuple[int, Qt.SortOrder] | None = None
        self.set_rows(rows or [])

    # --- content ---------------------------------------------------------------------------------

    def set_rows(self, rows: list[T]) -> None:
        self.beginResetModel()
        self._all = list(rows)
        self._arrange()
        self.endResetModel()

    def set_filter(self, keep: Callable[[T], bool] | None) -> None:
        self.beginResetModel()
        self._keep = keep
        self._arrange()
        self.endResetModel()

    def _arrange(self) -> None:
        rows = self._all if self._keep is None else [r for r in self._all if self._keep(r)]
        if self._order is not None:
            column, order = self._order
            rows = sorted(rows, key=lambda r: self.keys(r)[column], reverse=order == Qt.SortOrder.DescendingOrder)
        self._rows = list(rows)

    def row(self, i: int) -> T:
        return self._rows[i]

    def rows(self) -> list[T]:
        """The rows as shown (filtered and sorted)."""
        return list(self._rows)

    @property
    def total(self) -> int:
        return len(self._all)

    # --- Qt --------------------------------------------------------------------------------------

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        self._order = (column, order)
        self._arrange()
        self.layoutChanged.emit()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.COLUMNS[section]
        return None

    def as_tsv(self, rows: list[int], columns: list[int] | None = None) -> str:
        """The given rows as tab-separated text with a header line: what pastes into Excel."""
        columns = list(range(len(self.COLUMNS))) if columns is None else columns

        def clean(value: object) -> str:
            return "" if value is None else str(value).replace("\t", " ").replace("\r", " ").replace("\n", " ")

        lines = ["\t".join(self.COLUMNS[c] for c in columns)]
        for r in rows:
            cells = self.cells(self._rows[r])
            lines.append("\t".join(clean(cells[c]) for c in columns))
        return "\n".join(lines) + "\n"
