"""Queries for what a pack and an export show: the chart in force, the source files, the audit
excerpt, and the entity the packs are for."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from segdesk.store.repositories import mapping_query
from segdesk.store.schema import (
    AuditEvent,
    ExternalAccount,
    Finding,
    ImportBatch,
    Mapping,
    Run,
    Setting,
    Source,
    Statement,
    StatementLine,
    SubAccount,
)


def mappings_in_force(session: Session, as_of: dt.date) -> list[tuple]:  # type: ignore[type-arg]
    """(source, account, reference, sub-account, valid from, valid to) of every mapping valid on ``as_of``."""
    return list(session.execute(
        mapping_query()
        .where(or_(Mapping.valid_from.is_(None), Mapping.valid_from <= as_of),
               or_(Mapping.valid_to.is_(None), Mapping.valid_to >= as_of))
        .order_by(Source.name, ExternalAccount.account, Mapping.reference, SubAccount.code)
    ))


def external_accounts_with_kind(session: Session) -> list[tuple]:  # type: ignore[type-arg]
    """(source, source kind, account, designation) of every external account."""
    return list(session.execute(
        select(Source.name, Source.kind, ExternalAccount.account, ExternalAccount.designation)
        .join(Source, ExternalAccount.source_id == Source.id)
        .order_by(Source.name, ExternalAccount.account)
    ))


def sub_account_clients(session: Session) -> dict[str, str | None]:
    return {code: client for code, client in session.execute(select(SubAccount.code, SubAccount.client))}


def batch_contents(session: Session, batch_ids: list[int]) -> Iterator[tuple[int, bytes]]:
    """(batch id, the file's bytes) one at a time: a day's files can be large."""
    for batch_id in batch_ids:
        content = session.scalar(select(ImportBatch.content).where(ImportBatch.id == batch_id))
        if content is not None:
            yield batch_id, content


def audit_excerpt(session: Session, as_of: dt.date, batch_ids: list[int]) -> list[AuditEvent]:
    """The events behind a day's pack: importing its files, every run of the day, what was done
    to those runs' findings and their sign-offs; oldest first."""
    runs = [str(r) for r in session.scalars(select(Run.id).where(Run.as_of == as_of))]
    findings = [str(f) for f in session.scalars(select(Finding.id).join(Run, Finding.run_id == Run.id)
                                                 .where(Run.as_of == as_of))]
    batches = [str(b) for b in batch_ids]
    conditions = []
    for start in range(0, max(len(findings), 1), 900):  # SQLite's bound-parameter limit
        chunk = findings[start:start + 900]
        if chunk:
            conditions.append(and_(AuditEvent.entity == "finding", AuditEvent.entity_id.in_(chunk)))
    if runs:
        conditions.append(and_(AuditEvent.entity == "run", AuditEvent.entity_id.in_(runs)))
    for start in range(0, len(batches), 900):
        conditions.append(and_(AuditEvent.entity == "import_batch", AuditEvent.entity_id.in_(batches[start:start + 900])))
    if not conditions:
        return []
    found: dict[int, AuditEvent] = {}
    for start in range(0, len(conditions), 8):  # a few IN-lists per query keeps every query small
        for event in session.scalars(select(AuditEvent).where(or_(*conditions[start:start + 8]))):
            found[event.seq] = event
    return [found[seq] for seq in sorted(found)]


def get_text_setting(session: Session, key: str) -> str | None:
    row = session.get(Setting, key)
    return row.value if row else None


def set_text_setting(session: Session, key: str, value: str) -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value
    session.flush()


def latest_runs_by_day(session: Session, limit: int) -> list[Run]:
    """The latest run of each of the most recent ``limit`` as-of dates, oldest day first."""
    days = list(session.scalars(select(Run.as_of).distinct().order_by(Run.as_of.desc()).limit(limit)))
    runs = []
    for day in sorted(days):
        run = session.scalars(select(Run).where(Run.as_of == day).order_by(Run.id.desc()).limit(1)).first()
        if run is not None:
            runs.append(run)
    return runs


def statement_days(session: Session) -> list[dt.date]:
    """Every as-of date some import carries, newest first."""
    return list(session.scalars(select(ImportBatch.as_of).where(ImportBatch.as_of.is_not(None)).distinct()
                                .order_by(ImportBatch.as_of.desc())))


def audit_events(session: Session, text: str | None, limit: int) -> list[AuditEvent]:
    """The newest ``limit`` audit events, optionally those whose action, actor, entity or payload
    contains ``text``."""
    query = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(limit)
    if text:
        like = f"%{text}%"
        query = query.where(or_(AuditEvent.action.ilike(like), AuditEvent.actor.ilike(like),
                                AuditEvent.entity.ilike(like), AuditEvent.entity_id.ilike(like),
                                AuditEvent.payload.ilike(like)))
    return list(session.scalars(query))


def batch_line_count(session: Session, batch_id: int) -> int:
    return int(session.scalar(
        select(func.count(StatementLine.id)).join(Statement, StatementLine.statement_id == Statement.id)
        .where(Statement.batch_id == batch_id)) or 0)


def batch_lines(session: Session, batch_id: int, offset: int, limit: int) -> list[tuple]:  # type: ignore[type-arg]
    """One page of a file's stored lines, account by account and in file order within each (the order
    the indexes give for free, so a page deep in a million lines is still quick): (row, sheet, account,
    reference, asset, quantity, price, value, equity, initial margin, maintenance margin, as-of)."""
    return list(session.execute(
        select(StatementLine.row, StatementLine.sheet, ExternalAccount.account, StatementLine.reference,
               StatementLine.asset, StatementLine.quantity, StatementLine.price, StatementLine.value,
               StatementLine.equity, StatementLine.initial_margin, StatementLine.maintenance_margin, Statement.as_of)
        .join(Statement, StatementLine.statement_id == Statement.id)
        .join(ExternalAccount, Statement.external_account_id == ExternalAccount.id)
        .where(Statement.batch_id == batch_id)
        .order_by(Statement.id, StatementLine.id)
        .offset(offset).limit(limit)
    ))
