"""A day's statement lines from SQLite as Arrow columns, for the columnar tally (domain/columnar.py).

Read through ADBC's SQLite driver, which fills Arrow arrays in compiled code: a million lines
arrive in about a second without one Python object per value. Amounts stay our exact text.

The driver carries its own copy of SQLite, so it reads in a process of its own. Two copies of
SQLite in one process must never open the same file: POSIX file locks belong to the process, and
one copy closing the file (or unlocking a byte range) silently drops the other's locks, which can
corrupt the database (https://www.sqlite.org/howtocorrupt.html, "multiple copies of SQLite"). In
a process of its own it is one more reader of the file, which SQLite is built for.

The worker is started inside the reconcile's write transaction (BEGIN IMMEDIATE, before that
transaction has written anything), so it sees exactly what that transaction sees: no other
program can commit while the lock is held. It still reports how many lines the file holds, and
the caller refuses the columns unless it sees as many; on any difference or failure the caller
reads the rows itself. The read goes on while the caller reads the chart: the worker is another
process, and the caller's thread that takes its answer waits without the interpreter lock.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: the command line reads FROZEN_WORKER_ARG at every start
    import pyarrow as pa

LINES_SQL = """
SELECT sl.statement_id AS part, sl.reference, sl.asset, sl.sheet, sl.price, sl.quantity, sl.value, sl.equity,
       sl.initial_margin, sl.maintenance_margin, sl.row
FROM statement_lines sl JOIN statements st ON st.id = sl.statement_id
WHERE st.as_of <= '{day}' AND st.superseded_by_id IS NULL
"""  # {day}: an ISO date made by the date type itself, so nothing but digits and dashes


# SEGDESK_COLUMNS: "auto" (the default: columns where they can be read, else rows), "off" (always
# rows: a way round should the column path ever misbehave), "require" (columns or an error: the
# packaged app's smoke test uses it to prove the driver made it into the bundle).
COLUMNS_SETTING = "SEGDESK_COLUMNS"


class ColumnsUnavailable(Exception):
    """The lines could not be read as columns here; read them as rows instead."""


def columns_wanted() -> str:
    value = os.environ.get(COLUMNS_SETTING, "auto").strip().lower()
    return value if value in ("auto", "off", "require") else "auto"


# Packaged (frozen) builds have no interpreter to pass -c to: their entry point runs
# `run_line_reader()` (and exits) when started with this single argument.
FROZEN_WORKER_ARG = "--segdesk-line-reader"
# The worker loads this very file by path: it then imports pyarrow and the driver, not the package.
_WORKER_BOOT = (
    "import importlib.util, sys\n"
    "spec = importlib.util.spec_from_file_location('segdesk_line_reader', sys.argv[1])\n"
    "module = importlib.util.module_from_spec(spec)\n"
    "sys.modules[spec.name] = module\n"
    "spec.loader.exec_module(module)\n"
    "module.run_line_reader()\n"
)
# A read that has not answered in this long is stopped; the caller then reads the rows itself.
WORKER_TIMEOUT_S = 600


def _worker_command() -> list[str]:
    if getattr(sys, "frozen", False):
        return [sys.executable, FROZEN_WORKER_ARG]
    return [sys.executable, "-c", _WORKER_BOOT, str(Path(__file__).resolve())]


class LineRead:
    """The lines of every live statement dated on or before ``as_of``, read as columns by a worker
    process from now on (see the module's docstring). Ask for the ``table`` when it is needed;
    ``close`` stops a read whose answer is no longer wanted."""

    def __init__(self, path: Path, as_of: dt.date, stored: int) -> None:
        """``stored``: how many lines the caller's transaction sees in the database, live or not;
        the columns are refused unless the worker saw as many (the same state of the file)."""
        self._stored = stored
        self._done: tuple[pa.Table, int] | None = None
        self._failed: str | None = None
        self._stderr = tempfile.TemporaryFile()  # a file, not a pipe: nothing can block on it
        try:
            self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(
                _worker_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
                creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),  # no console flash on Windows
            )
        except OSError as e:
            self._proc, self._failed = None, f"could not start the line reader ({e})"
            self._thread = None
            return
        request = json.dumps({"path": str(path.resolve()), "as_of": as_of.isoformat()}).encode()
        self._thread = threading.Thread(target=self._answer, args=(request,), name="segdesk-lines", daemon=True)
        self._thread.start()

    def _answer(self, request: bytes) -> None:
        import pyarrow.ipc

        proc = self._proc
        assert proc is not None and proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(request)
            proc.stdin.close()
            head = json.loads(proc.stdout.readline() or b"{}")
            if head.get("status") != "ok":
                self._failed = head.get("message") or self._worker_error(proc)
                return
            table = pyarrow.ipc.open_stream(proc.stdout).read_all()  # waits without the interpreter lock
            self._done = (table, int(head["lines"]))
        except Exception as e:  # noqa: BLE001 - any failure means: read the rows instead
            self._failed = f"the line reader's answer could not be read ({e}); {self._worker_error(proc)}"
        finally:
            proc.stdout.close()
            proc.wait()

    def _worker_error(self, proc: subprocess.Popen[bytes]) -> str:
        try:
            proc.wait(timeout=5)
            self._stderr.seek(0)
            said = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
        except Exception:  # noqa: BLE001
            said = []
        return f"the line reader stopped (exit {proc.returncode})" + (f": {said[-1]}" if said else "")

    def table(self) -> pa.Table:
        """The columns of ``model.LineRow``, or ``ColumnsUnavailable``."""
        if self._thread is not None:
            self._thread.join(WORKER_TIMEOUT_S)
            if self._thread.is_alive():
                self.close()
                raise ColumnsUnavailable(f"the line reader gave no answer in {WORKER_TIMEOUT_S} s")
        self._stderr.close()
        if self._failed is not None or self._done is None:
            raise ColumnsUnavailable(self._failed or "the line reader gave no answer")
        table, seen = self._done
        self._done = None
        if seen != self._stored:
            raise ColumnsUnavailable(
                f"the file holds {seen} lines as read for columns, {self._stored} as the caller sees it")
        return table

    def close(self) -> None:
        """Stop the worker if it is still reading: its answer is not wanted."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
        if self._thread is None or not self._thread.is_alive():
            self._stderr.close()  # else the thread, ending now the worker is gone, has no more use for it


def live_line_table(path: Path, as_of: dt.date, stored: int) -> pa.Table:
    """``LineRead(path, as_of, stored).table()``, waited for at once."""
    return LineRead(path, as_of, stored).table()


def run_line_reader() -> None:
    """The worker: a request {"path", "as_of"} on stdin; on stdout a JSON line {"status": "ok",
    "lines": how many lines the file holds} and the day's lines as an Arrow IPC stream, or
    {"status": "refused", "message": why}."""
    import pyarrow.ipc

    out = sys.stdout.buffer
    try:
        request = json.loads(sys.stdin.buffer.read())
        table, seen = _read(Path(request["path"]), dt.date.fromisoformat(request["as_of"]))
    except Exception as e:  # noqa: BLE001 - said to the caller, which reads the rows instead
        out.write(json.dumps({"status": "refused", "message": str(e)}).encode() + b"\n")
        out.flush()
        return
    out.write(json.dumps({"status": "ok", "lines": seen}).encode() + b"\n")
    with pyarrow.ipc.new_stream(out, table.schema) as writer:
        writer.write_table(table)
    out.flush()


def _read(path: Path, as_of: dt.date) -> tuple[pa.Table, int]:
    """The day's lines, and how many lines the file holds, seen in one snapshot. (Through the
    driver manager's own API: its DB-API module imports pandas and Arrow's datasets when they are
    installed, a third of a second of the worker's start for nothing.)"""
    try:
        import adbc_driver_manager as adbc
        import adbc_driver_sqlite
    except Exception as e:  # noqa: BLE001 - a build without a working driver: the rows path still works
        raise ColumnsUnavailable(f"no ADBC SQLite driver: {e}") from e
    uri = f"{path.resolve().as_uri()}?mode=ro"
    try:
        with adbc_driver_sqlite.connect(uri) as database, adbc.AdbcConnection(database) as connection:
            connection.set_autocommit(False)  # one transaction: the count and the lines are one snapshot
            seen = _query(adbc, connection, "SELECT count(*) FROM statement_lines").column(0)[0].as_py()
            # The driver decides each column's type from its first batch: one batch for all the
            # lines, so a column empty at the start and text later is still read as text.
            lines = _query(adbc, connection, LINES_SQL.format(day=dt.date.fromordinal(as_of.toordinal()).isoformat()),
                           {"adbc.sqlite.query.batch_rows": str(max(seen, 1) + 1)})
            connection.rollback()
            return lines, seen
    except Exception as e:  # noqa: BLE001 - any driver failure means: use the rows path
        raise ColumnsUnavailable(f"reading the lines through ADBC failed: {e}") from e


def _query(adbc, connection, sql: str, options: dict[str, str] | None = None) -> pa.Table:  # type: ignore[no-untyped-def]
    import pyarrow as pa

    with adbc.AdbcStatement(connection) as statement:
        if options:
            statement.set_options(**options)
        statement.set_sql_query(sql)
        stream, _ = statement.execute_query()
        return pa.RecordBatchReader._import_from_c(stream.address).read_all()
