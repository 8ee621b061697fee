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



def test_readers_do_not_wait_for_a_writer(db, db_path):
    from segdesk.store.engine import open_database
    from segdesk.store.schema import Setting

    other = open_database(str(db_path))
    with db.transaction() as session:
        session.add(Setting(key="entity", value="Acme Fund Services"))
        session.flush()
        # WAL: another program's read sees the last committed state at once, without waiting.
        with other.reading() as reader:
            assert reader.get(Setting, "entity") is None
    with other.reading() as reader:
        assert reader.get(Setting, "entity").value == "Acme Fund Services"
    other.dispose()


def test_a_locked_database_gives_one_line_and_exit_2(db, db_path, tmp_path):
    from tests.acceptance.cli import segdesk
    from tests.statements import write_northbridge_statement, write_profile

    statement = write_northbridge_statement(tmp_path / "nb.xlsx")
    profile = write_profile(tmp_path / "nb.toml")
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock throughout
    try:
        outcome = segdesk("import", statement, "--profile", profile, db=db_path,
                          env={"SEGDESK_SQLITE_BUSY_MS": "200"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert outcome.code == 2
    assert outcome.err.splitlines() == [
        "segdesk: error: the database refused the change, nothing was stored: database is locked"
    ]


def test_a_new_file_held_by_a_reader_is_still_switched_to_wal_once_the_reader_is_done(tmp_path, monkeypatch):
    """Opening a new file that another program is reading waits for it and ends in WAL mode, never
    running on in the old journal mode. (When two programs switch the same new file to WAL at the
    same instant, SQLite answers one of them "locked" at once, without waiting: engine._switch_to_wal
    retries that for the busy timeout. That race is rare; test_two_processes met it once in CI.)"""
    import threading
    import time

    from segdesk.store.engine import open_database

    monkeypatch.setenv("SEGDESK_SQLITE_BUSY_MS", "5000")
    path = tmp_path / "new.sqlite3"
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("CREATE TABLE someone_elses (x)")
    reader.execute("BEGIN")
    reader.execute("SELECT * FROM someone_elses").fetchall()  # a SHARED lock on a rollback-journal file
    opened: dict[str, object] = {}

    def open_it() -> None:
        try:
            opened["db"] = open_database(str(path))
        except Exception as exc:  # noqa: BLE001 - the assertion reports it
            opened["error"] = exc

    thread = threading.Thread(target=open_it)
    thread.start()
    time.sleep(0.4)
    assert thread.is_alive(), opened  # waiting, not running on in the old mode
    reader.execute("COMMIT")
    reader.close()
    thread.join(10)
    assert "error" not in opened, opened
    db = opened["db"]
    with sqlite3.connect(path) as check:
        assert check.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    db.dispose()
