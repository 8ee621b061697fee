"""Importing statements through the service, into a real database file, all or nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from segdesk.domain.problems import InputError
from tests.conftest import settled_bytes
from segdesk.domain.progress import Cancelled, Progress
from segdesk.services.importing import import_statement
from segdesk.store import repositories as repo
from segdesk.store.audit import verify_chain
from segdesk.store.schema import AuditEvent, Statement
from tests.statements import stored_lines, write_northbridge_statement, write_profile


def test_a_bank_custody_statement_imports_every_quantity_exactly(db, tmp_path):
    statement = write_northbridge_statement(tmp_path / "northbridge_2026-11-20.xlsx")
    result = import_statement(db, statement, write_profile(tmp_path / "nb.toml"), user="jane")
    assert (result.rows, result.statements, result.as_of) == (5, 3, dt.date(2026, 11, 20))
    assert stored_lines(db, result.batch_id, "account", "reference", "asset", "quantity", "price", "sheet", "row") == [
        ("0012345-01", "ALPHA", "USD", Decimal("1250000.00"), Decimal("1"), "Holdings", 8),
        ("0012345-01", "BETA", "EUR", Decimal("-45000.10"), Decimal("1.0842"), "Holdings", 9),
        ("0012345-02", None, "BTC", Decimal("0.3"), Decimal("97250.5"), "Holdings", 10),
        ("0012345-02", None, "ETH", Decimal("12.123456789012345678"), Decimal("3050.25"), "Holdings", 11),
        ("0099000-07", "GAMMA", "USD", Decimal("-1.5"), None, "Holdings", 12),
    ]
    with db.reading() as session:
        batch = repo.list_batches(session)[0]
        assert batch.imported_by == "jane"
        assert batch.content == statement.read_bytes()  # kept whole for the audit pack
        assert len(batch.sha256) == 64
        accounts = [(a.account, a.designation) for a in repo.external_accounts(session)]
        assert accounts == [("0012345-01", None), ("0012345-02", None), ("0099000-07", None)]
        actions = [e.action for e in session.query(AuditEvent).order_by(AuditEvent.seq)]
        report = verify_chain(session)
    assert actions == ["source.create", "import"]
    assert report.intact


def test_every_bad_cell_is_listed_and_nothing_is_stored(db, db_path, tmp_path):
    statement = write_northbridge_statement(
        tmp_path / "bad.xlsx",
        extra_rows=[
            ["0012345-01", "DELTA", "USD", "12abc", None, None],
            ["0012345-01", "DELTA", "USD", "5", "n/a", None],
            ["0012345-01", "DELTA", None, "5", None, None],
        ],
    )
    before = settled_bytes(db, db_path)
    with pytest.raises(InputError) as caught:
        import_statement(db, statement, write_profile(tmp_path / "nb.toml"), user="jane")
    assert caught.value.problems == [
        "bad.xlsx, sheet 'Holdings', row 13, column D (Quantity): '12abc': not a number",
        "bad.xlsx, sheet 'Holdings', row 14, column E (Price): 'n/a': not a number",
        "bad.xlsx, sheet 'Holdings', row 15, column C (Asset): the asset is blank",
    ]
    assert settled_bytes(db, db_path) == before


def test_the_same_file_twice_is_refused(db, tmp_path):
    statement = write_northbridge_statement(tmp_path / "nb.xlsx")
    profile = write_profile(tmp_path / "nb.toml")
    import_statement(db, statement, profile, user="jane")
    copy = tmp_path / "renamed copy.xlsx"
    copy.write_bytes(statement.read_bytes())
    with pytest.raises(InputError, match=r"renamed copy.xlsx, sheet 'Holdings': this exact file was already imported \(as 'nb.xlsx'"):
        import_statement(db, copy, profile, user="jane")
    with db.reading() as session:
        assert len(repo.list_batches(session)) == 1


def test_a_new_statement_for_the_same_account_and_date_supersedes_the_earlier(db, tmp_path):
    profile = write_profile(tmp_path / "nb.toml")
    first = import_statement(db, write_northbridge_statement(tmp_path / "v1.xlsx"), profile, user="jane")
    corrected = write_northbridge_statement(tmp_path / "v2.xlsx", extra_rows=[["0012345-02", None, "SOL", "10", None, None]])
    second = import_statement(db, corrected, profile, user="jane")
    assert second.superseded == 3
    with db.reading() as session:
        batches = {b.id: b for b in repo.list_batches(session)}
        assert batches[first.batch_id].superseded_by_id == second.batch_id
        assert batches[second.batch_id].superseded_by_id is None
        live = session.query(Statement).filter(Statement.superseded_by_id.is_(None)).all()
        assert {s.batch_id for s in live} == {second.batch_id}
        assert [e.action for e in session.query(AuditEvent).filter(AuditEvent.action == "statement.supersede")] == [
            "statement.supersede"
        ] * 3


def test_a_statement_for_another_date_supersedes_nothing(db, tmp_path):
    profile = write_profile(tmp_path / "nb.toml")
    import_statement(db, write_northbridge_statement(tmp_path / "d1.xlsx"), profile, user="jane")
    result = import_statement(
        db,
        write_northbridge_statement(tmp_path / "d2.xlsx", extra_rows=[["0012345-01", None, "GBP", "7", None, None]]),
        profile,
        as_of=dt.date(2026, 11, 21),
        user="jane",
    )
    assert result.superseded == 0 and result.as_of == dt.date(2026, 11, 21)


def test_cancelling_stores_nothing(db, tmp_path):
    progress = Progress()
    progress.cancel()
    with pytest.raises(Cancelled):
        import_statement(db, write_northbridge_statement(tmp_path / "nb.xlsx"), write_profile(tmp_path / "p.toml"),
                         user="jane", progress=progress)
    with db.reading() as session:
        assert repo.list_batches(session) == []


# --- large files: stored as they are read, still all or nothing ----------------------------------

BIG_PROFILE = """
source = "Bench Custody"
kind = "custodian"
as_of = "2026-11-20"
[columns]
account = "Account"
reference = "Ref"
asset = "Asset"
quantity = "Quantity"
price = "Price"
"""


def write_big_csv(path, rows, bad_row=None):  # type: ignore[no-untyped-def]
    lines = ["Account,Ref,Asset,Quantity,Price"]
    for i in range(rows):
        quantity = "12abc" if i == bad_row else f"{i}.{i % 7}0"
        lines.append(f"{i % 700:07d}-01,C{i % 13},{'BTC' if i % 2 else 'USD'},{quantity},\"1,000.5\"")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_large_file_is_stored_whole_with_its_statements(db, tmp_path):
    # More rows than are stored at a time, accounts interleaved: every line lands on its own
    # account's statement, and a second file supersedes all of them.
    profile = write_profile(tmp_path / "big.toml", BIG_PROFILE)
    first = import_statement(db, write_big_csv(tmp_path / "big.csv", 25_000), profile, user="jane")
    assert (first.rows, first.statements) == (25_000, 700)
    lines = stored_lines(db, first.batch_id, "account", "reference", "asset", "quantity", "price", "sheet", "row")
    assert len(lines) == 25_000
    assert lines[0] == ("0000000-01", "C0", "USD", Decimal("0"), Decimal("1000.5"), None, 2)
    assert lines[-1] == ("0000499-01", "C0", "BTC", Decimal("24999.2"), Decimal("1000.5"), None, 25_001)
    assert all(account == f"{(row - 2) % 700:07d}-01" for account, *_, row in lines)
    second = import_statement(db, write_big_csv(tmp_path / "again.csv", 1_400), profile, user="jane")
    assert second.superseded == 700
    with db.reading() as session:
        assert repo.list_batches(session)[0].superseded_by_id == second.batch_id


def test_a_bad_cell_at_the_end_of_a_large_file_stores_nothing(db, db_path, tmp_path):
    # The rows before it were already written inside the transaction: it is rolled back whole.
    before = settled_bytes(db, db_path)
    with pytest.raises(InputError) as caught:
        import_statement(db, write_big_csv(tmp_path / "big.csv", 30_000, bad_row=29_998),
                         write_profile(tmp_path / "big.toml", BIG_PROFILE), user="jane")
    assert caught.value.problems == ["big.csv, line 30000, column D (Quantity): '12abc': not a number"]
    assert settled_bytes(db, db_path) == before


def test_cancelling_half_way_through_a_large_file_stores_nothing(db, db_path, tmp_path):
    before = settled_bytes(db, db_path)
    progress = Progress()

    def callback(done: int, total: int, stage: str) -> None:
        if stage == "Reading rows" and done >= 20_000:
            progress.cancel()

    progress.callback = callback
    with pytest.raises(Cancelled):
        import_statement(db, write_big_csv(tmp_path / "big.csv", 30_000), write_profile(tmp_path / "big.toml", BIG_PROFILE),
                         user="jane", progress=progress)
    assert settled_bytes(db, db_path) == before


def test_an_error_cell_outside_the_balances_is_read_again_and_the_file_imports(db, tmp_path):
    # Error cells are looked up while the rows are stored; finding one, the import starts over
    # with them marked. In a note row it refuses nothing.
    from tests.unit.test_readers import patch_sheet_xml

    statement = write_northbridge_statement(tmp_path / "nb.xlsx", extra_rows=[[None, "note", None, None, None, None]])
    patch_sheet_xml(statement, {r'<c r="B13" t="inlineStr">.*?</c>': '<c r="B13" t="e"><v>#N/A</v></c>'})
    result = import_statement(db, statement, write_profile(tmp_path / "nb.toml"), user="jane")
    assert result.rows == 5
    with db.reading() as session:
        assert len(repo.list_batches(session)) == 1
