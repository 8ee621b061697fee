"""Opening SegDesk's database: where it lives, how SQLite is made safe, and migrations."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

ENV_VAR = "SEGDESK_DB"
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
    cursor.execute("PRAGMA busy_timeout=15000")
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
        def _begin_immediate(conn):  # type: ignore[no-untyped-def]
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True)


@dataclass
class Database:
    """An open database: the engine, and sessions one unit of work at a time."""

    url: str
    engine: Engine

    def __post_init__(self) -> None:
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

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
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self._sessions() as session:
            yield session

    def describe(self) -> str:
        path = self.sqlite_path
        return str(path) if path else make_url(self.url).render_as_string(hide_password=True)

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(db: str | None = None, *, upgrade: bool = True) -> Database:
    """Open (creating if need be) and bring the schema up to date."""
    url = resolve_url(db)
    try:
        engine = make_engine(url)
        database = Database(url, engine)
        if upgrade:
            from segdesk.store.migrate import upgrade_to_head

            upgrade_to_head(database)
    except DatabaseError:
        raise
    except Exception as exc:  # driver errors: a person needs the reason, not a traceback
        raise DatabaseError(f"cannot open database {url_for_people(url)}: {exc}") from exc
    return database


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
