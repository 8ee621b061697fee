"""The part every SegDesk table model shares: a list of plain values, one per row, fixed columns."""

from __future__ import annotations

from typing import ClassVar, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

Index = QModelIndex | QPersistentModelIndex
T = TypeVar("T")


class RowsTableModel(QAbstractTableModel, Generic[T]):
    """Subclasses name their ``COLUMNS`` and answer ``data``; rows are replaced whole."""

    COLUMNS: ClassVar[tuple[str, ...]] = ()

    def __init__(self, rows: list[T] | None = None) -> None:
        super().__init__()
        self._rows: list[T] = []
        self.set_rows(rows or [])

    def set_rows(self, rows: list[T]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.COLUMNS[section]
        return None
