"""Reading and writing person roles (services/identity.py decides what they allow)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from segdesk.store.schema import PersonRole


def roles_in_use(session: Session) -> bool:
    return session.scalar(select(func.count()).select_from(PersonRole)) != 0


def all_roles(session: Session) -> list[PersonRole]:
    return list(session.scalars(select(PersonRole).order_by(PersonRole.person, PersonRole.role)))


def roles_of(session: Session, person_key: str) -> set[str]:
    return set(session.scalars(select(PersonRole.role).where(PersonRole.person == person_key)))


def holders_of(session: Session, role: str) -> list[str]:
    return list(session.scalars(select(PersonRole.person).where(PersonRole.role == role).order_by(PersonRole.person)))


def add_role(session: Session, person_key: str, role: str, granted_by: str) -> PersonRole:
    record = PersonRole(person=person_key, role=role, granted_by=granted_by, granted_at=dt.datetime.now(dt.UTC))
    session.add(record)
    session.flush()
    return record


def find_role(session: Session, person_key: str, role: str) -> PersonRole | None:
    return session.scalars(
        select(PersonRole).where(PersonRole.person == person_key, PersonRole.role == role)
    ).first()
