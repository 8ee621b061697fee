"""SQLite is opened the safe way: WAL, full sync, foreign keys, a busy timeout, IMMEDIATE writes."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from segdesk.store.schema import Mapping


def test_connections_use_wal_full_sync_foreign_keys_and_a_busy_timeout(db):
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


def test_foreign_keys_are_enforced(db):
    with pytest.raises(IntegrityError), db.transaction() as session:
        session.add(Mapping(external_account_id=999, sub_account_id=999))


def test_a_write_transaction_takes_the_write_lock_at_once(db, db_path):
    # BEGIN IMMEDIATE: while our transaction is open, another writer cannot even begin.
    with db.transaction() as session:
        session.execute(text("SELECT 1"))
        other = sqlite3.connect(db_path, timeout=0.1, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()

