"""Opening SegDesk's database: where it lives, how SQLite is made safe, and migrations."""

from __future__ import annotations

import datetime as dt
import errno
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

ENV_VAR = "SEGDESK_DB"
WRITE_OPTION = "segdesk_write"
# Any constant works; it only has to be the same for every SegDesk writing to one database.
PG_WRITE_LOCK = 0x5E6DE5C
APP_NAME = "SegDesk"


class DatabaseError(Exception):
    """A database that cannot be opened or upgraded; the message is for a person."""


def default_location() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False) / "segdesk.sqlite3"


def resolve_url(db: str | None) -> str:
    """``--db`` value (file path or SQLAlchemy URL), else ``SEGDESK_DB``, else the user's data folder."""
    value = db or os.environ.get(ENV_VAR) or str(default_location())
    if "://" in value:
        try:
            make_url(value)
        except ArgumentError as exc:
            raise DatabaseError(f"not a database URL: {value} ({exc})") from None
        return value
    path = Path(value).expanduser().resolve()
    return f"sqlite:///{path}"


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    # The driver must not open transactions on its own: we begin them ourselves, IMMEDIATE,
    # so a writer takes the lock up front instead of failing half-way on a lock upgrade.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # How long to wait for another writer before giving up (tests shorten it). First: switching a
    # new file to WAL takes a lock too, when two programs open it at once.
    busy_ms = int(os.environ.get("SEGDESK_SQLITE_BUSY_MS", "15000"))
    cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
    _switch_to_wal(cursor, busy_ms)
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _switch_to_wal(cursor: sqlite3.Cursor, busy_ms: int) -> None:
    """``PRAGMA journal_mode=WAL``, waiting like any other statement for another program that is
    opening the same new file. SQLite answers this pragma "locked" at once, without its busy
    handler, while a second connection holds the file during its own switch: so it is retried here,
    for as long as the busy timeout."""
    deadline = time.monotonic() + busy_ms / 1000
    pause = 0.005
    while True:
        try:
            mode = cursor.execute("PRAGMA journal_mode=WAL").fetchone()
            if mode is None or str(mode[0]).lower() in ("wal", "memory"):
                return
            # SQLite kept the old mode: another connection held the file. Try again, like a lock.
            if time.monotonic() >= deadline:
                raise sqlite3.OperationalError(f"database is locked (still in {mode[0]} journal mode)")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)

        @event.listens_for(engine, "begin")
        def _begin(conn):  # type: ignore[no-untyped-def]
            # Writers take the write lock up front; readers begin a plain (deferred) snapshot,
            # so with WAL they never wait for a writer.
            immediate = conn.get_execution_options().get(WRITE_OPTION, False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True)


@dataclass
class Database:
    """An open database: the engine, and sessions one unit of work at a time."""

    url: str
    engine: Engine

    def __post_init__(self) -> None:
        # Same pool, one marker: transactions through this engine write (BEGIN IMMEDIATE on SQLite).
        self.write_engine = self.engine.execution_options(**{WRITE_OPTION: True})
        self._writing = sessionmaker(self.write_engine, expire_on_commit=False)
        self._reading = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        database = make_url(self.url).database
        return Path(database) if database and database != ":memory:" else None

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: committed whole, or rolled back whole on any error."""
        with self._writing() as session, session.begin():
            if self.engine.dialect.name == "postgresql":
                # One writer at a time, as SQLite's BEGIN IMMEDIATE gives: an import reads what
                # it supersedes, so two imports interleaving could both keep a statement live.
                session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_WRITE_LOCK})
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self._reading() as session:
            yield session

    def describe(self) -> str:
        path = self.sqlite_path
        return str(path) if path else make_url(self.url).render_as_string(hide_password=True)

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(db: str | None = None, *, upgrade: bool = True, create: bool = True) -> Database:
    """Open and bring the schema up to date. With ``create=False`` a SQLite file that does not
    exist is refused: a mistyped --db must not become a new, empty, "clean" database."""
    url = resolve_url(db)
    parsed = make_url(url)
    if not create and parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        if not Path(parsed.database).exists():
            raise DatabaseError(
                f"no SegDesk database at {parsed.database}; check --db (or SEGDESK_DB), or create one "
                "with `segdesk init`"
            )
    try:
        engine = make_engine(url)
        database = Database(url, engine)
        if upgrade:
            from segdesk.store.migrate import upgrade_to_head

            upgrade_to_head(database)
    except DatabaseError:
        raise
    except Exception as exc:  # driver errors: a person needs the reason, not a traceback
        raise DatabaseError(f"cannot open database {url_for_people(url)}: {first_line(exc)}") from exc
    return database


def first_line(exc: BaseException) -> str:
    """The driver's own message, without SQLAlchemy's SQL echo and links."""
    original = getattr(exc, "orig", None) or exc
    text = str(original).strip().splitlines()
    return text[0] if text else type(original).__name__


def url_for_people(url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or ":memory:"
    return parsed.render_as_string(hide_password=True)


def has_tables(engine: Engine) -> bool:
    return bool(inspect(engine).get_table_names())


def backup_sqlite(path: Path, label: str) -> Path:
    """The copy made before a migration changes the file: ``<name>.backup-<label>-<time>`` beside it,
    through SQLite's online backup, checked, synced and renamed into place. A damaged database is
    not upgraded: the copy would be damaged too."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    target = unused_name(path.with_name(f"{path.name}.backup-{label}-{stamp}"))
    try:
        copy_sqlite(path, target)
    except CopyRefused as exc:
        raise DatabaseError(
            f"{path} is damaged ({exc.problems[0]}); it was not upgraded. Restore a backup (segdesk restore FILE)"
        ) from None
    return target


# --- checked copies of a SQLite file ----------------------------------------------------------------

SQLITE_HEADER = b"SQLite format 3\x00"


def is_sqlite_file(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(16) == SQLITE_HEADER
    except OSError:
        return False


def unused_name(path: Path) -> Path:
    """``path``, or ``path`` with -2, -3 ... (before a database suffix) when that name is taken."""
    stem, suffix = (path.stem, path.suffix) if path.suffix in (".sqlite3", ".sqlite", ".db") else (path.name, "")
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{stem}-{n}{suffix}")
    return candidate


class CopyRefused(DatabaseError):
    """A checked copy failed its checks; ``problems`` says why. Nothing was left under the target name."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def copy_sqlite(
    source: Path | sqlite3.Connection,
    target: Path,
    *,
    replace: bool = False,
    check: Callable[[Path], list[str]] | None = None,
    strict: bool = True,
) -> tuple[Path, list[str]]:
    """Copy a live SQLite database to ``target``, never leaving half a copy under that name.

    SQLite's online backup reads one consistent snapshot, WAL included, while other programs
    read and write. The copy is written to a temporary file in the target's folder, made a
    self-contained file (rollback journal, no -wal beside it), checked with
    ``PRAGMA integrity_check`` and then by ``check`` (which gets the copy's path and returns
    problems), fsynced, and only then renamed to ``target`` (refusing an existing file unless
    ``replace``). With ``strict`` a copy that fails a check is deleted and ``CopyRefused``
    raised; otherwise it is placed all the same and the problems are returned.
    """
    if not replace and target.exists():
        raise FileExistsError(errno.EEXIST, "the file exists (nothing was written)", str(target))
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    temporary = Path(name)
    try:
        _online_copy(source, temporary)
        problems = integrity_problems(temporary)
        if not problems and check is not None:
            problems = check(temporary)
        if problems and strict:
            raise CopyRefused(problems)
        _fsync(temporary)
        _place(temporary, target, replace=replace)
        return target, problems
    finally:
        for leftover in (temporary, *(Path(f"{temporary}-{end}") for end in ("journal", "wal", "shm"))):
            leftover.unlink(missing_ok=True)


def _online_copy(source: Path | sqlite3.Connection, target: Path) -> None:
    busy_seconds = int(os.environ.get("SEGDESK_SQLITE_BUSY_MS", "15000")) / 1000
    src = sqlite3.connect(source, timeout=busy_seconds) if isinstance(source, Path) else source
    try:
        dest = sqlite3.connect(target, isolation_level=None)
        try:
            # One step: the whole copy is read from one snapshot, whatever others write meanwhile.
            src.backup(dest)
            # The copy of a WAL database is a WAL database; a backup should be one file.
            dest.execute("PRAGMA journal_mode=DELETE")
        finally:
            dest.close()
    finally:
        if src is not source:
            src.close()


def integrity_problems(path: Path) -> list[str]:
    """``PRAGMA integrity_check`` of a file; [] when it says ok."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = [str(r[0]) for r in conn.execute("PRAGMA integrity_check").fetchall()]
    except sqlite3.DatabaseError as exc:
        return [f"integrity check failed: {exc}"]
    finally:
        conn.close()
    return [] if rows == ["ok"] else [f"integrity check: {row}" for row in rows[:5]]


def _fsync(path: Path) -> None:
    with path.open("rb+") as handle:
        os.fsync(handle.fileno())


def _fsync_folder(folder: Path) -> None:
    if os.name != "posix":
        return  # Windows cannot open a folder to sync it; its rename is already durable (NTFS)
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _place(temporary: Path, target: Path, *, replace: bool) -> None:
    if replace:
        os.replace(temporary, target)
    else:
        try:
            # A hard link fails if the name exists: no window in which another file could be lost.
            os.link(temporary, target)
        except FileExistsError:
            raise FileExistsError(errno.EEXIST, "the file exists (nothing was written)", str(target)) from None
        except OSError:  # a file system without hard links
            if target.exists():
                raise FileExistsError(errno.EEXIST, "the file exists (nothing was written)", str(target)) from None
            os.replace(temporary, target)
        else:
            temporary.unlink()
    _fsync_folder(target.parent)


def open_sqlite_file(path: Path) -> Database:
    """A SQLite file opened as it is: no WAL switch, no migration; for looking at a copy."""
    engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(path), poolclass=NullPool)
    return Database(f"sqlite:///{path}", engine)


def open_for_restore(live: Path) -> sqlite3.Connection | None:
    """A connection to the database a restore will load into; None when there is no file, or it
    is too damaged to be opened (then nothing can be using it either, and it is replaced whole)."""
    if not live.exists():
        return None
    busy_seconds = int(os.environ.get("SEGDESK_SQLITE_BUSY_MS", "15000")) / 1000
    conn = sqlite3.connect(live, timeout=busy_seconds, isolation_level=None)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
        return conn
    except sqlite3.OperationalError as exc:
        conn.close()
        if "locked" in str(exc) or "busy" in str(exc):
            raise DatabaseError(
                f"{live} is busy in another program; close it and try again; nothing was changed"
            ) from None
        return None
    except sqlite3.DatabaseError:  # not a database, or a damaged one
        conn.close()
        return None


def data_version(conn: sqlite3.Connection) -> int:
    """Changes whenever another connection commits to the database (PRAGMA data_version)."""
    return int(conn.execute("PRAGMA data_version").fetchone()[0])


def load_into(staged: Path, live: sqlite3.Connection) -> None:
    """Load the whole of ``staged`` into the open database ``live``, as one transaction.

    This is SQLite's online backup run the other way: the pages are written through ``live``'s
    own journal (its WAL), so the change is atomic, survives a crash half-way as "not happened",
    and programs that have the database open see the restored data at their next read, instead
    of carrying on with a file renamed away under them. A WAL database cannot change its page
    size, so the staged copy is first given the live one's.
    """
    page_size = int(live.execute("PRAGMA page_size").fetchone()[0])
    source = sqlite3.connect(staged, isolation_level=None)
    try:
        if int(source.execute("PRAGMA page_size").fetchone()[0]) != page_size:
            source.execute(f"PRAGMA page_size={page_size}")
            source.execute("VACUUM")
        source.backup(live)
    finally:
        source.close()


def replace_sqlite_file(staged: Path, live: Path) -> None:
    """Rename ``staged`` (a closed, self-contained SQLite file in ``live``'s folder) over ``live``,
    for a live file that is missing or not a readable database. A -wal or -shm left beside the new
    file would be replayed into it and ruin it, so none may remain."""
    for stale in (Path(f"{live}-wal"), Path(f"{live}-shm"), Path(f"{live}-journal")):
        stale.unlink(missing_ok=True)
    if live.exists():
        os.chmod(staged, live.stat().st_mode & 0o777)  # whoever could open it before still can
    _fsync(staged)
    os.replace(staged, live)
    _fsync_folder(live.parent)


def database_failure(exc: BaseException) -> str:
    """What a driver error means for a person, in one line that ends saying nothing was stored."""
    original = getattr(exc, "orig", None) or exc
    code = getattr(original, "sqlite_errorcode", None)
    reason = first_line(exc)
    if code is not None and code & 0xFF == SQLITE_FULL:
        return (f"the database file could not be written: the disk is full or a file size limit was reached "
                f"({reason}); nothing was stored")
    if code is not None and code & 0xFF == SQLITE_IOERR:
        return (f"the database file could not be written or read ({reason}): the disk may be full, a file size "
                "limit reached, or the disk failing; nothing was stored")
    return f"the database refused the change, nothing was stored: {reason}"


SQLITE_IOERR, SQLITE_FULL = 10, 13
