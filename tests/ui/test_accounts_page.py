"""The Accounts page, driven as a fund administrator drives it: real database, real widgets, offscreen."""

from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox

from segdesk.services import accounts as acc
from segdesk.services.audit_trail import list_events, verify_audit_trail
from segdesk.services.demo import DEMO_DATE, load_demo
from segdesk.services.reconciling import reconcile
from segdesk.store.engine import open_database
from segdesk.ui.desk import Desk
from segdesk.ui.pages.accounts import AccountsModel, AccountsPage, MappingsModel, SubAccountsModel, UnmappedModel

WAIT = 20_000


@pytest.fixture
def demo(db):
    load_demo(db)
    return db


def open_page(qtbot, db) -> tuple[AccountsPage, Desk, list[str]]:
    desk = Desk(db)
    page = AccountsPage(desk)
    qtbot.addWidget(page)
    messages: list[str] = []
    desk.status.connect(messages.append)
    page.resize(1100, 700)
    page.show()
    with qtbot.waitSignal(page.loaded, timeout=WAIT):
        page.reload()
    return page, desk, messages


def column(table, c: int) -> list[str]:
    model = table.model()
    return [model.index(r, c).data() for r in range(model.rowCount())]


def select(tab, c: int, text: str) -> None:
    row = column(tab.table, c).index(text)
    tab.table.selectRow(row)


def press_ok(qtbot, page: AccountsPage, *, reloads: bool = True) -> None:
    ok = page.dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    if reloads:
        with qtbot.waitSignal(page.loaded, timeout=WAIT):
            ok.click()
    else:
        ok.click()


def actions(db) -> list[tuple[str, dict]]:
    return [(e.action, json.loads(e.payload)) for e in reversed(list_events(db))]


def test_the_demo_chart_is_listed_in_four_tabs(qtbot, demo):
    page, _desk, _ = open_page(qtbot, demo)
    assert column(page.sub_tab.table, 0) == ["B-BUFFER", "C-ALPHA", "C-BETA", "C-DELTA", "C-GAMMA", "P-HOUSE"]
    assert column(page.sub_tab.table, 2).count("client") == 4
    assert page.accounts_tab.model.rowCount() == 8
    assert "omnibus_client" in column(page.accounts_tab.table, 3)
    assert page.mappings_tab.model.rowCount() == 15
    assert column(page.mappings_tab.table, 2).count("every line") == 6
    assert [page.tabs.tabText(i) for i in range(4)] == ["Sub-accounts (6)", "External accounts (8)", "Mappings (15)",
                                                        "Unmapped (1)"]
    unmapped = page.unmapped_tab.table.model()
    assert [unmapped.index(0, c).data() for c in range(unmapped.columnCount())] == [
        "unmapped", "Northbridge Custody", "0012345-01", "ZETA", "omnibus_client", "1", "12,000", "USD", "2026-11-20"]
    assert unmapped.headerData(6, Qt.Orientation.Horizontal) == "Amount (USD)"
    assert page.notice.isHidden()  # the demo day was reconciled on this chart


def test_mapping_zeta_from_the_unmapped_list_stores_audits_and_clears_the_finding(qtbot, demo):
    page, _desk, messages = open_page(qtbot, demo)
    page.tabs.setCurrentWidget(page.unmapped_tab)
    page.unmapped_tab.table.selectRow(0)
    page.map_button.click()
    dialog = page.dialog
    assert dialog.isVisible() and dialog.chosen_account() == ("Northbridge Custody", "0012345-01")
    assert dialog.only_reference.isChecked()
    dialog.sub_account.setCurrentIndex(dialog.sub_account.findData("C-ALPHA"))
    assert dialog.warning.isHidden()  # a client's money in an omnibus client account is fine
    press_ok(qtbot, page)

    assert not dialog.isVisible()
    assert ("Northbridge Custody", "0012345-01", "ZETA", "C-ALPHA") in [
        (m.source, m.account, m.reference, m.sub_account) for m in acc.chart_overview(demo).mappings]
    assert verify_audit_trail(demo).intact
    action, payload = actions(demo)[-1]
    assert action == "mapping.add" and payload["reference"] == "ZETA" and payload["sub_account"] == "C-ALPHA"
    assert page.unmapped_tab.model.rowCount() == 0 and page.tabs.tabText(3) == "Unmapped (0)"
    assert "ZETA" in column(page.mappings_tab.table, 2)
    assert messages[-1] == ("Mapped Northbridge Custody:0012345-01 (reference ZETA) to C-ALPHA. The chart changed: "
                            "reconcile 20 Nov 2026 again before sign-off and export.")
    assert page.notice.isVisible() and "reconcile it again" in page.notice.text()
    run = reconcile(demo, DEMO_DATE, user="x")
    assert not [f for f in run.findings if f.kind == "unmapped_balance"]


def test_mapping_the_firms_money_into_a_client_account_warns_before_saving(qtbot, demo):
    page, _desk, _ = open_page(qtbot, demo)
    page.unmapped_tab.table.selectRow(0)
    page.map_unmapped()
    page.dialog.sub_account.setCurrentIndex(page.dialog.sub_account.findData("P-HOUSE"))
    assert page.dialog.warning.isVisible() and "commingling" in page.dialog.warning.text()


def test_a_designation_change_is_undone_with_the_undo_button(qtbot, demo):
    page, _desk, messages = open_page(qtbot, demo)
    page.tabs.setCurrentWidget(page.accounts_tab)
    select(page.accounts_tab, 2, "000123")
    assert not page.undo_button.isEnabled()
    page.designate_button.click()
    page.dialog.designation.setCurrentIndex(page.dialog.designation.findData("omnibus_client"))
    press_ok(qtbot, page)
    assert acc.AccountRow("Bankhaus Adler", "custodian", "000123", "omnibus_client") in acc.chart_overview(demo).accounts
    assert page.undo_button.isEnabled() and "client_segregated" in page.undo_button.toolTip()

    with qtbot.waitSignal(page.loaded, timeout=WAIT):
        page.undo_button.click()
    assert acc.AccountRow("Bankhaus Adler", "custodian", "000123", "client_segregated") in acc.chart_overview(
        demo).accounts
    designations = [(p["old"], p["new"]) for a, p in actions(demo) if a == "external_account.designate"]
    assert designations == [("client_segregated", "omnibus_client"), ("omnibus_client", "client_segregated")]
    assert verify_audit_trail(demo).intact
    assert messages[-1].startswith("Undone: Designation of Bankhaus Adler:000123 restored to client_segregated")
    assert not page.undo_button.isEnabled()


def test_a_removed_mapping_comes_back_with_ctrl_z(qtbot, demo):
    page, _desk, _ = open_page(qtbot, demo)
    page.tabs.setCurrentWidget(page.mappings_tab)
    select(page.mappings_tab, 1, "000123")
    with qtbot.waitSignal(page.loaded, timeout=WAIT):
        page.remove_mapping_button.click()
    assert "000123" not in column(page.mappings_tab.table, 1)
    assert [(i.account, i.reference) for i in page.unmapped_tab.model.rows()] == [("000123", None),
                                                                                   ("0012345-01", "ZETA")]
    page.activateWindow()
    page.mappings_tab.table.setFocus()
    qtbot.waitUntil(lambda: page.mappings_tab.table.hasFocus(), timeout=WAIT)
    with qtbot.waitSignal(page.loaded, timeout=WAIT):
        qtbot.keyClick(page.mappings_tab.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert ("Bankhaus Adler", "000123", None, "C-DELTA") in [
        (m.source, m.account, m.reference, m.sub_account) for m in acc.chart_overview(demo).mappings]
    assert [a for a, _ in actions(demo)][-2:] == ["mapping.remove", "mapping.add"]


def test_an_empty_code_is_refused_in_the_dialog_and_nothing_is_stored(qtbot, demo):
    page, _desk, _ = open_page(qtbot, demo)
    events = verify_audit_trail(demo).events
    page.add_sub_button.click()
    dialog = page.dialog
    dialog.name.setText("Epsilon Fund")
    press_ok(qtbot, page, reloads=False)
    qtbot.waitUntil(lambda: dialog.problems.isVisible(), timeout=WAIT)
    assert dialog.problems.text() == "the code is required (e.g. C-ALPHA)"
    assert dialog.isVisible()  # still open, to put it right
    dialog.code.setText("C-ALPHA")
    press_ok(qtbot, page, reloads=False)
    qtbot.waitUntil(lambda: "already exists" in dialog.problems.text(), timeout=WAIT)
    assert verify_audit_trail(demo).events == events and len(acc.chart_overview(demo).sub_accounts) == 6

    dialog.code.setText("C-EPSILON")
    dialog.kind.setCurrentIndex(dialog.kind.findData("buffer"))
    press_ok(qtbot, page)
    assert "C-EPSILON" in column(page.sub_tab.table, 0)
    assert actions(demo)[-1] == ("sub_account.create", {"code": "C-EPSILON", "name": "Epsilon Fund", "kind": "buffer",
                                                        "client": None, "base_currency": None, "file": None})


def test_an_overlapping_mapping_is_refused_with_a_reason(qtbot, demo):
    page, _desk, _ = open_page(qtbot, demo)
    page.add_mapping_button.click()
    dialog = page.dialog
    dialog.account.setCurrentIndex(dialog.keys.index(("Northbridge Custody", "0012345-01")))
    dialog.reference.setText("ALPHA")
    dialog.sub_account.setCurrentIndex(dialog.sub_account.findData("C-BETA"))
    before = acc.chart_overview(demo).mappings
    press_ok(qtbot, page, reloads=False)
    qtbot.waitUntil(lambda: dialog.problems.isVisible(), timeout=WAIT)
    assert "is already mapped to C-ALPHA" in dialog.problems.text()
    assert acc.chart_overview(demo).mappings == before


def test_a_mapping_edited_to_another_sub_account_and_back(qtbot, demo):
    page, _desk, _ = open_page(qtbot, demo)
    select(page.mappings_tab, 1, "000123")
    page.edit_mapping_button.click()
    dialog = page.dialog
    assert dialog.sub_account.currentData() == "C-DELTA" and not dialog.account.isEnabled()
    dialog.sub_account.setCurrentIndex(dialog.sub_account.findData("C-BETA"))
    dialog.has_from.setChecked(True)
    press_ok(qtbot, page)
    row = next(m for m in acc.chart_overview(demo).mappings if m.account == "000123")
    assert (row.sub_account, row.valid_from) == ("C-BETA", DEMO_DATE)
    with qtbot.waitSignal(page.loaded, timeout=WAIT):
        page.undo()
    row = next(m for m in acc.chart_overview(demo).mappings if m.account == "000123")
    assert (row.sub_account, row.valid_from) == ("C-DELTA", None)


def test_filters_narrow_each_table_and_ctrl_c_copies_rows(qtbot, demo):
    page, _desk, _ = open_page(qtbot, demo)
    page.sub_tab.combo.setCurrentText("client")
    assert page.sub_tab.model.rowCount() == 4 and page.sub_tab.count.text() == "4 of 6"
    page.mappings_tab.search.setText("gl-client")
    assert page.mappings_tab.model.rowCount() == 4
    page.mappings_tab.combo.setCurrentText("C-BETA")
    assert column(page.mappings_tab.table, 2) == ["BETA"]
    page.accounts_tab.combo.setCurrentText("proprietary")
    assert column(page.accounts_tab.table, 2) == ["house-sub", "0077001-00"]
    page.tabs.setCurrentWidget(page.mappings_tab)
    page.mappings_tab.table.selectRow(0)
    text = page.copy_selection()
    assert text == "Source\tAccount\tReference\tSub-account\tValid from\tValid to\tIn force\n" \
                   "Acme Ledger\tGL-CLIENT\tBETA\tC-BETA\t\t\tyes\n"
    assert QApplication.clipboard().text() == text


def test_chart_export_then_import_round_trips(qtbot, demo, tmp_path):
    page, desk, messages = open_page(qtbot, demo)
    path = tmp_path / "chart.xlsx"
    with qtbot.waitSignal(desk.status, timeout=WAIT):
        page.export_chart(path)
    assert messages[-1] == f"Chart exported to {path}: 6 sub-accounts, 8 accounts, 15 mappings"
    assert load_workbook(path).sheetnames == ["SubAccounts", "ExternalAccounts", "Mappings"]

    other = open_database(str(tmp_path / "other.sqlite3"))
    try:
        fresh, _, _ = open_page(qtbot, other)
        with qtbot.waitSignal(fresh.loaded, timeout=WAIT):
            fresh.import_chart(path)
        box = fresh.findChild(QMessageBox, "chartImported")
        assert box is not None and box.isVisible()
        assert box.informativeText() == ("Sub-accounts: 6 added, 0 changed\nExternal accounts: 8 added, 0 changed\n"
                                         "Mappings: 15 added, 0 removed")
        mine, theirs = acc.chart_overview(demo), acc.chart_overview(other)
        assert theirs.sub_accounts == mine.sub_accounts and theirs.accounts == mine.accounts
        assert [(m.source, m.account, m.reference, m.sub_account, m.valid_from, m.valid_to) for m in theirs.mappings] \
            == [(m.source, m.account, m.reference, m.sub_account, m.valid_from, m.valid_to) for m in mine.mappings]
        assert fresh.sub_tab.model.rowCount() == 6 and fresh.mappings_tab.model.rowCount() == 15
        box.close()
    finally:
        fresh.close()
        other.dispose()


def test_a_wrong_chart_workbook_is_refused_whole(qtbot, demo, tmp_path):
    page, desk, _ = open_page(qtbot, demo)
    template = tmp_path / "empty.xlsx"
    with qtbot.waitSignal(desk.status, timeout=WAIT):
        page.save_template(template)
    assert load_workbook(template)["Mappings"].max_row == 1
    before = acc.chart_overview(demo)
    page.import_chart(template)  # an empty Mappings sheet would unmap everything
    qtbot.waitUntil(lambda: page.findChild(QMessageBox, "errorDialog") is not None, timeout=WAIT)
    error = page.findChild(QMessageBox, "errorDialog")
    assert "importing it would remove all 15 mappings" in error.text()
    assert acc.chart_overview(demo) == before
    error.close()


@pytest.mark.parametrize("model_class", [SubAccountsModel, AccountsModel, MappingsModel, UnmappedModel])
def test_the_table_models_obey_qt_model_rules(qtmodeltester, demo, model_class):
    view = acc.chart_overview(demo)
    rows = {SubAccountsModel: view.sub_accounts, AccountsModel: view.accounts, MappingsModel: view.mappings,
            UnmappedModel: view.unmapped}[model_class]
    model = model_class()
    model.set_rows(list(rows))
    qtmodeltester.check(model)


def test_several_mappings_removed_at_once_come_back_together(qtbot, demo):
    page, _desk, _ = open_page(qtbot, demo)
    page.mappings_tab.search.setText("GL-CLIENT")
    table = page.mappings_tab.table
    table.selectRow(0)  # ALPHA
    table.selectionModel().select(table.model().index(1, 0), table.selectionModel().SelectionFlag.Select
                                  | table.selectionModel().SelectionFlag.Rows)  # and BETA
    with qtbot.waitSignal(page.loaded, timeout=WAIT):
        page.remove_mapping_button.click()
    ledger = [r for r in page.unmapped_tab.model.rows() if r.source == "Acme Ledger"]
    assert [(r.reference, r.amount) for r in ledger] == [("ALPHA", None), ("BETA", None)]
    cells = page.unmapped_tab.model.cells(ledger[1])
    assert cells[6] == "ledger: no amount"

    # Mapping the ledger's BETA: the sub-account BETA maps to elsewhere is offered first.
    page.unmapped_tab.table.selectRow(page.unmapped_tab.model.rows().index(ledger[1]))
    page.map_button.click()
    assert page.dialog.sub_account.currentData() == "C-BETA"
    page.dialog.reject()

    with qtbot.waitSignal(page.loaded, timeout=WAIT):
        page.undo()
    assert not [r for r in page.unmapped_tab.model.rows() if r.source == "Acme Ledger"]
    assert page.mappings_tab.model.rowCount() == 4  # the search still applies


def test_the_settings_tab_sets_a_tolerance_and_the_base_currency(qtbot, demo):
    from decimal import Decimal

    from segdesk.services.settings import firm_settings
    from segdesk.ui import worker

    page, _desk, messages = open_page(qtbot, demo)
    tab = page.settings_tab
    page.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.current is not None, timeout=WAIT)
    assert tab.base.text() == "USD" and tab.table.rowCount() == 0 and tab.empty.isVisibleTo(page)
    tab.asset.setText("BTC")
    tab.amount.setText("0.1")
    qtbot.mouseClick(tab.tolerance_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.table.rowCount() == 1, timeout=WAIT)
    assert (tab.table.item(0, 0).text(), tab.table.item(0, 1).text()) == ("BTC", "0.1")
    assert firm_settings(demo).tolerances == {"BTC": Decimal("0.1")}
    assert "Tolerance for BTC: saved; reconcile the day again to apply it" in messages
    page.grab().save("/tmp/settings-tab.png")

    tab.amount.setText("-1")  # refused in a dialog; nothing saved
    qtbot.mouseClick(tab.tolerance_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not worker._live, timeout=WAIT)
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    assert [b.text() for b in boxes] == ["the tolerance '-1' must be zero or more"]
    for box in boxes:
        box.close()
    assert firm_settings(demo).tolerances == {"BTC": Decimal("0.1")}

    tab.base.setText("eur")
    qtbot.mouseClick(tab.base_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: firm_settings(demo).base_currency == "EUR", timeout=WAIT)
    qtbot.waitUntil(lambda: tab.base.text() == "EUR", timeout=WAIT)
