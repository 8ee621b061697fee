"""The sub-account schedule of the day's run: equity, venue equity, IM, MM and margin ratio."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTabWidget,
    QWidget,
)

from segdesk.domain.checks import VenueMargin
from segdesk.domain.money import grouped, plain
from segdesk.domain.reconcile import SubAccountFigures
from segdesk.services.reconciling import RunView, current_run, schedule_of, venues_of
from segdesk.ui.desk import Desk
from segdesk.ui.rows_model import RowsTableModel
from segdesk.ui.widgets import (
    TableOrEmpty,
    copy_selection,
    fit_columns,
    heading,
    page_layout,
)

ANY = "(any)"


class ScheduleModel(RowsTableModel[SubAccountFigures]):
    COLUMNS = ("Code", "Name", "Kind", "Equity", "Venue equity", "Initial margin", "Maintenance margin", "Margin ratio")
    RIGHT = frozenset({3, 4, 5, 6, 7})

    def cells(self, r: SubAccountFigures) -> tuple[str, ...]:
        ratio = r.margin_ratio
        return (r.code, r.name, r.kind, grouped(plain(r.equity)), grouped(plain(r.venue_equity)),
                grouped(plain(r.initial_margin)), grouped(plain(r.maintenance_margin)),
                "" if ratio is None else f"{ratio:.2%}")

    def keys(self, r: SubAccountFigures) -> tuple[Any, ...]:
        ratio = r.margin_ratio
        return (r.code.casefold(), r.name.casefold(), r.kind, r.equity, r.venue_equity, r.initial_margin,
                r.maintenance_margin, Decimal("-Infinity") if ratio is None else ratio)

    def style(self, r: SubAccountFigures, column: int, role: int) -> object:
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == 3 and r.equity < 0:
                return QBrush(QColor("#b3261e"))
            if column == 7 and r.margin_ratio is not None and r.margin_ratio < 1:
                return QBrush(QColor("#b3261e"))
        return None


class VenueModel(RowsTableModel[VenueMargin]):
    COLUMNS = ("Sub-account", "Venue", "Venue equity", "Initial margin", "Maintenance margin", "Margin ratio",
               "Shortfall")
    RIGHT = frozenset({2, 3, 4, 5, 6})

    def cells(self, r: VenueMargin) -> tuple[str, ...]:
        ratio = r.margin_ratio
        return (r.sub_account, r.external_account, grouped(plain(r.equity)), grouped(plain(r.initial_margin)),
                grouped(plain(r.maintenance_margin)), "" if ratio is None else f"{ratio:.2%}",
                grouped(plain(r.shortfall)) if r.shortfall else "")

    def keys(self, r: VenueMargin) -> tuple[Any, ...]:
        ratio = r.margin_ratio
        return (r.sub_account.casefold(), r.external_account.casefold(), r.equity, r.initial_margin, r.maintenance_margin,
                Decimal("-Infinity") if ratio is None else ratio, r.shortfall)

    def style(self, r: VenueMargin, column: int, role: int) -> object:
        if role == Qt.ItemDataRole.ForegroundRole and column in (5, 6) and r.shortfall > 0:
            return QBrush(QColor("#b3261e"))
        return None


class SchedulePage(QWidget):
    def __init__(self, desk: Desk) -> None:
        super().__init__()
        self.desk = desk
        layout = page_layout(self)
        self.title = heading("Sub-accounts")
        layout.addWidget(self.title)
        filters = QHBoxLayout()
        filters.addWidget(QLabel("Kind"))
        self.kind = QComboBox()
        self.kind.addItems([ANY, "client", "proprietary", "buffer"])
        self.kind.currentIndexChanged.connect(self._filter)
        filters.addWidget(self.kind)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search code or name…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        filters.addWidget(self.search, 1)
        self.count = QLabel()
        filters.addWidget(self.count)
        layout.addLayout(filters)
        self.model = ScheduleModel()
        self.stack = TableOrEmpty(self.model, "No reconciled day to show.\n\nReconcile one on the Dashboard.")
        self.table = self.stack.table
        self.venue_model = VenueModel()
        self.venue_stack = TableOrEmpty(self.venue_model, "No margin-carrying venue in this run.")
        self.venue_table = self.venue_stack.table
        self.tabs = QTabWidget()
        self.tabs.addTab(self.stack, "By sub-account")
        self.tabs.addTab(self.venue_stack, "By sub-account and venue")
        layout.addWidget(self.tabs, 1)
        note = QLabel("Amounts in the base currency. Margin ratio = venue equity ÷ maintenance margin; below 100% "
                      "is a margin shortfall.")
        note.setWordWrap(True)
        layout.addWidget(note)
        desk.changed.connect(self.reload)
        desk.as_of_changed.connect(lambda _d: self.reload())

    def reload(self) -> None:
        day, db = self.desk.as_of, self.desk.db
        if day is None:
            self.show_run(None)
            return
        self.desk.run(lambda _p: current_run(db, day), self.show_run, parent=self, what="Loading the schedule")

    def show_run(self, run: RunView | None) -> None:
        rows = [] if run is None else schedule_of(run.results)
        venues = [] if run is None else venues_of(run.results)
        self.title.setText(f"Sub-accounts — {run.as_of:%d %B %Y} ({run.base_currency})" if run else "Sub-accounts")
        self.model.set_rows(rows)
        self.venue_model.set_rows(venues)
        self._filter()
        fit_columns(self.table)
        fit_columns(self.venue_table)
        self.stack.show_rows(bool(rows))
        self.venue_stack.empty.setText(
            "No margin-carrying venue in this run." if run is None or "venues" in run.results else
            "This run was made before SegDesk kept margins per venue; the next run for this date will show them.")
        self.venue_stack.show_rows(bool(venues))

    def _filter(self) -> None:
        kind = self.kind.currentText()
        text = self.search.text().strip().casefold()
        self.model.set_filter(lambda r: (kind == ANY or r.kind == kind)
                              and (not text or text in r.code.casefold() or text in r.name.casefold()))
        kinds = {r.code: r.kind for r in self.model._all}
        self.venue_model.set_filter(lambda v: (kind == ANY or kinds.get(v.sub_account) == kind)
                                    and (not text or text in v.sub_account.casefold() or text in v.external_account.casefold()))
        self.count.setText(f"{self.model.rowCount()} of {self.model.total}")

    def copy_selection(self) -> str:
        return copy_selection(self.venue_table if self.tabs.currentIndex() == 1 else self.table)
