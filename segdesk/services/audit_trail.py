"""Checking the audit trail's hash chain."""

from __future__ import annotations

from segdesk.store.audit import ChainReport, verify_chain
from segdesk.store.engine import Database


def verify_audit_trail(db: Database) -> ChainReport:
    with db.reading() as session:
        return verify_chain(session)
