"""An import killed at any moment, or starved of disk, leaves the database consistent.

The real program (`python -m segdesk import`) imports a statement big enough to take a moment and
is killed with SIGKILL at seeded random points, many times, by two workers on one database file:
after every kill the file passes `PRAGMA integrity_check`, every import batch is there whole or
not at all, and the audit trail's chain holds. Then an import whose file writes fail (a file size
limit just above the database's size) ends with one clear line and exit 2, the database as it was.
"""

from __future__ import annotations

import os
import random
import resource
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from segdesk.store.audit import verify_chain
from segdesk.store.engine import open_database, open_sqlite_file

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and RLIMIT_FSIZE are POSIX")

KILLS = int(os.environ.get("SEGDESK_CRASH_KILLS", "60"))
WORKERS = 2
ROWS = 30_000
ACCOUNTS = 20

PROFILE = """
source = "Crash Custody"
kind = "custodian"
as_of = "2026-11-20"

[columns]
account = "Account"
reference = "Client Ref"
asset = "Asset"
quantity = "Quantity"
price = "Price"
"""


def statement_body(rows: int) -> bytes:
    lines = [f"ACC-{i % ACCOUNTS:03d},REF-{i % 7},AST{i},{i}.{i % 100:02d},1.{i % 10}" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def write_statement(path: Path, body: bytes, n: int) -> Path:
    # Each file differs in its first line: a byte-identical file would be refused as a duplicate.
    path.write_bytes(b"Account,Client Ref,Asset,Quantity,Price\n" + f"ACC-000,RUN,UNIQUE,{n},1\n".encode() + body)
    return path


def import_argv(db: Path, statement: Path, profile: Path) -> list[str]:
    return [sys.executable, "-m", "segdesk", "--db", str(db), "import", str(statement), "--profile", str(profile)]


def child_env() -> dict[str, str]:
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen", "SEGDESK_SQLITE_BUSY_MS": "60000"}


def consistency_problems(db: Path) -> list[str]:
    """What a kill may not leave behind, read in one snapshot."""
    problems = []
    conn = sqlite3.connect(db, timeout=60, isolation_level=None)
    try:
        result = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if result != ["ok"]:
            problems.append(f"integrity_check: {result[:3]}")
        conn.execute("BEGIN")
        for batch_id, row_count, stored in conn.execute(
            "SELECT b.id, b.row_count, (SELECT count(*) FROM statement_lines l JOIN statements s "
            "ON s.id = l.statement_id WHERE s.batch_id = b.id) FROM import_batches b"
        ):
            if row_count != stored:
                problems.append(f"batch {batch_id}: row_count {row_count} but {stored} lines stored")
        orphan_lines = conn.execute(
            "SELECT count(*) FROM statement_lines l LEFT JOIN statements s ON s.id = l.statement_id "
            "LEFT JOIN import_batches b ON b.id = s.batch_id WHERE b.id IS NULL"
        ).fetchone()[0]
        orphan_statements = conn.execute(
            "SELECT count(*) FROM statements s LEFT JOIN import_batches b ON b.id = s.batch_id WHERE b.id IS NULL"
        ).fetchone()[0]
        if orphan_lines or orphan_statements:
            problems.append(f"{orphan_lines} lines and {orphan_statements} statements without a batch")
        batches = {str(r[0]) for r in conn.execute("SELECT id FROM import_batches")}
        recorded = {r[0] for r in conn.execute("SELECT entity_id FROM audit_events WHERE action = 'import'")}
        if batches != recorded:
            problems.append(f"batches {sorted(batches ^ recorded)} and their import events do not match")
        conn.execute("COMMIT")
    finally:
        conn.close()
    copy = open_sqlite_file(db)
    try:
        with copy.reading() as session:
            report = verify_chain(session)
    finally:
        copy.dispose()
    if not report.intact:
        problems.append(f"audit chain broken at event #{report.broken_seq}: {report.reason}")
    return problems


@dataclass
class Tally:
    kills: int = 0  # SIGKILLs that hit a running import
    finished_first: int = 0  # imports that were done before their kill came
    started: int = 0
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.mark.timeout(300)
def test_imports_killed_at_random_points_leave_the_database_consistent(tmp_path):
    db_path = tmp_path / "crash.sqlite3"
    open_database(str(db_path)).dispose()
    profile = tmp_path / "crash.toml"
    profile.write_text(PROFILE)
    body = statement_body(ROWS)
    # One import run to the end tells how long an import takes here; the kills are spread over
    # that, from start-up to exit.
    began = time.monotonic()
    first = subprocess.run(import_argv(db_path, write_statement(tmp_path / "s-0.csv", body, 0), profile),
                           env=child_env(), capture_output=True, text=True, timeout=120)
    whole = time.monotonic() - began
    assert first.returncode == 0, first.stderr
    tally = Tally()
    checking = threading.Lock()  # one consistency check at a time: each reads the whole file
    started = time.monotonic()

    def worker(number: int) -> None:
        rng = random.Random(20261124 + number)
        # The latest kill, as a share of one import's time, follows the machine: an import that
        # finishes first pulls it in, a kill pushes it out, so about one import in nine commits.
        # (Each commit grows the file that every check reads whole.)
        latest = 1.2
        n = 0
        while True:
            with tally.lock:
                if tally.kills >= KILLS or tally.problems or tally.started > 4 * KILLS:
                    return
                tally.started += 1
            n += 1
            statement = write_statement(tmp_path / f"s-{number}-{n}.csv", body, number * 100_000 + n)
            child = subprocess.Popen(import_argv(db_path, statement, profile), env=child_env(),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            # Start-up, reading, the write transaction and its commit all get their share of kills.
            time.sleep(rng.uniform(0.15, latest) * whole)
            running = child.poll() is None
            latest = max(0.3, latest * 1.02) if running else latest * 0.85
            child.send_signal(signal.SIGKILL)
            _, err = child.communicate(timeout=120)
            statement.unlink()
            with checking:
                problems = consistency_problems(db_path)
            with tally.lock:
                if running:
                    tally.kills += 1
                elif child.returncode == 0:
                    tally.finished_first += 1
                else:
                    problems.append(f"an import not killed failed: {err.decode(errors='replace')[-500:]}")
                tally.problems += [f"after kill {tally.kills}: {p}" for p in problems]

    def guarded(number: int) -> None:
        try:
            worker(number)
        except Exception as exc:  # a thread's failure must fail the test, not vanish with the thread
            with tally.lock:
                tally.problems.append(f"worker {number}: {exc!r}")

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    conn = sqlite3.connect(db_path)
    batches = conn.execute("SELECT count(*) FROM import_batches").fetchone()[0]
    conn.close()
    print(f"\n{tally.kills} SIGKILLs of running imports ({tally.finished_first} imports finished before their "
          f"kill; {batches} batches stored; one import alone took {whole:.2f} s) in {elapsed:.1f} s")
    assert tally.problems == []
    assert tally.kills >= KILLS
    # A kill may come after the commit, as the program ends: then its batch is there, whole.
    assert 1 + tally.finished_first <= batches <= 1 + tally.finished_first + tally.kills


@pytest.mark.timeout(120)
@pytest.mark.parametrize("headroom", [0, 256 * 1024])
def test_an_import_that_cannot_write_ends_cleanly_and_changes_nothing(tmp_path, headroom):
    from tests.statements import write_northbridge_statement, write_profile

    db_path = tmp_path / "full.sqlite3"
    small = write_northbridge_statement(tmp_path / "nb.xlsx")
    done = subprocess.run(import_argv(db_path, small, write_profile(tmp_path / "nb.toml")), env=child_env(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert not Path(f"{db_path}-wal").exists()  # closed cleanly: everything is in the main file
    conn = sqlite3.connect(db_path)
    before = list(conn.iterdump())
    conn.close()
    profile = tmp_path / "crash.toml"
    profile.write_text(PROFILE)
    big = write_statement(tmp_path / "big.csv", statement_body(ROWS), 1)
    limit = db_path.stat().st_size + headroom  # any file SQLite writes may grow only this far

    def starved() -> None:
        # Past the limit a write gets EFBIG instead of the process being killed by SIGXFSZ.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    outcome = subprocess.run(import_argv(db_path, big, profile), env=child_env(), capture_output=True,
                             text=True, timeout=120, preexec_fn=starved)

    assert outcome.returncode == 2, outcome.stderr
    lines = outcome.stderr.splitlines()
    assert len(lines) == 1, outcome.stderr
    assert lines[0].startswith("segdesk: error: the database file could not be written")
    assert "disk" in lines[0] and lines[0].endswith("nothing was stored")
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert list(conn.iterdump()) == before
    conn.close()
    assert consistency_problems(db_path) == []
