"""Layouts that could slip a wrong balance through; each is imported exactly or refused by name."""

from __future__ import annotations

from decimal import Decimal

import pytest
from openpyxl import Workbook

from segdesk.domain.problems import InputError
from segdesk.services.chart import import_chart, write_template
from segdesk.services.importing import import_statement
from segdesk.store import repositories as repo
from segdesk.store.schema import Price
from tests.statements import stored_lines, write_profile

PROFILE = """
source = "Northbridge Custody"
kind = "custodian"
as_of = "2026-11-20"
[columns]
account = "Account"
asset = "Asset"
quantity = "Quantity"
price = "Price"
"""

QUANTITIES = ("account", "asset", "quantity")


def _csv(tmp_path, text, name="s.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _problems(db, path, profile_text=PROFILE, tmp_path=None):
    with pytest.raises(InputError) as caught:
        import_statement(db, path, write_profile(path.with_suffix(".toml"), profile_text), user="jane")
    return caught.value.problems


def test_an_unquoted_thousands_separator_is_refused_not_split_into_columns(db, tmp_path):
    path = _csv(tmp_path, "Account,Asset,Quantity,Price\n001,USD,1,234.50,1\n")
    assert _problems(db, path) == [
        "s.csv, line 2: 5 or more values but the header has 4 columns (extra in column E: '1'); an unquoted "
        "thousands separator in a CSV? Quote the number or remove the separators"
    ]


def test_an_account_named_like_a_total_is_not_dropped_silently(db, tmp_path):
    path = _csv(tmp_path, "Account,Asset,Quantity,Price\nTotal Return Fund,USD,1000000,1\n001,USD,5,1\n")
    (problem,) = _problems(db, path)
    assert problem.startswith("s.csv, line 2: 'Total Return Fund' looks like a total but has an asset")
    # The person says what a total is in their profile, and the account imports.
    profile = PROFILE + '[format]\nskip_rows_matching = "^Total$"\n'
    result = import_statement(db, path, write_profile(tmp_path / "p2.toml", profile), user="jane")
    assert stored_lines(db, result.batch_id, *QUANTITIES) == [
        ("Total Return Fund", "USD", Decimal("1000000")), ("001", "USD", Decimal("5"))
    ]


def test_a_balance_after_the_total_is_questioned(db, tmp_path):
    path = _csv(tmp_path, "Account,Asset,Quantity,Price\n001,USD,100,1\nTotal,,100,\nPending settlements,,,\n001,USD,-40,1\n")
    assert _problems(db, path) == [
        's.csv, line 5: a balance after the total on line 3; if the table ends at the total, set '
        'table_ends_at = "^Total" under [format] in s.toml'
    ]
    profile = PROFILE + '[format]\ntable_ends_at = "^Total"\n'
    result = import_statement(db, path, write_profile(tmp_path / "p2.toml", profile), user="jane")
    assert stored_lines(db, result.batch_id, *QUANTITIES) == [("001", "USD", Decimal("100"))]


def test_subtotals_between_sections_do_not_end_the_table(db, tmp_path):
    path = _csv(tmp_path, "Account,Asset,Quantity,Price\n001,USD,100,1\nSubtotal cash,,100,\n001,BTC,2,90000\nGrand total,,,\n")
    result = import_statement(db, path, write_profile(tmp_path / "p.toml", PROFILE), user="jane")
    assert stored_lines(db, result.batch_id, *QUANTITIES) == [("001", "USD", Decimal("100")), ("001", "BTC", Decimal("2"))]


def test_two_columns_answering_to_one_header_are_refused(db, tmp_path):
    path = _csv(tmp_path, "Account,Asset,QUANTITY ,Price,quantity\n001,USD,1,1,5000\n")
    assert _problems(db, path) == [
        "s.csv, line 1: the header 'Quantity' appears in columns C, E; SegDesk cannot tell which holds the "
        "balances (rename one, or name it exactly in the profile)"
    ]


def test_the_exactly_spelled_header_wins_over_a_near_twin(db, tmp_path):
    path = _csv(tmp_path, "Account,Asset,QUANTITY ,Price,Quantity\n001,USD,1,1,5000\n")
    result = import_statement(db, path, write_profile(tmp_path / "p.toml", PROFILE), user="jane")
    assert stored_lines(db, result.batch_id, *QUANTITIES) == [("001", "USD", Decimal("5000"))]


def test_excel_error_values_are_never_codes_or_amounts(db, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["Account", "Asset", "Quantity", "Price"])
    ws.append(["#N/A", "USD", 1, 1])
    ws.append(["001", "#REF!", 1, 1])
    ws.append(["001", "USD", "#DIV/0!", 1])
    wb.save(tmp_path / "errors.xlsx")
    problems = _problems(db, tmp_path / "errors.xlsx")
    assert [p.split(": ", 1)[0] for p in problems] == [
        "errors.xlsx, sheet 'Sheet', row 2, column A (Account)",
        "errors.xlsx, sheet 'Sheet', row 3, column B (Asset)",
        "errors.xlsx, sheet 'Sheet', row 4, column C (Quantity)",
    ]


def test_a_numeric_account_longer_than_15_digits_is_refused(db, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["Account", "Asset", "Quantity", "Price"])
    ws.append([123456789012345678, "USD", 1, 1])
    ws.append([12345, "USD", 2, 1])
    wb.save(tmp_path / "long.xlsx")
    (problem,) = _problems(db, tmp_path / "long.xlsx")
    assert problem.startswith("long.xlsx, sheet 'Sheet', row 2, column A (Account): ")
    assert "15 digits" in problem


def test_prices_repeated_in_a_file_are_refused_and_a_later_file_supersedes(db, tmp_path):
    prices = 'source = "Prices"\nkind = "prices"\nas_of = "2026-11-20"\n[columns]\nasset = "Asset"\nprice = "Close"\n'
    twice = _csv(tmp_path, "Asset,Close\nBTC,90000\nBTC,95000\n", "twice.csv")
    assert _problems(db, twice, prices) == [
        "twice.csv, line 3, column A (Asset): BTC is priced twice for 2026-11-20 (also on line 2)"
    ]
    import_statement(db, _csv(tmp_path, "Asset,Close\nBTC,90000\nETH,3000\n", "p1.csv"),
                     write_profile(tmp_path / "p.toml", prices), user="jane")
    import_statement(db, _csv(tmp_path, "Asset,Close\nBTC,91000\n", "p2.csv"),
                     write_profile(tmp_path / "p.toml", prices), user="jane")
    with db.reading() as session:
        live = sorted((p.asset, p.price) for p in session.query(Price).filter(Price.superseded_by_batch_id.is_(None)))
    assert live == [("BTC", Decimal("91000")), ("ETH", Decimal("3000"))]


def test_chart_and_statement_spell_accounts_the_same(db, tmp_path):
    chart = tmp_path / "chart.xlsx"
    write_template(chart)
    from openpyxl import load_workbook

    wb = load_workbook(chart)
    wb["ExternalAccounts"].append(["Northbridge Custody", "custodian", "ABC  01", "omnibus_client"])
    wb["ExternalAccounts"].append(["Northbridge Custody", "custodian", "XYZ\u00a002", "omnibus_client"])
    wb.save(chart)
    import_chart(db, chart, user="jane")
    path = _csv(tmp_path, "Account,Asset,Quantity,Price\nABC  01,USD,1,1\nXYZ\u00a002,USD,2,1\n")
    import_statement(db, path, write_profile(tmp_path / "p.toml", PROFILE), user="jane")
    with db.reading() as session:
        accounts = [(a.account, a.designation) for a in repo.external_accounts(session)]
    assert accounts == [("ABC 01", "omnibus_client"), ("XYZ 02", "omnibus_client")]


def test_chart_export_then_import_works_with_accounts_not_yet_designated(db, tmp_path):
    from segdesk.services.chart import export_chart

    import_statement(db, _csv(tmp_path, "Account,Asset,Quantity,Price\nNEW-1,USD,1,1\n"),
                     write_profile(tmp_path / "p.toml", PROFILE), user="jane")
    export_chart(db, tmp_path / "out.xlsx")
    result = import_chart(db, tmp_path / "out.xlsx", user="jane")
    assert (result.accounts_created, result.accounts_updated) == (0, 0)


def test_a_new_account_in_the_chart_needs_a_designation(db, tmp_path):
    chart = tmp_path / "chart.xlsx"
    write_template(chart)
    from openpyxl import load_workbook

    wb = load_workbook(chart)
    wb["ExternalAccounts"].append(["Northbridge Custody", "custodian", "001", None])
    wb.save(chart)
    with pytest.raises(InputError) as caught:
        import_chart(db, chart, user="jane")
    assert caught.value.problems == [
        "chart.xlsx, sheet 'ExternalAccounts': Northbridge Custody:001 needs a designation "
        "(client_segregated, omnibus_client, proprietary)"
    ]


def test_two_sheets_of_one_workbook_import_separately(db, tmp_path):
    wb = Workbook()
    custody = wb.active
    custody.title = "Custody"
    custody.append(["Account", "Asset", "Quantity", "Price"])
    custody.append(["001", "USD", 10, 1])
    margin = wb.create_sheet("Margin")
    margin.append(["Account", "Asset", "Quantity", "Price"])
    margin.append(["m-1", "USDT", 5, 1])
    wb.save(tmp_path / "both.xlsx")
    first = import_statement(db, tmp_path / "both.xlsx",
                             write_profile(tmp_path / "a.toml", PROFILE + ""), user="jane")
    second_profile = PROFILE.replace("Northbridge Custody", "Helix Exchange").replace('"custodian"', '"exchange"')
    second = import_statement(db, tmp_path / "both.xlsx",
                              write_profile(tmp_path / "b.toml", 'sheet = "Margin"\n' + second_profile), user="jane")
    assert stored_lines(db, first.batch_id, *QUANTITIES) == [("001", "USD", Decimal("10"))]
    assert stored_lines(db, second.batch_id, *QUANTITIES) == [("m-1", "USDT", Decimal("5"))]
    with pytest.raises(InputError, match="sheet 'Margin': this exact file was already imported"):
        import_statement(db, tmp_path / "both.xlsx",
                         write_profile(tmp_path / "b.toml", 'sheet = "Margin"\n' + second_profile), user="jane")


def test_an_amount_too_large_for_postgresql_is_refused_everywhere(db, tmp_path):
    path = _csv(tmp_path, "Account,Asset,Quantity,Price\n001,USD,123456789012345678901234.5,1\n")
    (problem,) = _problems(db, path)
    assert problem == "s.csv, line 2, column C (Quantity): '123456789012345678901234.5': more than 20 digits before the decimal point"


def test_a_formula_saved_without_its_result_is_refused_never_read_as_blank(db, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["Account", "Asset", "Quantity", "Price"])
    ws.append(["001", "USD", 100, 1])
    ws.append(["001", "EUR", "=D2*2", "=1/1"])  # openpyxl saves formulas without results
    wb.save(tmp_path / "formulas.xlsx")
    assert _problems(db, tmp_path / "formulas.xlsx") == [
        "formulas.xlsx, sheet 'Sheet', row 3, column C (Quantity): the formula =D2*2 has no saved result; "
        "open the file in Excel or LibreOffice, save it, and import it again",
        "formulas.xlsx, sheet 'Sheet', row 3, column D (Price): the formula =1/1 has no saved result; "
        "open the file in Excel or LibreOffice, save it, and import it again",
    ]
