"""The findings of a run: a Qt model over plain FindingView values."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from segdesk.domain.money import grouped, plain
from segdesk.services.reconciling import FindingView
from segdesk.ui.rows_model import RowsTableModel

COLUMNS = ("ID", "Severity", "Kind", "Sub-account", "External account", "Asset", "Amount", "Status", "Message")
AMOUNT = COLUMNS.index("Amount")
SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}
SEVERITY_COLOUR = {"critical": QColor("#b3261e"), "high": QColor("#a15c00"), "medium": QColor("#5f6368")}
STATUS_RANK = {"open": 0, "acknowledged": 1, "resolved": 2, "waived": 3}


class FindingsTableModel(RowsTableModel[FindingView]):
    COLUMNS = COLUMNS
    RIGHT = frozenset({0, AMOUNT})

    def cells(self, f: FindingView) -> tuple[str, ...]:
        return (str(f.id), f.severity, f.kind.replace("_", " "), f.sub_account or "", f.external_account or "",
                f.asset or "", grouped(plain(f.amount)), f.status, f.message)

    def keys(self, f: FindingView) -> tuple[Any, ...]:
        # Amounts sort by their exact Decimal value.
        return (f.id, SEVERITY_RANK.get(f.severity, 9), f.kind, f.sub_account or "", f.external_account or "",
                f.asset or "", f.amount, STATUS_RANK.get(f.status, 9), f.message.casefold())

    def style(self, f: FindingView, column: int, role: int) -> object:
        if role == Qt.ItemDataRole.ForegroundRole and column == 1:
            return QBrush(SEVERITY_COLOUR.get(f.severity, QColor("black")))
        if role == Qt.ItemDataRole.ToolTipRole:
            rows = "\n".join(f"{e.file}" + (f", sheet {e.sheet}" if e.sheet else "") + f", row {e.row}"
                             for e in f.evidence[:20])
            more = f"\n… and {len(f.evidence) - 20} more" if len(f.evidence) > 20 else ""
            return f"{f.message}\n\nEvidence:\n{rows}{more}" if rows else f.message
        return None
