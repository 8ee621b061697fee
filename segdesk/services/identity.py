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


def acting_person(db: Database, user: str | None, may: str | None = None) -> str:
    """Who is acting. On a shared PostgreSQL database that is the database login and nobody else:
    a typed name that is not the login is refused, so four eyes really are two logins. On a
    personal SQLite file the name is as declared (``--user``, else the OS account); the OS account
    is recorded beside it in the audit trail (``signed_in_as``).

    ``may``: the duty about to be done (a key of ``DUTIES``). Once roles are in use, a person
    without a role for it is refused here, before anything is read or written."""
    from segdesk.domain.problems import InputError

    login = current_user(db)
    if user and db.engine.dialect.name == "postgresql" and not same_person(user, login):
        raise InputError(
            f"on a shared database you act as your database login '{login}'; '{user}' cannot be named instead "
            "(sign in as that person)"
        )
    acting = person(user or login)
    if may is not None:
        require(db, acting, may)
    return acting


# duty -> (what it is, in words; the roles that allow it)
DUTIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "import": ("import statements, prices and ledgers", ("importer",)),
    "chart": ("change the chart of accounts, mappings and settings", ("chart",)),
    "reconcile": ("reconcile a day", ("preparer", "reviewer")),
    "act": ("acknowledge, resolve or waive findings", ("preparer", "reviewer")),
    "prepare": ("sign a run off as preparer", ("preparer",)),
    "review": ("approve a run as reviewer", ("reviewer",)),
    "export": ("export audit packs", ("exporter",)),
    "admin": ("grant and revoke roles", ("admin",)),
}

ROLE_WORDS = {
    "admin": "grants and revokes roles",
    "importer": "imports statements, prices and ledgers",
    "chart": "keeps the chart: sub-accounts, accounts, mappings, settings",
    "preparer": "reconciles, works findings, signs off as preparer",
    "reviewer": "reconciles, works findings, approves as reviewer",
    "exporter": "exports signed audit packs",
}


def person_key(name: str) -> str:
    """The one spelling a person's roles are kept under (see ``same_person``)."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def require(db: Database, acting: str, duty: str) -> None:
    """Refuse ``acting`` the ``duty`` unless roles are not in use or one of theirs allows it."""
    from segdesk.domain.problems import InputError
    from segdesk.store import roles as store

    words, allowed = DUTIES[duty]
    with db.reading() as session:
        if not store.roles_in_use(session):
            return
        held = store.roles_of(session, person_key(acting))
    if held & set(allowed):
        return
    having = f"{acting} has {', '.join(sorted(held))}" if held else f"{acting} has no role"
    needed = " or ".join(allowed)
    raise InputError(
        f"{acting} may not {words}: that needs the {needed} role, and {having}. An administrator can grant it: "
        f"segdesk roles grant \"{acting}\" {allowed[0]}"
    )


def person(name: str) -> str:
    """A name as given, trimmed; refused when empty."""
    from segdesk.domain.problems import InputError

    cleaned = " ".join(name.split())
    if not cleaned:
        raise InputError("a person's name is required (--user)")
    return cleaned


def same_person(a: str, b: str) -> bool:
    """Four eyes compare people, not spellings: case, spacing and Unicode forms do not count."""
    return person_key(a) == person_key(b)
