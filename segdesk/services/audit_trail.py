"""Checking the audit trail's hash chain."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from segdesk.store.audit import ChainReport, verify_chain
from segdesk.store.engine import Database


def verify_audit_trail(db: Database) -> ChainReport:
    with db.reading() as session:
        return verify_chain(session)


def guard_problem(report: ChainReport) -> str | None:
    """The missing append-only guard, in words, if it is missing."""
    if not report.guards_missing:
        return None
    return (f"the append-only guard on audit events is gone ({', '.join(report.guards_missing)} removed or "
            "disabled): the database was worked on outside SegDesk")


def check_against_packs(db: Database, trail: ChainReport, packs: list[Path]) -> list[str]:
    """The trail (``trail``: what ``verify_audit_trail`` found) held up against signed packs
    exported from it: each records the chain head when it was made (event #N and its hash), so a
    trail cut back or rewritten at or before #N is caught even though it is intact in itself. One
    line per problem, naming the pack."""
    from segdesk.services.exporting import verify_pack
    from segdesk.store.audit import head_at

    problems = []
    last = trail.events
    with db.reading() as session:
        for path in packs:
            check = verify_pack(path)
            recorded = (check.facts or {}).get("audit_chain_head") if check.ok else None
            if recorded is None:
                why = "; ".join(check.problems) or "it records no audit chain head"
                problems.append(f"{path.name}: cannot be used as a witness: {why}")
                continue
            seq, expected = int(recorded["seq"]), str(recorded["hash"])
            found = head_at(session, seq)
            if found is None:
                problems.append(f"{path.name}: the pack was made at audit event #{seq}, but the trail now ends at "
                                f"#{last}: events were removed (the trail was cut back)")
            elif found != expected:
                problems.append(f"{path.name}: the pack records event #{seq} as {expected[:16]}…, the trail has "
                                f"{found[:16]}…: the trail was rewritten at or before event #{seq}")
    return problems


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
