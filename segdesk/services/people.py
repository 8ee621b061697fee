"""Roles: who may import, keep the chart, prepare, review, export, and grant roles.

With no role granted at all, a database is one person's desk and nothing is checked (the
SQLite default). The first grant must make someone an administrator, so that roles can always
be managed; from then on every write checks the acting person's roles (services/identity.py),
only administrators grant and revoke, and the last administrator cannot be removed. On
PostgreSQL the acting person is the database login, so a role belongs to a login; on a SQLite
file a name is only declared, and roles guard against mistakes rather than against people.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from segdesk.domain.problems import InputError
from segdesk.services.identity import ROLE_WORDS, acting_person, person, person_key, require
from segdesk.services.overview import as_utc
from segdesk.store import roles as store
from segdesk.store.audit import append_event
from segdesk.store.engine import Database
from segdesk.store.schema import PERSON_ROLES


@dataclass(frozen=True)
class RoleView:
    person: str
    role: str
    granted_by: str
    granted_at: dt.datetime


def list_roles(db: Database) -> list[RoleView]:
    with db.reading() as session:
        return [RoleView(r.person, r.role, r.granted_by, as_utc(r.granted_at)) for r in store.all_roles(session)]


def grant_role(db: Database, who: str, role: str, *, user: str | None = None) -> RoleView:
    """Give ``who`` the ``role``; audited. The first grant of all must be an administrator."""
    role = _role(role)
    target = person_key(person(who))
    actor = acting_person(db, user)
    with db.transaction() as session:
        if store.roles_in_use(session):
            require(db, actor, "admin")
        elif role != "admin":
            raise InputError(
                f"no roles are in use yet: the first role granted must be admin (someone must be able to manage "
                f"roles), e.g. segdesk roles grant \"{actor}\" admin"
            )
        if store.find_role(session, target, role) is not None:
            raise InputError(f"{target} already has the {role} role")
        record = store.add_role(session, target, role, actor)
        append_event(session, actor=actor, action="role.grant", entity="person", entity_id=target,
                     payload={"person": target, "role": role})
        return RoleView(record.person, record.role, record.granted_by, as_utc(record.granted_at))


def revoke_role(db: Database, who: str, role: str, *, user: str | None = None) -> None:
    """Take the ``role`` from ``who``; audited. The last administrator stays."""
    role = _role(role)
    target = person_key(person(who))
    actor = acting_person(db, user, may="admin")
    with db.transaction() as session:
        record = store.find_role(session, target, role)
        if record is None:
            raise InputError(f"{target} does not have the {role} role")
        if role == "admin" and store.holders_of(session, "admin") == [target]:
            raise InputError(f"{target} is the last administrator; grant admin to someone else first")
        session.delete(record)
        append_event(session, actor=actor, action="role.revoke", entity="person", entity_id=target,
                     payload={"person": target, "role": role})


def _role(role: str) -> str:
    cleaned = role.strip().lower()
    if cleaned not in PERSON_ROLES:
        described = "; ".join(f"{r} ({ROLE_WORDS[r]})" for r in PERSON_ROLES)
        raise InputError(f"there is no role {role!r}; the roles are: {described}")
    return cleaned
