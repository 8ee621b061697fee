from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from segdesk.store.engine import Database, open_database

# GUI tests never need a screen.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "segdesk.sqlite3"


@pytest.fixture
def db(db_path: Path) -> Database:
    database = open_database(str(db_path))
    yield database
    database.dispose()


def pg_url() -> str | None:
    """A PostgreSQL server for team-mode tests; .ci/run starts one and sets this."""
    url = os.environ.get("SEGDESK_TEST_PG_URL")
    if not url and os.environ.get("CI"):
        pytest.fail("SEGDESK_TEST_PG_URL is not set: .ci/run must start PostgreSQL for these tests")
    return url


def settled_bytes(db: Database, path: Path) -> bytes:
    """The database file's bytes with the WAL checkpointed, so two readings compare like for like."""
    db.dispose()  # closing the last connection checkpoints the WAL into the main file
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
    return path.read_bytes()


# --- both backends -------------------------------------------------------------------------------

TEAM_ROLE = "segdesk_test_team"


@dataclass
class Backend:
    """One fresh database on one backend, as its people reach it.

    On SQLite that is a file, and a person is whoever they declare (``--user``). On PostgreSQL it
    is a new database on the test server, and each person is their own login (made on first use,
    with the privileges docs/team-mode.md tells IT to grant), so four eyes are two logins."""

    kind: str  # "sqlite" | "postgresql"
    base: str  # the file, or the new database's URL as the server's administrator
    opened: list[Database] = field(default_factory=list)
    by_url: dict[str, Database] = field(default_factory=dict)

    def url(self, person: str | None = None) -> str:
        if self.kind == "sqlite" or person is None:
            return self.base
        from sqlalchemy.engine import make_url

        login = " ".join(person.split()).casefold()
        _ensure_login(self.base, login)
        return make_url(self.base).set(username=login).render_as_string(hide_password=False)

    def open(self, person: str | None = None) -> Database:
        """The database as ``person`` reaches it (one connection pool each, kept for the test)."""
        url = self.url(person)
        if url not in self.by_url:
            self.by_url[url] = open_database(url)
            self.opened.append(self.by_url[url])
        return self.by_url[url]


def _ensure_login(admin_url: str, login: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": login}).first()
            if not exists:
                conn.execute(text(f'CREATE ROLE "{login}" LOGIN IN ROLE {TEAM_ROLE}'))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A fresh SegDesk database on SQLite, then on PostgreSQL (CI always has a server)."""
    if request.param == "sqlite":
        chosen = Backend("sqlite", str(tmp_path / "segdesk.sqlite3"))
        open_database(chosen.base).dispose()
        yield chosen
        for database in chosen.opened:
            database.dispose()
        return
    from sqlalchemy import create_engine, text

    with fresh_pg_database() as url:
        admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": TEAM_ROLE}).first():
                conn.execute(text(f"CREATE ROLE {TEAM_ROLE} NOLOGIN"))
        admin.dispose()
        chosen = Backend("postgresql", url)
        open_database(url).dispose()  # the schema, made by the administrator as IT would
        owner = create_engine(url, isolation_level="AUTOCOMMIT")
        name = url.rsplit("/", 1)[1]
        with owner.connect() as conn:
            for statement in (f"GRANT CONNECT ON DATABASE \"{name}\" TO {TEAM_ROLE}",
                              f"GRANT USAGE ON SCHEMA public TO {TEAM_ROLE}",
                              f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {TEAM_ROLE}",
                              f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {TEAM_ROLE}"):
                conn.execute(text(statement))
        owner.dispose()
        yield chosen
        for database in chosen.opened:
            database.dispose()


@contextmanager
def fresh_pg_database() -> Iterator[str]:
    """A new, empty database on the test server (its URL, as the server's administrator),
    dropped afterwards; skips the test when there is no server (CI always has one)."""
    server = pg_url()
    if server is None:
        pytest.skip("no PostgreSQL server (set SEGDESK_TEST_PG_URL; .ci/run does)")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"segdesk_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
