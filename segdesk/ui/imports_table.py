"""The table of imported files: a Qt model over plain ImportSummary values."""

from __future__ import annotations

from PySide6.QtCore import Qt

from segdesk.services.overview import ImportSummary
from segdesk.ui.rows_model import Index, RowsTableModel

COLUMNS = ("File", "Source", "Kind", "As of", "Rows", "Imported by", "Imported at", "Status")


class ImportsTableModel(RowsTableModel[ImportSummary]):
    COLUMNS = COLUMNS

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        item = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                item.file_name,
                item.source,
                item.kind,
                item.as_of.isoformat() if item.as_of else "several dates",
                f"{item.rows:,}",
                item.imported_by,
                item.imported_at.astimezone().strftime("%Y-%m-%d %H:%M"),  # the person's own clock
                "superseded" if item.superseded else "in use",
            )[col]
        if role == Qt.ItemDataRole.TextAlignmentRole and col == 4:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"SHA-256 {item.sha256}"
        if role == Qt.ItemDataRole.UserRole:  # sort key: numbers as numbers
            # Plain strings and ints only: Qt can compare those, not Python objects.
            return (item.file_name.casefold(), item.source.casefold(), item.kind,
                    item.as_of.isoformat() if item.as_of else "", item.rows, item.imported_by.casefold(),
                    f"{item.imported_at.isoformat()}|{item.batch_id:012d}", int(item.superseded))[col]
        return None
