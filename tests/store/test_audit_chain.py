"""The audit trail is append-only and any tampering is found, naming the first broken event."""

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
