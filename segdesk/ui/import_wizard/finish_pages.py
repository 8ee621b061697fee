"""The last pages: review what will be imported, then import in the background with a way to stop."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWizard,
    QWizardPage,
)

from segdesk.domain.problems import InputError
from segdesk.domain.progress import Cancelled, Progress
from segdesk.services.importing import ImportResult, import_statement
from segdesk.services.profiles import (
    Preview,
    check_statement,
)
from segdesk.ui.desk import is_busy, problem_lines
from segdesk.ui.import_wizard.common import (
    AMBER,
    GREEN,
    PROBLEMS_LISTED,
    RED,
    Item,
    from_qdate,
    list_table,
    more_problems,
    note,
    to_qdate,
)
from segdesk.ui.import_wizard.models import (
    ResultsModel,
    ReviewModel,
)
from segdesk.ui.widgets import fit_columns
from segdesk.ui.worker import Job

if TYPE_CHECKING:
    from segdesk.ui.import_wizard.wizard import ImportWizard
class ReviewPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.generation = 0
        self.setTitle("Ready to import")
        self.setSubTitle("Every file has been read with its profile; nothing is stored yet. Each file is imported "
                         "whole or not at all.")
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "Import")
        layout = QVBoxLayout(self)
        self.model = ReviewModel()
        self.table = list_table(self.model)
        self.table.selectionModel().selectionChanged.connect(self._selected)
        layout.addWidget(self.table, 2)
        date_row = QHBoxLayout()
        self.date_label = QLabel("As-of date for files whose profile gives none:")
        self.as_of = QDateEdit()
        self.as_of.setCalendarPopup(True)
        self.as_of.setDisplayFormat("yyyy-MM-dd")
        self.as_of.setDate(to_qdate(wizard.desk.as_of or dt.date.today()))
        self.as_of.dateChanged.connect(lambda _d: self.check())
        date_row.addWidget(self.date_label)
        date_row.addWidget(self.as_of)
        date_row.addStretch(1)
        layout.addLayout(date_row)
        self.summary = note()
        layout.addWidget(self.summary)
        self.problems = QListWidget()
        self.problems.setWordWrap(True)
        layout.addWidget(self.problems, 1)

    def undated(self, item: Item) -> bool:
        p = item.profile
        return (item.ready and p is not None and p.as_of is None and "as_of_column" not in p.columns
                and not (item.setup and item.setup.file_as_of))

    def initializePage(self) -> None:  # noqa: N802 - Qt's name
        needs_date = any(self.undated(i) for i in self.w.items)
        self.date_label.setVisible(needs_date)
        self.as_of.setVisible(needs_date)
        self.check()

    def check(self) -> None:
        """Read every file with its profile, in the background: what the import would store."""
        self.generation += 1
        generation = self.generation
        for item in self.w.items:
            item.check, item.check_error = None, None
            if not item.ready:
                continue
            if self.undated(item):
                item.as_of = from_qdate(self.as_of.date())
            profile, as_of, path = item.profile, item.as_of, item.path
            table = item.look.tables.get(item.sheet) if item.look else None
            self.w.run(lambda progress, profile=profile, as_of=as_of, path=path, table=table:
                       check_statement(path, profile, as_of, table=table, progress=progress),
                       lambda result, item=item: self._checked(generation, item, result, None),
                       what=f"Checking {item.name}",
                       on_failure=lambda exc, item=item: self._checked(generation, item, None, exc))
        self.refresh()

    def _checked(self, generation: int, item: Item, result: Preview | None, exc: BaseException | None) -> None:
        if generation != self.generation:
            return
        item.check = result
        item.check_error = "; ".join(problem_lines(exc)) if exc is not None else None
        self.refresh()

    def refresh(self) -> None:
        self.model.set_rows(self.w.items)
        fit_columns(self.table, 360)
        ready = self.ready_items()
        pending = any(i.ready and i.check is None and i.check_error is None for i in self.w.items)
        if pending:
            self.summary.setText("Reading the files…")
        else:
            left = len(self.w.items) - len(ready)
            balances = sum(i.check.balances for i in ready if i.check)
            files = f"{left} file{'s' if left != 1 else ''}"
            if ready:
                self.summary.setText(
                    f"{len(ready)} file{'s' if len(ready) != 1 else ''} ready: {balances:,} balances will be stored."
                    + (f" {files} will not be imported (select one to see why)." if left else ""))
            else:
                self.summary.setText(f"Nothing can be imported: {files} {'have' if left != 1 else 'has'} problems "
                                     "(select one to see why). Go Back to change a profile, or have the file "
                                     "corrected and import it again.")
            self.summary.setStyleSheet(f"color: {(RED if not ready else AMBER if left else GREEN).name()};")
        if self.table.selectionModel().selectedRows() == [] and self.w.items:
            problem = next((n for n, i in enumerate(self.w.items) if ReviewModel.status(i) != "Ready"), 0)
            self.table.selectRow(problem)
        self._selected()
        self.completeChanged.emit()

    def _selected(self, *_: object) -> None:
        self.problems.clear()
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        if not rows:
            return
        item = self.model.row(rows[0])
        lines = ([item.error] if item.error else [item.check_error] if item.check_error else
                 [p.text for p in item.check.problems] if item.check else [])
        for line in lines[:PROBLEMS_LISTED]:
            entry = QListWidgetItem(line)
            entry.setForeground(QBrush(RED))
            self.problems.addItem(entry)
        more_problems(self.problems, len(lines))
        if item.check and not lines:
            accounts = ", ".join(item.check.accounts[:6]) + ("…" if len(item.check.accounts) > 6 else "")
            self.problems.addItem(f"{item.name}: {item.check.balances:,} balances"
                                  + (f" for account{'s' if len(item.check.accounts) != 1 else ''} {accounts}"
                                     if accounts else ""))

    def ready_items(self) -> list[Item]:
        return [i for i in self.w.items if i.ready and i.check is not None and i.check.ok]

    def isComplete(self) -> bool:  # noqa: N802 - Qt's name
        pending = any(i.ready and i.check is None and i.check_error is None for i in self.w.items)
        return not pending and bool(self.ready_items())


# --- 7. importing ----------------------------------------------------------------------------------------




class ImportPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.job: Job | None = None
        self.finished = False
        self.stopped = False
        self.items: list[Item] = []
        self.setTitle("Importing")
        self.setSubTitle("Each file is stored whole or not at all. Stopping leaves the file being imported "
                         "unstored; files already imported stay.")
        layout = QVBoxLayout(self)
        self.stage = note()
        layout.addWidget(self.stage)
        row = QHBoxLayout()
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        row.addWidget(self.bar, 1)
        self.stop_button = QPushButton("Cancel import")
        self.stop_button.clicked.connect(self.stop)
        row.addWidget(self.stop_button)
        layout.addLayout(row)
        self.model = ResultsModel()
        self.table = list_table(self.model)
        self.table.selectionModel().selectionChanged.connect(self._selected)
        layout.addWidget(self.table, 2)
        self.details = QListWidget()
        self.details.setWordWrap(True)
        layout.addWidget(self.details, 1)

    def initializePage(self) -> None:  # noqa: N802 - Qt's name
        self.items = self.w.review_page.ready_items()
        for item in self.items:
            item.outcome, item.result, item.problems = "Waiting", None, []
        self.model.set_rows(self.items)
        fit_columns(self.table, 360)
        self.finished = self.stopped = False
        self.setTitle("Importing")
        self.start()

    def start(self) -> None:
        desk, db, user, items = self.w.desk, self.w.desk.db, self.w.desk.user, list(self.items)
        plan = [(i.path, i.saved.path if i.saved is not None else i.profile, i.as_of, i.name) for i in items]
        outcomes: list[tuple[ImportResult | None, list[str]]] = []
        self._outcomes = outcomes

        def work(progress: Progress) -> list[tuple[ImportResult | None, list[str]]]:
            for n, (path, profile, as_of, name) in enumerate(plan):
                def report(done: int, total: int, stage: str, n: int = n, name: str = name) -> None:
                    share = done / total if total else 0
                    progress.report(int(1000 * (n + share) / len(plan)), 1000,
                                    f"{name} ({n + 1} of {len(plan)}): {stage}")

                one = Progress(report, progress.cancel_flag)  # Cancel reaches the importer's every report
                try:
                    outcomes.append((import_statement(db, path, profile, as_of=as_of, user=user, progress=one), []))
                except Cancelled:
                    raise
                except InputError as exc:
                    outcomes.append((None, list(exc.problems)))
                except Exception as exc:  # noqa: BLE001 - one file's failure is shown, the next file goes on
                    outcomes.append((None, desk.explain(exc)))
                    if is_busy(exc):  # each next file would wait just as long for the same lock
                        outcomes.extend((None, desk.explain(exc)) for _ in plan[n + 1:])
                        break
            return outcomes

        self.stop_button.setEnabled(True)
        self.stop_button.setText("Cancel import")
        self.stage.setText("Starting…")
        self.job = self.w.run(work, lambda _r: self.settle(), what="The import", on_progress=self.progressed,
                              on_cancel=self.settle, on_failure=self.failed)

    def progressed(self, done: int, total: int, stage: str) -> None:
        self.bar.setValue(done)
        if not self.stopped:
            self.stage.setText(f"Importing {stage}")
        position = done * len(self.items) // 1000 if self.items else 0
        for n, item in enumerate(self.items):
            if n == position and n >= len(self._outcomes) and item.outcome == "Waiting":
                item.outcome = "Importing…"
                self.model.set_rows(self.items)

    def stop(self) -> None:
        if self.job is not None and not self.finished:
            self.stopped = True
            self.job.cancel()
            self.stop_button.setEnabled(False)
            self.stage.setText("Stopping… nothing of the file being imported will be stored.")

    def failed(self, exc: BaseException) -> None:
        self._failure = self.w.desk.explain(exc)
        self.settle()

    def settle(self) -> None:
        """The job is over: imported, stopped or failed. Say what happened to every file."""
        self.finished = True
        self.job = None
        imported: list[Item] = []
        for n, item in enumerate(self.items):
            if n < len(self._outcomes):
                result, problems = self._outcomes[n]
                item.result, item.problems = result, problems
                item.outcome = "Imported" if result else f"Refused: {problems[0] if problems else 'unknown problem'}"
                if result:
                    imported.append(item)
            elif self.stopped:
                item.outcome = "Cancelled: nothing stored" if n == len(self._outcomes) else "Not imported (cancelled)"
            else:
                item.outcome = "Not imported"
                item.problems = getattr(self, "_failure", [])
        self.model.set_rows(self.items)
        fit_columns(self.table, 420)
        rows = sum(i.result.rows for i in imported if i.result)
        done_text = (f"Imported {len(imported)} file{'s' if len(imported) != 1 else ''}, {rows:,} balance rows."
                     if imported else "Nothing was imported.")
        if self.stopped:
            done_text = "Import cancelled. " + done_text
        self.setTitle("Import cancelled" if self.stopped else "Import finished")
        refused = len(self.items) - len(imported)
        if refused and not self.stopped:
            done_text += f" {refused} file{'s' if refused != 1 else ''} refused: select one to see why."
        self.stage.setText(done_text)
        self.bar.setValue(1000 if not self.stopped else self.bar.value())
        self.stop_button.setEnabled(False)
        if imported:
            self.w.desk.status.emit(done_text)
            self.w.desk.changed.emit()
        self.w.button(QWizard.WizardButton.CancelButton).setEnabled(False)
        if self.items:
            self.table.selectRow(0)
        self.completeChanged.emit()

    def _selected(self, *_: object) -> None:
        self.details.clear()
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        if not rows:
            return
        item = self.model.row(rows[0])
        r = item.result
        if r is not None:
            self.details.addItem(
                f"{r.file_name}: {r.rows:,} balance rows from {r.source}, {r.statements} statement"
                f"{'s' if r.statements != 1 else ''}"
                + (f", {r.skipped_rows} total/note rows skipped" if r.skipped_rows else "")
                + (f"; replaces {r.superseded} earlier statement{'s' if r.superseded != 1 else ''} for the same "
                   "account and date" if r.superseded else "")
                + f". SHA-256 {r.sha256}")
        for line in item.problems[:PROBLEMS_LISTED]:
            entry = QListWidgetItem(line)
            entry.setForeground(QBrush(RED))
            self.details.addItem(entry)
        more_problems(self.details, len(item.problems))

    def isComplete(self) -> bool:  # noqa: N802 - Qt's name
        return self.finished
