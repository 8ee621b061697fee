"""Moving a whole SegDesk database into a new one: a personal SQLite file into a team's
PostgreSQL database, or back (``segdesk db copy --to URL``).

The target must be new: a SQLite path where no file is yet, or a PostgreSQL database that holds
no tables at all; nothing is ever merged into or written over. The schema is made by the
migrations, every table is copied with its primary keys in one transaction, and the copy is then
read back afresh and compared with the original: rows per table, the exact sum of every money
column, a digest of every row, the audit trail's hash chain and head, and the schema revision.
A copy that fails any check, or is cancelled, is removed whole.
"""

from __future__ import annotations

import os
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from segdesk.domain.money import plain
from segdesk.domain.problems import InputError
from segdesk.domain.progress import Progress
from segdesk.store.audit import ChainReport
from segdesk.store.copying import (
    TableTally,
    chain_report,
    copied_tables,
    copy_table,
    count_rows,
    drop_copied_schema,
    existing_tables,
    holds_rows,
    restart_sequences,
    revision_of,
    tally_table,
)
from segdesk.store.engine import (
    PG_WRITE_LOCK,
    Database,
    DatabaseError,
    first_line,
    make_engine,
    open_database,
    open_sqlite_file,
    url_for_people,
)
from segdesk.store.migrate import head_revision

# Every PostgreSQL server has these; SegDesk's tables in template1 would land in every new database.
SERVER_DATABASES = ("postgres", "template0", "template1")
# stage -> the callback that counts rows done in that stage
Advance = Callable[[str], Callable[[int], None]]


@dataclass(frozen=True)
class TableCopied:
    table: str
    rows: int


@dataclass(frozen=True)
class CopyReport:
    source: str
    target: str  # a path, or the URL without its password
    tables: list[TableCopied]
    # "table.column" -> the exact sum, equal in the original and the copy
    money_sums: dict[str, Decimal]
    revision: str
    chain_events: int
    chain_head: str
    seconds: float

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


def copy_database(source: Database, target_url: str, *, progress: Progress | None = None) -> CopyReport:
    """Copy ``source`` into the new database ``target_url`` (a SQLite file path or URL, or a
    ``postgresql+psycopg://`` URL), check the copy, and return what was copied and checked.

    Raises InputError (one line per problem) for a target that is not new, a source that cannot be
    copied faithfully, or a copy that does not match; nothing is left at the target then.
    Cancelling through ``progress`` raises ``Cancelled``, likewise leaving nothing behind.
    """
    progress = progress or Progress()
    started = time.monotonic()
    target = _Target.parse(target_url)
    progress.report(0, 1, "Reading the original")
    with _snapshot(source) as conn:
        revision = _source_revision(source, conn)
        chain = chain_report(conn)
        if not chain.intact:
            raise InputError(
                f"the audit trail of {source.describe()} is broken at event #{chain.broken_seq}: {chain.reason}; "
                "a database whose trail fails its check is not copied (nothing was written)"
            )
        counts = {t.name: count_rows(conn, t) for t in copied_tables()}
        total = 2 * sum(counts.values()) or 1  # copying, then reading the copy back
        done = 0

        def advance(stage: str) -> Callable[[int], None]:
            def on_rows(n: int) -> None:
                nonlocal done
                done += n
                progress.report(min(done, total), total, stage)
            return on_rows

        made: Database | None = None
        try:
            made = target.prepare()
            originals = _copy_all(conn, made, target, advance)
            made.dispose()
            target.settle()
            problems = _compare(originals, target, revision, chain, advance)
            if problems:
                raise InputError([*problems, f"the copy at {target.describe()} was removed"])
            target.place()
        except BaseException as exc:
            if made is not None:
                made.dispose()
            leftover = target.remove()
            if leftover:
                if isinstance(exc, InputError):
                    exc.problems.append(leftover)
                else:
                    exc.add_note(leftover)
            raise
        finally:
            target.close()
    progress.report(total, total, "Copied and checked")
    return CopyReport(
        source=source.describe(),
        target=target.describe(),
        tables=[TableCopied(name, tally.rows) for name, tally in originals.items()],
        money_sums={
            f"{name}.{column}": total_
            for name, tally in originals.items()
            for column, total_ in sorted(tally.money.items())
        },
        revision=revision,
        chain_events=chain.events,
        chain_head=chain.head,
        seconds=time.monotonic() - started,
    )


# --- the original ----------------------------------------------------------------------------------

@contextmanager
def _snapshot(source: Database) -> Iterator[Connection]:
    """One consistent reading of the whole original, whatever others write meanwhile."""
    engine = source.engine
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    with engine.connect() as conn, conn.begin():  # SQLite: a deferred BEGIN, one WAL snapshot
        yield conn


def _source_revision(source: Database, conn: Connection) -> str:
    revision = revision_of(conn)
    head = head_revision()
    if revision != head:
        raise InputError(
            f"{source.describe()} has schema revision {revision or 'none'}, this SegDesk writes {head}: open it once "
            "with this version (segdesk init --db ...) before copying; nothing was written"
        )
    return revision  # type: ignore[return-value]


# --- the copy --------------------------------------------------------------------------------------

def _copy_all(conn: Connection, made: Database, target: _Target, advance: Advance) -> dict[str, TableTally]:
    """Every table in one transaction on the target: all of it is there, or none."""
    tallies: dict[str, TableTally] = {}
    table_name = ""
    try:
        with made.write_engine.begin() as out:
            # (On PostgreSQL the target holds SegDesk's write lock: this is only a last look.)
            taken = holds_rows(out)
            if taken:
                target.foreign_rows = True
                raise InputError(
                    f"{target.describe()} was written to by someone else while the copy was being made "
                    f"({', '.join(taken)}); nothing was copied and it was left as it is"
                )
            for table in copied_tables():
                table_name = table.name
                tallies[table.name] = copy_table(conn, out, table, advance(f"Copying {table.name}"))
            restart_sequences(out)
    except SQLAlchemyError as exc:
        raise InputError(
            f"{target.describe()} refused the rows of {table_name}: {first_line(exc)}; nothing was copied"
        ) from exc
    except (ValueError, ArithmeticError) as exc:  # e.g. text in a money column of an edited SQLite file
        raise InputError(
            f"a value in {table_name} cannot be copied as it is ({exc}); nothing was copied"
        ) from exc
    return tallies


# --- the check -------------------------------------------------------------------------------------

def _compare(
    originals: dict[str, TableTally], target: _Target, revision: str, chain: ChainReport, advance: Advance
) -> list[str]:
    """Read the copy back through a fresh connection and compare it with the original."""
    check = target.open_for_check()
    problems: list[str] = []
    try:
        with check.engine.connect() as conn, conn.begin():
            copied_revision = revision_of(conn)
            if copied_revision != revision:
                problems.append(f"schema revision: original {revision}, copy {copied_revision}")
            for table in copied_tables():
                mine, theirs = originals[table.name], tally_table(conn, table, advance("Checking the copy"))
                if mine.rows != theirs.rows:
                    problems.append(f"{table.name}: original {mine.rows} rows, copy {theirs.rows}")
                for column in sorted(set(mine.money) | set(theirs.money)):
                    a, b = mine.money.get(column, Decimal(0)), theirs.money.get(column, Decimal(0))
                    if a != b:
                        problems.append(f"{table.name}.{column}: money sum original {plain(a)}, copy {plain(b)}")
                if mine.rows == theirs.rows and mine.digest != theirs.digest:
                    problems.append(f"{table.name}: the rows' contents differ from the original's")
            copied_chain = chain_report(conn)
    finally:
        check.dispose()
    if not copied_chain.intact:
        problems.append(f"audit trail of the copy broken at event #{copied_chain.broken_seq}: {copied_chain.reason}")
    elif (copied_chain.events, copied_chain.head) != (chain.events, chain.head):
        problems.append(
            f"audit chain head: original #{chain.events} {chain.head}, copy #{copied_chain.events} {copied_chain.head}"
        )
    return problems


# --- the target ------------------------------------------------------------------------------------

class _Target:
    """Where the copy goes, and how it is made, placed, or removed again."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.made = False
        self.foreign_rows = False

    @staticmethod
    def parse(target: str) -> _Target:
        if not target or not target.strip():
            raise InputError("say where to copy to: a new SQLite file, or a postgresql+psycopg:// URL")
        if "://" not in target:
            return _SQLiteTarget(Path(target).expanduser().resolve())
        try:
            parsed = make_url(target)
        except ArgumentError:
            raise InputError(f"not a database URL: {target}") from None
        backend = parsed.get_backend_name()
        if backend == "sqlite":
            if parsed.database in (None, "", ":memory:"):
                raise InputError("copy to a SQLite file: give its path (a database in memory would vanish)")
            return _SQLiteTarget(Path(parsed.database).expanduser().resolve())
        if backend == "postgresql":
            if parsed.database in (None, "", *SERVER_DATABASES):
                raise InputError(
                    f"{url_for_people(target)}: name a database made for SegDesk (CREATE DATABASE segdesk), not the "
                    "server's own; nothing was written"
                )
            return _PostgresTarget(target)
        raise InputError(f"{url_for_people(target)}: SegDesk copies to a SQLite file or a PostgreSQL database")

    def describe(self) -> str:
        return url_for_people(self.url)

    def prepare(self) -> Database:
        """Check the target is new, make the schema (migrations to head), return it opened."""
        raise NotImplementedError

    def settle(self) -> None:
        """After the copy's commit, before it is read back."""

    def open_for_check(self) -> Database:
        raise NotImplementedError

    def place(self) -> None:
        """Give the checked copy its name."""

    def remove(self) -> str | None:
        """Remove what the copy made; a line for a person when that failed."""
        raise NotImplementedError

    def close(self) -> None:
        """Let go of whatever the copy held on the target."""


class _SQLiteTarget(_Target):
    """Written to a hidden file beside the target and renamed once checked: no half copy is ever
    found under the target's name."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"sqlite:///{path}")
        self.path = path
        self.temporary: Path | None = None

    def describe(self) -> str:
        return str(self.path)

    def prepare(self) -> Database:
        if self.path.exists() or self.path.is_symlink():
            raise InputError(f"{self.path} already exists: a copy goes only into a new file; nothing was written")
        temporary = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex[:12]}.copying")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Made new (O_EXCL), with the permissions any new database file gets (the umask's).
            os.close(os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
        except OSError as exc:
            raise InputError(f"{self.path}: cannot write there ({exc.strerror or exc})") from None
        self.temporary = temporary
        self.made = True
        return open_database(str(self.temporary), upgrade=True, create=True)

    def settle(self) -> None:
        # A self-contained file: the WAL folded in, so the rename carries everything.
        assert self.temporary is not None
        conn = sqlite3.connect(self.temporary, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=DELETE")
        finally:
            conn.close()

    def open_for_check(self) -> Database:
        assert self.temporary is not None
        return open_sqlite_file(self.temporary)

    def place(self) -> None:
        assert self.temporary is not None
        with self.temporary.open("rb+") as handle:
            os.fsync(handle.fileno())
        try:
            os.link(self.temporary, self.path)  # refuses a name that appeared meanwhile
        except FileExistsError:
            raise InputError(
                f"{self.path} appeared while the copy was being made; it was left as it is and the copy removed"
            ) from None
        except OSError:  # a file system without hard links
            if self.path.exists():
                raise InputError(f"{self.path} appeared while the copy was being made; it was left as it is") from None
            os.replace(self.temporary, self.path)
        self.temporary.unlink(missing_ok=True)
        if os.name == "posix":
            fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def remove(self) -> str | None:
        if self.temporary is None:
            return None
        for leftover in (self.temporary, *(Path(f"{self.temporary}-{end}") for end in ("journal", "wal", "shm"))):
            try:
                leftover.unlink(missing_ok=True)
            except OSError as exc:
                return f"the unfinished copy {leftover} could not be removed ({exc.strerror or exc}); delete it"
        return None


class _PostgresTarget(_Target):
    """An existing, empty database. For the whole copy it holds SegDesk's write lock (session
    level), so no other SegDesk writes there until the copy is checked, and the copy's tables
    can be dropped again, if it fails, without taking anyone's work with them."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.engine: Engine | None = None
        self.lock: Connection | None = None

    def prepare(self) -> Database:
        try:
            self.engine = make_engine(self.url)
            self.lock = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            locked = self.lock.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": PG_WRITE_LOCK})
            tables = existing_tables(self.lock)
        except Exception as exc:  # driver errors and a missing driver: a person needs the reason
            reason = first_line(exc)
            hint = " (the copy goes into an empty database made beforehand: CREATE DATABASE, or createdb)"
            raise DatabaseError(
                f"cannot open database {self.describe()}: {reason}{hint if 'does not exist' in reason else ''}"
            ) from None
        if not locked:
            raise InputError(f"{self.describe()} is being written to by a SegDesk; a copy goes only into a new, "
                             "empty database; nothing was changed")
        if tables:
            shown = ", ".join(tables[:5]) + (f" and {len(tables) - 5} more" if len(tables) > 5 else "")
            raise InputError(
                f"{self.describe()} already holds tables ({shown}): a copy goes only into a new, empty database; "
                "nothing was changed"
            )
        # PostgreSQL's DDL is transactional: migrations that fail leave nothing, so nothing is ours yet.
        made = open_database(self.url, upgrade=True, create=True)
        self.made = True
        return made

    def open_for_check(self) -> Database:
        return Database(self.url, make_engine(self.url))

    def remove(self) -> str | None:
        if not self.made or self.foreign_rows or self.engine is None:
            return None
        try:
            drop_copied_schema(self.engine)
        except SQLAlchemyError as exc:
            return (f"the copy's tables could not be removed from {self.describe()} ({first_line(exc)}); "
                    "drop them before trying again")
        return None

    def close(self) -> None:
        if self.lock is not None:
            self.lock.close()
        if self.engine is not None:
            self.engine.dispose()  # closes the connection itself, and with it the session's lock
