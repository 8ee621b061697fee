"""Who is acting: the OS account on SQLite, the database login on PostgreSQL."""

from __future__ import annotations

import getpass
import unicodedata

from sqlalchemy import text

from segdesk.store.engine import Database


def current_user(db: Database) -> str:
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            return str(conn.execute(text("SELECT current_user")).scalar_one())
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers) and no USER variable
        return "unknown"


def acting_person(db: Database, user: str | None) -> str:
    """Who is acting. On a shared PostgreSQL database that is the database login and nobody else:
    a typed name that is not the login is refused, so four eyes really are two logins. On a
    personal SQLite file the name is as declared (``--user``, else the OS account); the OS account
    is recorded beside it in the audit trail (``signed_in_as``)."""
    from segdesk.domain.problems import InputError

    login = current_user(db)
    if user and db.engine.dialect.name == "postgresql" and not same_person(user, login):
        raise InputError(
            f"on a shared database you act as your database login '{login}'; '{user}' cannot be named instead "
            "(sign in as that person)"
        )
    return person(user or login)


def person(name: str) -> str:
    """A name as given, trimmed; refused when empty."""
    from segdesk.domain.problems import InputError

    cleaned = " ".join(name.split())
    if not cleaned:
        raise InputError("a person's name is required (--user)")
    return cleaned


def same_person(a: str, b: str) -> bool:
    """Four eyes compare people, not spellings: case, spacing and Unicode forms do not count."""
    def key(name: str) -> str:
        return " ".join(unicodedata.normalize("NFKC", name).casefold().split())

    return key(a) == key(b)
