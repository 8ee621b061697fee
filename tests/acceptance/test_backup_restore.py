"""`segdesk backup` and `segdesk restore`: checked copies of a live database, and a safe way back.

Real files and the real program: the demo fund in a SQLite file, another process reading it
while it is copied, a backup edited by hand with sqlite3 as someone with the file could.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from segdesk.services.accounts import add_sub_account
from segdesk.services.backup import back_up
from segdesk.services.demo import load_demo
from segdesk.store.audit import verify_chain
from segdesk.store.engine import open_database, open_sqlite_file
from tests.acceptance.cli import segdesk

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory) -> Path:
    """The demo fund, loaded once and closed (its WAL folded into the file)."""
    path = tmp_path_factory.mktemp("demo") / "fund.sqlite3"
    db = open_database(str(path))
    load_demo(db)
    db.dispose()
    return path


@pytest.fixture
def live(demo_file: Path, tmp_path: Path) -> Path:
    """A fresh copy of the demo database for one test, with one more change still in its WAL."""
    path = tmp_path / "fund.sqlite3"
    shutil.copyfile(demo_file, path)
    db = open_database(str(path))
    add_sub_account(db, code="C-EPSILON", name="Epsilon Capital", kind="client", client="Epsilon", user="jane")
    # Left open on purpose: the change sits in the WAL, not yet in the main file.
    yield path
    db.dispose()


def row_counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        conn.close()


def integrity(path: Path) -> str:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return "\n".join(r[0] for r in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()


def chain(path: Path):  # type: ignore[no-untyped-def]
    db = open_sqlite_file(path)
    try:
        with db.reading() as session:
            return verify_chain(session)
    finally:
        db.dispose()


def sub_account_codes(path: Path) -> list[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [r[0] for r in conn.execute("SELECT code FROM sub_accounts ORDER BY code")]
    finally:
        conn.close()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


READER = textwrap.dedent("""
    import sqlite3, sys
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute("BEGIN")
    n = conn.execute("SELECT count(*) FROM audit_events").fetchone()[0]
    print(n, flush=True)
    sys.stdin.readline()          # holds the read transaction until told to stop
    conn.execute("COMMIT")
""")


def test_a_backup_of_a_live_database_read_by_another_process_is_complete_and_checked(live, tmp_path):
    reader = subprocess.Popen([sys.executable, "-c", READER, str(live)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert int(reader.stdout.readline()) > 0  # the other process now holds its read transaction
        out = tmp_path / "copies"
        out.mkdir()
        made = segdesk("backup", "--out", out / "fund-copy.sqlite3", db=live)
        assert made.code == 0, made.err
        timed = back_up(str(live), out)  # the service itself, timed (default name, in that folder)
    finally:
        reader.communicate("\n", timeout=30)
    copy = out / "fund-copy.sqlite3"
    assert "Backed up" in made.out and str(copy) in made.out and "audit trail intact" in made.out
    print(f"\nbackup of the demo database ({timed.size} bytes): {timed.seconds * 1000:.0f} ms")
    assert timed.path.name.startswith("fund-backup-") and timed.path.suffix == ".sqlite3"
    for path in (copy, timed.path):
        assert integrity(path) == "ok"
        report = chain(path)
        assert report.intact
        assert row_counts(path) == row_counts(live)
        assert "C-EPSILON" in sub_account_codes(path)  # the change that was still in the WAL
        assert not Path(f"{path}-wal").exists()  # a backup is one self-contained file
    with open_sqlite_file(live).reading() as session:
        assert chain(copy).head == verify_chain(session).head
    assert leftovers(out) == []  # no half-written temporary files


def test_backup_refuses_to_overwrite_a_file_unless_told(live, tmp_path):
    target = tmp_path / "precious.sqlite3"
    target.write_bytes(b"someone else's file")
    refused = segdesk("backup", "--out", target, db=live)
    assert refused.code == 2
    assert refused.err.splitlines() == [
        f"segdesk: error: {target} exists; choose another name, or pass --replace to overwrite it"
    ]
    assert target.read_bytes() == b"someone else's file"
    replaced = segdesk("backup", "--out", target, "--replace", db=live)
    assert replaced.code == 0, replaced.err
    assert integrity(target) == "ok" and chain(target).intact
    assert leftovers(tmp_path) == []


def test_a_tampered_backup_is_refused_by_restore_naming_the_event(live, tmp_path):
    backup = tmp_path / "fund-backup.sqlite3"
    assert segdesk("backup", "--out", backup, db=live).code == 0
    conn = sqlite3.connect(backup)
    conn.execute("DROP TRIGGER audit_events_no_update")
    conn.execute("UPDATE audit_events SET actor = 'mallory' WHERE seq = 7")
    conn.commit()
    conn.close()
    before = row_counts(live), chain(live).head
    refused = segdesk("restore", backup, db=live)
    assert refused.code == 2
    assert refused.err.splitlines() == [
        f"segdesk: error: {backup}: its audit trail is broken at event #7: its content does not match its hash "
        "(altered)",
        "segdesk: error: nothing was restored",
    ]
    assert (row_counts(live), chain(live).head) == before
    assert not list(tmp_path.glob("*before-restore*"))  # refused before anything was copied aside
    assert leftovers(tmp_path) == []


def test_restore_round_trip_keeps_a_safety_copy_and_records_itself(live, tmp_path):
    backup = tmp_path / "monday.sqlite3"
    assert segdesk("backup", "--out", backup, db=live).code == 0
    backed_up = row_counts(backup)
    backup_bytes = backup.read_bytes()
    # Work goes on after the backup: another sub-account, through the real program's database.
    db = open_database(str(live))
    add_sub_account(db, code="C-ZETA", name="Zeta Partners", kind="client", client="Zeta", user="jane")
    # A reader that stays open across the restore (an open SegDesk window would): it must see the
    # restored data next time it reads, not a file renamed away under it.
    watcher = sqlite3.connect(live, isolation_level=None)
    assert "C-ZETA" in [r[0] for r in watcher.execute("SELECT code FROM sub_accounts")]
    changed = chain(live)

    restored = segdesk("restore", backup, db=live)

    assert restored.code == 0, restored.err
    safety = sorted(tmp_path.glob("fund-backup-*-before-restore.sqlite3"))
    assert len(safety) == 1
    assert f"Kept the database as it was in {safety[0]}" in restored.out
    assert f"Restored {live} from {backup}" in restored.out
    # The database is the backup again, plus the event that records the restore.
    assert integrity(live) == "ok"
    after = chain(live)
    assert after.intact and after.events == backed_up["audit_events"] + 1
    assert {**row_counts(live), "audit_events": backed_up["audit_events"]} == backed_up
    assert "C-ZETA" not in sub_account_codes(live) and "C-EPSILON" in sub_account_codes(live)
    assert "C-ZETA" not in [r[0] for r in watcher.execute("SELECT code FROM sub_accounts")]
    watcher.close()
    with db.reading() as session:
        from segdesk.store.schema import AuditEvent

        last = session.query(AuditEvent).order_by(AuditEvent.seq.desc()).first()
        assert last.action == "database.restore" and str(safety[0]) in last.payload
    db.dispose()
    # Nothing of the later work is lost: it is in the safety copy, checked like any backup.
    assert "C-ZETA" in sub_account_codes(safety[0])
    assert integrity(safety[0]) == "ok" and chain(safety[0]).head == changed.head
    assert backup.read_bytes() == backup_bytes  # the backup file itself is never changed
    assert leftovers(tmp_path) == []
    verified = segdesk("audit", "verify", db=live)
    assert verified.code == 0, verified.err


def test_restore_refuses_what_is_not_a_segdesk_backup(live, tmp_path):
    before = row_counts(live)
    text_file = tmp_path / "notes.sqlite3"
    text_file.write_text("not a database")
    other = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (text TEXT)")
    conn.commit()
    conn.close()
    not_sqlite = segdesk("restore", text_file, db=live)
    assert not_sqlite.code == 2
    assert not_sqlite.err.splitlines() == [
        f"segdesk: error: {text_file} is not a SQLite database file; nothing was restored"
    ]
    foreign = segdesk("restore", other, db=live)
    assert foreign.code == 2
    assert foreign.err.splitlines() == [
        f"segdesk: error: {other}: it is not a SegDesk database (no SegDesk schema in it)",
        "segdesk: error: nothing was restored",
    ]
    assert row_counts(live) == before


@pytest.mark.parametrize("command", [("backup",), ("restore", "x.sqlite3")])
def test_a_postgresql_database_is_the_servers_business(command):
    outcome = segdesk(*command, db="postgresql+psycopg://segdesk@db.example/segdesk")
    assert outcome.code == 2
    assert outcome.err.splitlines() == [
        "segdesk: error: postgresql+psycopg://segdesk@db.example/segdesk is a postgresql database: backup and "
        "restore here are for a SQLite file; use the server's own tools (pg_dump and pg_restore for PostgreSQL)"
    ]


def test_a_damaged_database_is_neither_copied_aside_half_nor_upgraded(tmp_path):
    # The copy made before a migration goes through the same checked path: a file whose
    # integrity check fails is not migrated (its copy would be as damaged), and no copy is left.
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (text TEXT)")
    conn.execute("CREATE INDEX notes_text ON notes (text)")
    conn.executemany("INSERT INTO notes VALUES (?)", [(f"note {i:05d}",) for i in range(3000)])
    conn.commit()
    page_size, pages = conn.execute("PRAGMA page_size").fetchone()[0], conn.execute("PRAGMA page_count").fetchone()[0]
    conn.close()
    data = bytearray(path.read_bytes())
    for page in range(pages - 3, pages):  # the index's last entries no longer match their rows
        start, end = page * page_size + page_size // 2, (page + 1) * page_size - 16
        data[start:end] = data[start:end].replace(b"note", b"NOTE")
    path.write_bytes(bytes(data))

    outcome = segdesk("init", db=path)

    assert outcome.code == 2
    [line] = outcome.err.splitlines()
    assert line.startswith(f"segdesk: error: {path} is damaged (integrity check: row ")
    assert line.endswith("missing from index notes_text); it was not upgraded. Restore a backup (segdesk restore FILE)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.sqlite3"]


def test_a_database_whose_trail_is_broken_is_not_backed_up_as_if_sound(live, tmp_path):
    conn = sqlite3.connect(live)
    conn.execute("DROP TRIGGER audit_events_no_update")
    conn.execute("UPDATE audit_events SET payload = '{}' WHERE seq = 3")
    conn.commit()
    conn.close()
    target = tmp_path / "copies"
    target.mkdir()
    outcome = segdesk("backup", "--out", target, db=live)
    assert outcome.code == 1
    assert outcome.err.splitlines() == [
        f"segdesk: {live}: its audit trail is broken at event #3: its content does not match its hash (altered)",
        "segdesk: no backup was written",
    ]
    assert list(target.iterdir()) == []


def test_a_backup_from_an_older_schema_is_upgraded_on_restore_and_a_newer_one_refused(live, tmp_path):
    from alembic import command

    from segdesk.store.audit import append_event
    from segdesk.store.engine import Database, make_engine
    from segdesk.store.migrate import alembic_config, current_revision, head_revision

    # A backup written by the first SegDesk release: schema revision 0001, one event in its trail.
    old = tmp_path / "first-release.sqlite3"
    url = f"sqlite:///{old}"
    first = Database(url, make_engine(url))
    command.upgrade(alembic_config(first), "0001")
    with first.transaction() as session:
        append_event(session, actor="jane", action="settings.entity", entity="setting", payload={"value": "Acme"})
    first.dispose()
    newer = tmp_path / "from-the-future.sqlite3"
    shutil.copyfile(old, newer)
    conn = sqlite3.connect(newer)
    conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.commit()
    conn.close()

    refused = segdesk("restore", newer, db=live)
    assert refused.code == 2
    assert refused.err.splitlines() == [
        f"segdesk: error: {newer}: it was written by a newer SegDesk (schema revision 9999); open it with that "
        "version, or upgrade SegDesk",
        "segdesk: error: nothing was restored",
    ]

    restored = segdesk("restore", old, db=live)
    assert restored.code == 0, restored.err
    assert "Upgraded the backup's schema from revision 0001 to this version's" in restored.out
    db = open_database(str(live))
    try:
        assert current_revision(db) == head_revision()
        with db.reading() as session:
            report = verify_chain(session)
        assert report.intact and report.events == 2  # its one event, and the restore's
    finally:
        db.dispose()
    assert old.read_bytes()[:16] == b"SQLite format 3\x00" and current_revision_of(old) == "0001"


def current_revision_of(path: Path) -> str:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    finally:
        conn.close()
