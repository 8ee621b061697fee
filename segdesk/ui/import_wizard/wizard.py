"""The import wizard: recognise each file's saved profile or build a new one, preview what the
importer reads, save the profile, and import in the background with progress and a way to stop.

Pages: the files (what SegDesk recognised), then for each file that needs a profile: who sent it,
where its table is, which column is which (with a live preview), saving the profile; then a review
of what will be imported, and the import itself. Reading files and parsing run off the GUI thread
(``Desk.run``); everything shown is computed by the importer's own code in
``segdesk.services.profiles``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QWidget,
    QWizard,
)

from segdesk.services.profiles import (
    FileLook,
    Fit,
    SavedProfile,
    fit_file,
    profiles_folder,
)
from segdesk.ui.desk import Desk, show_error
from segdesk.ui.import_wizard.common import (
    FILES,
    IMPORT,
    REVIEW,
    SETUP_BASE,
    SETUP_PAGES,
    Item,
    Setup,
)
from segdesk.ui.import_wizard.files_page import FilesPage
from segdesk.ui.import_wizard.finish_pages import ImportPage, ReviewPage
from segdesk.ui.import_wizard.profile_pages import (
    ColumnsPage,
    SavePage,
    SourcePage,
    TablePage,
)
from segdesk.ui.worker import Job


class ImportWizard(QWizard):
    """Import statement files; see the module's docstring."""

    def __init__(self, desk: Desk, files: list[Path], parent: QWidget | None = None, *,
                 profiles_dir: Path | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.profiles_dir = profiles_dir or profiles_folder()
        self.items: list[Item] = [Item(Path(f)) for f in files]
        self.saved_profiles: list[SavedProfile] = []
        self.profile_problems: list[str] = []
        self.jobs: dict[object, Job] = {}
        self._next_base = SETUP_BASE
        self._close_when_settled = False
        self.setWindowTitle("Import statements")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setOption(QWizard.WizardOption.HaveHelpButton, False)
        self.resize(1040, 720)
        self.files_page = FilesPage(self)
        self.review_page = ReviewPage(self)
        self.import_page = ImportPage(self)
        self.setPage(FILES, self.files_page)
        self.setPage(REVIEW, self.review_page)
        self.setPage(IMPORT, self.import_page)
        self.setStartId(FILES)
        self.files_page.start()

    # --- background work, tracked so closing the wizard can stop it ---

    def run(self, work: Any, on_success: Any, *, what: str, on_failure: Any = None, on_progress: Any = None,
            on_cancel: Any = None) -> Job:
        # The job is forgotten in its own outcome callbacks: Desk.run connects those before the job
        # starts, whereas a connection made here to ``settled`` could come after a quick job ended.
        token = object()

        def ended(then: Any, *args: Any) -> None:
            self.jobs.pop(token, None)
            if then is not None:
                then(*args)
            if self._close_when_settled and not self.jobs:
                self._close_when_settled = False
                QWizard.reject(self)

        def failed(exc: BaseException) -> None:
            if on_failure is not None:
                ended(on_failure, exc)
            else:
                ended(None)
                show_error(self, f"{what} did not complete", exc, where=self.desk.db.describe())

        job = self.desk.run(work, lambda result: ended(on_success, result), parent=self, what=what,
                            on_failure=failed, on_progress=on_progress, on_cancel=lambda: ended(on_cancel))
        self.jobs[token] = job
        return job

    @property
    def busy(self) -> bool:
        return bool(self.jobs)

    def reject(self) -> None:
        """Cancel or Esc: an import in flight is stopped first (nothing of its file is stored)."""
        if self.import_page.job is not None and self.import_page.job in self.jobs.values():
            self.import_page.stop()
            self._close_when_settled = True
            return
        for job in list(self.jobs.values()):
            job.cancel()
        super().reject()

    # --- page order: files, then each new profile's pages, then review and import ---

    def new_setup(self, item: Item) -> Setup:
        setup = Setup(self._next_base, sheet=item.sheet if item.look and item.look.sheets else None)
        self._next_base += 10
        setup.pages = [SourcePage(self, item), TablePage(self, item), ColumnsPage(self, item), SavePage(self, item)]
        for k, page in enumerate(setup.pages):
            self.setPage(setup.base + k, page)
        item.setup = setup
        return setup

    def nextId(self) -> int:  # noqa: N802 - Qt's name
        current = self.currentId()
        if current == FILES:
            return self._setup_after(-1)
        if current >= SETUP_BASE:
            index, k = next((i, current - it.setup.base) for i, it in enumerate(self.items)
                            if it.setup and it.setup.base <= current < it.setup.base + SETUP_PAGES)
            return current + 1 if k < SETUP_PAGES - 1 else self._setup_after(index)
        if current == REVIEW:
            return IMPORT
        return -1

    def _setup_after(self, index: int) -> int:
        for item in self.items[index + 1:]:
            if item.needs_setup and item.error is None and item.setup is not None:
                return item.setup.base
        return REVIEW

    def profile_saved(self, made_for: Item, saved: SavedProfile | None) -> None:
        """A profile was made: later files still waiting for one that it reads get it too."""
        if saved is None:
            return
        self.saved_profiles = [p for p in self.saved_profiles if p.path != saved.path] + [saved]
        after = self.items[self.items.index(made_for) + 1:]
        for item in after:
            if not (item.needs_setup and item.profile is None and item.look is not None):
                continue
            fit = fit_file_cached(item.look, saved)
            if fit is not None and not fit.problems:
                item.saved, item.sheet, item.how, item.needs_setup = saved, fit.sheet, "recognised", False


def fit_file_cached(look: FileLook, saved: SavedProfile) -> Fit | None:
    """fit_file on a sheet already read (no file access on the GUI thread); None if not read yet."""
    sheet = saved.profile.sheet if look.sheets and saved.profile.sheet else look.first_sheet
    if sheet not in look.tables:
        return None
    return fit_file(look, saved.profile)


# --- 1. the files ---------------------------------------------------------------------------------------


