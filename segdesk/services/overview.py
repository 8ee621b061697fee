"""Plain values for screens and reports: no ORM object leaves this module."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from segdesk.store import repositories as repo
from segdesk.store.engine import Database


@dataclass(frozen=True)
class ImportSummary:
    batch_id: int
    file_name: str
    source: str
    kind: str
    as_of: dt.date | None
    rows: int
    imported_by: str
    imported_at: dt.datetime
    sha256: str
    superseded: bool


def as_utc(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back the naive UTC time we stored; PostgreSQL an aware one."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def list_imports(db: Database) -> list[ImportSummary]:
    with db.reading() as session:
        return [
            ImportSummary(
                batch_id=b.id,
                file_name=b.file_name,
                source=b.source.name,
                kind=b.source.kind,
                as_of=b.as_of,
                rows=b.row_count,
                imported_by=b.imported_by,
                imported_at=as_utc(b.imported_at),
                sha256=b.sha256,
                superseded=b.superseded_by_id is not None,
            )
            for b in repo.list_batches(session)
        ]


@dataclass(frozen=True)
class DayFigures:
    """One reconciled day's headline figures (its latest run), for the trend on the dashboard."""

    as_of: dt.date
    run_id: int
    base_currency: str
    requirement: Decimal
    resources: Decimal
    excess: Decimal
    undermargined: Decimal


def day_history(db: Database, limit: int = 30) -> list[DayFigures]:
    import json

    from segdesk.store import records

    out = []
    with db.reading() as session:
        for run in records.latest_runs_by_day(session, limit):
            seg = json.loads(run.results)["segregation"]
            out.append(DayFigures(run.as_of, run.id, run.base_currency, Decimal(seg["requirement"]),
                                  Decimal(seg["resources"]), Decimal(seg["excess"]), Decimal(seg["undermargined"])))
    return out


def statement_days(db: Database) -> list[dt.date]:
    from segdesk.store import records

    with db.reading() as session:
        return records.statement_days(session)


@dataclass(frozen=True)
class LineRow:
    """One stored statement line, as imported (amounts exact)."""

    row: int
    sheet: str | None
    account: str
    reference: str | None
    asset: str
    quantity: Decimal
    price: Decimal | None
    value: Decimal | None
    equity: Decimal | None
    initial_margin: Decimal | None
    maintenance_margin: Decimal | None
    as_of: dt.date


def batch_line_count(db: Database, batch_id: int) -> int:
    from segdesk.store import records

    with db.reading() as session:
        return records.batch_line_count(session, batch_id)


def batch_lines(db: Database, batch_id: int, offset: int, limit: int) -> list[LineRow]:
    """A page of an imported file's lines, in file order: for a table that shows a million rows."""
    from segdesk.store import records

    with db.reading() as session:
        return [LineRow(*row) for row in records.batch_lines(session, batch_id, offset, limit)]
