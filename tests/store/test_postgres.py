"""The same schema, money and audit trail on PostgreSQL (team mode). CI starts the server."""

from __future__ import annotations

from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError as SADatabaseError

from segdesk.store.audit import append_event, verify_chain
from segdesk.store.engine import open_database
from segdesk.store.schema import AssetTolerance, AuditEvent, Base
from tests.conftest import fresh_pg_database


@pytest.fixture
def pg_db():
    with fresh_pg_database() as url:
        db = open_database(url)
        yield db
        db.dispose()


def test_postgres_schema_matches_the_models(pg_db):
    with pg_db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata) == []


def test_money_is_numeric_38_18_and_exact(pg_db):
    with pg_db.engine.connect() as conn:
        column_type = conn.execute(
            text("SELECT data_type, numeric_precision, numeric_scale FROM information_schema.columns "
                 "WHERE table_name='statement_lines' AND column_name='quantity'")
        ).one()
    assert tuple(column_type) == ("numeric", 38, 18)
    for value in ("123456789012345678.123456789012345678", "-45000.10", "0.000000000000000001"):
        with pg_db.transaction() as session:
            session.merge(AssetTolerance(asset="X", tolerance=Decimal(value)))
        with pg_db.reading() as session:
            assert session.scalars(select(AssetTolerance.tolerance)).one() == Decimal(value)


def test_postgres_refuses_changing_audit_events(pg_db):
    with pg_db.transaction() as session:
        append_event(session, actor="jane", action="test", entity="x", payload={"a": 1})
        append_event(session, actor="jane", action="test", entity="x", payload={"a": 2})
    with pytest.raises(SADatabaseError, match="append-only"), pg_db.transaction() as session:
        session.execute(text("UPDATE audit_events SET actor = 'mallory'"))
    with pytest.raises(SADatabaseError, match="append-only"), pg_db.transaction() as session:
        session.execute(text("DELETE FROM audit_events"))
    with pg_db.reading() as session:
        assert verify_chain(session).intact
        assert session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc())) == 2


def test_writers_take_turns_so_imports_cannot_interleave(pg_db):
    # While one write transaction is open, a second cannot even begin (lock_timeout makes it say so).
    from sqlalchemy.exc import OperationalError

    impatient = open_database(
        pg_db.engine.url.update_query_dict({"options": "-c lock_timeout=300"}).render_as_string(hide_password=False)
    )
    with pg_db.transaction() as session:
        session.execute(text("SELECT 1"))
        with pytest.raises(OperationalError, match="lock timeout"), impatient.transaction() as other:
            other.execute(text("SELECT 1"))
    with impatient.transaction() as other:  # and once the first is done, it goes ahead
        other.execute(text("SELECT 1"))
    impatient.dispose()


def test_the_demo_reconciles_the_same_on_postgresql_as_on_sqlite(pg_db, db):
    import datetime as dt

    from segdesk.services.demo import load_demo
    from segdesk.services.reconciling import reconcile, run_json

    def essentials(database):  # type: ignore[no-untyped-def]
        load_demo(database)
        report = run_json(reconcile(database, dt.date(2026, 11, 20), user=None))
        findings = sorted(
            (f["kind"], f["severity"], f["sub_account"] or "", f["external_account"] or "", f["asset"] or "",
             f["amount"], tuple((e["file"], e["sheet"] or "", e["row"]) for e in f["evidence"]))
            for f in report["findings"]
        )
        return report["segregation"], report["by_currency"], report["sub_accounts"], findings

    assert essentials(pg_db) == essentials(db)


def test_on_a_shared_database_you_act_as_your_login_and_nobody_else(pg_db):
    """Four eyes on PostgreSQL are two logins: a typed name that is not the login is refused."""
    from segdesk.domain.problems import InputError
    from segdesk.services.identity import acting_person, current_user

    login = current_user(pg_db)
    assert login == "postgres"  # the CI server's login
    assert acting_person(pg_db, None) == login
    assert acting_person(pg_db, " POSTGRES ") == "POSTGRES"  # the same person, however typed
    with pytest.raises(InputError, match="you act as your database login 'postgres'"):
        acting_person(pg_db, "rob")


def test_on_sqlite_a_declared_name_is_kept_with_the_os_account_beside_it(db):
    import datetime as dt
    import json

    from segdesk.services.audit_trail import list_events
    from segdesk.services.demo import load_demo
    from segdesk.services.findings import sign_off
    from segdesk.services.identity import current_user

    load_demo(db)
    sign_off(db, dt.date(2026, 11, 20), "preparer", user="jane")
    event = list_events(db, "sign_off")[0]
    assert event.actor == "jane"
    assert json.loads(event.payload)["signed_in_as"] == current_user(db)
