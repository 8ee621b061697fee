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
