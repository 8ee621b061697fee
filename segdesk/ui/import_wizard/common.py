"""The wizard's shared pieces: page ids, colours, small helpers, and the file items it works through."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QDate,
    Qt,
)
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QListWidget,
    QTableView,
    QWizardPage,
)

from segdesk.domain.money import grouped, plain
from segdesk.services.importing import ImportResult
from segdesk.services.profiles import (
    FileLook,
    Preview,
    ProfileDraft,
    SavedProfile,
)
from segdesk.ui.rows_model import RowsTableModel
from segdesk.ui.widgets import copy_selection

FILES, REVIEW, IMPORT = 1, 2, 3
SETUP_BASE, SETUP_PAGES = 100, 4
RED, GREY, AMBER, GREEN = QColor("#b3261e"), QColor("#6b6b6b"), QColor("#a15c00"), QColor("#1e7b34")
PROBLEM_BG, HEADER_BG = QColor("#fce8e6"), QColor("#d7e7fb")
KIND_TEXT = {
    "custodian": "Custodian — a bank or crypto custodian holding the money",
    "exchange": "Exchange — a trading venue or clearing member (may carry equity and margin)",
    "ledger": "Ledger — the firm's own books",
    "prices": "Prices — a valuation file: one price per asset",
}
NUMBER_STYLES = [  # (shown, decimal, thousands)
    ("1,234.56", ".", ","),
    ("1.234,56", ",", "."),
    ("1 234,56", ",", " "),
    ("1'234.56", ".", "'"),
    ("1234.56 (no grouping)", ".", ""),
    ("1234,56 (no grouping)", ",", ""),
]
DATE_STYLES = [  # (shown, strptime pattern or None)
    ("Spreadsheet dates or YYYY-MM-DD", None),
    ("DD.MM.YYYY", "%d.%m.%Y"),
    ("DD/MM/YYYY", "%d/%m/%Y"),
    ("MM/DD/YYYY", "%m/%d/%Y"),
    ("DD-MM-YYYY", "%d-%m-%Y"),
    ("YYYYMMDD", "%Y%m%d"),
]
PROBLEMS_LISTED = 200
NOT_IN_FILE, ONE_ACCOUNT, FILE_DATE, SAVED_DATE = "", "\x00one-account", "\x00file-date", "\x00saved-date"


def shown(value: object) -> str:
    """A parsed value as the rest of SegDesk shows it: exact amounts grouped, dates ISO."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return grouped(plain(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def to_qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def from_qdate(day: QDate) -> dt.date:
    return dt.date(day.year(), day.month(), day.day())


def hidden_fields(kind: str) -> tuple[str, ...]:
    """A prices file names assets and prices only: its other fields are not offered."""
    if kind == "prices":
        return ("account", "reference", "quantity", "equity", "initial_margin", "maintenance_margin")
    return ()


def list_table(model: RowsTableModel) -> QTableView:  # type: ignore[type-arg]
    """A table of our rows in the order the wizard keeps them (files in the order given)."""
    table = QTableView()
    table.setModel(model)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(24)
    table.horizontalHeader().setStretchLastSection(True)
    copy = QShortcut(QKeySequence.StandardKey.Copy, table, context=Qt.ShortcutContext.WidgetShortcut)
    copy.activated.connect(lambda: copy_selection(table))
    return table


def more_problems(listing: QListWidget, count: int) -> None:
    """A file with thousands of bad rows usually has one mistake: the first lines show it."""
    if count > PROBLEMS_LISTED:
        listing.addItem(f"… and {count - PROBLEMS_LISTED:,} more problems like these")


def note(text: str = "", colour: QColor | None = None) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if colour is not None:
        label.setStyleSheet(f"color: {colour.name()};")
    return label


# --- what the wizard works on -------------------------------------------------------------------------


@dataclass
class Setup:
    """A new profile being made for one item: the state its four pages share."""

    base: int  # page id of its first page
    pages: list[QWizardPage] = field(default_factory=list)
    sheet: str | None = None
    header_row: int = 0
    draft: ProfileDraft | None = None
    file_as_of: dt.date | None = None  # a date for this file only (like --as-of)


@dataclass
class Item:
    """One statement to import: a file and, for a workbook, the sheet a profile reads."""

    path: Path
    look: FileLook | None = None
    error: str | None = None  # the file cannot be read
    sheet: str | None = None
    saved: SavedProfile | None = None  # the profile file that reads it
    unsaved: Any = None  # a Profile made here and not saved
    how: str = ""  # "recognised", "chosen", "made here"
    needs_setup: bool = False
    setup: Setup | None = None
    as_of: dt.date | None = None  # passed to the importer as --as-of; None: the profile's own date
    check: Preview | None = None
    check_error: str | None = None
    outcome: str = ""
    result: ImportResult | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def profile(self) -> Any:
        return self.saved.profile if self.saved is not None else self.unsaved

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def ready(self) -> bool:
        return self.error is None and self.profile is not None

    def profile_name(self) -> str:
        if self.saved is not None:
            return self.saved.name
        return "(not saved)" if self.unsaved is not None else ""


# --- small models ---------------------------------------------------------------------------------------


