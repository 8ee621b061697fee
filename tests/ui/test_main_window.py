"""The desktop window on a real database: real widgets, offscreen, work in background threads."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from segdesk.services.demo import load_demo
from segdesk.services.importing import import_statement
from segdesk.services.overview import list_imports
from segdesk.services.reconciling import current_run
from segdesk.ui import worker
from segdesk.ui.app import MainWindow
from segdesk.ui.findings_table import FindingsTableModel
from segdesk.ui.imports_table import ImportsTableModel
from tests.statements import write_northbridge_statement, write_profile

DAY = dt.date(2026, 11, 20)


def settle(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Wait until no background job is running and their results have been delivered."""
    qtbot.waitUntil(lambda: not worker._live, timeout=30000)
    QApplication.processEvents()


@pytest.fixture
def window(qtbot, db):  # type: ignore[no-untyped-def]
    def make() -> MainWindow:
        w = MainWindow(db)
        qtbot.addWidget(w)
        settle(qtbot)
        return w

    yield make
    settle(qtbot)


def test_empty_database_offers_the_demo_and_loads_it(qtbot, window, db):
    w = window()
    dash = w.dashboard
    assert dash.banner.isVisibleTo(w) and dash.demo_button.isVisibleTo(w)
    assert "This database is empty" in dash.banner_text.text()
    assert w.imports.stack.currentWidget() is w.imports.empty
    # A first run says what to do, in order, from the chart to the signed pack.
    steps = dash.counts.text()
    assert "Getting started" in steps and steps.count("<li>") == 6
    assert steps.index("Set up the chart") < steps.index("Import the day") < steps.index("Reconcile.") \
        < steps.index("Sign off.") < steps.index("Export the signed audit pack")
    qtbot.mouseClick(dash.demo_button, Qt.MouseButton.LeftButton)
    # The demo opens in a database of its own, beside this one, which stays empty.
    qtbot.waitUntil(lambda: getattr(w, "demo_window", None) is not None, timeout=30000)
    demo_window = w.demo_window
    qtbot.addWidget(demo_window)
    assert demo_window.statusBar().currentMessage().startswith("This is the demo fund, in ")
    assert demo_window.desk.db.sqlite_path == db.sqlite_path.with_name("demo.sqlite3")
    assert list_imports(db) == []
    w, dash = demo_window, demo_window.dashboard
    qtbot.waitUntil(lambda: dash.run is not None, timeout=30000)
    settle(qtbot)
    assert w.desk.as_of == DAY
    assert dash.cards["requirement"].value.text() == "4,721,104.7845"
    assert dash.cards["excess"].value.text() == "261,999.9"
    assert "4 critical finding(s) open" in dash.status.text()
    assert not dash.banner.isVisibleTo(w)
    assert "Getting started" not in dash.counts.text() and "Findings still open" in dash.counts.text()
    assert len(list_imports(w.desk.db)) == 5 and list_imports(db) == []
    assert "As of: 20 Nov 2026" in w.day_label.text()
    w.desk.db.dispose()


def test_imported_files_are_listed_newest_first_and_sort_by_number(qtbot, window, db):
    load_demo(db)
    w = window()
    model = w.imports.model
    files = [model.index(r, 0).data() for r in range(model.rowCount())]
    assert files == ["prices_2026-11-20.csv", "ledger_2026-11-20.csv", "adler_2026-11-19.csv",
                     "helix_2026-11-20.csv", "northbridge_2026-11-20.xlsx"]
    w.imports.table.sortByColumn(4, Qt.SortOrder.DescendingOrder)  # rows, as numbers
    assert [model.index(r, 4).data() for r in range(model.rowCount())] == ["10", "9", "4", "4", "2"]
    w.imports.table.selectRow(0)
    assert "SHA-256" in w.imports.detail.toPlainText()


def test_findings_filter_sort_by_exact_amount_and_show_evidence(qtbot, window, db):
    load_demo(db)
    w = window()
    page = w.findings
    model = page.model
    assert model.rowCount() == 10
    assert [model.index(r, 1).data() for r in range(10)] == ["critical"] * 4 + ["high"] * 5 + ["medium"]
    page.table.sortByColumn(6, Qt.SortOrder.DescendingOrder)
    assert model.index(0, 6).data() == "75,000" and model.index(9, 6).data() == "0"
    page.severity.setCurrentText("critical")
    assert model.rowCount() == 4
    page.severity.setCurrentText("(any)")
    page.search.setText("ZETA")
    assert model.rowCount() == 1 and model.index(0, 2).data() == "unmapped balance"
    page.table.selectRow(0)
    detail = page.detail.toPlainText()
    assert "northbridge_2026-11-20.xlsx" in detail and "Holdings" in detail
    assert page.buttons["acknowledge"].isEnabled()


def test_acknowledge_and_resolve_several_findings_with_a_comment(qtbot, window, db):
    load_demo(db)
    w = window()
    page = w.findings
    page.severity.setCurrentText("critical")
    page.table.selectAll()
    page.act("acknowledge")
    dialog = page.comment_dialog
    ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    assert not ok.isEnabled()  # a comment is required
    dialog.text.setPlainText("Custodian asked to move the money today")
    ok.click()
    qtbot.waitUntil(lambda: all(f.status == "acknowledged" for f in current_run(db, DAY).findings
                                if f.severity == "critical"), timeout=30000)
    settle(qtbot)
    run = current_run(db, DAY)
    history = [f.history[-1] for f in run.findings if f.severity == "critical"]
    assert {h.comment for h in history} == {"Custodian asked to move the money today"}
    assert page.model.rowCount() == 4 and page.status.findText("acknowledged") > 0


def test_copy_rows_gives_tab_separated_text_for_excel(qtbot, window, db):
    load_demo(db)
    w = window()
    page = w.findings
    page.table.selectRow(0)
    text = page.copy_selection()
    lines = text.splitlines()
    assert lines[0].split("\t")[:3] == ["ID", "Severity", "Kind"]
    assert len(lines) == 2 and lines[1].split("\t")[1] == "critical"
    assert QApplication.clipboard().text() == text


def test_schedule_lists_sub_accounts_and_filters_by_kind(qtbot, window, db):
    load_demo(db)
    w = window()
    model = w.schedule.model
    assert model.rowCount() == 6
    w.schedule.kind.setCurrentText("client")
    assert model.rowCount() == 4
    codes = {model.index(r, 0).data(): model.index(r, 3).data() for r in range(model.rowCount())}
    assert codes["C-BETA"] == "(45,000.1)"
    venues = w.schedule.venue_model
    rows = {(venues.index(r, 0).data(), venues.index(r, 1).data()): [venues.index(r, c).data() for c in range(7)]
            for r in range(venues.rowCount())}
    gamma = rows[("C-GAMMA", "Helix Exchange:gamma-sub")]
    assert gamma[2:] == ["17,996.4", "59,988", "29,994", "60.00%", "11,997.6"]  # the margin shortfall, per venue


def test_four_eyes_in_the_window(qtbot, window, db):
    load_demo(db)
    w = window()
    page = w.signoff
    assert page.prepare_button.isEnabled() and not page.review_button.isEnabled()
    page.user.setText("jane")
    page.prepare_button.click()
    qtbot.waitUntil(lambda: page.review_button.isEnabled(), timeout=30000)
    settle(qtbot)
    page.review_button.click()  # still jane: refused
    qtbot.waitUntil(lambda: w.findChild(QMessageBox, "errorDialog") is not None, timeout=30000)
    box = w.findChild(QMessageBox, "errorDialog")
    assert "different person" in box.text()
    box.close()
    page.user.setText("rob")
    page.review_button.click()
    qtbot.waitUntil(lambda: "Approved by" in page.state.text(), timeout=30000)
    assert current_run(db, DAY).approved


def test_export_a_signed_pack_and_verify_it_in_the_window(qtbot, window, db, tmp_path, monkeypatch):
    from segdesk.services.exporting import create_signing_key

    load_demo(db)
    made = create_signing_key(tmp_path / "jane.p12", "Jane Doe, Acme", "gui passphrase")
    monkeypatch.setenv("SEGDESK_KEY_PASSPHRASE", "gui passphrase")
    w = window()
    page = w.signoff
    page.key.setText(str(made.p12))
    page.out.setText(str(tmp_path / "pack.pdf"))
    page.export()
    qtbot.waitUntil(lambda: getattr(page, "export_box", None) is not None, timeout=60000)
    settle(qtbot)
    assert (tmp_path / "pack.pdf").exists() and (tmp_path / "pack.xlsx").exists()
    assert "DRAFT" in page.export_box.text()
    page.open_verify()
    dialog = page.verify_dialog
    dialog.cert.setText(str(made.ca_certificate))
    check = dialog.check(tmp_path / "pack.pdf")
    assert check is not None and check.ok
    assert "Verified" in dialog.result.text() and "Jane Doe" in dialog.result.text()
    (tmp_path / "bad.pdf").write_bytes((tmp_path / "pack.pdf").read_bytes() + b"\n%tampered\n")
    # Exporting again to the same name asks before replacing.
    page.export_box.close()
    page.export_box = None
    page.export()
    question = page.replace_box
    assert question.isVisible() and "pack.pdf" in question.text()
    question.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: page.export_box is not None, timeout=60000)
    settle(qtbot)
    assert not dialog.check(tmp_path / "bad.pdf").ok
    assert "Not verified" in dialog.result.text() and "whole file" in dialog.result.text()


def test_export_with_a_wrong_passphrase_says_so_and_writes_nothing(qtbot, window, db, tmp_path, monkeypatch):
    from segdesk.services.exporting import create_signing_key

    load_demo(db)
    made = create_signing_key(tmp_path / "jane.p12", "Jane Doe", "right passphrase")
    monkeypatch.delenv("SEGDESK_KEY_PASSPHRASE", raising=False)
    w = window()
    page = w.signoff
    page.key.setText(str(made.p12))
    page.out.setText(str(tmp_path / "pack.pdf"))
    page.export()
    page.passphrase_dialog.first.setText("wrong passphrase")
    page.passphrase_dialog.accept()
    qtbot.waitUntil(lambda: w.findChild(QMessageBox, "errorDialog") is not None, timeout=30000)
    assert "passphrase is wrong" in w.findChild(QMessageBox, "errorDialog").text()
    assert not (tmp_path / "pack.pdf").exists()


def test_audit_log_lists_events_and_the_chain_is_intact(qtbot, window, db):
    load_demo(db)
    w = window()
    page = w.audit
    assert page.model.rowCount() > 20
    assert page.model.index(0, 0).data() == str(page.model.rowCount())  # newest first
    assert "Chain intact" in page.chain.text()
    page.search.setText("run.create")
    page.reload()
    settle(qtbot)
    assert page.model.rowCount() == 1


def test_a_new_day_can_be_reconciled_from_the_dashboard(qtbot, window, db, tmp_path):
    import_statement(db, write_northbridge_statement(tmp_path / "nb.xlsx"), write_profile(tmp_path / "p.toml"),
                     user="jane")
    w = window()
    dash = w.dashboard
    assert w.desk.as_of == DAY  # the newest statement date is offered
    assert "not reconciled yet" in dash.banner_text.text()
    dash.reconcile_button.click()
    qtbot.waitUntil(lambda: dash.run is not None, timeout=30000)
    settle(qtbot)
    assert current_run(db, DAY) is not None
    assert w.findings.model.total == len(current_run(db, DAY).findings)


def test_table_models_obey_qt_model_rules(qtmodeltester, db):
    from segdesk.domain.checks import VenueMargin
    from segdesk.domain.reconcile import SubAccountFigures
    from segdesk.services.audit_trail import list_events
    from segdesk.ui.pages.audit import EventsModel
    from segdesk.ui.pages.schedule import ScheduleModel, VenueModel

    run = load_demo(db).run
    qtmodeltester.check(FindingsTableModel(list(run.findings)))
    qtmodeltester.check(ImportsTableModel(list_imports(db)))
    qtmodeltester.check(EventsModel(list_events(db)))
    from decimal import Decimal

    qtmodeltester.check(ScheduleModel([SubAccountFigures("C-1", "One", "client", Decimal(1), Decimal(0), Decimal(0),
                                                         Decimal(2))]))
    qtmodeltester.check(VenueModel([VenueMargin("C-1", "Helix:1", Decimal(1), Decimal(2), Decimal(3))]))


def test_screenshots_of_every_page_are_not_blank(qtbot, window, db, tmp_path):
    load_demo(db)
    w = window()
    w.resize(1280, 760)
    w.show()
    for i in range(w.stack.count()):
        w.sidebar.setCurrentRow(i)
        settle(qtbot)
        image = w.grab().toImage()
        colours = {image.pixel(x, y) for x in range(0, image.width(), 37) for y in range(0, image.height(), 29)}
        assert len(colours) > 3, f"page {i} looks blank"
    if os.environ.get("SEGDESK_SCREENSHOTS"):
        w.grab().save(str(tmp_path / "last.png"))


def test_a_new_key_shows_the_ca_fingerprint_to_give_auditors(qtbot, window, tmp_path):
    import hashlib

    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    w = window()
    page = w.signoff
    page.create_key()
    dialog = page.new_key_dialog
    dialog.name.setText("Jane Doe, Acme Fund Services")
    dialog.path.setText(str(tmp_path / "jane.p12"))
    dialog.first.setText("a long passphrase")
    dialog.second.setText("a long passphrase")
    dialog._create()
    assert (tmp_path / "jane.p12").exists() and page.key.text() == str(tmp_path / "jane.p12")
    der = x509.load_pem_x509_certificate((tmp_path / "jane-ca.crt").read_bytes()).public_bytes(Encoding.DER)
    digest = hashlib.sha256(der).hexdigest()
    shown = page.key_note.text()
    assert "jane-ca.crt" in shown
    assert shown.split("CA certificate SHA-256: ")[1].replace(" ", "") == digest


def test_file_new_database_opens_an_empty_one_and_never_reuses_a_file(qtbot, window, tmp_path):
    w = window()
    target = tmp_path / "second fund"
    w.new_database(target)
    fresh = w.next_window
    qtbot.addWidget(fresh)
    settle(qtbot)
    assert fresh.desk.db.sqlite_path == tmp_path / "second fund.sqlite3"
    assert list_imports(fresh.desk.db) == [] and "This database is empty" in fresh.dashboard.banner_text.text()
    fresh.new_database(tmp_path / "second fund.sqlite3")  # exists now: refused, nothing replaced
    assert getattr(fresh, "next_window", None) is None
    assert fresh.told.isVisible() and "exists already" in fresh.told.text()
    fresh.told.close()
    fresh.desk.db.dispose()


def test_back_up_and_restore_from_the_window(qtbot, window, db, tmp_path):
    from segdesk.services import accounts as acc
    from segdesk.services.audit_trail import verify_audit_trail

    load_demo(db)
    w = window()
    target = tmp_path / "before-zeta.sqlite3"
    w.back_up_to(target)
    qtbot.waitUntil(lambda: getattr(w, "told", None) is not None, timeout=30000)
    assert w.told.windowTitle() == "Backup written" and "audit trail intact" in w.told.text()
    w.told.close()
    assert target.exists()
    # A change made after the backup, then the backup restored: the change is gone.
    acc.add_mapping(db, source="Northbridge Custody", account="0012345-01", reference="ZETA", sub_account="C-ALPHA",
                    user="jane")
    assert any(m.reference == "ZETA" for m in acc.chart_overview(db).mappings)
    w.told = None
    w.restore_from(target)
    qtbot.waitUntil(lambda: getattr(w, "told", None) is not None, timeout=30000)
    assert w.told.windowTitle() == "Restored" and "The database as it was is kept in " in w.told.text()
    assert not any(m.reference == "ZETA" for m in acc.chart_overview(db).mappings)
    assert verify_audit_trail(db).intact
    w.told.close()
    settle(qtbot)
    # Backing up over an existing file is refused unless the person chose to replace it.
    w.back_up_to(target)
    settle(qtbot)
    errors = [b for b in w.findChildren(QMessageBox) if b.objectName() == "errorDialog" and b.isVisible()]
    assert [b.text() for b in errors] == [f"{target} exists; choose another name, or pass --replace to overwrite it"]
    errors[0].close()
