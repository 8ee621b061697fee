"""The migrations and the models describe the same schema, and upgrades never lose data."""

from __future__ import annotations

import sqlite3

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from segdesk.store.engine import open_database
from segdesk.store.migrate import head_revision
from segdesk.store.schema import Base


def test_empty_database_upgraded_to_head_matches_the_models(db):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert context.get_current_revision() == head_revision()
        assert compare_metadata(context, Base.metadata) == []


def test_every_table_of_the_models_exists(db):
    assert set(Base.metadata.tables) <= set(inspect(db.engine).get_table_names())


def test_opening_an_up_to_date_database_makes_no_backup(db_path):
    open_database(str(db_path)).dispose()
    open_database(str(db_path)).dispose()
    assert list(db_path.parent.glob("*.backup-*")) == []


def test_an_outdated_database_is_backed_up_before_upgrading(db_path):
    # A database from before the first migration: a table of someone's, no alembic version.
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE notes (text TEXT)")
    conn.execute("INSERT INTO notes VALUES ('keep me')")
    conn.commit()
    conn.close()
    open_database(str(db_path)).dispose()
    backups = list(db_path.parent.glob("segdesk.sqlite3.backup-unversioned-*"))
    assert len(backups) == 1
    copy = sqlite3.connect(backups[0])
    assert copy.execute("SELECT text FROM notes").fetchall() == [("keep me",)]
    assert copy.execute("SELECT name FROM sqlite_master WHERE name='audit_events'").fetchall() == []
    copy.close()
