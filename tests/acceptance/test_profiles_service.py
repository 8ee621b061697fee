"""The service behind the import wizard: profiles it drafts are the TOML the command line reads, and
its preview is what the importer stores."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from segdesk.domain.problems import InputError
from segdesk.ingest.profile import load_profile, parse_profile
from segdesk.services.importing import import_statement
from segdesk.services.overview import list_imports
from segdesk.services.profiles import (
    ProfileDraft,
    SavedProfile,
    guess_columns,
    guess_header_row,
    header_cells,
    list_profiles,
    look_at_file,
    preview,
    read_sheet,
    save_profile,
    settle_header_row,
)
from tests.acceptance.cli import segdesk
from tests.statements import NORTHBRIDGE_PROFILE, stored_lines, write_northbridge_statement, write_profile


def workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def test_a_drafted_profile_with_awkward_header_texts_is_the_toml_the_command_line_imports(tmp_path):
    statement = workbook(tmp_path / "odd.xlsx", {"Positions": [
        ["Odd Bank \\ \"Export\""],
        [],
        ['Acct\\No', 'Qty "net"', "Ccy", "Valeur"],
        ["001", "1.234,5", "EUR", "1.234,5"],
        ["002", "(2,75)", "CHF", "-2,75"],
    ]})
    table = read_sheet(statement, "Positions")
    row = guess_header_row(table)
    assert row == 3
    draft = ProfileDraft(source='Odd "Bank"', kind="custodian", sheet="Positions", header_row=row,
                         columns={"account": 'Acct\\No', "quantity": 'Qty "net"', "asset": "Ccy", "value": "Valeur"},
                         as_of=dt.date(2026, 11, 20), decimal=",", thousands=".", file_name="odd.xlsx")
    draft = settle_header_row(draft, table)
    assert draft.header_row is None  # the texts find row 3 on their own
    path = save_profile(draft.text(), "Odd bank / EU", folder=tmp_path / "profiles")
    assert path.name == "odd-bank-eu.toml"
    profile = load_profile(path)
    assert (profile.source, profile.columns["quantity"], profile.number_format.decimal) == ('Odd "Bank"', 'Qty "net"', ",")

    db = tmp_path / "cli.sqlite3"
    outcome = segdesk("import", statement, "--profile", path, db=db)
    assert outcome.code == 0, outcome.err
    from segdesk.store.engine import open_database

    database = open_database(str(db))
    try:
        [batch] = list_imports(database)
        assert stored_lines(database, batch.batch_id, "account", "asset", "quantity", "value") == [
            ("001", "EUR", Decimal("1234.5"), Decimal("1234.5")),
            ("002", "CHF", Decimal("-2.75"), Decimal("-2.75")),
        ]
    finally:
        database.dispose()


def test_the_preview_is_exactly_what_the_import_stores(db, tmp_path):
    statement = write_northbridge_statement(tmp_path / "nb.xlsx")
    profile = parse_profile(NORTHBRIDGE_PROFILE)
    shown = preview(read_sheet(statement, "Holdings"), profile)
    assert shown.ok and shown.header_row == 7 and shown.balances == 5
    assert shown.fields == ["account", "reference", "asset", "quantity", "price", "as_of"]
    balances = [(r.row, r.values["account"], r.values["asset"], r.values["quantity"], r.values["price"])
                for r in shown.rows if r.state == "balance"]
    result = import_statement(db, statement, profile, user="jane")
    assert balances == stored_lines(db, result.batch_id, "row", "account", "asset", "quantity", "price")
    assert [(r.row, r.state) for r in shown.rows if r.state != "balance"] == [(13, "skipped"), (15, "skipped")]


def test_every_bad_cell_is_a_problem_naming_its_row_and_column(tmp_path):
    statement = write_northbridge_statement(tmp_path / "nb.xlsx", extra_rows=[
        ["0012345-09", None, "USD", "12,x5", None, None],
        ["0012345-09", None, None, "4", "#N/A", None],
    ])
    shown = preview(read_sheet(statement), parse_profile(NORTHBRIDGE_PROFILE))
    assert [(p.row, p.column) for p in shown.problems] == [(13, "D"), (14, "E"), (14, "C")]
    assert shown.problems[0].text == "nb.xlsx, sheet 'Holdings', row 13, column D (Quantity): '12,x5': not a number"
    bad = {r.row: r for r in shown.rows if r.state == "problem"}
    assert bad[13].bad_columns == {"quantity"} and bad[13].values["quantity"] == "12,x5"
    assert bad[14].bad_columns == {"price", "asset"}


def test_the_preview_shows_the_first_rows_and_every_refused_row_of_a_long_file(tmp_path):
    rows = [["Account", "Asset", "Quantity"]] + [["A1", "USD", str(n)] for n in range(3000)]
    rows[2500][2] = "oops"
    statement = workbook(tmp_path / "long.xlsx", {"S": rows})
    profile = parse_profile('source = "X"\nkind = "custodian"\nas_of = "2026-11-20"\n'
                            '[columns]\naccount = "Account"\nasset = "Asset"\nquantity = "Quantity"\n')
    shown = preview(read_sheet(statement), profile, limit=100)
    assert shown.body_rows == 3000 and shown.balances == 2999
    assert len(shown.rows) == 101 and shown.rows[-1].row == 2501 and shown.rows[-1].state == "problem"


def test_saving_never_replaces_a_profile_unless_asked_and_never_saves_what_the_importer_refuses(tmp_path):
    folder = tmp_path / "profiles"
    first = save_profile(NORTHBRIDGE_PROFILE, "Northbridge", folder=folder)
    with pytest.raises(InputError, match="already exists"):
        save_profile(NORTHBRIDGE_PROFILE.replace("Quantity", "Qty"), "northbridge", folder=folder)
    assert "Qty" not in first.read_text()
    save_profile(NORTHBRIDGE_PROFILE.replace("Quantity", "Qty"), "northbridge", folder=folder, replace=True)
    assert load_profile(first).columns["quantity"] == "Qty"
    with pytest.raises(InputError, match="'kind' must be one of"):
        save_profile('source = "X"\nkind = "bank"\n', "broken", folder=folder)
    assert sorted(p.name for p in folder.iterdir()) == ["northbridge.toml"]


def test_saved_profiles_are_listed_and_unusable_ones_named(tmp_path):
    folder = tmp_path / "profiles"
    folder.mkdir()
    write_profile(folder / "northbridge.toml")
    (folder / "broken.toml").write_text("source = \n", encoding="utf-8")
    profiles, problems = list_profiles(folder)
    assert [p.name for p in profiles] == ["northbridge"]
    assert len(problems) == 1 and problems[0].startswith("broken.toml: not valid TOML")
    assert list_profiles(tmp_path / "none yet") == ([], [])


def test_a_workbook_holding_two_statements_matches_each_sheet_to_its_profile(tmp_path):
    statement = workbook(tmp_path / "both.xlsx", {
        "Custody": [["Account No.", "Asset", "Quantity"], ["001", "USD", "5"]],
        "Futures": [["Sub-account", "Asset", "Equity", "Maintenance Margin"], ["alpha-sub", "USD", "10", "4"]],
    })
    custody = SavedProfile(Path("custody.toml"), parse_profile(
        'source = "Bank"\nkind = "custodian"\nsheet = "Custody"\nas_of = "2026-11-20"\n'
        '[columns]\naccount = "Account No."\nasset = "Asset"\nquantity = "Quantity"\n'))
    venue = SavedProfile(Path("venue.toml"), parse_profile(
        'source = "Helix"\nkind = "exchange"\nsheet = "Futures"\nas_of = "2026-11-20"\n'
        '[columns]\naccount = "Sub-account"\nasset = "Asset"\nquantity = "Equity"\nequity = "Equity"\n'
        'maintenance_margin = "Maintenance Margin"\n'))
    elsewhere = SavedProfile(Path("other.toml"), parse_profile(
        'source = "Other"\nkind = "custodian"\nsheet = "Nope"\nas_of = "2026-11-20"\n'
        '[columns]\naccount = "Account No."\nasset = "Asset"\nquantity = "Quantity"\n'))
    look = look_at_file(statement, [venue, custody, elsewhere])
    assert look.sheets == ["Custody", "Futures"]
    assert [(sheet, saved.name) for sheet, saved in look.matches] == [("Custody", "custody"), ("Futures", "venue")]


def test_the_header_row_is_kept_in_the_profile_only_when_its_texts_would_find_another_row(tmp_path):
    statement = workbook(tmp_path / "legend.xlsx", {"S": [
        ["Account", "Asset", "Quantity"],  # a legend above the table, spelled like the header
        [],
        ["Account", "Asset", "Quantity"],
        ["001", "USD", "5"],
    ]})
    table = read_sheet(statement)
    draft = ProfileDraft(source="X", kind="custodian", header_row=3, as_of=dt.date(2026, 11, 20),
                         columns={"account": "Account", "asset": "Asset", "quantity": "Quantity"})
    assert settle_header_row(draft, table).header_row == 3
    assert settle_header_row(replace(draft, header_row=1), table).header_row is None


def test_usual_header_texts_are_assigned_and_each_header_serves_one_field():
    headers = ["Account Number", "Client Ref.", "CCY", "Balance", "Market Value", "Value Date", "Amount"]
    assert guess_columns(headers, "custodian") == {
        "account": "Account Number", "reference": "Client Ref.", "asset": "CCY", "quantity": "Balance",
        "value": "Market Value", "as_of_column": "Value Date"}
    assert guess_columns(["Symbol", "Close", "Price Date"], "prices") == {
        "asset": "Symbol", "price": "Close", "as_of_column": "Price Date"}


def test_a_csv_header_row_is_found_below_its_preamble(tmp_path):
    path = tmp_path / "helix.csv"
    path.write_text("Helix Exchange positions\nGenerated 2026-11-20\n\nsub_account;asset;equity;im\n"
                    "alpha-sub;USD;1.000,50;10\n", encoding="utf-8")
    table = read_sheet(path)
    assert guess_header_row(table) == 4
    assert header_cells(table, 4) == [(0, "sub_account"), (1, "asset"), (2, "equity"), (3, "im")]
