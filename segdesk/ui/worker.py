"""Long work off the GUI thread: one small helper over QThreadPool.

``run_job(work, ...)`` calls ``work(progress)`` on a pool thread, where ``progress`` is the same
Qt-free ``Progress`` the command line uses; its reports and the result come back to the GUI thread
as queued signals. ``Job.cancel()`` sets the flag the service checks at each report, so the service
stops cleanly (and stores nothing) where it stands.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

from segdesk.domain.progress import Cancelled, Progress


class Job(QObject):
    """One piece of background work; connect to its signals, keep it until ``settled``."""

    progressed = Signal(int, int, str)
    succeeded = Signal(object)
    failed = Signal(object)  # the exception
    cancelled = Signal()
    settled = Signal()  # after any of the three above

    def __init__(self, work: Callable[[Progress], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._work = work
        self.progress = Progress(self._report)
        self.running = False

    def _report(self, done: int, total: int, stage: str) -> None:
        self.progressed.emit(done, total, stage)

    def cancel(self) -> None:
        self.progress.cancel()

    def _run(self) -> None:
        try:
            result = self._work(self.progress)
        except Cancelled:
            self.cancelled.emit()
        except Exception as exc:  # noqa: BLE001 - handed to the GUI thread, which shows it
            self.failed.emit(exc)
        else:
            self.succeeded.emit(result)
        finally:
            self.running = False
            self.settled.emit()


class _Runnable(QRunnable):
    def __init__(self, job: Job) -> None:
        super().__init__()
        self.job = job
        self.setAutoDelete(True)

    def run(self) -> None:
        self.job._run()


_live: set[Job] = set()  # jobs in flight are kept alive here, not by whoever started them


def run_job(work: Callable[[Progress], Any], *, on_success: Callable[[Any], None] | None = None,
            on_failure: Callable[[BaseException], None] | None = None,
            on_cancel: Callable[[], None] | None = None,
            on_progress: Callable[[int, int, str], None] | None = None,
            pool: QThreadPool | None = None) -> Job:
    job = Job(work)
    if on_success:
        job.succeeded.connect(on_success)
    if on_failure:
        job.failed.connect(on_failure)
    if on_cancel:
        job.cancelled.connect(on_cancel)
    if on_progress:
        job.progressed.connect(on_progress)
    _live.add(job)
    job.settled.connect(lambda: _live.discard(job))
    job.running = True
    # Started on the next turn of the event loop, so whoever gets the job back can still connect to
    # its signals: a quick job must not settle before anyone listens.
    runnable = _Runnable(job)
    QTimer.singleShot(0, lambda: (pool or QThreadPool.globalInstance()).start(runnable))
    return job
