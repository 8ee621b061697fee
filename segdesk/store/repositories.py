"""Queries and writes, one function per question; services call these, views never do."""

from __future__ import annotations

import datetime as dt
import itertools
from operator import itemgetter

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from segdesk.store.schema import (
    AssetTolerance,
    ExternalAccount,
    Finding,
    FindingEvent,
    ImportBatch,
    Mapping,
    Price,
    Run,
    Setting,
    SignOff,
    Source,
    Statement,
    StatementLine,
    SubAccount,
)


def get_setting(session: Session, key: str, default: str) -> str:
    row = session.get(Setting, key)
    return row.value if row else default


def source_by_name(session: Session, name: str) -> Source | None:
    return session.scalars(select(Source).where(Source.name == name)).first()


def get_or_create_source(session: Session, name: str, kind: str) -> tuple[Source, bool]:
    source = source_by_name(session, name)
    if source is not None:
        return source, False
    source = Source(name=name, kind=kind)
    session.add(source)
    session.flush()
    return source, True


def external_account(session: Session, source_id: int, account: str) -> ExternalAccount | None:
    return session.scalars(
        select(ExternalAccount).where(ExternalAccount.source_id == source_id, ExternalAccount.account == account)
    ).first()


def get_or_create_account(session: Session, source: Source, account: str) -> tuple[ExternalAccount, bool]:
    found = external_account(session, source.id, account)
    if found is not None:
        return found, False
    # Accounts not in the chart are accepted; with no designation their lines stay unmapped.
    found = ExternalAccount(source_id=source.id, account=account, designation=None)
    session.add(found)
    session.flush()
    return found, True


def batch_by_content(session: Session, sha256: str, sheet: str | None) -> ImportBatch | None:
    """An earlier import of these exact bytes (and, for a workbook, this sheet)."""
    return session.scalars(
        select(ImportBatch).where(ImportBatch.sha256 == sha256, ImportBatch.sheet == (sheet or ""))
    ).first()


def live_prices(session: Session, keys: set[tuple[str, dt.date]]) -> list[Price]:
    """Prices for these (asset, date) pairs that no later prices file has replaced."""
    if not keys:
        return []
    assets = sorted({asset for asset, _ in keys})
    dates = sorted({as_of for _, as_of in keys})
    rows = session.scalars(
        select(Price).where(
            Price.asset.in_(assets), Price.as_of.in_(dates), Price.superseded_by_batch_id.is_(None)
        )
    )
    return [p for p in rows if (p.asset, p.as_of) in keys]


def accounts_of_source(session: Session, source_id: int) -> dict[str, ExternalAccount]:
    return {
        a.account: a
        for a in session.scalars(select(ExternalAccount).where(ExternalAccount.source_id == source_id))
    }


def live_statements_of_source(
    session: Session, source_id: int, dates: set[dt.date], *, except_batch: int | None = None
) -> dict[tuple[int, dt.date], list[Statement]]:
    """Unsuperseded statements of one source on the given dates, by (account id, date); without
    those of batch ``except_batch`` (an import's own, new statements)."""
    found: dict[tuple[int, dt.date], list[Statement]] = {}
    query = (
        select(Statement)
        .join(ExternalAccount)
        .where(
            ExternalAccount.source_id == source_id,
            Statement.as_of.in_(sorted(dates)),
            Statement.superseded_by_id.is_(None),
        )
    )
    if except_batch is not None:
        query = query.where(Statement.batch_id != except_batch)
    rows = session.scalars(query)
    for statement in rows:
        found.setdefault((statement.external_account_id, statement.as_of), []).append(statement)
    return found


def batch_fully_superseded(session: Session, batch_id: int) -> bool:
    remaining = session.scalar(
        select(func.count())
        .select_from(Statement)
        .where(Statement.batch_id == batch_id, Statement.superseded_by_id.is_(None))
    )
    return remaining == 0


def list_batches(session: Session) -> list[ImportBatch]:
    return list(session.scalars(select(ImportBatch).order_by(ImportBatch.id)))


def statement_lines(session: Session, batch_id: int) -> list[StatementLine]:
    return list(
        session.scalars(
            select(StatementLine)
            .join(Statement)
            .where(Statement.batch_id == batch_id)
            .order_by(StatementLine.row)
        )
    )


def sub_accounts(session: Session) -> list[SubAccount]:
    return list(session.scalars(select(SubAccount).order_by(SubAccount.code)))


def external_accounts(session: Session) -> list[ExternalAccount]:
    return list(
        session.scalars(select(ExternalAccount).join(Source).order_by(Source.name, ExternalAccount.account))
    )


def mappings(session: Session) -> list[Mapping]:
    return list(
        session.scalars(
            select(Mapping)
            .join(ExternalAccount)
            .join(Source)
            .order_by(Source.name, ExternalAccount.account, Mapping.reference, Mapping.valid_from)
        )
    )


# --- reconciliation inputs -----------------------------------------------------------------------


def live_statement_heads(session: Session, as_of: dt.date) -> list[tuple]:  # type: ignore[type-arg]
    """Every statement dated on or before ``as_of`` that no later import replaced, as plain rows:
    (statement id, source, source kind, account, designation, statement date, file, lines)."""
    lines = (select(func.count()).select_from(StatementLine).where(StatementLine.statement_id == Statement.id)
             .scalar_subquery())
    query = (
        select(Statement.id, Source.name, Source.kind, ExternalAccount.account, ExternalAccount.designation,
               Statement.as_of, ImportBatch.file_name, lines)
        .select_from(Statement)
        .join(ExternalAccount, Statement.external_account_id == ExternalAccount.id)
        .join(Source, ExternalAccount.source_id == Source.id)
        .join(ImportBatch, Statement.batch_id == ImportBatch.id)
        .where(Statement.as_of <= as_of, Statement.superseded_by_id.is_(None))
        .order_by(Statement.id)
    )
    return _rows(session, query, dates=(5,))


def live_line_rows(session: Session, as_of: dt.date) -> list[tuple]:  # type: ignore[type-arg]
    """Every line of those statements, in one query, as the rows a reconciliation reads (model.LineRow):
    (statement id, reference, asset, sheet, price, quantity, value, equity, initial margin,
    maintenance margin, row). Amounts are our exact text on SQLite, Decimals elsewhere. A
    statement's lines come together (the order of the statement id index, which costs no sort).
    """
    query = (
        select(
            StatementLine.statement_id, StatementLine.reference, StatementLine.asset, StatementLine.sheet,
            StatementLine.price, StatementLine.quantity, StatementLine.value, StatementLine.equity,
            StatementLine.initial_margin, StatementLine.maintenance_margin, StatementLine.row,
        )
        .select_from(StatementLine)
        .join(Statement, StatementLine.statement_id == Statement.id)
        .where(Statement.as_of <= as_of, Statement.superseded_by_id.is_(None))
        .order_by(StatementLine.statement_id)
    )
    return _rows(session, query)


def _rows(session: Session, query, dates: tuple[int, ...] = ()) -> list[tuple]:  # type: ignore[no-untyped-def, type-arg]
    """A query's rows as plain tuples. On SQLite they are read straight from the driver:
    SQLAlchemy's per-value result processing costs more than a reconciliation's checks at a
    million lines. Money stays our exact text there; the columns at ``dates`` (ISO text) become dates.
    """
    if session.get_bind().dialect.name != "sqlite":
        return [tuple(row) for row in session.execute(query)]
    connection = session.connection()
    compiled = query.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    params = [compiled.params[name] for name in compiled.positiontup]  # type: ignore[union-attr]
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(str(compiled), [p.isoformat() if isinstance(p, dt.date) else p for p in params])
        rows = cursor.fetchall()
    finally:
        cursor.close()
    texts = set().union(*(map(itemgetter(i), rows) for i in dates)) - {None}
    if not texts:
        return rows
    day = {None: None, **{text: dt.date.fromisoformat(text) for text in texts}}
    if len(dates) == 1:  # the usual case, a row of a hundred thousand statements: slices, not a loop per value
        i = dates[0]
        return [(*row[:i], day[row[i]], *row[i + 1:]) for row in rows]
    return [tuple(day[v] if i in dates else v for i, v in enumerate(row)) for row in rows]


def statement_line_count(session: Session) -> int:
    """How many statement lines the database holds, live or not (SQLite counts them without a scan)."""
    return session.scalar(select(func.count()).select_from(StatementLine)) or 0


def live_batch_ids_until(session: Session, as_of: dt.date) -> set[int]:
    """The import batches whose statements a reconciliation of ``as_of`` reads."""
    return set(
        session.scalars(
            select(Statement.batch_id)
            .where(Statement.as_of <= as_of, Statement.superseded_by_id.is_(None))
            .distinct()
        )
    )


def mapping_query(*leading):  # type: ignore[no-untyped-def]
    """(``leading`` columns, then source, account, reference, sub-account code, valid from, valid to)
    of mappings: filter and order it as the question needs."""
    return (
        select(*leading, Source.name, ExternalAccount.account, Mapping.reference, SubAccount.code,
               Mapping.valid_from, Mapping.valid_to)
        .select_from(Mapping)
        .join(ExternalAccount, Mapping.external_account_id == ExternalAccount.id)
        .join(Source, ExternalAccount.source_id == Source.id)
        .join(SubAccount, Mapping.sub_account_id == SubAccount.id)
    )


def mapping_rows(session: Session) -> list[tuple]:  # type: ignore[type-arg]
    """Every mapping (see ``mapping_query``), in the order they were made."""
    return _rows(session, mapping_query().order_by(Mapping.id), dates=(4, 5))


def sub_account_rows(session: Session) -> list[tuple]:  # type: ignore[type-arg]
    """(code, name, kind, client) of every sub-account, as plain rows."""
    return _rows(session, select(SubAccount.code, SubAccount.name, SubAccount.kind, SubAccount.client)
                 .order_by(SubAccount.code))


def designation_rows(session: Session) -> list[tuple]:  # type: ignore[type-arg]
    """(source, account, designation) of every external account, as plain rows."""
    return _rows(session, select(Source.name, ExternalAccount.account, ExternalAccount.designation)
                 .join(Source, ExternalAccount.source_id == Source.id)
                 .order_by(Source.name, ExternalAccount.account))


def batches_by_id(session: Session, ids: set[int]) -> list[ImportBatch]:
    return list(session.scalars(select(ImportBatch).where(ImportBatch.id.in_(sorted(ids))).order_by(ImportBatch.id)))


def live_prices_until(session: Session, as_of: dt.date) -> list[Price]:
    return list(
        session.scalars(select(Price).where(Price.as_of <= as_of, Price.superseded_by_batch_id.is_(None)))
    )


def tolerances(session: Session) -> list[AssetTolerance]:
    return list(session.scalars(select(AssetTolerance)))


def price_batches_until(session: Session, as_of: dt.date) -> list[ImportBatch]:
    return list(
        session.scalars(
            select(ImportBatch)
            .join(Price, Price.batch_id == ImportBatch.id)
            .where(Price.as_of <= as_of, Price.superseded_by_batch_id.is_(None))
            .distinct()
        )
    )


# --- runs, findings, sign-offs -------------------------------------------------------------------


def latest_run(session: Session, as_of: dt.date) -> Run | None:
    return session.scalars(select(Run).where(Run.as_of == as_of).order_by(Run.id.desc()).limit(1)).first()


def latest_run_any_day(session: Session) -> Run | None:
    return session.scalars(select(Run).order_by(Run.as_of.desc(), Run.id.desc()).limit(1)).first()


def findings_of_run(session: Session, run_id: int) -> list[Finding]:
    return list(session.scalars(select(Finding).where(Finding.run_id == run_id).order_by(Finding.id)))


def insert_findings(session: Session, rows: list[dict]) -> list[int]:  # type: ignore[type-arg]
    """Store a run's findings (all of one new run) in one bulk insert; their new ids, in the order
    given. On SQLite straight through the driver, as imports write lines: a run can have tens of
    thousands of findings, and Core's per-row processing cost more than the rest of storing them."""
    if not rows:
        return []
    table = Finding.__table__
    cursor = _raw_sqlite_cursor(session)
    if cursor is None:
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list(session.connection().execute(statement, rows).scalars())
    cursor.close()
    columns = tuple(rows[0])
    money, dialect = table.c.amount.type, session.get_bind().dialect
    amount = columns.index("amount")
    _insert_rows(session, table, columns, [
        tuple(money.process_bind_param(v, dialect) if i == amount else v for i, v in enumerate(row.values()))
        for row in rows
    ])
    # A new row's id is the largest so far plus one, so the run's findings, inserted in order
    # inside this one write transaction, have ascending ids in that order.
    run_ids = {row["run_id"] for row in rows}
    ids = list(session.scalars(select(Finding.id).where(Finding.run_id.in_(run_ids)).order_by(Finding.id)))
    if len(ids) != len(rows):
        raise RuntimeError(f"stored {len(ids)} findings for {len(rows)}")
    return ids


def events_of_findings(session: Session, finding_ids: list[int]) -> dict[int, list[FindingEvent]]:
    """Every finding's history in one query, oldest step first."""
    found: dict[int, list[FindingEvent]] = {i: [] for i in finding_ids}
    for start in range(0, len(finding_ids), 900):  # stay under SQLite's bound-parameter limit
        chunk = finding_ids[start:start + 900]
        rows = session.scalars(
            select(FindingEvent).where(FindingEvent.finding_id.in_(chunk)).order_by(FindingEvent.id)
        )
        for event in rows:
            found[event.finding_id].append(event)
    return found


def sign_offs(session: Session, run_id: int) -> dict[str, SignOff]:
    return {s.role: s for s in session.scalars(select(SignOff).where(SignOff.run_id == run_id))}


# --- importing: bulk writes ------------------------------------------------------------------------
# An import writes up to millions of rows in one transaction. On SQLite these go straight to the
# driver (its executemany over plain tuples): the ORM's and Core's per-row parameter dicts and
# type processing cost more than the whole rest of an import. Amounts arrive as our exact plain
# text, which is exactly what the Money type stores on SQLite; elsewhere (PostgreSQL) they go
# through Core as Decimals, made from that text, into NUMERIC.

_MONEY_COLUMNS = frozenset({"quantity", "price", "value", "equity", "initial_margin", "maintenance_margin"})


def _raw_sqlite_cursor(session: Session):  # type: ignore[no-untyped-def]
    """The driver cursor of the session's connection (its transaction), or None when not SQLite."""
    if session.get_bind().dialect.name != "sqlite":
        return None
    return session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]


def _as_decimals(columns: tuple[str, ...], rows: list) -> list[dict]:  # type: ignore[type-arg]
    from decimal import Decimal

    money = [i for i, name in enumerate(columns) if name in _MONEY_COLUMNS]
    found = []
    for row in rows:
        values = dict(zip(columns, row))
        for i in money:
            if row[i] is not None:
                values[columns[i]] = Decimal(row[i])
        found.append(values)
    return found


def insert_external_accounts(session: Session, source_id: int, accounts: list[str]) -> dict[str, int]:
    """New external accounts of a source (no designation yet), in this order: their ids."""
    cursor = _raw_sqlite_cursor(session)
    if cursor is None:
        created = [ExternalAccount(source_id=source_id, account=a, designation=None) for a in accounts]
        session.add_all(created)
        session.flush()
        return {a.account: a.id for a in created}
    try:
        ids = {}
        for account in accounts:
            cursor.execute("INSERT INTO external_accounts (source_id, account) VALUES (?, ?)", (source_id, account))
            ids[account] = cursor.lastrowid
        return ids
    finally:
        cursor.close()


def insert_statements(session: Session, batch_id: int, keys: list[tuple[int, dt.date]]) -> list[int]:
    """New statements of a batch, one per (external account id, as-of date): their ids, in order."""
    cursor = _raw_sqlite_cursor(session)
    if cursor is None:
        created = [Statement(batch_id=batch_id, external_account_id=a, as_of=d) for a, d in keys]
        session.add_all(created)
        session.flush()
        return [s.id for s in created]
    try:
        ids = []
        for account_id, as_of in keys:
            cursor.execute(
                "INSERT INTO statements (batch_id, external_account_id, as_of) VALUES (?, ?, ?)",
                (batch_id, account_id, as_of.isoformat()),
            )
            ids.append(cursor.lastrowid)
        return ids
    finally:
        cursor.close()


def insert_statement_lines(
    session: Session, columns: tuple[str, ...], rows: list, constants: dict[str, object] | None = None  # type: ignore[type-arg]
) -> None:
    """Store statement lines: ``rows`` are sequences of values for ``columns`` (names of
    statement_lines columns; money as exact plain text); ``constants`` gives columns one value for
    every row. Columns named in neither stay NULL."""
    _insert_rows(session, StatementLine.__table__, columns, rows, constants)


def insert_prices(session: Session, columns: tuple[str, ...], rows: list) -> None:  # type: ignore[type-arg]
    """Store prices, as `insert_statement_lines` stores lines."""
    _insert_rows(session, Price.__table__, columns, rows)


# Rows per INSERT statement on SQLite: one statement of many rows costs SQLite (and the driver)
# less than as many one-row statements. 100 rows of 12 columns stay far below SQLite's limits on
# bound parameters and on the rows of a VALUES clause.
_ROWS_PER_INSERT = 100


def _insert_rows(  # type: ignore[no-untyped-def]
    session: Session, table, columns: tuple[str, ...], rows: list, constants: dict[str, object] | None = None  # type: ignore[type-arg]
) -> None:
    if not rows:
        return
    constants = constants or {}
    unknown = (set(columns) | set(constants)) - set(table.c.keys())
    if unknown:
        raise ValueError(f"no such columns in {table.name}: {sorted(unknown)}")
    cursor = _raw_sqlite_cursor(session)
    if cursor is None:
        values = _as_decimals(columns, rows)
        for name, value in constants.items():
            for row in values:
                row[name] = value
        session.execute(insert(table), values)
        return
    dates = [i for i, name in enumerate(columns) if name == "as_of"]
    if dates:  # stored as ISO text on SQLite, as SQLAlchemy's Date does
        rows = [tuple(v.isoformat() if i in dates else v for i, v in enumerate(row)) for row in rows]
    # A constant is written into the statement as an SQL literal rather than bound on every row;
    # only text and integers, and text without NUL, which SQL text cannot hold.
    literals = {}
    for name, value in constants.items():
        if isinstance(value, str) and "\x00" not in value:
            literals[name] = "'" + value.replace("'", "''") + "'"
        elif isinstance(value, int) and not isinstance(value, bool):
            literals[name] = str(int(value))
        else:
            raise ValueError(f"{name}: a constant must be text or an integer")
    names = ", ".join([*columns, *literals])
    one = "(" + ", ".join(["?"] * len(columns) + list(literals.values())) + ")"
    width = len(columns)
    whole = len(rows) - len(rows) % _ROWS_PER_INSERT
    try:
        if whole:
            flat = list(itertools.chain.from_iterable(rows[:whole]))
            step = width * _ROWS_PER_INSERT
            cursor.executemany(
                f"INSERT INTO {table.name} ({names}) VALUES {', '.join([one] * _ROWS_PER_INSERT)}",
                [flat[i:i + step] for i in range(0, len(flat), step)],
            )
        if whole < len(rows):
            cursor.executemany(f"INSERT INTO {table.name} ({names}) VALUES {one}", rows[whole:])
    finally:
        cursor.close()


def set_sqlite_cache(session: Session, kibibytes: int) -> int | None:
    """Set SQLite's page cache for this connection (PRAGMA cache_size, in KiB); the setting it had
    (negative: KiB, positive: pages), to put back. None (and nothing done) on other databases."""
    cursor = _raw_sqlite_cursor(session)
    if cursor is None:
        return None
    try:
        before = cursor.execute("PRAGMA cache_size").fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = {int(-abs(kibibytes)) if kibibytes else 0}")
        return int(before)
    finally:
        cursor.close()


def restore_sqlite_cache(session: Session, setting: int | None) -> None:
    if setting is None:
        return
    cursor = _raw_sqlite_cursor(session)
    if cursor is not None:
        try:
            cursor.execute(f"PRAGMA cache_size = {int(setting)}")
        finally:
            cursor.close()
