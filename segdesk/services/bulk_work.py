"""Big work without Python's cycle collector.

An import or a reconciliation run makes millions of small objects (cells, Decimals, rows) and no
reference cycles; the cycle collector would still walk them all, again and again, each pass holding
the interpreter lock for up to 100 ms at 100k rows: time lost, and long enough to freeze the window
while the work runs in the background. Reference counting frees them all the same.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
