"""The import wizard, driven like a person would: real files written by openpyxl, a real database,
the real importer in the background, offscreen."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QWizard

from segdesk.ingest.profile import load_profile
from segdesk.services.overview import list_imports
from segdesk.ui.desk import Desk
from segdesk.ui.import_wizard import FILE_DATE, FILES, IMPORT, REVIEW, SAVED_DATE, ImportWizard
from tests.conftest import SHARED
from tests.statements import NORTHBRIDGE_PROFILE, stored_lines, write_northbridge_statement, write_profile

WAIT = 20_000  # ms; reading a workbook starts a worker process


@pytest.fixture
def desk(qtbot, db):
    return Desk(db)


@pytest.fixture
def profiles(tmp_path: Path) -> Path:
    folder = tmp_path / "profiles"
    folder.mkdir()
    return folder


def open_wizard(qtbot, desk: Desk, files: list[Path], profiles: Path) -> ImportWizard:
    wizard = ImportWizard(desk, files, profiles_dir=profiles)
    qtbot.addWidget(wizard)
    wizard.open()
    qtbot.waitUntil(wizard.files_page.isComplete, timeout=WAIT)
    return wizard


def settle(qtbot, wizard: ImportWizard) -> None:
    """No background work left: nothing can call into a widget after the test ends."""
    qtbot.waitUntil(lambda: not wizard.busy, timeout=WAIT)


def column(model, title: str) -> int:
    return list(model.COLUMNS).index(title)


def make_northbridge_profile(qtbot, wizard: ImportWizard, *, as_of: dt.date | None = dt.date(2026, 11, 20)):
    """From the files page through source, table and columns, to the columns page with its preview."""
    assert wizard.currentId() == FILES
    wizard.next()
    item = wizard.items[0]
    source, table, columns, save = item.setup.pages
    assert wizard.currentPage() is source
    source.source.setEditText("Northbridge Custody")
    assert not source.isComplete()  # the kind is still to choose
    source.set_kind("custodian")
    assert source.isComplete()
    wizard.next()
    assert wizard.currentPage() is table
    qtbot.waitUntil(table.isComplete, timeout=WAIT)
    wizard.next()
    assert wizard.currentPage() is columns
    if as_of is not None:
        dates = columns.combos["as_of_column"]
        dates.setCurrentIndex(dates.findData(SAVED_DATE))
        columns.as_of.setDate(QDate(as_of.year, as_of.month, as_of.day))
    qtbot.waitUntil(lambda: columns.result is not None, timeout=WAIT)
    return item, columns, save


def test_a_new_layout_gets_a_profile_with_an_exact_preview_and_is_imported(qtbot, desk, db, tmp_path, profiles):
    statement = write_northbridge_statement(tmp_path / "northbridge_2026-11-20.xlsx")
    wizard = open_wizard(qtbot, desk, [statement], profiles)
    files = wizard.files_page.model
    assert files.index(0, 3).data() == "New layout: you will set up a profile for it next"
    wizard.next()
    item = wizard.items[0]
    source, table, columns, save = item.setup.pages
    assert source.source.currentText() == "Northbridge"  # guessed from the file name
    source.source.setEditText("Northbridge Custody")
    source.set_kind("custodian")
    wizard.next()
    qtbot.waitUntil(table.isComplete, timeout=WAIT)
    # The header row is found below the title lines, highlighted in the grid of the sheet's top rows.
    assert table.header_row.value() == 7
    grid = table.grid_model
    assert [number for number, _ in grid.rows][:8] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert grid.headerData(6, Qt.Orientation.Vertical) == "7 ▶"
    assert grid.index(6, 0).data(Qt.ItemDataRole.BackgroundRole) is not None
    assert grid.index(7, 0).data(Qt.ItemDataRole.BackgroundRole) is None
    assert grid.index(6, 3).data() == "Quantity"
    wizard.next()
    # Usual header texts are assigned already; the person confirms them.
    assert {f: c.currentData() for f, c in columns.combos.items() if c.currentIndex() > 0
            and not str(c.currentData()).startswith("\x00")} == {
        "account": "Account No.", "reference": "Client Ref", "asset": "Asset", "quantity": "Quantity", "price": "Price"}
    assert columns.combos["as_of_column"].currentData() == FILE_DATE
    dates = columns.combos["as_of_column"]
    dates.setCurrentIndex(dates.findData(SAVED_DATE))
    columns.as_of.setDate(QDate(2026, 11, 20))
    qtbot.waitUntil(lambda: columns.result is not None and columns.result.dates == [dt.date(2026, 11, 20)],
                    timeout=WAIT)

    # The preview is the importer's own reading: exact Decimals, shown grouped, totals and notes skipped.
    model = columns.model
    rows = {model.index(r, 0).data(Qt.ItemDataRole.UserRole): r for r in range(model.rowCount())}
    quantity, account = column(model, "Quantity"), column(model, "Account")
    assert [model.index(r, quantity).data(Qt.ItemDataRole.UserRole) for r in (rows[8], rows[9], rows[10], rows[11])] == [
        Decimal("1250000"), Decimal("-45000.1"), Decimal("0.3"), Decimal("12.123456789012345678")]
    assert model.index(rows[9], quantity).data() == "(45,000.1)"
    assert model.index(rows[11], quantity).data() == "12.123456789012345678"
    assert model.index(rows[8], account).data() == "0012345-01"  # leading zeros kept
    assert model.index(rows[12], column(model, "Price")).data() == ""
    assert "total" in model.index(rows[13], column(model, "Note")).data()
    assert columns.problems.count() == 0 and columns.isComplete()
    assert columns.summary.text().startswith("5 balances read from 7 rows under the header · as of 2026-11-20")

    wizard.next()
    assert wizard.currentPage() is save
    assert save.name.text() == "Northbridge Custody"
    assert save.target() == profiles / "northbridge-custody.toml"
    wizard.next()
    saved = load_profile(profiles / "northbridge-custody.toml")  # exactly what `segdesk import --profile` reads
    assert (saved.source, saved.kind, saved.sheet, saved.as_of) == ("Northbridge Custody", "custodian", "Holdings",
                                                                   dt.date(2026, 11, 20))
    assert saved.columns == {"account": "Account No.", "reference": "Client Ref", "asset": "Asset",
                             "quantity": "Quantity", "price": "Price"}
    assert saved.header_row is None  # found by its texts, so a statement with one more title line still reads

    assert wizard.currentId() == REVIEW
    review = wizard.review_page
    qtbot.waitUntil(review.isComplete, timeout=WAIT)
    assert review.model.index(0, column(review.model, "Check")).data() == "Ready"
    assert review.model.index(0, column(review.model, "Balances")).data() == "5"
    with qtbot.waitSignal(desk.changed, timeout=WAIT):
        wizard.next()  # "Import"
        assert wizard.currentId() == IMPORT
    page = wizard.import_page
    qtbot.waitUntil(page.isComplete, timeout=WAIT)
    results = page.model
    assert [results.index(0, c).data() for c in range(results.columnCount())] == [
        "northbridge_2026-11-20.xlsx [Holdings]", "Imported", "Northbridge Custody", "5", "2026-11-20", "—"]
    imports = list_imports(db)
    assert [(i.file_name, i.source, i.rows, i.as_of, i.imported_by) for i in imports] == [
        ("northbridge_2026-11-20.xlsx", "Northbridge Custody", 5, dt.date(2026, 11, 20), desk.user)]
    assert stored_lines(db, imports[0].batch_id, "row", "quantity")[1] == (9, Decimal("-45000.1"))
    assert page.stage.text() == "Imported 1 file, 5 balance rows."
    settle(qtbot, wizard)

    # The next statement in this layout is recognised by the saved profile and needs no questions.
    second = write_northbridge_statement(tmp_path / "northbridge_2026-11-21.xlsx",
                                         extra_rows=[["0012345-03", None, "USDC", "10", None, None]])
    again = open_wizard(qtbot, desk, [second], profiles)
    assert again.files_page.model.index(0, 2).data() == "northbridge-custody"
    assert again.files_page.model.index(0, 3).data() == "Recognised: Northbridge Custody (custodian)"
    again.next()
    assert again.currentId() == REVIEW
    settle(qtbot, again)


def test_a_saved_profile_reads_several_files_without_questions_and_the_summary_says_what_was_superseded(
        qtbot, desk, db, tmp_path, profiles):
    write_profile(profiles / "northbridge.toml")
    first = write_northbridge_statement(tmp_path / "a.xlsx")
    second = write_northbridge_statement(tmp_path / "b.xlsx", extra_rows=[["0012345-01", "DELTA", "GBP", "7", None, None]])
    wizard = open_wizard(qtbot, desk, [first, second], profiles)
    model = wizard.files_page.model
    assert [model.index(r, 3).data() for r in range(2)] == ["Recognised: Northbridge Custody (custodian)"] * 2
    wizard.next()
    assert wizard.currentId() == REVIEW  # no profile questions
    review = wizard.review_page
    qtbot.waitUntil(review.isComplete, timeout=WAIT)
    assert review.summary.text() == "2 files ready: 11 balances will be stored."
    assert not review.as_of.isVisible()  # the profile gives the date
    wizard.next()
    qtbot.waitUntil(wizard.import_page.isComplete, timeout=WAIT)
    results = wizard.import_page.model
    superseded = column(results, "Superseded")
    assert [results.index(r, superseded).data() for r in range(2)] == ["—", "3 earlier statements"]
    assert sorted((i.file_name, i.rows, i.superseded) for i in list_imports(db)) == [
        ("a.xlsx", 5, True), ("b.xlsx", 6, False)]
    settle(qtbot, wizard)


def test_a_bad_cell_is_listed_by_row_and_column_and_double_clicking_it_selects_the_row(
        qtbot, desk, db, tmp_path, profiles):
    statement = write_northbridge_statement(tmp_path / "nb.xlsx",
                                            extra_rows=[["0012345-09", None, "USD", "12,x5", None, None]])
    wizard = open_wizard(qtbot, desk, [statement], profiles)
    item, columns, save = make_northbridge_profile(qtbot, wizard)
    assert columns.problems.count() == 1
    problem = columns.problems.item(0)
    assert problem.text() == "nb.xlsx, sheet 'Holdings', row 13, column D (Quantity): '12,x5': not a number"
    assert "1 problem: the file will not be imported until it is fixed" in columns.summary.text()
    model = columns.model
    bad = next(r for r in range(model.rowCount()) if model.index(r, 0).data() == "13")
    assert model.index(bad, column(model, "Quantity")).data() == "12,x5"
    assert model.index(bad, column(model, "Note")).data() == "'12,x5': not a number"
    assert columns.preview_table.selectionModel().selectedRows() == []

    rect = columns.problems.visualItemRect(problem)
    qtbot.mouseClick(columns.problems.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(columns.problems.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert [i.row() for i in columns.preview_table.selectionModel().selectedRows()] == [bad]

    # The profile itself is right, so it can be saved; the file is refused until it is fixed.
    wizard.next()
    wizard.next()
    review = wizard.review_page
    qtbot.waitUntil(lambda: review.summary.text() != "Reading the files…", timeout=WAIT)
    assert review.model.index(0, column(review.model, "Check")).data() == "Not imported: 1 problem"
    assert not review.isComplete()
    assert not wizard.button(QWizard.WizardButton.CommitButton).isEnabled()
    assert review.problems.item(0).text() == problem.text()
    assert list_imports(db) == []
    settle(qtbot, wizard)


def write_large_statement(path: Path, rows: int) -> Path:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Holdings")
    ws.append(["Account No.", "Client Ref", "Asset", "Quantity", "Price"])
    for n in range(rows):
        ws.append([f"{n % 50:07d}-01", f"C{n}", f"A{n % 997}", f"{n:,}.25", "1.5"])
    wb.save(path)
    return path


def test_cancelling_the_import_stores_nothing(qtbot, desk, db, tmp_path, profiles):
    write_profile(profiles / "northbridge.toml", NORTHBRIDGE_PROFILE.replace("header_row = 7\n", ""))
    statement = write_large_statement(tmp_path / "big.xlsx", 40_000)
    wizard = open_wizard(qtbot, desk, [statement], profiles)
    wizard.next()
    review = wizard.review_page
    qtbot.waitUntil(review.isComplete, timeout=60_000)
    assert review.summary.text() == "1 file ready: 40,000 balances will be stored."
    page = wizard.import_page
    wizard.next()
    assert page.job is not None and not page.isComplete()
    qtbot.mouseClick(page.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(page.isComplete, timeout=60_000)
    assert page.model.index(0, 1).data() == "Cancelled: nothing stored"
    assert page.stage.text() == "Import cancelled. Nothing was imported."
    assert list_imports(db) == []
    settle(qtbot, wizard)


def test_closing_the_wizard_during_an_import_stops_it_and_stores_nothing(qtbot, desk, db, tmp_path, profiles):
    write_profile(profiles / "northbridge.toml", NORTHBRIDGE_PROFILE.replace("header_row = 7\n", ""))
    wizard = open_wizard(qtbot, desk, [write_large_statement(tmp_path / "big.xlsx", 40_000)], profiles)
    wizard.next()
    qtbot.waitUntil(wizard.review_page.isComplete, timeout=60_000)
    wizard.next()
    with qtbot.waitSignal(wizard.rejected, timeout=60_000):
        wizard.reject()  # Esc, the window's close button, or Cancel
        assert wizard.isVisible()  # until the importer has stopped
    assert list_imports(db) == []
    settle(qtbot, wizard)


def test_an_unreadable_file_gets_one_readable_line_and_the_others_still_import(qtbot, desk, db, tmp_path, profiles):
    garbage = tmp_path / "statement.xlsx"
    garbage.write_bytes(os.urandom(4096))
    fake_zip = tmp_path / "damaged.xlsx"
    fake_zip.write_bytes(b"PK\x03\x04" + os.urandom(2048))
    write_profile(profiles / "northbridge.toml")
    good = write_northbridge_statement(tmp_path / "nb.xlsx")
    wizard = open_wizard(qtbot, desk, [garbage, fake_zip, good], profiles)
    model = wizard.files_page.model
    status = [model.index(r, 3).data() for r in range(3)]
    assert status[0] == "Cannot be read: not a readable spreadsheet (unrecognised or damaged content)"
    assert status[1].startswith("Cannot be read: not a readable spreadsheet (damaged zip container")
    assert all("Traceback" not in s and "\n" not in s for s in status)
    assert status[2] == "Recognised: Northbridge Custody (custodian)"
    wizard.files_page.table.selectRow(0)
    assert not wizard.files_page.new_button.isEnabled()
    wizard.next()
    qtbot.waitUntil(wizard.review_page.isComplete, timeout=WAIT)
    wizard.next()
    qtbot.waitUntil(wizard.import_page.isComplete, timeout=WAIT)
    assert [i.file_name for i in list_imports(db)] == ["nb.xlsx"]
    settle(qtbot, wizard)


@pytest.mark.parametrize("name", ["pass_protected.xlsx", "issue_594_dos.ods"])
def test_a_hostile_workbook_is_refused_in_the_wizard_without_harm(qtbot, desk, tmp_path, profiles, name):
    path = SHARED / "corpus" / "calamine" / name
    if not path.exists():
        pytest.skip(f"corpus not present at {path.parent}")
    wizard = ImportWizard(desk, [path], profiles_dir=profiles)
    qtbot.addWidget(wizard)
    wizard.open()
    qtbot.waitUntil(lambda: wizard.items[0].error is not None, timeout=60_000)
    text = wizard.files_page.model.index(0, 3).data()
    assert text.startswith("Cannot be read: ") and "Traceback" not in text and "\n" not in text
    assert not wizard.files_page.isComplete()  # nothing to import: Next stays off
    settle(qtbot, wizard)


def test_a_profile_file_chosen_by_hand_is_used_only_when_it_reads_the_file(qtbot, desk, tmp_path, profiles):
    statement = write_northbridge_statement(tmp_path / "nb.xlsx")
    wizard = open_wizard(qtbot, desk, [statement], profiles)
    page = wizard.files_page
    item = wizard.items[0]
    assert item.needs_setup
    wrong = write_profile(tmp_path / "helix.toml", NORTHBRIDGE_PROFILE.replace('"Quantity"', '"Net Qty"'))
    page.use_profile_file(item, wrong)
    qtbot.waitUntil(lambda: "does not read" in page.message.text(), timeout=WAIT)
    assert "header row lacks column 'Net Qty'" in page.message.text()
    assert item.needs_setup and item.saved is None
    broken = write_profile(tmp_path / "broken.toml", "source = 'x'\nkind = 'bank'\n")
    page.use_profile_file(item, broken)
    assert "'kind' must be one of custodian, exchange, ledger, prices" in page.message.text()
    right = write_profile(tmp_path / "colleague.toml")
    page.use_profile_file(item, right)
    qtbot.waitUntil(lambda: item.saved is not None, timeout=WAIT)
    assert page.model.index(0, 3).data() == "Chosen: Northbridge Custody (custodian)"
    wizard.next()
    assert wizard.currentId() == REVIEW
    settle(qtbot, wizard)


def test_saving_never_replaces_a_profile_silently(qtbot, desk, tmp_path, profiles):
    existing = write_profile(profiles / "northbridge-custody.toml", NORTHBRIDGE_PROFILE.replace("Quantity", "Qty"))
    before = existing.read_text()
    wizard = open_wizard(qtbot, desk, [write_northbridge_statement(tmp_path / "nb.xlsx")], profiles)
    item, columns, save = make_northbridge_profile(qtbot, wizard)
    wizard.next()
    assert wizard.currentPage() is save
    assert "already exists" in save.exists.text()
    assert not save.isComplete()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    save.name.setText("Northbridge Custody EU")
    assert save.isComplete() and save.exists.text() == ""
    save.name.setText("Northbridge Custody")
    save.replace.setChecked(True)
    assert save.isComplete()
    save.name.setText("Northbridge Custody EU")
    wizard.next()
    assert existing.read_text() == before
    assert (profiles / "northbridge-custody-eu.toml").exists()
    settle(qtbot, wizard)


def test_a_required_column_left_out_is_named_and_blocks_the_next_step(qtbot, desk, tmp_path, profiles):
    wizard = open_wizard(qtbot, desk, [write_northbridge_statement(tmp_path / "nb.xlsx")], profiles)
    item, columns, save = make_northbridge_profile(qtbot, wizard)
    assert columns.isComplete()
    columns.combos["quantity"].setCurrentIndex(0)
    qtbot.waitUntil(lambda: columns.problems.count() == 1, timeout=WAIT)
    assert columns.problems.item(0).text() == "Quantity: choose its column (a custodian statement needs it)"
    assert not columns.isComplete()
    account = columns.combos["account"]
    account.setCurrentIndex(account.findData("\x00one-account"))
    qtbot.waitUntil(lambda: columns.problems.count() == 2, timeout=WAIT)
    assert columns.problems.item(0).text() == "Account: type the account number of the whole file"
    columns.account.setText("0012345-01")
    columns.combos["quantity"].setCurrentIndex(columns.combos["quantity"].findData("Quantity"))
    qtbot.waitUntil(lambda: columns.result is not None, timeout=WAIT)
    model = columns.model
    assert {model.index(r, column(model, "Account")).data() for r in range(model.rowCount())
            if model.row(r).state == "balance"} == {"0012345-01"}
    settle(qtbot, wizard)


def test_files_dropped_on_the_main_window_open_the_wizard(qtbot, db, tmp_path, monkeypatch):
    from segdesk.ui.app import MainWindow

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # the user's data folder, on Linux
    window = MainWindow(db)
    qtbot.addWidget(window)
    window.import_files([write_northbridge_statement(tmp_path / "nb.xlsx")])
    wizard = window.wizard
    assert isinstance(wizard, ImportWizard) and wizard.isVisible()
    assert wizard.profiles_dir == tmp_path / "data" / "SegDesk" / "profiles"
    qtbot.waitUntil(wizard.files_page.isComplete, timeout=WAIT)
    assert wizard.files_page.model.index(0, 3).data() == "New layout: you will set up a profile for it next"
    settle(qtbot, wizard)


def test_the_wizards_table_models_obey_qt_model_rules(qtbot, qtmodeltester, desk, db, tmp_path, profiles):
    statement = write_northbridge_statement(tmp_path / "nb.xlsx")
    wizard = open_wizard(qtbot, desk, [statement], profiles)
    qtmodeltester.check(wizard.files_page.model)
    _item, columns, _save = make_northbridge_profile(qtbot, wizard)
    _source, table, _columns, _ = wizard.items[0].setup.pages
    qtmodeltester.check(table.grid_model)
    qtmodeltester.check(columns.model)
    wizard.next()  # save
    wizard.next()
    qtbot.waitUntil(wizard.review_page.isComplete, timeout=WAIT)
    qtmodeltester.check(wizard.review_page.model)
    wizard.next()
    qtbot.waitUntil(wizard.import_page.isComplete, timeout=WAIT)
    qtmodeltester.check(wizard.import_page.model)
    settle(qtbot, wizard)
