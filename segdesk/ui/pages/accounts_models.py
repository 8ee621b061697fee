"""The Accounts page's table models: sub-accounts, external accounts, mappings, what is unmapped."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont

from segdesk.domain.money import grouped, plain
from segdesk.services import accounts as service
from segdesk.services.accounts import (
    NO_DESIGNATION,
    AccountRow,
    MappingRow,
    SubAccountRow,
    UnmappedItem,
)
from segdesk.ui.rows_model import RowsTableModel

ANY = "(any)"
RED, AMBER, GREY = "#b3261e", "#b26a00", "#6b6b6b"
EVERY_LINE = "every line"
NO_DESIGNATION_TEXT = "— none —"
DESIGNATION_HELP = {
    "client_segregated": "segregated client money",
    "omnibus_client": "one account holding many clients' money",
    "proprietary": "the firm's own account",
}
KIND_HELP = {
    "client": "belongs to one named client",
    "proprietary": "the firm's own trading capital",
    "buffer": "the firm's own money held in segregation (residual interest)",
}


def day_text(day: dt.date | None) -> str:
    return f"{day:%d %B %Y}" if day else ""


def date_text(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


# --- table models ----------------------------------------------------------------------------------


class SubAccountsModel(RowsTableModel[SubAccountRow]):
    COLUMNS = ("Code", "Name", "Kind", "Client", "Base currency")

    def cells(self, r: SubAccountRow) -> tuple[str, ...]:
        return (r.code, r.name, r.kind, r.client or "", r.base_currency or "")

    def style(self, r: SubAccountRow, column: int, role: int) -> object:
        if role == Qt.ItemDataRole.ToolTipRole and column == 2:
            return KIND_HELP.get(r.kind)
        if role == Qt.ItemDataRole.ToolTipRole and column == 4:
            return ("Kept with the sub-account for reference (the chart workbook's base_currency column). Every "
                    "figure is valued in the firm's base currency, set on the Settings tab.")
        return None


class AccountsModel(RowsTableModel[AccountRow]):
    COLUMNS = ("Source", "Source kind", "Account", "Designation")

    def cells(self, r: AccountRow) -> tuple[str, ...]:
        designation = r.designation or (NO_DESIGNATION_TEXT if needs_designation(r) else "")
        return (r.source, r.source_kind, r.account, designation)

    def style(self, r: AccountRow, column: int, role: int) -> object:
        if column != 3:
            return None
        if role == Qt.ItemDataRole.ForegroundRole and r.designation is None and needs_designation(r):
            return QBrush(QColor(RED))
        if role == Qt.ItemDataRole.ToolTipRole:
            if r.designation:
                return DESIGNATION_HELP.get(r.designation)
            return ("No designation: its money is not counted as held in segregation. Double-click to designate it."
                    if needs_designation(r) else "A ledger account needs no designation")
        return None


def needs_designation(r: AccountRow | UnmappedItem) -> bool:
    return r.source_kind in service.HELD_KINDS


class MappingsModel(RowsTableModel[MappingRow]):
    COLUMNS = ("Source", "Account", "Reference", "Sub-account", "Valid from", "Valid to", "In force")

    def __init__(self) -> None:
        self.day: dt.date | None = None
        super().__init__()

    def in_force(self, r: MappingRow) -> str:
        if self.day is None:
            return ""
        if r.valid_on(self.day):
            return "yes"
        return "not yet" if r.valid_from and r.valid_from > self.day else "ended"

    def cells(self, r: MappingRow) -> tuple[str, ...]:
        return (r.source, r.account, r.reference or EVERY_LINE, r.sub_account, date_text(r.valid_from),
                date_text(r.valid_to), self.in_force(r))

    def keys(self, r: MappingRow) -> tuple[Any, ...]:
        return (r.source.casefold(), r.account.casefold(), (r.reference is not None, (r.reference or "").casefold()),
                r.sub_account.casefold(), r.valid_from or dt.date.min, r.valid_to or dt.date.max, self.in_force(r))

    def style(self, r: MappingRow, column: int, role: int) -> object:
        if column == 2 and r.reference is None:
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(QColor(GREY))
            if role == Qt.ItemDataRole.FontRole:
                font = QFont()
                font.setItalic(True)
                return font
            if role == Qt.ItemDataRole.ToolTipRole:
                return "Every line of the account that no reference mapping of the account places"
        if column == 6 and role == Qt.ItemDataRole.ToolTipRole and self.day:
            return f"On {day_text(self.day)}, the as-of date"
        if column == 6 and role == Qt.ItemDataRole.ForegroundRole and self.in_force(r) not in ("yes", ""):
            return QBrush(QColor(GREY))
        return None


class UnmappedModel(RowsTableModel[UnmappedItem]):
    COLUMNS = ("Problem", "Source", "Account", "Reference", "Designation", "Lines", "Amount", "Assets",
               "Statement date")
    RIGHT = frozenset({5, 6})

    def __init__(self) -> None:
        self.currency = ""
        super().__init__()

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:  # noqa: N802
        if (role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal and section == 6
                and self.currency):
            return f"Amount ({self.currency})"
        return super().headerData(section, orientation, role)

    def cells(self, r: UnmappedItem) -> tuple[str, ...]:
        if r.source_kind == "ledger" and r.problem != NO_DESIGNATION:
            amount = "ledger: no amount"
        elif r.amount is None:
            amount = "no price" if r.unpriced else ""
        else:
            amount = grouped(plain(r.amount)) + (" + unpriced" if r.unpriced else "")
        reference = (r.reference or "(no reference)") if r.problem != NO_DESIGNATION else ""
        designation = r.designation or (NO_DESIGNATION_TEXT if needs_designation(r) else "")
        return (problem_text(r), r.source, r.account, reference, designation, str(r.lines), amount,
                ", ".join(r.assets), date_text(r.statement_date))

    def keys(self, r: UnmappedItem) -> tuple[Any, ...]:
        texts = tuple(c.casefold() for c in self.cells(r))
        return (*texts[:5], r.lines, r.amount if r.amount is not None else float("-inf"), *texts[7:])

    def style(self, r: UnmappedItem, column: int, role: int) -> object:
        if role == Qt.ItemDataRole.ForegroundRole and column == 0:
            return QBrush(QColor(RED if r.problem != NO_DESIGNATION else AMBER))
        if role == Qt.ItemDataRole.ToolTipRole and column == 0:
            return ("Balances no mapping places: their owner is unknown, so they cannot be segregated. Map them."
                    if r.problem != NO_DESIGNATION else
                    "How the account is titled at the source is not set: designate it.")
        if role == Qt.ItemDataRole.ToolTipRole and column == 6 and r.unpriced:
            return "Some lines have no price on the as-of date; they are left out of the amount"
        return None


def problem_text(r: UnmappedItem) -> str:
    return "no designation" if r.problem == NO_DESIGNATION else "unmapped"


# --- dialogs -----------------------------------------------------------------------------------------


