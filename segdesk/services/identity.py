"""Who is acting: the OS account on SQLite, the database login on PostgreSQL."""

from __future__ import annotations

import getpass

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
