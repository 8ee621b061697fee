"""Alembic migrations, run from code: backup first, then upgrade to head."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from segdesk.store.engine import Database, backup_sqlite, has_tables

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(database: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = database.write_engine
    return config


def current_revision(database: Database) -> str | None:
    with database.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def is_known_revision(revision: str) -> bool:
    """A revision this SegDesk has a migration for (an older or the current schema)."""
    try:
        return ScriptDirectory(str(MIGRATIONS)).get_revision(revision) is not None
    except Exception:  # alembic raises its own kinds for an unknown or ambiguous id
        return False


def upgrade_to_head(database: Database, *, backup: bool = True) -> None:
    """Bring the schema to head; an existing SQLite file is copied aside before any change
    (``backup=False``: the caller's own scratch copy, which needs none)."""
    current = current_revision(database)
    if current == head_revision():
        return
    path = database.sqlite_path
    if backup and path is not None and path.exists() and has_tables(database.engine):
        backup_sqlite(path, current or "unversioned")
    command.upgrade(alembic_config(database), "head")
