"""Checking the audit trail's hash chain."""

from __future__ import annotations

from dataclasses import dataclass

from segdesk.store.audit import ChainReport, verify_chain
from segdesk.store.engine import Database


def verify_audit_trail(db: Database) -> ChainReport:
    with db.reading() as session:
        return verify_chain(session)


@dataclass(frozen=True)
class EventView:
    seq: int
    at: str
    actor: str
    action: str
    entity: str
    entity_id: str | None
    payload: str
    hash: str


def list_events(db: Database, text: str | None = None, limit: int = 5000) -> list[EventView]:
    """The newest events first, optionally only those mentioning ``text``."""
    from segdesk.store import records

    with db.reading() as session:
        return [EventView(e.seq, e.at, e.actor, e.action, e.entity, e.entity_id, e.payload, e.hash)
                for e in records.audit_events(session, text, limit)]
