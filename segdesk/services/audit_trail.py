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


def describe_payload(payload: str, limit: int = 300) -> str:
    """An event's payload as one readable line: "as of 2026-11-20; file helix.csv; 4 rows"."""
    import json

    try:
        data = json.loads(payload)
    except ValueError:
        return payload[:limit]
    if not isinstance(data, dict):
        return str(data)[:limit]
    parts = []
    for key, value in data.items():
        if value is None or value == "" or value == [] or value == {}:
            continue
        if isinstance(value, list):
            value = f"{len(value)} items" if len(value) > 3 else ", ".join(str(v) for v in value)
        elif isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items())
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        text = str(value)
        if len(text) == 64 and all(ch in "0123456789abcdef" for ch in text):
            text = text[:12] + "…"  # a hash: its start identifies it; the full value is in the database
        parts.append(f"{key.replace('_', ' ')} {text}")
    return "; ".join(parts)[:limit]
