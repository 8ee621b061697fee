"""The hash-chained audit trail.

Every change appends one event in the same transaction as the change itself, so a change and
its record commit or vanish together. ``hash = SHA-256(previous hash + canonical event)``:
altering, removing or reordering any event breaks every hash after it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from segdesk.store.engine import PG_WRITE_LOCK
from segdesk.store.schema import AuditEvent

GENESIS = "0" * 64


def canonical(
    seq: int, at: str, actor: str, action: str, entity: str, entity_id: str | None, payload: str
) -> str:
    """The exact text that is hashed: sorted keys, no spaces, Unicode as is."""
    return json.dumps(
        {
            "seq": seq,
            "at": at,
            "actor": actor,
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "payload": json.loads(payload),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def chain_hash(prev_hash: str, canonical_event: str) -> str:
    return hashlib.sha256((prev_hash + canonical_event).encode("utf-8")).hexdigest()


def _payload_text(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def append_event(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: object = None,
    payload: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction."""
    if session.get_bind().dialect.name == "postgresql":
        # Serialise appenders: two sessions must not both extend the same head. (Database.transaction
        # already holds this lock; advisory locks are re-entrant, so this costs nothing then.)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_WRITE_LOCK})
    head = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).first()
    seq = head.seq + 1 if head else 1
    prev = head.hash if head else GENESIS
    at = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
    body = _payload_text(payload or {})
    eid = None if entity_id is None else str(entity_id)
    event = AuditEvent(
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        entity=entity,
        entity_id=eid,
        payload=body,
        prev_hash=prev,
        hash=chain_hash(prev, canonical(seq, at, actor, action, entity, eid, body)),
    )
    session.add(event)
    session.flush()
    return event


GUARDS = ("audit_events_no_update", "audit_events_no_delete")  # the triggers migration 0001 made


@dataclass(frozen=True)
class ChainReport:
    events: int
    head: str
    broken_seq: int | None = None
    reason: str = ""
    guards_missing: tuple[str, ...] = ()  # append-only triggers dropped or disabled: edited outside SegDesk

    @property
    def intact(self) -> bool:
        return self.broken_seq is None


def missing_guards(session: Session) -> tuple[str, ...]:
    """The append-only triggers on audit events that are gone (or disabled, on PostgreSQL). SegDesk
    never removes them: their absence means someone worked on the database outside SegDesk."""
    if session.get_bind().dialect.name == "postgresql":
        present = set(session.scalars(text(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_events'::regclass AND tgenabled <> 'D'")))
    else:
        present = set(session.scalars(text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'")))
    return tuple(g for g in GUARDS if g not in present)


def verify_chain(session: Session) -> ChainReport:
    """Recompute every hash in order; name the first event that does not match. Also says whether
    the append-only guard is still in place (``guards_missing``)."""
    report = _verify_links(session)
    guards = missing_guards(session)
    return report if not guards else ChainReport(report.events, report.head, report.broken_seq, report.reason, guards)


def head_at(session: Session, seq: int) -> str | None:
    """The hash of event ``seq``, if the trail still has it."""
    return session.scalars(select(AuditEvent.hash).where(AuditEvent.seq == seq)).first()


def _verify_links(session: Session) -> ChainReport:
    prev = GENESIS
    expected_seq = 1
    count = 0
    rows = session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars()
    for event in rows:
        count += 1
        if event.seq != expected_seq:
            return ChainReport(count, prev, event.seq, f"expected event #{expected_seq}, found #{event.seq} (events missing)")
        if event.prev_hash != prev:
            return ChainReport(count, prev, event.seq, "its link to the previous event does not match")
        try:
            recomputed = chain_hash(
                prev,
                canonical(event.seq, event.at, event.actor, event.action, event.entity, event.entity_id, event.payload),
            )
        except ValueError:
            return ChainReport(count, prev, event.seq, "its content is not valid JSON")
        if recomputed != event.hash:
            return ChainReport(count, prev, event.seq, "its content does not match its hash (altered)")
        prev = event.hash
        expected_seq += 1
    return ChainReport(count, prev)
