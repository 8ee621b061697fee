"""Two SegDesk programs writing to one SQLite file at once take turns; neither is refused.

Two real processes open a new database file together (both may create its schema), then each
adds 1,000 sub-accounts through the service the Accounts page uses, one transaction and one audit
event each, interleaved with the other's. Both must finish without "database is locked", and the
file must hold all 2,000 sub-accounts and events in one unbroken chain.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from segdesk.store.audit import verify_chain
from segdesk.store.engine import open_database

WRITES = 1000
REPO = Path(__file__).resolve().parents[2]

WRITER = textwrap.dedent("""
    import sys
    from segdesk.services.accounts import add_sub_account
    from segdesk.store.engine import open_database

    path, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    db = open_database(path)            # both programs open (and may create) the file at once
    print("ready", flush=True)
    sys.stdin.readline()                # then both start writing together
    for n in range(count):
        add_sub_account(db, code=f"{prefix}-{n:04d}", name=f"Client {prefix} {n}", kind="client",
                        client=f"{prefix} {n}", user=f"desk-{prefix}")
    db.dispose()
    print("done", flush=True)
""")


@pytest.mark.timeout(180)
def test_two_processes_writing_at_once_both_finish_and_every_write_is_kept(tmp_path):
    db_path = tmp_path / "shared.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(db_path), prefix, str(WRITES)], cwd=tmp_path, env=env,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for prefix in ("A", "B")
    ]
    for writer in writers:
        assert writer.stdout.readline().strip() == "ready", writer.communicate(timeout=60)[1]
    for writer in writers:
        writer.stdin.write("go\n")
        writer.stdin.flush()
    outcomes = [writer.communicate(timeout=170) for writer in writers]

    for writer, (out, err) in zip(writers, outcomes, strict=True):
        assert "locked" not in err and "busy" not in err, err
        assert writer.returncode == 0, err
        assert out.splitlines() == ["done"]  # ("ready" was read above)
    conn = sqlite3.connect(db_path)
    try:
        per_desk = dict(conn.execute("SELECT substr(code, 1, 1), count(*) FROM sub_accounts GROUP BY 1"))
        events = dict(conn.execute(
            "SELECT actor, count(*) FROM audit_events WHERE action = 'sub_account.create' GROUP BY actor"))
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()
    assert per_desk == {"A": WRITES, "B": WRITES}
    assert events == {"desk-A": WRITES, "desk-B": WRITES}
    db = open_database(str(db_path))
    try:
        with db.reading() as session:
            report = verify_chain(session)
    finally:
        db.dispose()
    assert report.intact and report.events == 2 * WRITES
