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
