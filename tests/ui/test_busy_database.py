"""Another program holds SQLite's write lock: the window says so in words, changes nothing, and the same
action works once the lock is gone. Real window, real database file, a real second sqlite3 connection."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox

from segdesk.services.demo import DEMO_DATE, load_demo
from segdesk.services.reconciling import current_run
from segdesk.store.engine import open_database
from segdesk.ui import worker
from segdesk.ui.app import MainWindow
from tests.ui.steps import resolve_stale_finding

WAIT = 30_000


@pytest.fixture
def busy_db(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """The demo fund in a database whose connections give up on a lock after 300 ms, not 15 s."""
    monkeypatch.setenv("SEGDESK_SQLITE_BUSY_MS", "300")
    path = tmp_path / "fund.sqlite3"
    db = open_database(str(path))
    load_demo(db)
    yield db, path
    db.dispose()


class WriteLock:
    """Another program writing: ``BEGIN IMMEDIATE`` on its own connection, held until released."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        self.conn.execute("ROLLBACK")
        self.conn.close()


def settle(qtbot) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: not worker._live, timeout=WAIT)
    QApplication.processEvents()


def error_box() -> QMessageBox | None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMessageBox) and widget.objectName() == "errorDialog" and widget.isVisible():
            return widget
    return None


def wait_for_error(qtbot) -> QMessageBox:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: error_box() is not None, timeout=WAIT)
    box = error_box()
    assert box is not None
    return box


def busy_text(path: Path) -> str:
    return (f"The database is busy: another SegDesk (or another program) is writing to {path}. "
            "Nothing was changed; try again in a moment.")


@pytest.fixture
def window(qtbot, busy_db):  # type: ignore[no-untyped-def]
    db, _ = busy_db
    w = MainWindow(db)
    qtbot.addWidget(w)
    w.resize(1280, 780)
    w.show()
    settle(qtbot)
    assert w.desk.as_of == DEMO_DATE
    return w


def stale_finding_status(db) -> str:  # type: ignore[no-untyped-def]
    return next(f.status for f in current_run(db, DEMO_DATE).findings if f.kind == "stale_statement")


def test_resolving_a_finding_while_another_program_writes_says_busy_then_works(qtbot, window, busy_db):
    db, path = busy_db
    lock = WriteLock(path)
    try:
        resolve_stale_finding(qtbot, window)
        # While the action waits for the lock, the status bar says the window is at work on it.
        assert window.busy_label.text() == "Working: Resolve findings…"
        QApplication.processEvents()  # lay the status bar out for the picture
        window.grab().save("/tmp/busy-waiting.png")
        box = wait_for_error(qtbot)
        assert box.windowTitle() == "Resolve findings did not complete"
        assert box.text() == busy_text(path)
        assert box.textFormat() == Qt.TextFormat.PlainText
        assert "Traceback" not in box.text() and "sqlalchemy" not in box.text().lower()
        assert window.statusBar().currentMessage() == (
            "Resolve findings: the database is busy; nothing was changed")
        window.grab().save("/tmp/busy.png")
        box.grab().save("/tmp/busy-dialog.png")
        box.close()
        settle(qtbot)
        assert window.busy_label.text() == ""
        assert stale_finding_status(db) == "open"  # nothing was changed
    finally:
        lock.release()

    resolve_stale_finding(qtbot, window)
    qtbot.waitUntil(lambda: stale_finding_status(db) == "resolved", timeout=WAIT)
    settle(qtbot)
    assert error_box() is None


def test_reconciling_while_another_program_writes_says_busy_then_works(qtbot, window, busy_db):
    db, path = busy_db
    before = current_run(db, DEMO_DATE).run_id
    window.sidebar.setCurrentRow(0)
    lock = WriteLock(path)
    try:
        window.dashboard.reconcile_button.click()
        assert window.busy_label.text() == f"Working: Reconciling {DEMO_DATE}…"
        box = wait_for_error(qtbot)
        assert box.windowTitle() == f"Reconciling {DEMO_DATE} did not complete"
        assert box.text() == busy_text(path)
        box.close()
        settle(qtbot)
        assert current_run(db, DEMO_DATE).run_id == before
        assert window.dashboard.reconcile_button.isEnabled()  # the person can try again
    finally:
        lock.release()

    window.dashboard.reconcile_button.click()
    settle(qtbot)
    assert error_box() is None
    assert "Reconciled 2026-11-20" in window.statusBar().currentMessage()


def test_an_accounts_edit_while_another_program_writes_keeps_its_dialog_open_and_says_busy(qtbot, window, busy_db):
    db, path = busy_db
    accounts = window.accounts
    window.sidebar.setCurrentRow(window.stack.indexOf(accounts))
    settle(qtbot)
    accounts.tabs.setCurrentWidget(accounts.accounts_tab)
    model = accounts.accounts_tab.table.model()
    accounts_shown = [model.index(r, 2).data() for r in range(model.rowCount())]
    accounts.accounts_tab.table.selectRow(accounts_shown.index("0012345-02"))
    accounts.designate_button.click()
    dialog = accounts.dialog
    dialog.designation.setCurrentIndex(dialog.designation.findData("omnibus_client"))
    lock = WriteLock(path)
    try:
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
        qtbot.waitUntil(lambda: dialog.problems.isVisible(), timeout=WAIT)
        # The dialog stays open with what the person chose, and says why nothing was stored.
        assert dialog.isVisible()
        assert dialog.problems.text() == busy_text(path)
        settle(qtbot)
    finally:
        lock.release()
    with qtbot.waitSignal(accounts.loaded, timeout=WAIT):
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert not dialog.isVisible()
    shown = {model.index(r, 2).data(): model.index(r, 3).data() for r in range(model.rowCount())}
    assert shown["0012345-02"] == "omnibus_client"


def test_an_import_while_another_program_writes_is_refused_with_the_reason_then_works(qtbot, busy_db, tmp_path):
    from segdesk.services.overview import list_imports
    from segdesk.ui.desk import Desk
    from segdesk.ui.import_wizard import REVIEW, ImportWizard
    from tests.statements import write_northbridge_statement, write_profile

    db, path = busy_db
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    write_profile(profiles / "northbridge.toml")
    files = [write_northbridge_statement(tmp_path / "a.xlsx"),
             write_northbridge_statement(tmp_path / "b.xlsx", extra_rows=[["0012345-01", "DELTA", "GBP", "7"]])]
    before = sorted(i.file_name for i in list_imports(db))

    def import_both() -> ImportWizard:
        wizard = ImportWizard(Desk(db), files, profiles_dir=profiles)
        qtbot.addWidget(wizard)
        wizard.open()
        qtbot.waitUntil(wizard.files_page.isComplete, timeout=WAIT)
        wizard.next()
        assert wizard.currentId() == REVIEW
        qtbot.waitUntil(wizard.review_page.isComplete, timeout=WAIT)
        wizard.next()
        qtbot.waitUntil(wizard.import_page.isComplete, timeout=WAIT)
        qtbot.waitUntil(lambda: not wizard.busy, timeout=WAIT)
        return wizard

    lock = WriteLock(path)
    try:
        wizard = import_both()
    finally:
        lock.release()
    page = wizard.import_page
    assert page.stage.text() == "Nothing was imported. 2 files refused: select one to see why."
    assert [item.outcome for item in page.items] == [f"Refused: {busy_text(path)}"] * 2
    assert page.details.item(0).text() == busy_text(path)
    assert sorted(i.file_name for i in list_imports(db)) == before
    wizard.close()

    again = import_both()
    assert [item.outcome for item in again.import_page.items] == ["Imported", "Imported"]
    assert sorted(i.file_name for i in list_imports(db)) == sorted([*before, "a.xlsx", "b.xlsx"])
    again.close()
