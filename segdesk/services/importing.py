"""Importing one statement file: read, check every cell, then store it whole in one transaction."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert

from segdesk.domain.problems import InputError
from segdesk.domain.progress import Progress
from segdesk.ingest.profile import Profile, load_profile
from segdesk.ingest.readers import ReadError, read_table
from segdesk.ingest.statement import ParsedLine, ParsedStatement, parse_statement
from segdesk.services.identity import current_user
from segdesk.store import repositories as repo
from segdesk.store.audit import append_event
from segdesk.store.engine import Database
from segdesk.store.schema import ExternalAccount, ImportBatch, Price, Source, Statement, StatementLine


@dataclass(frozen=True)
class ImportResult:
    batch_id: int
    file_name: str
    sha256: str
    source: str
    rows: int
    statements: int
    superseded: int
    skipped_rows: int
    as_of: dt.date | None


def import_statement(
    db: Database,
    path: Path,
    profile: Profile | Path,
    *,
    as_of: dt.date | None = None,
    user: str | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import ``path`` all or nothing. Raises InputError listing every problem; stores nothing then."""
    progress = progress or Progress()
    if isinstance(profile, Path):
        profile = load_profile(profile)
    user = user or current_user(db)
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    sha256 = hashlib.sha256(content).hexdigest()
    progress.report(0, 1, "Opening file")
    with _without_cycle_collection():
        try:
            table = read_table(path, sheet=profile.sheet, encoding=profile.encoding, delimiter=profile.delimiter)
        except ReadError as exc:
            raise InputError(str(exc)) from None
        parsed = parse_statement(table, profile, as_of, progress)
        if parsed.problems:
            raise InputError(parsed.problems)
        progress.report(0, 1, "Saving")
        # The write transaction holds the database's write lock (BEGIN IMMEDIATE on SQLite, an
        # advisory lock on PostgreSQL), so the duplicate check and the supersede reads inside it
        # cannot race another import.
        with db.transaction() as session:
            earlier = repo.batch_by_content(session, sha256, table.sheet)
            if earlier is not None:
                raise InputError(_duplicate_message(path.name, earlier))
            result = _store(session, path.name, content, sha256, profile, parsed, user)
    progress.report(1, 1, "Saved")
    return result


@contextlib.contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """An import makes millions of small objects (cells, Decimals, rows) and no reference cycles;
    Python's cycle collector would still walk them all, again and again, each pass holding the
    interpreter lock for up to 100 ms at 100k rows: long enough to freeze the window while the
    import runs in the background. Reference counting frees them all the same."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def a_or_an(word: str) -> str:
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def _duplicate_message(name: str, earlier: ImportBatch) -> str:
    when = earlier.imported_at.strftime("%Y-%m-%d %H:%M UTC")
    sheet = f", sheet '{earlier.sheet}'" if earlier.sheet else ""
    return (
        f"{name}{sheet}: this exact file was already imported (as '{earlier.file_name}', batch {earlier.id}, "
        f"by {earlier.imported_by} on {when}); nothing was imported"
    )


def _store(
    session,  # type: ignore[no-untyped-def]
    file_name: str,
    content: bytes,
    sha256: str,
    profile: Profile,
    parsed: ParsedStatement,
    user: str,
) -> ImportResult:
    source, created = repo.get_or_create_source(session, profile.source, profile.kind)
    if not created and source.kind != profile.kind:
        raise InputError(
            f"{file_name}: the profile says {profile.source!r} is {a_or_an(profile.kind)}, but it is already "
            f"known as {a_or_an(source.kind)}; correct the profile's kind"
        )
    dates = {line.as_of for line in parsed.lines}
    batch = ImportBatch(
        file_name=file_name,
        sha256=sha256,
        size=len(content),
        content=content,
        source_id=source.id,
        sheet=parsed.sheet or "",
        profile=profile.text,
        as_of=next(iter(dates)) if len(dates) == 1 else None,
        row_count=len(parsed.lines),
        imported_by=user,
        imported_at=dt.datetime.now(dt.UTC),
    )
    session.add(batch)
    session.flush()
    if created:
        append_event(session, actor=user, action="source.create", entity="source", entity_id=source.id,
                     payload={"name": source.name, "kind": source.kind})
    if profile.kind == "prices":
        statements, new_accounts = 0, []
        superseded = _store_prices(session, batch, parsed, user)
    else:
        statements, superseded, new_accounts = _store_statements(session, batch, source, parsed, user)
    append_event(
        session,
        actor=user,
        action="import",
        entity="import_batch",
        entity_id=batch.id,
        payload={
            "file": file_name,
            "sha256": sha256,
            "size": len(content),
            "source": source.name,
            "kind": profile.kind,
            "sheet": parsed.sheet,
            "rows": len(parsed.lines),
            "as_of": sorted(d.isoformat() for d in dates),
            "statements": statements,
            # Accounts first seen on this statement, not yet in the chart (no designation).
            "new_accounts": new_accounts,
        },
    )
    return ImportResult(
        batch_id=batch.id,
        file_name=file_name,
        sha256=sha256,
        source=source.name,
        rows=len(parsed.lines),
        statements=statements,
        superseded=superseded,
        skipped_rows=len(parsed.skipped_rows),
        as_of=batch.as_of,
    )


def _store_prices(session, batch: ImportBatch, parsed: ParsedStatement, user: str) -> int:  # type: ignore[no-untyped-def]
    """Store the prices; a later file's price for the same asset and date replaces the earlier."""
    keys = {(line.asset, line.as_of) for line in parsed.lines}
    older = repo.live_prices(session, keys)
    for old in older:
        old.superseded_by_batch_id = batch.id
    if older:
        append_event(session, actor=user, action="prices.supersede", entity="import_batch", entity_id=batch.id,
                     payload={"replaced": sorted(f"{p.asset}@{p.as_of.isoformat()}#batch{p.batch_id}" for p in older)})
    session.execute(
        insert(Price),
        [
            {"batch_id": batch.id, "asset": line.asset, "as_of": line.as_of, "price": line.price,
             "sheet": parsed.sheet, "row": line.row}
            for line in parsed.lines
        ],
    )
    return len(older)


def _store_statements(
    session,  # type: ignore[no-untyped-def]
    batch: ImportBatch,
    source: Source,
    parsed: ParsedStatement,
    user: str,
) -> tuple[int, int, list[str]]:
    """Store one statement per (account, date); supersede what they replace. Queries are per file, not per line."""
    groups: dict[tuple[str, dt.date], list[ParsedLine]] = defaultdict(list)
    for line in parsed.lines:
        groups[(line.account, line.as_of)].append(line)  # type: ignore[index]
    accounts = repo.accounts_of_source(session, source.id)
    # Accounts not in the chart are accepted; with no designation their lines stay unmapped.
    new_accounts = sorted({account for account, _ in groups} - accounts.keys())
    for account_text in new_accounts:
        accounts[account_text] = ExternalAccount(source_id=source.id, account=account_text, designation=None)
        session.add(accounts[account_text])
    session.flush()
    older = repo.live_statements_of_source(session, source.id, {as_of for _, as_of in groups})
    statements = {
        key: Statement(batch_id=batch.id, external_account_id=accounts[key[0]].id, as_of=key[1]) for key in groups
    }
    session.add_all(statements.values())
    session.flush()
    superseded = 0
    touched_batches: set[int] = set()
    for (account_text, as_of), statement in statements.items():
        for old in older.get((statement.external_account_id, as_of), []):
            old.superseded_by_id = statement.id
            touched_batches.add(old.batch_id)
            superseded += 1
            append_event(session, actor=user, action="statement.supersede", entity="statement", entity_id=old.id,
                         payload={"source": source.name, "account": account_text, "as_of": as_of.isoformat(),
                                  "old_batch": old.batch_id, "new_batch": batch.id, "new_statement": statement.id})
    # One executemany for the whole file: ORM bookkeeping per line is needless here.
    session.execute(
        insert(StatementLine),
        [
            {
                "statement_id": statements[key].id,
                "sheet": parsed.sheet,
                "row": line.row,
                "reference": line.reference,
                "asset": line.asset,
                "quantity": line.quantity,
                "price": line.price,
                "value": line.value,
                "equity": line.equity,
                "initial_margin": line.initial_margin,
                "maintenance_margin": line.maintenance_margin,
            }
            for key, lines in groups.items()
            for line in lines
        ],
    )
    session.flush()
    for old_batch_id in touched_batches:
        if repo.batch_fully_superseded(session, old_batch_id):
            old_batch = session.get(ImportBatch, old_batch_id)
            old_batch.superseded_by_id = batch.id
    return len(groups), superseded, new_accounts
