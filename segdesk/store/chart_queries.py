"""Queries behind the Accounts page: the chart as plain rows, and the records one edit changes.

Reads return plain tuples (nothing lazy to trip over once the session is closed); the lookups
return the ORM records themselves, for the service that changes them inside its transaction.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from segdesk.store.repositories import mapping_query
from segdesk.store.schema import (
    AuditEvent,
    ExternalAccount,
    Mapping,
    Price,
    Run,
    Setting,
    Source,
    Statement,
    StatementLine,
    SubAccount,
)


def sub_account_rows(session: Session) -> list[tuple]:  # type: ignore[type-arg]
    """(code, name, kind, client, base currency) of every sub-account, by code."""
    query = select(SubAccount.code, SubAccount.name, SubAccount.kind, SubAccount.client,
                   SubAccount.base_currency).order_by(SubAccount.code)
    return [tuple(row) for row in session.execute(query)]


def external_account_rows(session: Session) -> list[tuple]:  # type: ignore[type-arg]
    """(source, source kind, account, designation) of every external account, by source and account."""
    query = (
        select(Source.name, Source.kind, ExternalAccount.account, ExternalAccount.designation)
        .join(Source, ExternalAccount.source_id == Source.id)
        .order_by(Source.name, ExternalAccount.account)
    )
    return [tuple(row) for row in session.execute(query)]


def mapping_rows(session: Session) -> list[tuple]:  # type: ignore[type-arg]
    """(id, source, account, reference, sub-account code, valid from, valid to) of every mapping."""
    query = mapping_query(Mapping.id).order_by(
        Source.name, ExternalAccount.account, Mapping.reference, Mapping.valid_from, Mapping.id)
    return [tuple(row) for row in session.execute(query)]


def _latest_statements(as_of: dt.date):  # type: ignore[no-untyped-def]
    """Each account's latest live statement date on or before ``as_of``: the statement a
    reconciliation of ``as_of`` reads for it."""
    return (
        select(Statement.external_account_id, func.max(Statement.as_of).label("day"))
        .where(Statement.as_of <= as_of, Statement.superseded_by_id.is_(None))
        .group_by(Statement.external_account_id)
        .subquery()
    )


def references_in_use(session: Session, as_of: dt.date, kinds: tuple[str, ...]) -> list[tuple]:  # type: ignore[type-arg]
    """Per account (of sources of these kinds) and reference printed on the statement a
    reconciliation of ``as_of`` reads: (account id, source, source kind, account, designation,
    statement date, reference, lines). Counted here, so an omnibus account's thousands of lines are
    not read to learn which references it prints."""
    latest = _latest_statements(as_of)
    query = (
        select(ExternalAccount.id, Source.name, Source.kind, ExternalAccount.account, ExternalAccount.designation,
               Statement.as_of, StatementLine.reference, func.count(StatementLine.id))
        .select_from(StatementLine)
        .join(Statement, StatementLine.statement_id == Statement.id)
        .join(latest, and_(Statement.external_account_id == latest.c.external_account_id,
                           Statement.as_of == latest.c.day))
        .join(ExternalAccount, Statement.external_account_id == ExternalAccount.id)
        .join(Source, ExternalAccount.source_id == Source.id)
        .where(Statement.superseded_by_id.is_(None), Source.kind.in_(kinds))
        .group_by(ExternalAccount.id, Source.name, Source.kind, ExternalAccount.account, ExternalAccount.designation,
                  Statement.as_of, StatementLine.reference)
        .order_by(Source.name, ExternalAccount.account)
    )
    return [tuple(row) for row in session.execute(query)]


def lines_in_use(session: Session, as_of: dt.date, account_ids: list[int]) -> list[tuple]:  # type: ignore[type-arg]
    """The lines of these accounts' statements that a reconciliation of ``as_of`` reads, as
    (account id, reference, asset, quantity, price, value, equity)."""
    latest = _latest_statements(as_of)
    found: list[tuple] = []  # type: ignore[type-arg]
    for start in range(0, len(account_ids), 900):  # SQLite's bound-parameter limit
        chunk = account_ids[start:start + 900]
        query = (
            select(Statement.external_account_id, StatementLine.reference, StatementLine.asset,
                   StatementLine.quantity, StatementLine.price, StatementLine.value, StatementLine.equity)
            .select_from(StatementLine)
            .join(Statement, StatementLine.statement_id == Statement.id)
            .join(latest, and_(Statement.external_account_id == latest.c.external_account_id,
                               Statement.as_of == latest.c.day))
            .where(Statement.superseded_by_id.is_(None), Statement.external_account_id.in_(chunk))
            .order_by(StatementLine.id)
        )
        found.extend(tuple(row) for row in session.execute(query))
    return found


def prices_until(session: Session, as_of: dt.date) -> list[tuple]:  # type: ignore[type-arg]
    """(asset, date, price) of every live price dated on or before ``as_of``."""
    query = select(Price.asset, Price.as_of, Price.price).where(Price.as_of <= as_of,
                                                                Price.superseded_by_batch_id.is_(None))
    return [tuple(row) for row in session.execute(query)]


def setting(session: Session, key: str) -> str | None:
    row = session.get(Setting, key)
    return row.value if row else None


def latest_statement_day(session: Session) -> dt.date | None:
    """The newest date any live statement is for: the day to look at when none is chosen."""
    return session.scalar(select(func.max(Statement.as_of)).where(Statement.superseded_by_id.is_(None)))


def has_run(session: Session, as_of: dt.date) -> bool:
    return session.scalar(select(func.count(Run.id)).where(Run.as_of == as_of)) > 0


# --- the records an edit changes -------------------------------------------------------------------


def sub_account_by_code(session: Session, code: str) -> SubAccount | None:
    return session.scalars(select(SubAccount).where(SubAccount.code == code)).first()


def sub_account_codes(session: Session) -> list[str]:
    return list(session.scalars(select(SubAccount.code).order_by(SubAccount.code)))


def account_by_name(session: Session, source: str, account: str) -> ExternalAccount | None:
    return session.scalars(
        select(ExternalAccount)
        .join(Source, ExternalAccount.source_id == Source.id)
        .where(Source.name == source, ExternalAccount.account == account)
    ).first()


def mapping_by_id(session: Session, mapping_id: int) -> Mapping | None:
    return session.get(Mapping, mapping_id)


def mappings_of(session: Session, external_account_id: int, reference: str | None) -> list[Mapping]:
    """Every mapping of one account for one reference (None: the every-line mappings)."""
    ref = Mapping.reference.is_(None) if reference is None else Mapping.reference == reference
    return list(session.scalars(
        select(Mapping).where(Mapping.external_account_id == external_account_id, ref).order_by(Mapping.id)
    ))


def last_event_of(session: Session, entity: str, entity_id: object) -> AuditEvent | None:
    """The newest audit event about one record: who last changed it, and when."""
    return session.scalars(
        select(AuditEvent).where(AuditEvent.entity == entity, AuditEvent.entity_id == str(entity_id))
        .order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
