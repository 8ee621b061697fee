"""A day's statement lines from SQLite as Arrow columns, for the columnar tally (domain/columnar.py).

Read through ADBC's SQLite driver, which fills Arrow arrays in compiled code: a million lines
arrive in about a second without one Python object per value. Amounts stay our exact text.

It opens the database file a second time, read-only. Called inside the reconcile's write
transaction (BEGIN IMMEDIATE, before that transaction has written anything), it sees exactly what
that transaction sees: no other program can commit while the lock is held. It still checks that it
sees as many lines in the file as the caller does, and the caller reads the rows itself on any
difference or failure.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pyarrow as pa

LINES_SQL = """
SELECT sl.statement_id AS part, sl.reference, sl.asset, sl.sheet, sl.price, sl.quantity, sl.value, sl.equity,
       sl.initial_margin, sl.maintenance_margin, sl.row
FROM statement_lines sl JOIN statements st ON st.id = sl.statement_id
WHERE st.as_of <= ? AND st.superseded_by_id IS NULL
"""


# SEGDESK_COLUMNS: "auto" (the default: columns where they can be read, else rows), "off" (always
# rows: a way round should the column path ever misbehave), "require" (columns or an error: the
# packaged app's smoke test uses it to prove the driver made it into the bundle).
COLUMNS_SETTING = "SEGDESK_COLUMNS"


class ColumnsUnavailable(Exception):
    """The lines could not be read as columns here; read them as rows instead."""


def columns_wanted() -> str:
    value = os.environ.get(COLUMNS_SETTING, "auto").strip().lower()
    return value if value in ("auto", "off", "require") else "auto"


def live_line_table(path: Path, as_of: dt.date, stored: int) -> pa.Table:
    """The lines of every live statement dated on or before ``as_of``: the columns of
    ``model.LineRow``. ``stored``: how many lines the caller's transaction sees in the database,
    live or not; the read is refused unless it sees as many (the same state of the file)."""
    try:
        import adbc_driver_sqlite.dbapi as adbc_sqlite
    except Exception as e:  # noqa: BLE001 - a build without a working driver: the rows path still works
        raise ColumnsUnavailable(f"no ADBC SQLite driver: {e}") from e
    uri = f"{path.resolve().as_uri()}?mode=ro"
    try:
        with adbc_sqlite.connect(uri) as connection, connection.cursor() as cursor:
            # The driver decides each column's type from its first batch: one batch for all the
            # lines, so a column empty at the start and text later is still read as text.
            # One transaction (the driver's default): the count and the lines are one snapshot.
            cursor.execute("SELECT count(*) FROM statement_lines")
            seen = cursor.fetchone()[0]
            cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(max(seen, 1) + 1)})
            cursor.execute(LINES_SQL, (as_of.isoformat(),))
            table = cursor.fetch_arrow_table()
    except Exception as e:  # noqa: BLE001 - any driver failure means: use the rows path
        raise ColumnsUnavailable(f"reading the lines through ADBC failed: {e}") from e
    if seen != stored:
        raise ColumnsUnavailable(f"the file holds {seen} lines as read for columns, {stored} as the caller sees it")
    return table
