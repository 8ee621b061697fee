"""`segdesk db copy`: a whole database moved into a new SQLite file or PostgreSQL database, and back,
identical row for row, money digit for digit, with the same audit chain head."""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from segdesk.domain.money import plain
from segdesk.domain.problems import InputError
from segdesk.domain.progress import Cancelled, Progress
from segdesk.services.db_copy import copy_database
from segdesk.services.demo import DEMO_DIR, DEMO_USER, load_demo
from segdesk.services.importing import import_statement
from segdesk.store.audit import append_event, verify_chain
from segdesk.store.engine import Database, open_database
from segdesk.store.schema import AssetTolerance, Base, Finding, ImportBatch, Run, Statement
from tests.conftest import pg_url


def rows_of(db: Database) -> dict[str, list[tuple[object, ...]]]:
    """Every table's rows as Python values, in primary-key order."""
    with db.engine.connect() as conn:
        tables = {}
        for table in Base.metadata.sorted_tables:
            pk = [table.columns.keys().index(c.key) for c in table.primary_key.columns]
            rows = [tuple(row) for row in conn.execute(select(table))]
            tables[table.name] = sorted(rows, key=lambda row: tuple(row[i] for i in pk))
    return tables


def chain_of(db: Database):  # type: ignore[no-untyped-def]
    with db.reading() as session:
        return verify_chain(session)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Database:
    """The demo fund, with Helix's statement and the prices imported again with changes, so batches,
    statements and prices point at the later ones that superseded them. Tests only read it."""
    folder = tmp_path_factory.mktemp("demo")
    db = open_database(str(folder / "demo.sqlite3"))
    load_demo(db)
    for name, old, new, profile in (
        ("helix_2026-11-20.csv", "gamma-sub,USDT,18000.00", "gamma-sub,USDT,19000.00", "helix.toml"),
        ("prices_2026-11-20.csv", "BTC,97250.50", "BTC,97300.25", "prices.toml"),
    ):
        changed = folder / name
        changed.write_text((DEMO_DIR / name).read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
        import_statement(db, changed, DEMO_DIR / "profiles" / profile, user=DEMO_USER)
    with db.reading() as session:
        assert session.scalar(select(ImportBatch.superseded_by_id).where(ImportBatch.id == 2)) == 6
        assert session.scalars(select(Statement.superseded_by_id).where(Statement.superseded_by_id.is_not(None))).all()
    yield db
    db.dispose()


@pytest.fixture
def pg_database():  # type: ignore[no-untyped-def]
    """A factory of fresh, empty PostgreSQL databases on the test server, dropped at the end. Their
    session time zone is not UTC, as on many a team's server."""
    server = pg_url()
    if server is None:
        pytest.skip("no PostgreSQL server (set SEGDESK_TEST_PG_URL; .ci/run does)")
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def fresh() -> str:
        name = f"segdesk_copy_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            conn.execute(text(f"ALTER DATABASE \"{name}\" SET timezone TO 'America/New_York'"))
        made.append(name)
        return make_url(server).set(database=name).render_as_string(hide_password=False)

    yield fresh
    with admin.connect() as conn:
        for name in made:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_a_copy_into_a_new_sqlite_file_is_identical(demo, tmp_path):
    report = copy_database(demo, str(tmp_path / "copy.sqlite3"))

    copy = open_database(str(tmp_path / "copy.sqlite3"), create=False)
    assert rows_of(copy) == rows_of(demo)
    chain = chain_of(copy)
    assert chain.intact and chain.head == chain_of(demo).head == report.chain_head
    assert report.chain_events == chain.events > 40
    assert {t.table: t.rows for t in report.tables} == {name: len(rows) for name, rows in rows_of(demo).items()}
    assert report.money_sums["statement_lines.quantity"] == sum(
        (line[6] for line in rows_of(demo)["statement_lines"]), Decimal(0)
    )
    copy.dispose()
    # Nothing else is left in the folder: no hidden part file, no WAL beside the copy.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.sqlite3"]


def test_the_demo_copied_to_postgresql_and_back_is_identical(demo, pg_database, tmp_path):
    team_url = pg_database()
    to_team = copy_database(demo, team_url)
    team = open_database(team_url, create=False)
    back = copy_database(team, str(tmp_path / "back.sqlite3"))
    returned = open_database(str(tmp_path / "back.sqlite3"), create=False)

    assert rows_of(returned) == rows_of(demo)  # every table, every column, money exact
    assert chain_of(returned).intact and chain_of(team).intact
    assert chain_of(returned).head == chain_of(team).head == chain_of(demo).head == back.chain_head
    assert to_team.money_sums == back.money_sums
    # On the server the moments are the same instants, although its time zone is New York's.
    with team.reading() as session:
        on_team = session.scalars(select(ImportBatch.imported_at).order_by(ImportBatch.id)).all()
    with demo.reading() as session:
        on_file = session.scalars(select(ImportBatch.imported_at).order_by(ImportBatch.id)).all()
    assert on_team == [moment.replace(tzinfo=dt.UTC) for moment in on_file]
    # Work goes on in team mode: new rows get fresh ids after the copied ones.
    with team.transaction() as session:
        event = append_event(session, actor="postgres", action="test", entity="x", payload={})
    assert event.id == event.seq == to_team.chain_events + 1
    assert chain_of(team).intact
    team.dispose()
    returned.dispose()


def test_an_existing_sqlite_file_is_refused_and_left_alone(demo, tmp_path):
    taken = tmp_path / "taken.sqlite3"
    conn = sqlite3.connect(taken)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.execute("INSERT INTO notes VALUES ('mine')")
    conn.commit()
    conn.close()
    before = taken.read_bytes()

    with pytest.raises(InputError, match="already exists: a copy goes only into a new file"):
        copy_database(demo, str(taken))
    with pytest.raises(InputError, match="already exists"):
        copy_database(demo, f"sqlite:///{taken}")

    assert taken.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken.sqlite3"]


def test_a_postgresql_database_with_tables_is_refused_and_left_alone(demo, pg_database):
    theirs = pg_database()
    engine = create_engine(theirs)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)"))
        conn.execute(text("INSERT INTO customers VALUES (1, 'Acme')"))
    with pytest.raises(InputError, match=r"already holds tables \(customers\): a copy goes only into a new, empty"):
        copy_database(demo, theirs)
    assert inspect(engine).get_table_names() == ["customers"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id, name FROM customers")).all() == [(1, "Acme")]
    engine.dispose()

    # A database that a SegDesk is writing to at this moment is not taken over either.
    busy = pg_database()
    writer = open_database(busy)
    with writer.transaction():
        with pytest.raises(InputError, match="is being written to by a SegDesk"):
            copy_database(demo, busy)
    writer.dispose()

    # A SegDesk database already there is not merged into or overwritten either.
    ours = pg_database()
    copy_database(demo, ours)
    team = open_database(ours, create=False)
    before = rows_of(team)
    with pytest.raises(InputError, match="already holds tables"):
        copy_database(demo, ours)
    assert rows_of(team) == before
    team.dispose()


@pytest.mark.parametrize("way", ["sqlite", "postgresql"])
def test_money_at_the_limits_survives_the_round_trip_exactly(db, tmp_path, way, request):
    widest = "12345678901234567890.123456789012345678"  # 20 digits before the point, 18 after
    amounts = {"WIDE": widest, "NEG": "-99999999999999999999.999999999999999999", "TINY": "0.000000000000000001"}
    computed = "-123456789012345678901234567890123456789012.123456789012345678901234567890123456"  # 42 + 36
    with db.transaction() as session:
        session.add_all(AssetTolerance(asset=asset, tolerance=Decimal(v)) for asset, v in amounts.items())
        run = Run(as_of=dt.date(2026, 11, 20), base_currency="USD", created_by="jane",
                  created_at=dt.datetime(2026, 11, 20, 18, 0, tzinfo=dt.UTC), inputs="[]", fingerprint="0" * 64,
                  results="{}")
        session.add(run)
        session.flush()
        session.add(Finding(run_id=run.id, kind="balance_break", severity="high", as_of=run.as_of,
                            amount=Decimal(computed), message="wide", evidence="[]"))

    if way == "postgresql":
        middle = request.getfixturevalue("pg_database")()
        copy_database(db, middle)
        source = open_database(middle, create=False)
    else:
        source = db
    report = copy_database(source, str(tmp_path / "final.sqlite3"))
    final = open_database(str(tmp_path / "final.sqlite3"), create=False)

    with final.reading() as session:
        assert {t.asset: plain(t.tolerance) for t in session.scalars(select(AssetTolerance))} == amounts
        assert plain(session.scalars(select(Finding.amount)).one()) == computed
    # (Python's default 28-digit context would round this sum; the copy's check must not.)
    assert plain(report.money_sums["asset_tolerances.tolerance"]) == "-87654321098765432109.87654321098765432"
    assert plain(report.money_sums["findings.amount"]) == computed
    # and the file holds the digits themselves, not a float's approximation
    conn = sqlite3.connect(tmp_path / "final.sqlite3")
    assert conn.execute("SELECT tolerance FROM asset_tolerances WHERE asset = 'WIDE'").fetchone() == (widest,)
    conn.close()
    final.dispose()
    if source is not db:
        source.dispose()


@pytest.mark.parametrize("way", ["sqlite", "postgresql"])
def test_a_cancelled_copy_leaves_nothing_behind(demo, tmp_path, way, request):
    target = str(tmp_path / "copy.sqlite3") if way == "sqlite" else request.getfixturevalue("pg_database")()
    progress = Progress()
    stages: list[str] = []

    def watch(done: int, total: int, stage: str) -> None:
        stages.append(stage)
        if stage == "Copying statements":  # half-way through the tables
            progress.cancel()

    progress.callback = watch
    with pytest.raises(Cancelled):
        copy_database(demo, target, progress=progress)

    assert "Copying audit_events" in stages and "Checking the copy" not in stages
    if way == "sqlite":
        assert list(tmp_path.iterdir()) == []
    else:
        engine = create_engine(target)
        assert inspect(engine).get_table_names() == []  # and so the copy can simply be run again
        engine.dispose()
        assert copy_database(demo, target).chain_head == chain_of(demo).head


def test_a_database_whose_audit_trail_is_broken_is_not_copied(db, db_path, tmp_path):
    with db.transaction() as session:
        for n in range(3):
            append_event(session, actor="jane", action="test", entity="x", payload={"n": n})
    db.dispose()
    # Someone edits the file behind SegDesk's back, past the append-only trigger.
    conn = sqlite3.connect(db_path)
    conn.execute("DROP TRIGGER audit_events_no_update")
    conn.execute("UPDATE audit_events SET actor = 'mallory' WHERE seq = 2")
    conn.commit()
    conn.close()

    with pytest.raises(InputError, match=r"broken at event #2: its content does not match its hash"):
        copy_database(open_database(str(db_path)), str(tmp_path / "copy.sqlite3"))
    assert not (tmp_path / "copy.sqlite3").exists()


def test_a_target_that_cannot_be_a_new_segdesk_database_is_refused(demo):
    with pytest.raises(InputError, match="copies to a SQLite file or a PostgreSQL database"):
        copy_database(demo, "mysql+pymysql://someone@somewhere/db")
    with pytest.raises(InputError, match="in memory"):
        copy_database(demo, "sqlite://")
    # The server's own databases are empty too, but not SegDesk's to fill (refused before connecting).
    for own in ("postgres", "template1"):
        with pytest.raises(InputError, match="name a database made for SegDesk"):
            copy_database(demo, f"postgresql+psycopg://postgres@127.0.0.1:1/{own}")


def test_segdesk_db_copy_prints_each_table_then_what_was_verified(demo, tmp_path, capsys):
    from segdesk import cli

    target = tmp_path / "copy.sqlite3"
    assert cli.main(["--db", str(demo.sqlite_path), "db", "copy", "--to", str(target)]) == 0
    out = capsys.readouterr().out.splitlines()
    chain = chain_of(demo)
    assert out[-1] == f"verified: row counts, money sums, audit chain head #{chain.events} {chain.head}"
    rows = {name: len(found) for name, found in rows_of(demo).items()}
    assert [line.split() for line in out[:-1]] == [[t.name, str(rows[t.name]), "rows"] for t in Base.metadata.sorted_tables]

    assert cli.main(["--db", str(demo.sqlite_path), "db", "copy", "--to", str(target)]) == 2
    assert capsys.readouterr().err == (
        f"segdesk: error: {target} already exists: a copy goes only into a new file; nothing was written\n"
    )
