"""The table of imported files: a Qt model over plain ImportSummary values."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from segdesk.services.overview import ImportSummary
from segdesk.ui.rows_model import RowsTableModel

COLUMNS = ("File", "Source", "Kind", "As of", "Rows", "Imported by", "Imported at", "Status")


class ImportsTableModel(RowsTableModel[ImportSummary]):
    COLUMNS = COLUMNS
    RIGHT = frozenset({4})

    def cells(self, item: ImportSummary) -> tuple[str, ...]:
        return (
            item.file_name,
            item.source,
            item.kind,
            item.as_of.isoformat() if item.as_of else "several dates",
            f"{item.rows:,}",
            item.imported_by,
            item.imported_at.astimezone().strftime("%Y-%m-%d %H:%M"),  # the person's own clock
            "superseded" if item.superseded else "in use",
        )

    def keys(self, item: ImportSummary) -> tuple[Any, ...]:
        return (item.file_name.casefold(), item.source.casefold(), item.kind,
                item.as_of.isoformat() if item.as_of else "", item.rows, item.imported_by.casefold(),
                (item.imported_at, item.batch_id), int(item.superseded))

    def style(self, item: ImportSummary, column: int, role: int) -> object:
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"SHA-256 {item.sha256}"
        return None
