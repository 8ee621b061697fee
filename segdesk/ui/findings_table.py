"""The findings of a run: a Qt model over plain FindingView values."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from segdesk.domain.money import grouped
from segdesk.ingest.numbers import format_amount
from segdesk.services.reconciling import FindingView
from segdesk.ui.rows_model import Index, RowsTableModel

COLUMNS = ("ID", "Severity", "Kind", "Sub-account", "External account", "Asset", "Amount", "Status", "Message")
AMOUNT = COLUMNS.index("Amount")
SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2}
SEVERITY_COLOUR = {"critical": QColor("#b3261e"), "high": QColor("#a15c00"), "medium": QColor("#5f6368")}


class FindingsTableModel(RowsTableModel[FindingView]):
    COLUMNS = COLUMNS

    def set_rows(self, rows: list[FindingView]) -> None:
        # Amounts sort by their exact value: rank them here rather than hand Qt a float.
        self._amount_rank = {f.id: rank for rank, f in enumerate(sorted(rows, key=lambda f: f.amount))}
        super().set_rows(rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        f = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (str(f.id), f.severity, f.kind.replace("_", " "), f.sub_account or "", f.external_account or "",
                    f.asset or "", grouped(format_amount(f.amount)), f.status, f.message)[col]
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (0, AMOUNT):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and col == 1:
            return QBrush(SEVERITY_COLOUR.get(f.severity, QColor("black")))
        if role == Qt.ItemDataRole.ToolTipRole:
            rows = "\n".join(f"{e.file}" + (f", sheet {e.sheet}" if e.sheet else "") + f", row {e.row}"
                             for e in f.evidence[:20])
            more = f"\n… and {len(f.evidence) - 20} more" if len(f.evidence) > 20 else ""
            return f"{f.message}\n\nEvidence:\n{rows}{more}" if rows else f.message
        if role == Qt.ItemDataRole.UserRole:  # sort keys Qt can compare: strings and numbers
            return (f.id, SEVERITY_RANK.get(f.severity, 9), f.kind, f.sub_account or "", f.external_account or "",
                    f.asset or "", self._amount_rank[f.id], f.status, f.message)[col]
        return None
