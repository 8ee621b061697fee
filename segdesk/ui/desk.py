"""What every page of the window shares: the open database, the as-of date, who is working, and
one signal that says "the data changed, look again"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget
from shiboken6 import isValid

from segdesk.domain.problems import InputError
from segdesk.domain.progress import Progress
from segdesk.services.identity import current_user
from segdesk.store.engine import Database
from segdesk.ui.worker import Job, run_job


class Desk(QObject):
    changed = Signal()  # something was imported, reconciled, acted on, signed: pages reload
    as_of_changed = Signal(object)  # dt.date | None
    busy_changed = Signal(bool)
    activity = Signal(str)  # what the latest unfinished job is doing, "" when nothing runs
    status = Signal(str)  # a short message for the status bar

    def __init__(self, db: Database, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.user = current_user(db)
        self.as_of: dt.date | None = None
        self._jobs = 0
        self._doing: list[str] = []

    def set_as_of(self, day: dt.date | None) -> None:
        if day != self.as_of:
            self.as_of = day
            self.as_of_changed.emit(day)

    def run(self, work: Callable[[Progress], Any], on_success: Callable[[Any], None], *,
            parent: QWidget | None = None, what: str = "The work",
            on_failure: Callable[[BaseException], None] | None = None,
            on_progress: Callable[[int, int, str], None] | None = None,
            on_cancel: Callable[[], None] | None = None) -> Job:
        """``work(progress)`` off the GUI thread; ``on_success(result)`` back on it. A failure
        shows a readable dialog naming ``what`` failed, unless ``on_failure`` handles it."""
        self._jobs += 1
        self._doing.append(what)
        if self._jobs == 1:
            self.busy_changed.emit(True)
        self.activity.emit(what)

        def failed(exc: BaseException) -> None:
            if is_busy(exc):
                self.status.emit(f"{what}: the database is busy; nothing was changed")
            if on_failure is not None:
                on_failure(exc)
            else:
                show_error(parent, f"{what} did not complete", exc, where=self.db.describe())

        job = run_job(work, on_success=on_success, on_failure=failed, on_progress=on_progress, on_cancel=on_cancel)
        job.settled.connect(lambda: self._settled(what))
        return job

    def _settled(self, what: str) -> None:
        if not isValid(self):  # the window closed before the job settled: nobody is left to tell
            return
        self._jobs -= 1
        self._doing.remove(what)
        self.activity.emit(self._doing[-1] if self._doing else "")
        if self._jobs == 0:
            self.busy_changed.emit(False)

    def explain(self, exc: BaseException) -> list[str]:
        """``problem_lines`` naming this window's database when it is busy."""
        return problem_lines(exc, where=self.db.describe())


def is_busy(exc: BaseException) -> bool:
    """Another connection held SQLite's write lock for longer than our busy timeout."""
    module = type(exc).__module__
    text = str(getattr(exc, "orig", None) or exc).lower()
    return module.startswith(("sqlalchemy", "sqlite3")) and ("database is locked" in text or "database is busy" in text)


def busy_message(where: str | None = None) -> str:
    return (f"The database is busy: another SegDesk (or another program) is writing to {where or 'it'}. "
            "Nothing was changed; try again in a moment.")


def problem_lines(exc: BaseException, where: str | None = None) -> list[str]:
    """What a person should read: our own input errors line by line, anything else in one line.
    ``where`` names the database, for the one message that is about it."""
    if isinstance(exc, InputError):
        return list(exc.problems)
    if is_busy(exc):
        return [busy_message(where)]
    text = str(exc).strip().splitlines()
    return [f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")]


def message_box(parent: QWidget | None, icon: QMessageBox.Icon, title: str, text: str,
                buttons: QMessageBox.StandardButton = QMessageBox.StandardButton.Ok) -> QMessageBox:
    """A message whose text is shown as typed, never as HTML (a file's or a person's text may hold
    "<" or "&"). Not yet opened: callers name it or connect its buttons, then ``open()`` it, which
    is window-modal and never blocks a test or the event loop."""
    box = QMessageBox(icon, title, text, buttons, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    return box


def show_error(parent: QWidget | None, title: str, exc: BaseException, *, where: str | None = None) -> None:
    lines = problem_lines(exc, where)
    box = message_box(parent, QMessageBox.Icon.Warning, title, lines[0] if len(lines) == 1 else
                      f"{len(lines)} problems; nothing was changed.")
    if len(lines) > 1:
        box.setDetailedText("\n".join(lines))
        box.setInformativeText("\n".join(lines[:8]) + ("\n…" if len(lines) > 8 else ""))
    box.setObjectName("errorDialog")
    box.open()
