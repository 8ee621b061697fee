"""Importing one statement file: read, check every cell, then store it whole in one transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from segdesk.domain.problems import InputError
from segdesk.domain.progress import Progress
from segdesk.ingest.profile import Profile, load_profile
from segdesk.ingest.readers import ReadError, RereadNeeded, open_rows
from segdesk.ingest.statement import StatementParser
from segdesk.services.bulk_work import without_cycle_collection
from segdesk.services.identity import acting_person
from segdesk.store import repositories as repo
from segdesk.store.audit import append_event
from segdesk.store.engine import Database
from segdesk.store.schema import ExternalAccount, ImportBatch, Source


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
    """Import ``path`` all or nothing. Raises InputError listing every problem; stores nothing then.

    The rows are read, checked and stored as they come, inside the one write transaction, so a
    file of a million rows is never held in memory whole; a problem, Cancel or any error rolls the
    transaction back and nothing is stored. Refusals keep their order of precedence: what cannot
    be read, then every bad cell, then a duplicate file, then a profile whose kind contradicts
    the source's.
    """
    progress = progress or Progress()
    if isinstance(profile, Path):
        profile = load_profile(profile)
    user = acting_person(db, user, may="import")
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    sha256 = hashlib.sha256(content).hexdigest()
    progress.report(0, 1, "Opening file")
    with without_cycle_collection():
        try:
            # First without waiting for the look-up of formula and error cells, which then runs
            # while the rows are stored; a sheet that has such cells is read again, marked.
            result = _import(db, path, content, sha256, profile, as_of, user, progress, marks_first=False)
        except RereadNeeded:
            result = _import(db, path, content, sha256, profile, as_of, user, progress, marks_first=True)
    progress.report(1, 1, "Saved")
    return result


def _import(
    db: Database,
    path: Path,
    content: bytes,
    sha256: str,
    profile: Profile,
    as_of: dt.date | None,
    user: str,
    progress: Progress,
    *,
    marks_first: bool,
) -> ImportResult:
    try:
        stream = open_rows(
            path, sheet=profile.sheet, encoding=profile.encoding, delimiter=profile.delimiter, data=content,
            marks_first=marks_first, float_texts=True,
        )
    except ReadError as exc:
        raise InputError(str(exc)) from None
    with stream:
        # The write transaction holds the database's write lock (BEGIN IMMEDIATE on SQLite, an
        # advisory lock on PostgreSQL), so the duplicate check and the supersede reads inside it
        # cannot race another import.
        with db.transaction() as session:
            cache = repo.set_sqlite_cache(session, _SQLITE_CACHE_KIB)
            try:
                # Before the first rows: a spreadsheet's reader is still reading meanwhile.
                source, created = repo.get_or_create_source(session, profile.source, profile.kind)
                accounts = repo.accounts_of_source(session, source.id)
                try:
                    sheet = stream.sheet
                except ReadError as exc:
                    raise InputError(str(exc)) from None
                parser = StatementParser(stream.file_name, sheet, profile, as_of, progress)
                writer = _Writer(session, path.name, content, sha256, profile, sheet, parser.fields, user,
                                 source, created, accounts)
                try:
                    for chunk in parser.lines(stream, stream.rows_hint):
                        if not parser.problems and writer.refusal is None:
                            writer.add(chunk)
                except ReadError as exc:
                    raise InputError(str(exc)) from None
                if parser.problems:
                    raise InputError(parser.problems)
                if writer.refusal is not None:
                    raise InputError(writer.refusal)
                progress.report(0, 1, "Saving")
                return writer.finish(parser)
            finally:
                repo.restore_sqlite_cache(session, cache)


# A larger page cache for the import's connection while it writes: lines arrive in file order, so
# their statement-id index is written all over, which SQLite's default 2 MB cache turns into
# page spills.
_SQLITE_CACHE_KIB = 32 * 1024
# Lines are stored this many at a time.
_INSERT_ROWS = 10_000


class _Writer:
    """Stores one file's batch, statements and lines as its lines come; `refusal` says why it
    will not (a duplicate file, a profile of the wrong kind), which is reported only when the file
    has no bad cells."""

    def __init__(
        self,
        session,  # type: ignore[no-untyped-def]
        file_name: str,
        content: bytes,
        sha256: str,
        profile: Profile,
        sheet: str | None,
        fields: tuple[str, ...],
        user: str,
        source: Source,
        created: bool,
        accounts: dict[str, ExternalAccount],
    ) -> None:
        self.session = session
        self.sheet = sheet
        self.fields = fields
        self.columns = ("statement_id", *fields)
        self.constants = {"sheet": sheet} if sheet is not None else {}
        self.file_name = file_name
        self.profile = profile
        self.user = user
        self.sha256 = sha256
        self.size = len(content)
        self.refusal: str | None = None
        earlier = repo.batch_by_content(session, sha256, sheet)
        self.source, self.created = source, created
        if earlier is not None:
            self.refusal = _duplicate_message(file_name, earlier)
            return
        if not self.created and self.source.kind != profile.kind:
            self.refusal = (
                f"{file_name}: the profile says {profile.source!r} is {a_or_an(profile.kind)}, but it is already "
                f"known as {a_or_an(self.source.kind)}; correct the profile's kind"
            )
            return
        self.batch = ImportBatch(
            file_name=file_name,
            sha256=sha256,
            size=len(content),
            content=content,
            source_id=self.source.id,
            sheet=sheet or "",
            profile=profile.text,
            as_of=None,
            row_count=0,
            imported_by=user,
            imported_at=dt.datetime.now(dt.UTC),
        )
        session.add(self.batch)
        session.flush()
        self.prices = profile.kind == "prices"
        self.accounts = {a: account.id for a, account in accounts.items()}
        self.new_accounts: list[str] = []
        self.statements: dict[tuple[str, dt.date], int] = {}  # (account, date) -> id, in order of appearance
        self.pending: list[list[object]] = []

    def add(self, chunk: list[list[object]]) -> None:
        self.pending.extend(chunk)
        if len(self.pending) >= _INSERT_ROWS:
            self._flush()

    def _flush(self) -> None:
        lines, self.pending = self.pending, []
        if not lines:
            return
        if self.prices:
            # (asset, as_of, price, sheet, row) from the parser's layout
            fields = self.fields
            asset, price, row = fields.index("asset") + 1, fields.index("price") + 1, fields.index("row") + 1
            repo.insert_prices(self.session, ("batch_id", "asset", "as_of", "price", "sheet", "row"),
                               [(self.batch.id, line[asset], line[0][1], line[price], self.sheet, line[row])  # type: ignore[index]
                                for line in lines])
            return
        ids = self.statements
        try:
            for line in lines:
                line[0] = ids[line[0]]  # type: ignore[index]
        except KeyError:
            self._new_statements(lines)
            for line in lines:
                if line[0].__class__ is tuple:
                    line[0] = ids[line[0]]  # type: ignore[index]
        repo.insert_statement_lines(self.session, self.columns, lines, self.constants)

    def _new_statements(self, lines: list[list[object]]) -> None:
        keys = [key for key in dict.fromkeys(line[0] for line in lines)
                if key.__class__ is tuple and key not in self.statements]
        # Accounts not in the chart are accepted; with no designation their lines stay unmapped.
        new_accounts = [a for a in dict.fromkeys(account for account, _ in keys) if a not in self.accounts]  # type: ignore[misc]
        if new_accounts:
            self.accounts.update(repo.insert_external_accounts(self.session, self.source.id, new_accounts))
            self.new_accounts.extend(new_accounts)
        ids = repo.insert_statements(self.session, self.batch.id, [(self.accounts[a], d) for a, d in keys])  # type: ignore[misc]
        self.statements.update(zip(keys, ids))  # type: ignore[arg-type]

    def finish(self, parser: StatementParser) -> ImportResult:
        self._flush()
        session, user, source, batch = self.session, self.user, self.source, self.batch
        dates = parser.dates
        batch.row_count = parser.line_count
        batch.as_of = next(iter(dates)) if len(dates) == 1 else None
        if self.created:
            append_event(session, actor=user, action="source.create", entity="source", entity_id=source.id,
                         payload={"name": source.name, "kind": source.kind})
        if self.prices:
            statements, superseded = 0, self._supersede_prices(set(parser.price_rows))
        else:
            statements, superseded = len(self.statements), self._supersede_statements()
        append_event(
            session,
            actor=user,
            action="import",
            entity="import_batch",
            entity_id=batch.id,
            payload={
                "file": self.file_name,
                "sha256": self.sha256,
                "size": self.size,
                "source": source.name,
                "kind": self.profile.kind,
                "sheet": parser.sheet,
                "rows": parser.line_count,
                "as_of": sorted(d.isoformat() for d in dates),
                "statements": statements,
                # Accounts first seen on this statement, not yet in the chart (no designation).
                "new_accounts": sorted(self.new_accounts),
            },
        )
        return ImportResult(
            batch_id=batch.id,
            file_name=self.file_name,
            sha256=self.sha256,
            source=source.name,
            rows=parser.line_count,
            statements=statements,
            superseded=superseded,
            skipped_rows=len(parser.skipped_rows),
            as_of=batch.as_of,
        )

    def _supersede_prices(self, keys: set[tuple[str, dt.date]]) -> int:
        """A later file's price for the same asset and date replaces the earlier."""
        batch = self.batch
        older = [p for p in repo.live_prices(self.session, keys) if p.batch_id != batch.id]
        for old in older:
            old.superseded_by_batch_id = batch.id
        if older:
            append_event(self.session, actor=self.user, action="prices.supersede", entity="import_batch",
                         entity_id=batch.id,
                         payload={"replaced": sorted(f"{p.asset}@{p.as_of.isoformat()}#batch{p.batch_id}" for p in older)})
        return len(older)

    def _supersede_statements(self) -> int:
        """This file's statements replace the live ones of the same source, account and date."""
        session, batch, source = self.session, self.batch, self.source
        older = repo.live_statements_of_source(session, source.id, {as_of for _, as_of in self.statements},
                                               except_batch=batch.id)
        superseded = 0
        touched_batches: set[int] = set()
        for (account_text, as_of), statement_id in self.statements.items():
            for old in older.get((self.accounts[account_text], as_of), []):
                old.superseded_by_id = statement_id
                touched_batches.add(old.batch_id)
                superseded += 1
                append_event(session, actor=self.user, action="statement.supersede", entity="statement",
                             entity_id=old.id,
                             payload={"source": source.name, "account": account_text, "as_of": as_of.isoformat(),
                                      "old_batch": old.batch_id, "new_batch": batch.id, "new_statement": statement_id})
        session.flush()
        for old_batch_id in touched_batches:
            if repo.batch_fully_superseded(session, old_batch_id):
                old_batch = session.get(ImportBatch, old_batch_id)
                old_batch.superseded_by_id = batch.id
        return superseded


def a_or_an(word: str) -> str:
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def _duplicate_message(name: str, earlier: ImportBatch) -> str:
    when = earlier.imported_at.strftime("%Y-%m-%d %H:%M UTC")
    sheet = f", sheet '{earlier.sheet}'" if earlier.sheet else ""
    return (
        f"{name}{sheet}: this exact file was already imported (as '{earlier.file_name}', batch {earlier.id}, "
        f"by {earlier.imported_by} on {when}); nothing was imported"
    )
