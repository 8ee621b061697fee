"""Backing up and restoring a SQLite database: a checked copy, never half a copy.

A backup is read from the live database with SQLite's online backup (other programs may keep
reading and writing), written to a temporary file beside its final name, and placed there only
after ``PRAGMA integrity_check`` and the audit trail's hash chain pass on the copy itself.
A restore checks the backup the same way (and that it is a SegDesk database this version can
open, upgrading an older schema), keeps a safety copy of the database it replaces, records
itself in the restored audit trail, and loads the backup into the database as one transaction.
PostgreSQL databases are the server's business (pg_dump, pg_restore).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from segdesk.domain.problems import InputError
from segdesk.services.identity import current_user
from segdesk.store.audit import append_event, verify_chain
from segdesk.store.engine import (
    CopyRefused,
    Database,
    DatabaseError,
    copy_sqlite,
    data_version,
    default_location,
    integrity_problems,
    is_sqlite_file,
    load_into,
    make_engine,
    open_for_restore,
    open_sqlite_file,
    replace_sqlite_file,
    resolve_url,
    unused_name,
    url_for_people,
)
from segdesk.store.migrate import current_revision, head_revision, is_known_revision, upgrade_to_head


class DamagedDatabase(Exception):
    """The live database's own copy failed its checks: the database needs attention, not the input."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class BackupMade:
    database: Path
    path: Path
    size: int
    events: int
    chain_head: str
    seconds: float


@dataclass(frozen=True)
class RestoreDone:
    database: Path
    backup: Path
    safety_copy: Path | None
    safety_problems: list[str]
    events: int  # in the restored database, the restore's own event included
    chain_head: str
    upgraded_from: str | None  # the backup's schema revision, when it was older than this SegDesk's


def sqlite_file_of(db: str | None) -> Path:
    """The database file ``--db`` names; other databases are refused with what to use instead."""
    url = resolve_url(db)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise InputError(
            f"{url_for_people(url)} is a {parsed.get_backend_name()} database: backup and restore here are for a "
            "SQLite file; use the server's own tools (pg_dump and pg_restore for PostgreSQL)"
        )
    if parsed.database in (None, "", ":memory:"):
        raise InputError("an in-memory database has nothing to back up or restore")
    return Path(parsed.database)


def default_backup_name(database: Path, *, note: str = "") -> Path:
    """``<stem>-backup-YYYYMMDD-HHMMSS.sqlite3`` (UTC): in the data folder's ``backups/`` for the
    default database, else beside the database."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    folder = database.parent
    if database.resolve() == default_location().resolve():
        folder = database.parent / "backups"
        folder.mkdir(parents=True, exist_ok=True)
    return unused_name(folder / f"{database.stem}-backup-{stamp}{note}.sqlite3")


def back_up(db: str | None, out: Path | None = None, *, replace: bool = False) -> BackupMade:
    """Copy the database named by ``db`` (as ``--db`` takes it) to ``out`` (a file or a folder),
    checked. Raises InputError for what the person must change, DamagedDatabase when the copy
    shows that the database itself is damaged or its audit trail broken (no backup is left then)."""
    database = _existing(sqlite_file_of(db))
    if out is None:
        target = default_backup_name(database)
    elif out.is_dir():
        target = unused_name(out / default_backup_name(database).name)
    else:
        target = out
    if not target.parent.is_dir():
        raise InputError(f"{target}: its folder {target.parent} does not exist")
    if _same_file(target, database):
        raise InputError(f"{target} is the database itself; choose another file for the backup")
    if target.exists() and not replace:
        raise InputError(f"{target} exists; choose another name, or pass --replace to overwrite it")
    started = time.monotonic()
    facts: dict[str, Any] = {}
    try:
        copy_sqlite(database, target, replace=replace,
                    check=lambda copy: _segdesk_checks(copy, facts, older_ok=True))
    except CopyRefused as exc:
        raise DamagedDatabase([f"{database}: {p}" for p in exc.problems] + ["no backup was written"]) from None
    except FileExistsError:
        raise InputError(f"{target} exists; choose another name, or pass --replace to overwrite it") from None
    except sqlite3.DatabaseError as exc:
        raise InputError(f"{database} cannot be copied: {exc}") from None
    return BackupMade(database, target, target.stat().st_size, facts["events"], facts["head"],
                      time.monotonic() - started)


def restore(db: str | None, backup: Path) -> RestoreDone:
    """Replace the database named by ``db`` with ``backup``, after checking the backup; a safety
    copy of the database as it was is written first. Nothing changes if any check fails."""
    database = sqlite_file_of(db)
    if not backup.is_file():
        raise InputError(f"{backup}: no such file")
    if not is_sqlite_file(backup):
        raise InputError(f"{backup} is not a SQLite database file; nothing was restored")
    if database.exists() and _same_file(backup, database):
        raise InputError(f"{backup} is the database itself; nothing was restored")
    database.parent.mkdir(parents=True, exist_ok=True)  # a new computer: no data folder yet
    # A working copy beside the database: the backup file itself is never changed, and the final
    # rename stays on one file system.
    staged = unused_name(database.with_name(f".{database.name}.restoring.sqlite3"))
    try:
        try:
            copy_sqlite(backup, staged, replace=False)
        except CopyRefused as exc:
            raise InputError([f"{backup}: {p}" for p in exc.problems] + ["nothing was restored"]) from None
        except sqlite3.DatabaseError as exc:
            raise InputError(f"{backup} cannot be read as a database ({exc}); nothing was restored") from None
        upgraded_from = _bring_to_head(staged, backup)
        facts: dict[str, Any] = {}
        problems = _segdesk_checks(staged, facts)
        if problems:
            raise InputError([f"{backup}: {p}" for p in problems] + ["nothing was restored"])
        live = open_for_restore(database)
        try:
            before = data_version(live) if live is not None else None
            safety, safety_problems = _safety_copy(database, live)
            events, head = _record_restore(staged, backup, database, safety, facts)
            if live is None:
                replace_sqlite_file(staged, database)
            else:
                if data_version(live) != before:
                    if safety is not None:
                        safety.unlink(missing_ok=True)
                    raise InputError(f"{database} was changed by another program while it was being copied aside; "
                                     "close SegDesk elsewhere and restore again; nothing was changed")
                load_into(staged, live)
        finally:
            if live is not None:
                live.close()
    finally:
        for leftover in (staged, *(Path(f"{staged}-{end}") for end in ("journal", "wal", "shm"))):
            leftover.unlink(missing_ok=True)
    return RestoreDone(database, backup, safety, safety_problems, events, head, upgraded_from)


# --- the checks ------------------------------------------------------------------------------------


def _segdesk_checks(copy: Path, facts: dict[str, Any], *, older_ok: bool = False) -> list[str]:
    """A SegDesk database at this version's schema (or, ``older_ok``, an older one), whose audit
    trail's hash chain holds."""
    revision_problem = _revision_problem(copy, upgrade_allowed=older_ok)
    if revision_problem:
        return [revision_problem]
    database = open_sqlite_file(copy)
    try:
        with database.reading() as session:
            report = verify_chain(session)
    finally:
        database.dispose()
    facts["events"], facts["head"] = report.events, report.head
    if not report.intact:
        return [f"its audit trail is broken at event #{report.broken_seq}: {report.reason}"]
    return []


def _revision_problem(copy: Path, *, upgrade_allowed: bool) -> str | None:
    database = open_sqlite_file(copy)
    try:
        revision = current_revision(database)
        tables = set(inspect(database.engine).get_table_names())
    finally:
        database.dispose()
    if revision is None or "audit_events" not in tables:
        return "it is not a SegDesk database (no SegDesk schema in it)"
    if not is_known_revision(revision):
        return (f"it was written by a newer SegDesk (schema revision {revision}); open it with that version, "
                "or upgrade SegDesk")
    if revision != head_revision() and not upgrade_allowed:
        return f"its schema (revision {revision}) is older than this SegDesk's ({head_revision()})"
    return None


def _bring_to_head(staged: Path, backup: Path) -> str | None:
    """Upgrade the working copy of an older backup to this version's schema; its revision then."""
    problem = _revision_problem(staged, upgrade_allowed=True)
    if problem:
        raise InputError([f"{backup}: {problem}", "nothing was restored"])
    copy = Database(f"sqlite:///{staged}", make_engine(f"sqlite:///{staged}"))
    try:
        revision = current_revision(copy)
        if revision == head_revision():
            return None
        upgrade_to_head(copy, backup=False)  # the backup file itself stays as it was
        return revision
    finally:
        copy.dispose()


def _safety_copy(database: Path, live: sqlite3.Connection | None) -> tuple[Path | None, list[str]]:
    """The database as it is, kept before it is replaced. A damaged or broken one is kept too (that
    may be why it is being restored); its problems are reported."""
    if not database.exists():
        return None, []
    target = default_backup_name(database, note="-before-restore")
    try:
        _, problems = copy_sqlite(live or database, target, strict=False,
                                  check=lambda copy: _segdesk_checks(copy, {}, older_ok=True))
        return target, problems
    except sqlite3.DatabaseError as exc:
        # Not even readable as a database: keep its bytes as they are.
        shutil.copyfile(database, target)
        wal = Path(f"{database}-wal")
        if wal.exists():
            shutil.copyfile(wal, Path(f"{target}-wal"))
        return target, [f"it could not be read as a database ({exc}); its bytes were copied as they are"]


def _record_restore(staged: Path, backup: Path, database: Path, safety: Path | None,
                    facts: dict[str, Any]) -> tuple[int, str]:
    """The restored trail says it was restored: from which file, and where the replaced one is."""
    copy = Database(f"sqlite:///{staged}", make_engine(f"sqlite:///{staged}"))
    try:
        with copy.transaction() as session:
            append_event(session, actor=current_user(copy), action="database.restore", entity="database",
                         payload={"backup": str(backup), "backup_sha256": _sha256(backup),
                                  "backup_chain_head": facts["head"], "backup_events": facts["events"],
                                  "database": str(database),
                                  "replaced_database_kept_at": str(safety) if safety else None})
        with copy.reading() as session:
            report = verify_chain(session)
    finally:
        copy.dispose()  # the last connection closing folds the WAL back into the file
    problems = integrity_problems(staged)
    if problems or not report.intact:
        raise DatabaseError("the restored copy failed its check after recording the restore: "
                            f"{problems or report.reason}; nothing was changed")
    return report.events, report.head


# --- small things ----------------------------------------------------------------------------------


def _existing(database: Path) -> Path:
    if not database.is_file():
        raise InputError(f"no SegDesk database at {database}; check --db (or SEGDESK_DB)")
    if not is_sqlite_file(database):
        raise InputError(f"{database} is not a SQLite database file")
    return database


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and a.samefile(b)
    except OSError:
        return False


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
