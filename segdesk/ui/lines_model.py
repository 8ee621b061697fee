"""The lines of an imported file, however many: a thin model that fetches pages on demand.

Only the count is known up front; a page of rows is read (off the GUI thread) the first time the
view asks for one of its rows, and a few pages are kept. Until a page arrives its cells show "…".
So a million-line file opens as fast as a ten-line one.
"""

from __future__ import annotations

from collections import OrderedDict
from decimal import Decimal

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from segdesk.domain.money import grouped, plain
from segdesk.services.overview import LineRow, batch_line_count, batch_lines
from segdesk.ui.desk import Desk

Index = QModelIndex | QPersistentModelIndex
PAGE = 500
KEPT_PAGES = 40
PENDING = "…"


def _amount(d: Decimal | None) -> str:
    return "" if d is None else grouped(plain(d))


class LinesModel(QAbstractTableModel):
    COLUMNS = ("Row", "Sheet", "Account", "Reference", "Asset", "Quantity", "Price", "Value", "Equity",
               "Initial margin", "Maintenance margin", "As of")
    RIGHT = frozenset({0, 5, 6, 7, 8, 9, 10})

    def __init__(self, desk: Desk) -> None:
        super().__init__()
        self.desk = desk
        self.batch_id: int | None = None
        self.count = 0
        self._pages: OrderedDict[int, list[LineRow]] = OrderedDict()
        self._asked: set[int] = set()
        self._generation = 0  # answers for an earlier file are dropped

    def show_batch(self, batch_id: int | None) -> None:
        self._generation += 1
        generation = self._generation
        self.beginResetModel()
        self.batch_id, self.count = batch_id, 0
        self._pages.clear()
        self._asked.clear()
        self.endResetModel()
        if batch_id is None:
            return
        db = self.desk.db

        def counted(n: int) -> None:
            if generation != self._generation:
                return
            self.beginResetModel()
            self.count = n
            self.endResetModel()

        self.desk.run(lambda _p: batch_line_count(db, batch_id), counted, what="Counting the file's lines")

    def _fetch(self, page: int) -> None:
        if page in self._asked or self.batch_id is None:
            return
        self._asked.add(page)
        db, batch_id, generation = self.desk.db, self.batch_id, self._generation

        def arrived(rows: list[LineRow]) -> None:
            self._asked.discard(page)
            if generation != self._generation:
                return
            self._pages[page] = rows
            while len(self._pages) > KEPT_PAGES:
                self._pages.popitem(last=False)
            first = page * PAGE
            last = min(self.count, first + len(rows)) - 1
            if last >= first:
                self.dataChanged.emit(self.index(first, 0), self.index(last, len(self.COLUMNS) - 1))

        self.desk.run(lambda _p: batch_lines(db, batch_id, page * PAGE, PAGE), arrived, what="Reading lines")

    def line(self, row: int) -> LineRow | None:
        page = row // PAGE
        rows = self._pages.get(page)
        if rows is None:
            self._fetch(page)
            return None
        self._pages.move_to_end(page)
        offset = row - page * PAGE
        return rows[offset] if offset < len(rows) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else self.count

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or index.row() >= self.count:
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in self.RIGHT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        line = self.line(index.row())
        if line is None:
            return PENDING
        return (str(line.row), line.sheet or "", line.account, line.reference or "", line.asset,
                _amount(line.quantity), _amount(line.price), _amount(line.value), _amount(line.equity),
                _amount(line.initial_margin), _amount(line.maintenance_margin), line.as_of.isoformat())[index.column()]
