"""Opening SegDesk's database: where it lives, how SQLite is made safe, and migrations."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

ENV_VAR = "SEGDESK_DB"
WRITE_OPTION = "segdesk_write"
# Any constant works; it only has to be the same for every SegDesk writing to one database.
PG_WRITE_LOCK = 0x5E6DE5C
APP_NAME = "SegDesk"


class DatabaseError(Exception):
    """A database that cannot be opened or upgraded; the message is for a person."""


def default_location() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False) / "segdesk.sqlite3"


def resolve_url(db: str | None) -> str:
    """``--db`` value (file path or SQLAlchemy URL), else ``SEGDESK_DB``, else the user's data folder."""
    value = db or os.environ.get(ENV_VAR) or str(default_location())
    if "://" in value:
        try:
            make_url(value)
        except ArgumentError as exc:
            raise DatabaseError(f"not a database URL: {value} ({exc})") from None
        return value
    path = Path(value).expanduser().resolve()
    return f"sqlite:///{path}"


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    # The driver must not open transactions on its own: we begin them ourselves, IMMEDIATE,
    # so a writer takes the lock up front instead of failing half-way on a lock upgrade.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # How long to wait for another writer before giving up (tests shorten it).
    cursor.execute(f"PRAGMA busy_timeout={int(os.environ.get('SEGDESK_SQLITE_BUSY_MS', '15000'))}")
    cursor.close()


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)

        @event.listens_for(engine, "begin")
        def _begin(conn):  # type: ignore[no-untyped-def]
            # Writers take the write lock up front; readers begin a plain (deferred) snapshot,
            # so with WAL they never wait for a writer.
            immediate = conn.get_execution_options().get(WRITE_OPTION, False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True)


@dataclass
class Database:
    """An open database: the engine, and sessions one unit of work at a time."""

    url: str
    engine: Engine

    def __post_init__(self) -> None:
        # Same pool, one marker: transactions through this engine write (BEGIN IMMEDIATE on SQLite).
        self.write_engine = self.engine.execution_options(**{WRITE_OPTION: True})
        self._writing = sessionmaker(self.write_engine, expire_on_commit=False)
        self._reading = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        database = make_url(self.url).database
        return Path(database) if database and database != ":memory:" else None

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: committed whole, or rolled back whole on any error."""
        with self._writing() as session, session.begin():
            if self.engine.dialect.name == "postgresql":
                # One writer at a time, as SQLite's BEGIN IMMEDIATE gives: an import reads what
                # it supersedes, so two imports interleaving could both keep a statement live.
                session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_WRITE_LOCK})
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self._reading() as session:
            yield session

    def describe(self) -> str:
        path = self.sqlite_path
        return str(path) if path else make_url(self.url).render_as_string(hide_password=True)

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(db: str | None = None, *, upgrade: bool = True, create: bool = True) -> Database:
    """Open and bring the schema up to date. With ``create=False`` a SQLite file that does not
    exist is refused: a mistyped --db must not become a new, empty, "clean" database."""
    url = resolve_url(db)
    parsed = make_url(url)
    if not create and parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        if not Path(parsed.database).exists():
            raise DatabaseError(
                f"no SegDesk database at {parsed.database}; check --db (or SEGDESK_DB), or create one "
                "with `segdesk init`"
            )
    try:
        engine = make_engine(url)
        database = Database(url, engine)
        if upgrade:
            from segdesk.store.migrate import upgrade_to_head

            upgrade_to_head(database)
    except DatabaseError:
        raise
    except Exception as exc:  # driver errors: a person needs the reason, not a traceback
        raise DatabaseError(f"cannot open database {url_for_people(url)}: {first_line(exc)}") from exc
    return database


def first_line(exc: BaseException) -> str:
    """The driver's own message, without SQLAlchemy's SQL echo and links."""
    original = getattr(exc, "orig", None) or exc
    text = str(original).strip().splitlines()
    return text[0] if text else type(original).__name__


def url_for_people(url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or ":memory:"
    return parsed.render_as_string(hide_password=True)


def has_tables(engine: Engine) -> bool:
    return bool(inspect(engine).get_table_names())


def backup_sqlite(path: Path, label: str) -> Path:
    """A consistent copy of the database file (sqlite's online backup, WAL included)."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.backup-{label}-{stamp}")
    source = sqlite3.connect(path)
    try:
        dest = sqlite3.connect(target)
        try:
            source.backup(dest)
        finally:
            dest.close()
    finally:
        source.close()
    return target
