"""Progress and cancellation for long work, free of any GUI toolkit.

The CLI draws a text bar from the callback; the GUI forwards it to a progress dialog whose
Cancel button sets the flag. The work checks the flag at each report and stops cleanly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field


class Cancelled(Exception):
    """The person asked to stop; nothing has been stored."""


@dataclass
class Progress:
    callback: Callable[[int, int, str], None] | None = None
    cancel_flag: threading.Event = field(default_factory=threading.Event)

    def report(self, done: int, total: int, stage: str) -> None:
        if self.cancel_flag.is_set():
            raise Cancelled(stage)
        if self.callback is not None:
            self.callback(done, total, stage)

    def cancel(self) -> None:
        self.cancel_flag.set()

