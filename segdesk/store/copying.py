"""Copying SegDesk's tables from one database into another (SQLite <-> PostgreSQL), and the
tallies that prove the copy holds what the original holds.

Rows travel through SQLAlchemy's column types, so money arrives as exact Decimals and leaves
as each database wants it (text on SQLite, NUMERIC on PostgreSQL). Primary keys are kept as
they are: findings, batches and audit events keep their numbers, which people quote.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
from collections.abc import Callable, Iterable
from decimal import Decimal

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Connection, Date, DateTime, Engine, Integer, LargeBinary, Table, and_, bindparam, func
from sqlalchemy import inspect, literal, select, text
from sqlalchemy.orm import Session

from segdesk.domain.money import plain
from segdesk.store.audit import ChainReport, verify_chain
from segdesk.store.schema import Base
from segdesk.store.types import Money

CHUNK_ROWS = 5000
# Import batches carry whole statement files: a few per round trip keeps memory small.
BLOB_CHUNK_ROWS = 20
# Wide enough for any sum of NUMERIC(78,36) amounts; Inexact is trapped, so a sum never rounds.
EXACT_SUMS = decimal.Context(prec=400, traps=[decimal.Inexact, decimal.Overflow, decimal.InvalidOperation])
# What the migrations create besides the tables (PostgreSQL): removed with a failed copy.
PG_FUNCTIONS = ("segdesk_audit_events_append_only()",)


def copied_tables() -> list[Table]:
    """Every SegDesk table, parents before children (alembic_version is the migration's own)."""
    return list(Base.metadata.sorted_tables)


def existing_tables(bind: Engine | Connection) -> list[str]:
    """The tables in the database's default schema (where the migrations would create ours)."""
    return sorted(inspect(bind).get_table_names())


def money_columns(table: Table) -> list[Column[object]]:
    return [c for c in table.columns if isinstance(c.type, Money)]


def _self_references(table: Table) -> list[Column[object]]:
    return [fk.parent for fk in table.foreign_keys if fk.column.table is table]


def _aware_columns(table: Table) -> list[str]:
    return [c.key for c in table.columns if isinstance(c.type, DateTime) and c.type.timezone]


def _chunk_rows(table: Table) -> int:
    return BLOB_CHUNK_ROWS if any(isinstance(c.type, LargeBinary) for c in table.columns) else CHUNK_ROWS


def as_utc(value: dt.datetime) -> dt.datetime:
    """A stored moment in UTC. SQLite keeps SegDesk's UTC moments without their zone."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _for_dialect(value: dt.datetime | None, dialect: str) -> dt.datetime | None:
    # PostgreSQL would read a zoneless moment in the session's time zone, and SQLite would drop
    # the zone of a moment in another one: hand each a UTC moment in the form it keeps.
    if value is None:
        return None
    moment = as_utc(value)
    return moment if dialect == "postgresql" else moment.replace(tzinfo=None)


class TableTally:
    """What one database holds in one table: its rows, the exact sum of each money column, and a
    SHA-256 digest of every value, spelled the same whichever database it was read from."""

    def __init__(self, table: Table) -> None:
        self.table = table.name
        self.rows = 0
        self.money: dict[str, Decimal] = {c.key: Decimal(0) for c in money_columns(table)}
        self._money_at = [(c.key, i) for i, c in enumerate(table.columns) if isinstance(c.type, Money)]
        self._spell = [_speller(c) for c in table.columns]
        self._hash = hashlib.sha256()
        # Rows arrive in primary-key order. An integer key orders alike everywhere; text keys
        # follow each database's collation, so those (small) tables are sorted here instead.
        self._sorted: list[str] | None = None if _integer_key(table) else []

    def add(self, rows: list[tuple[object, ...]]) -> None:
        self.rows += len(rows)
        with decimal.localcontext(EXACT_SUMS):
            for name, i in self._money_at:
                self.money[name] += sum((row[i] for row in rows if row[i] is not None), Decimal(0))  # type: ignore[misc]
        spell = self._spell
        for row in rows:
            line = repr(tuple(None if v is None else f(v) for f, v in zip(spell, row, strict=True)))
            if self._sorted is None:
                self._hash.update(line.encode("utf-8") + b"\n")
            else:
                self._sorted.append(line)

    @property
    def digest(self) -> str:
        final = self._hash.copy()
        for line in sorted(self._sorted or ()):
            final.update(line.encode("utf-8") + b"\n")
        return final.hexdigest()


def _integer_key(table: Table) -> bool:
    key = list(table.primary_key.columns)
    return len(key) == 1 and isinstance(key[0].type, Integer)


def _speller(column: Column[object]) -> Callable[[object], object]:
    """How a column's values are written for the digest: one spelling whichever database they
    came from (money without trailing zeros, moments in UTC, files by their SHA-256)."""
    kind = column.type
    if isinstance(kind, Money):
        return plain  # type: ignore[return-value]
    if isinstance(kind, DateTime):
        return lambda v: as_utc(v).isoformat() if kind.timezone else v.isoformat()  # type: ignore[attr-defined]
    if isinstance(kind, Date):
        return lambda v: v.isoformat()  # type: ignore[attr-defined]
    if isinstance(kind, LargeBinary):
        return lambda v: hashlib.sha256(bytes(v)).hexdigest()  # type: ignore[arg-type]
    return _as_is


def _as_is(value: object) -> object:
    return value


def _streamed(conn: Connection, table: Table) -> Iterable[list[tuple[object, ...]]]:
    chunk = _chunk_rows(table)
    query = select(table).order_by(*table.primary_key.columns)
    result = conn.execution_options(yield_per=chunk).execute(query)
    for part in result.partitions(chunk):
        yield [tuple(row) for row in part]


def count_rows(conn: Connection, table: Table) -> int:
    return int(conn.scalar(select(func.count()).select_from(table)) or 0)


def chain_report(conn: Connection) -> ChainReport:
    """The audit trail's chain, checked as seen through ``conn``'s own transaction."""
    with Session(bind=conn) as session:
        return verify_chain(session)


def revision_of(conn: Connection) -> str | None:
    """The schema revision (alembic_version) as seen through ``conn``'s own transaction."""
    return MigrationContext.configure(conn).get_current_revision()


def holds_rows(conn: Connection) -> list[str]:
    """The SegDesk tables that already hold a row."""
    return [
        table.name
        for table in copied_tables()
        if conn.execute(select(literal(1)).select_from(table).limit(1)).first() is not None
    ]


def copy_table(
    source: Connection, target: Connection, table: Table, on_rows: Callable[[int], None]
) -> TableTally:
    """Copy one table's rows, primary keys included, in chunks; returns the source's tally.

    A row may point at a later row of its own table (a batch superseded by a later batch): such
    links are inserted empty and filled in once the whole table is there.
    """
    dialect = target.dialect.name
    keys = [c.key for c in table.columns]
    aware = _aware_columns(table)
    links = _self_references(table)
    pk = [c.key for c in table.primary_key.columns]
    pending: dict[str, list[dict[str, object]]] = {c.key: [] for c in links}
    tally = TableTally(table)
    for part in _streamed(source, table):
        tally.add(part)
        rows = [dict(zip(keys, found, strict=True)) for found in part]
        for row in rows:
            for name in aware:
                row[name] = _for_dialect(row[name], dialect)  # type: ignore[arg-type]
            for column in links:
                if row[column.key] is not None:
                    pending[column.key].append({**{f"pk_{k}": row[k] for k in pk}, "link": row[column.key]})
                    row[column.key] = None
        target.execute(table.insert(), rows)
        on_rows(len(rows))
    for column in links:
        if pending[column.key]:
            where = and_(*(table.c[k] == bindparam(f"pk_{k}") for k in pk))
            target.execute(table.update().where(where).values({column.key: bindparam("link")}), pending[column.key])
    return tally


def tally_table(conn: Connection, table: Table, on_rows: Callable[[int], None]) -> TableTally:
    tally = TableTally(table)
    for part in _streamed(conn, table):
        tally.add(part)
        on_rows(len(part))
    return tally


def restart_sequences(conn: Connection) -> None:
    """PostgreSQL: each id sequence continues after the highest id copied, so new rows get new ids."""
    if conn.dialect.name != "postgresql":
        return
    for table in copied_tables():
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, Integer):
            continue
        sequence = func.pg_get_serial_sequence(table.name, pk[0].name)
        following = select(func.coalesce(func.max(pk[0]), 0) + 1).scalar_subquery()
        conn.execute(select(func.setval(sequence, following, False)))


def drop_copied_schema(engine: Engine) -> None:
    """Remove what the migrations made for a copy that failed: the tables, alembic_version, and
    (PostgreSQL) the audit trigger's function. Only ever run on a database the copy created."""
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        if conn.dialect.name == "postgresql":
            for function in PG_FUNCTIONS:
                conn.execute(text(f"DROP FUNCTION IF EXISTS {function}"))
