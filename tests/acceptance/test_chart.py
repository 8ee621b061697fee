"""The chart workbook: validated whole, applied whole, every change audited."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import Workbook

from segdesk.domain.problems import InputError
from tests.conftest import settled_bytes
from segdesk.services.chart import import_chart, write_template
from segdesk.store import repositories as repo
from segdesk.store.schema import AuditEvent


def _chart(path, subs=(), accounts=(), mappings=()):
    write_template(path)
    from openpyxl import load_workbook

    wb = load_workbook(path)
    for row in subs:
        wb["SubAccounts"].append(list(row))
    for row in accounts:
        wb["ExternalAccounts"].append(list(row))
    for row in mappings:
        wb["Mappings"].append(list(row))
    wb.save(path)
    return path


GOOD = dict(
    subs=[("C-ALPHA", "Alpha Capital LP", "client", "Alpha Capital", None),
          ("B-BUFFER", "Residual interest", "buffer", None, "USD")],
    accounts=[("Northbridge Custody", "custodian", "0012345-01", "omnibus_client"),
              ("Firm Ledger", "ledger", "GL-1000", None)],
    mappings=[("Northbridge Custody", "0012345-01", None, "C-ALPHA", dt.datetime(2026, 1, 1), None),
              ("Northbridge Custody", "0012345-01", "BUF", "B-BUFFER", None, None)],
)


def test_a_good_chart_is_loaded_and_audited(db, tmp_path):
    result = import_chart(db, _chart(tmp_path / "c.xlsx", **GOOD), user="jane")
    assert (result.sub_accounts_created, result.accounts_created, result.mappings_added) == (2, 2, 2)
    with db.reading() as session:
        maps = [(m.external_account.account, m.reference, m.sub_account.code, m.valid_from)
                for m in repo.mappings(session)]
        actions = sorted(e.action for e in session.query(AuditEvent))
    assert maps == [("0012345-01", None, "C-ALPHA", dt.date(2026, 1, 1)), ("0012345-01", "BUF", "B-BUFFER", None)]
    assert actions.count("mapping.add") == 2 and actions.count("sub_account.create") == 2


def test_reimporting_the_same_chart_changes_nothing(db, tmp_path):
    import_chart(db, _chart(tmp_path / "c.xlsx", **GOOD), user="jane")
    again = import_chart(db, _chart(tmp_path / "c2.xlsx", **GOOD), user="jane")
    assert again == type(again)(0, 0, 0, 0, 0, 0)


def test_a_mapping_left_out_is_removed(db, tmp_path):
    import_chart(db, _chart(tmp_path / "c.xlsx", **GOOD), user="jane")
    fewer = dict(GOOD, mappings=GOOD["mappings"][:1])
    result = import_chart(db, _chart(tmp_path / "c2.xlsx", **fewer), user="jane")
    assert result.mappings_removed == 1


def test_every_problem_is_listed_and_nothing_changes(db, db_path, tmp_path):
    bad = _chart(
        tmp_path / "bad.xlsx",
        subs=[("C-1", "One", "customer", None, None), ("C-2", None, "client", None, None)],
        accounts=[("Northbridge", "custodian", "001", "segregated")],
        mappings=[("Northbridge", "001", None, "C-9", "2026-13-01", None)],
    )
    before = settled_bytes(db, db_path)
    with pytest.raises(InputError) as caught:
        import_chart(db, bad, user="jane")
    assert caught.value.problems == [
        "bad.xlsx, sheet 'SubAccounts', row 2, column C (kind): 'customer' is not one of client, proprietary, buffer",
        "bad.xlsx, sheet 'SubAccounts', row 3, column B (name): name is required",
        "bad.xlsx, sheet 'ExternalAccounts', row 2, column D (designation): 'segregated' is not one of "
        "client_segregated, omnibus_client, proprietary",
        "bad.xlsx, sheet 'Mappings', row 2, column E (valid_from): " + caught.value.problems[3].split("(valid_from): ")[1],
    ]
    assert "2026-13-01" in caught.value.problems[3]
    assert settled_bytes(db, db_path) == before


def test_mapping_to_an_unknown_sub_account_refuses_the_whole_chart(db, tmp_path):
    bad = dict(GOOD, mappings=[*GOOD["mappings"], ("Northbridge Custody", "0012345-01", "ZZ", "C-NOPE", None, None)])
    with pytest.raises(InputError, match="sub-account 'C-NOPE' is not in SubAccounts"):
        import_chart(db, _chart(tmp_path / "c.xlsx", **bad), user="jane")
    with db.reading() as session:
        assert repo.sub_accounts(session) == []


def test_overlapping_mapping_windows_are_refused(db, tmp_path):
    bad = dict(GOOD, mappings=[
        ("Northbridge Custody", "0012345-01", None, "C-ALPHA", dt.datetime(2026, 1, 1), dt.datetime(2026, 6, 30)),
        ("Northbridge Custody", "0012345-01", None, "B-BUFFER", dt.datetime(2026, 6, 30), None),
    ])
    with pytest.raises(InputError, match="overlapping mappings to C-ALPHA and B-BUFFER"):
        import_chart(db, _chart(tmp_path / "c.xlsx", **bad), user="jane")


def test_a_workbook_without_the_three_sheets_is_refused(db, tmp_path):
    wb = Workbook()
    wb.active.title = "Sheet1"
    wb.save(tmp_path / "x.xlsx")
    with pytest.raises(InputError, match="lacks sheet"):
        import_chart(db, tmp_path / "x.xlsx", user="jane")


def test_chart_file_mistakes_are_named_plainly(tmp_path):
    from tests.acceptance.cli import segdesk

    missing_folder = segdesk("chart", "template", tmp_path / "nodir" / "chart.xlsx")
    assert missing_folder.code == 2
    assert missing_folder.err.strip().endswith(f"chart.xlsx: its folder {tmp_path / 'nodir'} does not exist")
    missing_file = segdesk("chart", "import", tmp_path / "nothere.xlsx", db=tmp_path / "x.sqlite3")
    assert missing_file.code == 2 and missing_file.err.strip().endswith("nothere.xlsx: no such file")
    assert not (tmp_path / "x.sqlite3").exists()  # nothing created for a file that is not there
