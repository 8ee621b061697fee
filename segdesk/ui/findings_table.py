"""The findings of a run: a Qt model over plain FindingView values."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from segdesk.ingest.numbers import format_amount
from segdesk.services.reconciling import FindingView

COLUMNS = ("ID", "Severity", "Kind", "Sub-account", "External account", "Asset", "Amount", "Status", "Message")
AMOUNT = COLUMNS.index("Amount")
SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2}
SEVERITY_COLOUR = {"critical": QColor("#b3261e"), "high": QColor("#a15c00"), "medium": QColor("#5f6368")}
Index = QModelIndex | QPersistentModelIndex


def grouped(amount: str) -> str:
    """An exact amount with thousands separators; negatives in parentheses."""
    negative = amount.startswith("-")
    whole, _, fraction = amount.lstrip("-").partition(".")
    text = f"{int(whole):,}" + (f".{fraction}" if fraction else "")
    return f"({text})" if negative else text


class FindingsTableModel(QAbstractTableModel):
    def __init__(self, findings: list[FindingView] | None = None) -> None:
        super().__init__()
        self._rows: list[FindingView] = []
        self._amount_rank: dict[int, int] = {}
        self.set_findings(findings or [])

    def set_findings(self, findings: list[FindingView]) -> None:
        self.beginResetModel()
        self._rows = list(findings)
        # Amounts sort by their exact value: rank them here rather than hand Qt a float.
        ordered = sorted(self._rows, key=lambda f: f.amount)
        self._amount_rank = {f.id: rank for rank, f in enumerate(ordered)}
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

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
