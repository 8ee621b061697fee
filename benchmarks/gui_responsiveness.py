"""Is the window still responsive while big work runs, and how fast does a huge table open?

1. The longest the GUI thread is blocked while a 100k-row custodian xlsx imports in the
   background (target <= 100 ms): a 5 ms QTimer on the GUI thread records the largest gap between
   its ticks from the moment the import starts until it is stored.
2. The time to show the stored lines of a 1M-row file (target <= 0.5 s): from asking the lines
   table for that file to the first screen of rows painted.

Offscreen, real database file, the same services and widgets the app uses.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/gui_responsiveness.py [--xlsx-rows 100000] [--lines 1000000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import custodian_xlsx, exchange_csv  # noqa: E402
from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QTableView  # noqa: E402

from segdesk.services.importing import import_statement  # noqa: E402
from segdesk.store.engine import open_database  # noqa: E402
from segdesk.ui.desk import Desk  # noqa: E402
from segdesk.ui.lines_model import PENDING, LinesModel  # noqa: E402


def wait_until(condition, timeout_s: float = 600) -> None:  # type: ignore[no-untyped-def]
    deadline = time.perf_counter() + timeout_s
    loop = QEventLoop()
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError
        loop.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)


def gui_block_during_import(home: Path, n: int) -> tuple[float, float]:
    xlsx = custodian_xlsx(home / "big.xlsx", n)  # and its profile, big.toml
    db = open_database(str(home / "gui.sqlite3"))
    desk = Desk(db)
    clock, gaps = QElapsedTimer(), [0.0]
    clock.start()
    last = [clock.elapsed()]

    def tick() -> None:
        now = clock.elapsed()
        gaps[0] = max(gaps[0], now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    done: list[object] = []
    started = time.perf_counter()
    timer.start()
    last[0] = clock.elapsed()
    desk.run(lambda p: import_statement(db, xlsx, xlsx.with_suffix(".toml"), user="bench", progress=p), done.append,
             on_failure=done.append)
    wait_until(lambda: bool(done))
    timer.stop()
    took = time.perf_counter() - started
    if isinstance(done[0], BaseException):
        raise done[0]
    db.dispose()
    return gaps[0], took


def time_to_show_lines(home: Path, n: int) -> tuple[float, float]:
    path = exchange_csv(home / "huge.csv", n)  # and its profile, huge.toml
    db = open_database(str(home / "lines.sqlite3"))
    t = time.perf_counter()
    batch = import_statement(db, path, path.with_suffix(".toml"), user="bench").batch_id
    import_took = time.perf_counter() - t
    desk = Desk(db)
    model = LinesModel(desk)
    view = QTableView()
    view.setModel(model)
    view.resize(1200, 700)
    view.show()
    t = time.perf_counter()
    model.show_batch(batch)
    wait_until(lambda: model.rowCount() == n)
    wait_until(lambda: model.index(0, 2).data() not in (None, PENDING))
    view.viewport().repaint()
    shown = time.perf_counter() - t
    db.dispose()
    return shown, import_took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    args = parser.parse_args()
    _app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        gap, took = gui_block_during_import(Path(tmp), args.xlsx_rows)
        print(f"import of a {args.xlsx_rows:,}-row xlsx in the background: {took:.1f} s; longest GUI-thread gap "
              f"{gap:.0f} ms (target <= 100 ms)", flush=True)
        if args.lines <= 0:
            return
        shown, import_took = time_to_show_lines(Path(tmp), args.lines)
        print(f"stored lines of a {args.lines:,}-row file (imported in {import_took:.1f} s): table shown with its "
              f"first rows in {shown * 1000:.0f} ms (target <= 500 ms)", flush=True)


if __name__ == "__main__":
    main()
