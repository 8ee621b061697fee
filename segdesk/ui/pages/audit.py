"""The audit log: every change, newest first, searchable, with the hash chain's status."""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from segdesk.services.audit_trail import (
    EventView,
    describe_payload,
    guard_problem,
    list_events,
    verify_audit_trail,
)
from segdesk.ui.desk import Desk
from segdesk.ui.rows_model import RowsTableModel
from segdesk.ui.widgets import (
    TableOrEmpty,
    copy_selection,
    fit_columns,
    heading,
    page_layout,
)

SHOWN = 5000


class EventsModel(RowsTableModel[EventView]):
    COLUMNS = ("#", "When (UTC)", "Who", "Action", "Entity", "Detail", "Hash")
    RIGHT = frozenset({0})

    def cells(self, e: EventView) -> tuple[str, ...]:
        return (str(e.seq), e.at[:19].replace("T", " "), e.actor, e.action, f"{e.entity} {e.entity_id or ''}".strip(),
                describe_payload(e.payload), e.hash[:16] + "…")

    def keys(self, e: EventView) -> tuple[Any, ...]:
        return (e.seq, e.at, e.actor.casefold(), e.action, (e.entity, e.entity_id or ""), describe_payload(e.payload), e.hash)

    def style(self, e: EventView, column: int, role: int) -> object:
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{e.payload}\n\nhash {e.hash}"
        return None


class AuditPage(QWidget):
    def __init__(self, desk: Desk) -> None:
        super().__init__()
        self.desk = desk
        layout = page_layout(self)
        top = QHBoxLayout()
        top.addWidget(heading("Audit log"))
        top.addStretch(1)
        self.chain = QLabel("Checking the chain…")
        self.chain.setTextFormat(Qt.TextFormat.RichText)
        top.addWidget(self.chain)
        verify = QPushButton("Verify chain")
        verify.clicked.connect(self.verify)
        top.addWidget(verify)
        layout.addLayout(top)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search action, person, entity or detail (in the database)…")
        self.search.setClearButtonEnabled(True)
        self.search.returnPressed.connect(self.reload)
        layout.addWidget(self.search)
        self.model = EventsModel()
        self.stack = TableOrEmpty(self.model, "No events match.")
        self.table = self.stack.table
        self.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)  # newest first, and the header says so
        layout.addWidget(self.stack, 1)
        self.count = QLabel()
        layout.addWidget(self.count)
        desk.changed.connect(self.reload)

    def reload(self) -> None:
        db, text = self.desk.db, self.search.text().strip() or None
        self.desk.run(lambda _p: list_events(db, text, SHOWN), self.show_events, parent=self,
                      what="Loading the audit log")
        self.verify()

    def show_events(self, events: list[EventView]) -> None:
        self.model.set_rows(events)
        fit_columns(self.table, 420)
        self.stack.show_rows(bool(events))
        self.count.setText(f"{len(events)} event(s) shown" + (f" (the newest {SHOWN})" if len(events) == SHOWN else ""))

    def verify(self) -> None:
        db = self.desk.db

        def show(report) -> None:  # type: ignore[no-untyped-def]
            if report.intact and report.guards_missing:
                self.chain.setText(f"<span style='color:#b3261e'><b>✖ Chain intact, but {escape(guard_problem(report))}"
                                   "</b></span>")
            elif report.intact:
                self.chain.setText(f"<span style='color:#1e7b45'><b>✔ Chain intact</b></span>: {report.events} events, "
                                   f"head {report.head[:16]}…")
            else:
                self.chain.setText(f"<span style='color:#b3261e'><b>✖ Chain BROKEN at event #{report.broken_seq}</b>"
                                   f"</span>: {report.reason}")

        self.desk.run(lambda _p: verify_audit_trail(db), show, parent=self, what="Checking the audit trail")

    def copy_selection(self) -> str:
        return copy_selection(self.table)
