"""PySide6 6.12.0 on Python 3.11 aborts the interpreter after ~1000 Signal.emit() calls
("Fatal Python error: bool_dealloc"). We pin below 6.12 on 3.11; this proves the pin holds.
It runs in a child process: the failure is an abort, which would take pytest down with it."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_one_hundred_thousand_signal_emits_do_not_crash_the_interpreter():
    code = textwrap.dedent(
        """
        from PySide6.QtCore import QCoreApplication, QObject, Signal

        class Ticker(QObject):
            ticked = Signal(int, bool)

        app = QCoreApplication([])
        ticker = Ticker()
        seen = []
        ticker.ticked.connect(lambda n, flag: seen.append(flag))
        for n in range(100_000):
            ticker.ticked.emit(n, n % 2 == 0)
        print(len(seen), seen.count(True))
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["100000", "50000"]
