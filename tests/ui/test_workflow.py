"""A fund administrator's whole day in the window, end to end on a temporary database: load the demo,
import a new custodian's xlsx through the wizard with a new profile, designate and map its account,
reconcile, resolve a finding, sign off as two people, export the signed pack and verify it."""

from __future__ import annotations

import datetime as dt

from openpyxl import Workbook
from PySide6.QtCore import QDate
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from segdesk.services.audit_trail import verify_audit_trail
from segdesk.services.exporting import create_signing_key
from segdesk.services.overview import list_imports
from segdesk.services.reconciling import current_run
from segdesk.ui import worker
from segdesk.ui.app import MainWindow
from segdesk.ui.import_wizard import IMPORT, REVIEW, SAVED_DATE
from tests.ui.steps import resolve_stale_finding

DAY = dt.date(2026, 11, 20)
WAIT = 30_000


def settle(qtbot) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: not worker._live, timeout=WAIT)
    QApplication.processEvents()


def eastgate_statement(path):  # type: ignore[no-untyped-def]
    wb = Workbook()
    ws = wb.active
    ws.title = "Positions"
    ws.append(["Eastgate Bank — client positions"])
    ws.append([])
    ws.append(["Account", "Client", "Currency", "Balance"])
    ws.append(["EG-77", "ALPHA", "USD", "1,500.25"])
    wb.save(path)
    return path


def test_a_whole_day_in_the_window(qtbot, db, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # the wizard's saved profiles go here
    window = MainWindow(db)
    qtbot.addWidget(window)
    window.resize(1280, 780)
    window.show()
    settle(qtbot)

    # 1. The empty database offers the demo fund, which opens in a database of its own.
    empty = window
    empty.dashboard.demo_button.click()
    qtbot.waitUntil(lambda: getattr(empty, "demo_window", None) is not None, timeout=WAIT)
    window = empty.demo_window
    qtbot.addWidget(window)
    window.resize(1280, 780)
    db = window.desk.db
    qtbot.waitUntil(lambda: window.dashboard.run is not None, timeout=WAIT)
    settle(qtbot)
    assert window.desk.as_of == DAY

    # 2. A new custodian's statement through the wizard, with a new profile.
    window.import_files([eastgate_statement(tmp_path / "eastgate_2026-11-20.xlsx")])
    wizard = window.wizard
    qtbot.waitUntil(wizard.files_page.isComplete, timeout=WAIT)
    wizard.next()
    source, table, columns, _save = wizard.items[0].setup.pages
    source.source.setEditText("Eastgate Bank")
    source.set_kind("custodian")
    wizard.next()
    qtbot.waitUntil(table.isComplete, timeout=WAIT)
    assert table.header_row.value() == 3
    wizard.next()
    for field, header in (("account", "Account"), ("reference", "Client"), ("asset", "Currency"),
                          ("quantity", "Balance")):
        columns.combos[field].setCurrentIndex(columns.combos[field].findData(header))
    dates = columns.combos["as_of_column"]
    dates.setCurrentIndex(dates.findData(SAVED_DATE))
    columns.as_of.setDate(QDate(2026, 11, 20))
    qtbot.waitUntil(lambda: columns.result is not None and columns.result.dates == [DAY] and columns.isComplete(),
                    timeout=WAIT)
    assert columns.problems.count() == 0
    wizard.next()  # save the profile
    wizard.next()
    assert wizard.currentId() == REVIEW
    qtbot.waitUntil(wizard.review_page.isComplete, timeout=WAIT)
    wizard.next()
    assert wizard.currentId() == IMPORT
    qtbot.waitUntil(wizard.import_page.isComplete, timeout=WAIT)
    assert (tmp_path / "data" / "SegDesk" / "profiles" / "eastgate-bank.toml").exists()
    wizard.accept()
    settle(qtbot)
    assert "eastgate_2026-11-20.xlsx" in [i.file_name for i in list_imports(db)]

    # 3. The new account: designate it, then map its client reference from the Unmapped list.
    accounts = window.accounts
    window.sidebar.setCurrentRow(window.stack.indexOf(accounts))
    settle(qtbot)
    accounts.tabs.setCurrentWidget(accounts.accounts_tab)
    model = accounts.accounts_tab.table.model()
    row = [model.index(r, 2).data() for r in range(model.rowCount())].index("EG-77")
    accounts.accounts_tab.table.selectRow(row)
    accounts.designate_button.click()
    accounts.dialog.designation.setCurrentIndex(accounts.dialog.designation.findData("client_segregated"))
    with qtbot.waitSignal(accounts.loaded, timeout=WAIT):
        accounts.dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    accounts.tabs.setCurrentWidget(accounts.unmapped_tab)
    unmapped = accounts.unmapped_tab.table.model()
    row = [(unmapped.index(r, 2).data(), unmapped.index(r, 3).data()) for r in range(unmapped.rowCount())].index(
        ("EG-77", "ALPHA"))
    accounts.unmapped_tab.table.selectRow(row)
    accounts.map_button.click()
    accounts.dialog.sub_account.setCurrentIndex(accounts.dialog.sub_account.findData("C-ALPHA"))
    with qtbot.waitSignal(accounts.loaded, timeout=WAIT):
        accounts.dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    settle(qtbot)

    # 4. Reconcile the day again on the dashboard.
    before = current_run(db, DAY).run_id
    window.sidebar.setCurrentRow(0)
    window.dashboard.reconcile_button.click()
    qtbot.waitUntil(lambda: current_run(db, DAY).run_id != before, timeout=WAIT)
    settle(qtbot)
    run = current_run(db, DAY)
    assert not [f for f in run.findings if f.external_account == "Eastgate Bank:EG-77" and f.kind == "unmapped_balance"]
    # The Eastgate client money now counts: ALPHA's equity grows by exactly 1,500.25.
    assert window.dashboard.cards["requirement"].value.text() == "4,722,605.0345"
    assert run.results["segregation"]["requirement"] == "4722605.0345"

    # 5. Resolve the stale-statement finding with a comment.
    resolve_stale_finding(qtbot, window)
    qtbot.waitUntil(lambda: [f.status for f in current_run(db, DAY).findings if f.kind == "stale_statement"]
                    == ["resolved"], timeout=WAIT)
    settle(qtbot)

    # 6. Four eyes: jane prepares, rob approves.
    signoff = window.signoff
    window.sidebar.setCurrentRow(window.stack.indexOf(signoff))
    signoff.user.setText("jane")
    signoff.prepare_button.click()
    qtbot.waitUntil(signoff.review_button.isEnabled, timeout=WAIT)
    signoff.user.setText("rob")
    signoff.review_button.click()
    qtbot.waitUntil(lambda: current_run(db, DAY).approved, timeout=WAIT)
    settle(qtbot)

    # 7. Export the signed pack, then verify it in the window.
    made = create_signing_key(tmp_path / "rob.p12", "Rob Reviewer, Harbour Fund Services", "day passphrase")
    monkeypatch.setenv("SEGDESK_KEY_PASSPHRASE", "day passphrase")
    signoff.key.setText(str(made.p12))
    signoff.out.setText(str(tmp_path / "pack.pdf"))
    signoff.export_button.click()
    qtbot.waitUntil(lambda: getattr(signoff, "export_box", None) is not None, timeout=60_000)
    settle(qtbot)
    assert "DRAFT" not in signoff.export_box.text()
    signoff.export_box.close()
    signoff.open_verify()
    signoff.verify_dialog.cert.setText(str(made.ca_certificate))
    check = signoff.verify_dialog.check(tmp_path / "pack.pdf")
    assert check is not None and check.ok
    assert check.facts["draft"] is False
    assert "eastgate_2026-11-20.xlsx" in [s["file"] for s in check.facts["sources"]]
    assert verify_audit_trail(db).intact
    window.sidebar.setCurrentRow(window.stack.indexOf(window.audit))
    settle(qtbot)
    assert window.audit.model.index(0, 3).data() == "pack.export"
    assert not window.grab().isNull()
