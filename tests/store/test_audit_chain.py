"""The audit trail is append-only and tampering is found, naming the first broken event; what the chain
alone cannot see (its newest events removed) is marked as a known gap, and caught against a pack's head."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import DatabaseError as SADatabaseError

from segdesk.store.audit import GENESIS, append_event, canonical, chain_hash, verify_chain
from segdesk.store.schema import AuditEvent


def _three_events(db):
    with db.transaction() as session:
        for n in range(3):
            append_event(session, actor="jane", action="test.event", entity="thing", entity_id=n,
                         payload={"n": n, "name": "Zoë €"})


def test_events_chain_each_hash_to_the_previous(db):
    _three_events(db)
    with db.reading() as session:
        events = session.query(AuditEvent).order_by(AuditEvent.seq).all()
        report = verify_chain(session)
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0].prev_hash == GENESIS
    assert events[1].prev_hash == events[0].hash
    first = events[0]
    assert first.hash == chain_hash(
        GENESIS, canonical(1, first.at, "jane", "test.event", "thing", "0", first.payload)
    )
    assert report.intact and report.events == 3 and report.head == events[2].hash


def test_the_database_refuses_update_and_delete_of_events(db):
    _three_events(db)
    with pytest.raises(SADatabaseError, match="append-only"), db.transaction() as session:
        session.query(AuditEvent).filter(AuditEvent.seq == 2).update({"actor": "mallory"})
    with pytest.raises(SADatabaseError, match="append-only"), db.transaction() as session:
        session.query(AuditEvent).filter(AuditEvent.seq == 2).delete()


def _tamper(db_path, sql):
    # Someone with the file drops the trigger and edits the table directly.
    conn = sqlite3.connect(db_path)
    conn.execute("DROP TRIGGER audit_events_no_update")
    conn.execute("DROP TRIGGER audit_events_no_delete")
    conn.execute(sql)
    conn.commit()
    conn.close()


def test_an_altered_event_is_named(db, db_path):
    _three_events(db)
    _tamper(db_path, "UPDATE audit_events SET payload = '{\"n\":99}' WHERE seq = 2")
    with db.reading() as session:
        report = verify_chain(session)
    assert not report.intact
    assert report.broken_seq == 2
    assert "altered" in report.reason


def test_a_deleted_event_is_named(db, db_path):
    _three_events(db)
    _tamper(db_path, "DELETE FROM audit_events WHERE seq = 2")
    with db.reading() as session:
        report = verify_chain(session)
    assert report.broken_seq == 3
    assert "missing" in report.reason


def test_an_event_rolled_back_with_its_change_leaves_no_trace(db):
    with pytest.raises(RuntimeError), db.transaction() as session:
        append_event(session, actor="jane", action="x", entity="y")
        raise RuntimeError("the change failed")
    with db.reading() as session:
        assert verify_chain(session).events == 0


# --- tampering, as `segdesk audit verify` reports it ------------------------------------------------
# The attacker has the file and sqlite3: they drop the append-only triggers first, then edit.


def _events(db_path) -> list[tuple[int, str, str]]:  # type: ignore[no-untyped-def]
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute("SELECT seq, prev_hash, hash FROM audit_events ORDER BY seq").fetchall()
    finally:
        conn.close()


def _audit_verify(db_path):  # type: ignore[no-untyped-def]
    from tests.acceptance.cli import segdesk

    return segdesk("audit", "verify", db=db_path)


def _four_events(db, db_path):  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        for n in range(4):
            append_event(session, actor="jane", action="test.event", entity="thing", entity_id=n,
                         payload={"n": n, "amount": "1250000.00"})
    db.dispose()  # the CLI and the attacker work on the file; nothing of ours stays open
    intact = _audit_verify(db_path)
    assert intact.code == 0 and intact.out.startswith("Audit trail intact: 4 events, chain head "), intact


def test_cli_names_an_event_whose_payload_was_rewritten(db, db_path):
    _four_events(db, db_path)
    _tamper(db_path, "UPDATE audit_events SET payload = '{\"amount\":\"1.00\",\"n\":1}' WHERE seq = 2")
    done = _audit_verify(db_path)
    assert done.code == 1 and done.out == ""
    assert done.err.splitlines() == [
        "segdesk: audit trail BROKEN at event #2: its content does not match its hash (altered) (2 events checked)",
        "segdesk: the append-only guard on audit events is gone (audit_events_no_update, audit_events_no_delete "
        "removed or disabled): the database was worked on outside SegDesk",
    ]


def test_cli_names_the_event_after_a_deleted_middle_event(db, db_path):
    _four_events(db, db_path)
    _tamper(db_path, "DELETE FROM audit_events WHERE seq = 2")
    done = _audit_verify(db_path)
    assert done.code == 1
    assert "audit trail BROKEN at event #3: expected event #2, found #3 (events missing)" in done.err


def test_cli_names_a_forged_event_appended_with_a_made_up_hash(db, db_path):
    _four_events(db, db_path)
    head = _events(db_path)[-1][2]
    _tamper(db_path, "INSERT INTO audit_events (seq, at, actor, action, entity, entity_id, payload, prev_hash, hash) "
                     f"VALUES (5, '2026-11-20T09:00:00.000000+00:00', 'rob', 'sign_off.reviewer', 'run', '1', '{{}}', "
                     f"'{head}', '{'f' * 64}')")
    done = _audit_verify(db_path)
    assert done.code == 1
    assert "audit trail BROKEN at event #5: its content does not match its hash (altered)" in done.err


def test_cli_names_the_first_event_a_forged_insertion_breaks(db, db_path):
    # A careful forger renumbers the later events and gives the inserted one a correctly computed hash:
    # the chain then breaks at the next event, whose stored link still points past the forgery.
    _four_events(db, db_path)
    first_hash = _events(db_path)[0][2]
    at = "2026-11-20T09:00:00.000000+00:00"
    forged = chain_hash(first_hash, canonical(2, at, "rob", "sign_off.reviewer", "run", "1", "{}"))
    _tamper(db_path, "UPDATE audit_events SET seq = seq + 100 WHERE seq >= 2")
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE audit_events SET seq = seq - 99 WHERE seq >= 100")
    conn.execute("INSERT INTO audit_events (seq, at, actor, action, entity, entity_id, payload, prev_hash, hash) "
                 "VALUES (2, ?, 'rob', 'sign_off.reviewer', 'run', '1', '{}', ?, ?)", (at, first_hash, forged))
    conn.commit()
    conn.close()
    assert [seq for seq, _prev, _hash in _events(db_path)] == [1, 2, 3, 4, 5]
    done = _audit_verify(db_path)
    assert done.code == 1
    assert "audit trail BROKEN at event #3: its link to the previous event does not match" in done.err


def test_cli_detects_the_newest_event_deleted_by_the_guard_that_had_to_go(db, db_path):
    """Cutting the newest events off leaves a shorter chain, intact in itself; but deleting them
    meant dropping the append-only triggers, and audit verify says they are gone."""
    _four_events(db, db_path)
    _tamper(db_path, "DELETE FROM audit_events WHERE seq = 4")
    done = _audit_verify(db_path)
    assert done.code == 1
    assert done.err.strip() == ("segdesk: the append-only guard on audit events is gone (audit_events_no_update, "
                                "audit_events_no_delete removed or disabled): the database was worked on outside "
                                "SegDesk")


def _tamper_and_cover(db_path, sql):
    """As _tamper, then the triggers put back as they were: the most careful attacker."""
    conn = sqlite3.connect(db_path)
    triggers = [row[0] for row in conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'")]
    conn.close()
    _tamper(db_path, sql)
    conn = sqlite3.connect(db_path)
    for statement in triggers:
        conn.execute(statement)
    conn.commit()
    conn.close()


def test_a_truncated_chain_is_caught_against_the_head_an_exported_pack_recorded(tmp_path):
    """A signed pack records the chain head (event #N and its hash) when it was exported. A trail
    cut back below #N, or rewritten up to it, no longer holds that event: `audit verify --against`
    says so, even when the attacker put the triggers back and the shorter chain is intact in itself."""
    from tests.acceptance.cli import segdesk

    db_path = tmp_path / "fund.sqlite3"
    env = {"SEGDESK_KEY_PASSPHRASE": "correct horse battery"}
    assert segdesk("demo", db=db_path).code == 0
    assert segdesk("keys", "create", "--out", tmp_path / "k.p12", "--name", "Jane Doe", env=env).code == 0
    exported = segdesk("export", "--as-of", "2026-11-20", "--out", tmp_path / "pack.pdf", "--key", tmp_path / "k.p12",
                       "--user", "jane", db=db_path, env=env)
    assert exported.code == 0, exported.err
    checked = segdesk("verify", tmp_path / "pack.pdf")
    assert checked.code == 0, checked.err
    seq, head = checked.out.split("Chain head:   #")[1].split()[:2]
    events = _events(db_path)
    assert (int(seq), head) in [(s, h) for s, _prev, h in events]
    assert events[-1][0] == int(seq) + 1  # the export's own event comes after the head it records
    witnessed = segdesk("audit", "verify", "--against", tmp_path / "pack.pdf", db=db_path)
    assert witnessed.code == 0 and "it holds the chain head of 1 signed pack(s)" in witnessed.out

    _tamper_and_cover(db_path, f"DELETE FROM audit_events WHERE seq >= {seq}")  # the export's event included
    alone = segdesk("audit", "verify", db=db_path)
    assert alone.code == 0  # the shorter chain is intact in itself, the guard back in place: the known limit
    caught = segdesk("audit", "verify", "--against", tmp_path / "pack.pdf", db=db_path)
    assert caught.code == 1
    assert caught.err.strip() == (f"segdesk: pack.pdf: the pack was made at audit event #{seq}, but the trail now "
                                  f"ends at #{int(seq) - 1}: events were removed (the trail was cut back)")


def test_a_pack_cannot_be_exported_from_a_database_whose_chain_is_broken(tmp_path):
    from tests.acceptance.cli import segdesk

    db_path = tmp_path / "fund.sqlite3"
    env = {"SEGDESK_KEY_PASSPHRASE": "correct horse battery"}
    assert segdesk("demo", db=db_path).code == 0
    assert segdesk("keys", "create", "--out", tmp_path / "k.p12", "--name", "Jane Doe", env=env).code == 0
    _tamper(db_path, "UPDATE audit_events SET actor = 'mallory' WHERE seq = 3")
    done = segdesk("export", "--as-of", "2026-11-20", "--out", tmp_path / "pack.pdf", "--key", tmp_path / "k.p12",
                   "--xlsx", tmp_path / "pack.xlsx", db=db_path, env=env)
    assert done.code == 2
    assert done.err.splitlines() == [
        "segdesk: error: the audit trail is broken at event #3 (its content does not match its hash (altered)); a pack "
        "cannot vouch for this database (see `segdesk audit verify`)"]
    assert not (tmp_path / "pack.pdf").exists() and not (tmp_path / "pack.xlsx").exists()
    assert not list(tmp_path.glob(".pack*"))  # no half-written temporary file either
    assert _audit_verify(db_path).code == 1
