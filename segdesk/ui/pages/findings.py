"""Findings: filter, read the evidence and history, act on one or many with a comment, copy to Excel."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from segdesk.domain.money import grouped, plain
from segdesk.services.findings import TRANSITIONS, act_on_finding
from segdesk.services.reconciling import FindingView, RunView, current_run
from segdesk.ui.desk import Desk, is_busy, message_box
from segdesk.ui.findings_table import FindingsTableModel
from segdesk.ui.widgets import (
    TableOrEmpty,
    copy_selection,
    fit_columns,
    heading,
    page_layout,
    selected_rows,
)

ANY = "(any)"
VERBS = {"acknowledge": "Acknowledge", "resolve": "Resolve", "waive": "Waive"}


class CommentDialog(QDialog):
    """Why: every step of a finding's life carries a comment."""

    def __init__(self, action: str, count: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{VERBS[action]} {count} finding(s)")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Say why you {action} {'this finding' if count == 1 else f'these {count} findings'} "
                                "(kept in each finding's history and the audit trail):"))
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText("e.g. Custodian confirmed the transfer settled on 21 Nov")
        layout.addWidget(self.text)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(VERBS[action])
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
        self.text.textChanged.connect(
            lambda: self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(self.comment)))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.resize(460, 220)

    @property
    def comment(self) -> str:
        return self.text.toPlainText().strip()


class FindingsPage(QWidget):
    def __init__(self, desk: Desk) -> None:
        super().__init__()
        self.desk = desk
        self.run: RunView | None = None
        layout = page_layout(self)
        self.title = heading("Findings")
        layout.addWidget(self.title)

        filters = QHBoxLayout()
        self.severity, self.kind, self.status, self.sub_account = QComboBox(), QComboBox(), QComboBox(), QComboBox()
        for label, combo in (("Severity", self.severity), ("Kind", self.kind), ("Status", self.status),
                             ("Sub-account", self.sub_account)):
            filters.addWidget(QLabel(label))
            combo.addItem(ANY)
            combo.currentIndexChanged.connect(self._filter)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            filters.addWidget(combo)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search message, account, asset…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        filters.addWidget(self.search, 1)
        layout.addLayout(filters)

        self.model = FindingsTableModel()
        self.stack = TableOrEmpty(self.model, "No findings to show.\n\nReconcile a day on the Dashboard first.")
        self.table = self.stack.table
        self.table.sortByColumn(1, Qt.SortOrder.AscendingOrder)  # most severe first
        self.table.selectionModel().selectionChanged.connect(self._selected)
        self.detail = QTextBrowser()
        self.detail.setOpenLinks(False)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.stack)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([420, 220])  # the table first: rows are what people scan
        layout.addWidget(split, 1)

        actions = QHBoxLayout()
        self.count = QLabel()
        actions.addWidget(self.count)
        actions.addStretch(1)
        self.buttons = {}
        for action in TRANSITIONS:
            button = QPushButton(f"{VERBS[action]}…")
            button.clicked.connect(lambda _=False, a=action: self.act(a))
            self.buttons[action] = button
            actions.addWidget(button)
        copy = QPushButton("Copy rows")
        copy.setToolTip("Copy the selected rows as tab-separated text (Ctrl+C); paste into Excel")
        copy.clicked.connect(self.copy_selection)
        actions.addWidget(copy)
        layout.addLayout(actions)
        self._selected()

        desk.changed.connect(self.reload)
        desk.as_of_changed.connect(lambda _d: self.reload())

    # --- loading and filtering -------------------------------------------------------------------

    def reload(self) -> None:
        day, db = self.desk.as_of, self.desk.db
        if day is None:
            self.show_run(None)
            return
        self.desk.run(lambda _p: current_run(db, day), self.show_run, parent=self, what="Loading the findings")

    def show_run(self, run: RunView | None) -> None:
        self.run = run
        findings = list(run.findings) if run else []
        self.title.setText(f"Findings — {run.as_of:%d %B %Y}, run {run.run_id}" + (" (approved, frozen)" if run.approved
                                                                                  else "") if run else "Findings")
        for combo, values in ((self.severity, [f.severity for f in findings]), (self.kind, [f.kind for f in findings]),
                              (self.status, [f.status for f in findings]),
                              (self.sub_account, [f.sub_account for f in findings if f.sub_account])):
            current = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(ANY)
            combo.addItems(sorted(set(values)))
            combo.setCurrentIndex(max(0, combo.findText(current)))
            combo.blockSignals(False)
        self.model.set_rows(findings)
        self._filter()
        fit_columns(self.table)
        self.stack.show_rows(bool(findings))
        self._selected()

    def _filter(self) -> None:
        wanted = {name: combo.currentText() for name, combo in (("severity", self.severity), ("kind", self.kind),
                                                                ("status", self.status),
                                                                ("sub_account", self.sub_account))}
        text = self.search.text().strip().casefold()

        def keep(f: FindingView) -> bool:
            for name, value in wanted.items():
                if value != ANY and (getattr(f, name) or "") != value:
                    return False
            if text:
                hay = " ".join(str(x) for x in (f.id, f.kind, f.message, f.sub_account, f.external_account, f.asset,
                                                f.status, plain(f.amount))).casefold()
                return text in hay
            return True

        self.model.set_filter(keep)
        self.count.setText(f"{self.model.rowCount()} of {self.model.total} finding(s) shown")

    # --- detail and actions ----------------------------------------------------------------------

    def selected(self) -> list[FindingView]:
        return [self.model.row(r) for r in selected_rows(self.table)]

    def _selected(self, *_: object) -> None:
        chosen = self.selected()
        frozen = bool(self.run and self.run.approved)
        for action, button in self.buttons.items():
            allowed = TRANSITIONS[action][0]
            button.setEnabled(bool(chosen) and not frozen and all(f.status in allowed for f in chosen))
        if len(chosen) != 1:
            self.detail.setHtml(f"<p>{len(chosen)} findings selected.</p>" if chosen else
                                "<p style='color:gray'>Select a finding to see its evidence and history.</p>")
            return
        self.detail.setHtml(detail_html(chosen[0], self.run.base_currency if self.run else ""))

    def act(self, action: str) -> None:
        chosen = self.selected()
        if not chosen:
            return
        dialog = CommentDialog(action, len(chosen), self)
        dialog.accepted.connect(lambda: self._apply(action, [(f.id, f.version) for f in chosen], dialog.comment))
        dialog.open()
        self.comment_dialog = dialog

    def _apply(self, action: str, ids: list[tuple[int, int]], comment: str) -> None:
        """Act on (finding id, version as shown) pairs: a finding someone changed meanwhile is
        refused with who and when, and the list reloads to show it."""
        db, user, desk = self.desk.db, self.desk.user, self.desk

        def work(progress):  # type: ignore[no-untyped-def]
            done, failed = [], []
            for i, (finding_id, version) in enumerate(ids):
                progress.report(i, len(ids), f"{action} {finding_id}")
                try:
                    act_on_finding(db, finding_id, action, comment, user=user, expected_version=version)
                    done.append(finding_id)
                except Exception as exc:  # noqa: BLE001 - reported per finding below
                    if is_busy(exc):  # the next one would wait just as long: stop, say it once
                        return done, [], desk.explain(exc)[0]
                    failed.append((finding_id, desk.explain(exc)[0]))
            return done, failed, None

        def finished(result) -> None:  # type: ignore[no-untyped-def]
            done, failed, busy = result
            message = f"{VERBS[action]}d {len(done)} finding(s)"  # Acknowledged, Resolved, Waived
            if busy is not None:
                title, text = f"{VERBS[action]} findings did not complete", busy
                if done:
                    text += (f" ({len(done)} of the {len(ids)} finding(s) had been {VERBS[action].lower()}d before "
                             "the database became busy; the others are as they were.)")
            elif failed:
                title, text = f"{len(failed)} finding(s) were not changed", "\n".join(f"#{i}: {why}" for i, why in failed)
            if busy is not None or failed:
                box = message_box(self, QMessageBox.Icon.Warning, title, text)
                box.setObjectName("errorDialog")
                box.open()
            if busy is not None and not done:
                message = f"{VERBS[action]} findings: the database is busy; nothing was changed"
            elif busy is not None:
                message += f"; then the database was busy, so {len(ids) - len(done)} were not"
            self.desk.status.emit(message)
            self.desk.changed.emit()

        self.desk.run(work, finished, parent=self, what=f"{VERBS[action]} findings")

    def copy_selection(self) -> str:
        return copy_selection(self.table)


def detail_html(f: FindingView, base: str) -> str:
    evidence = "".join(
        f"<tr><td>{escape(e.file)}</td><td>{escape(e.sheet or '')}</td><td align='right'>{e.row}</td></tr>"
        for e in f.evidence[:200]
    )
    more = f"<p>… and {len(f.evidence) - 200} more rows</p>" if len(f.evidence) > 200 else ""
    history = "".join(
        f"<li>{s.at:%Y-%m-%d %H:%M} UTC — <b>{escape(s.user)}</b>: {escape(s.from_status or 'new')} → "
        f"{escape(s.to_status)}{(' — “' + escape(s.comment) + '”') if s.comment else ''}</li>"
        for s in f.history
    )
    where = " · ".join(escape(x) for x in (f.sub_account, f.external_account, f.asset) if x)
    return (
        f"<h3>#{f.id} {escape(f.kind.replace('_', ' '))} <small>({escape(f.severity)}, {escape(f.status)})</small></h3>"
        f"<p>{escape(f.message)}</p>"
        f"<p><b>Amount:</b> {grouped(plain(f.amount))} {escape(base)}{(' &nbsp; <b>Where:</b> ' + where) if where else ''}</p>"
        f"<p><b>Evidence</b> ({len(f.evidence)} row(s))</p>"
        + (f"<table border='0' cellspacing='0' cellpadding='2'><tr><th align='left'>File</th><th align='left'>Sheet</th>"
           f"<th align='right'>Row</th></tr>{evidence}</table>{more}" if evidence else "<p>none</p>")
        + f"<p><b>History</b></p><ul>{history or '<li>none</li>'}</ul>"
    )
