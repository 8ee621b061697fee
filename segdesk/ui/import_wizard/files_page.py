"""The first page: each file, and whether a saved profile reads it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWizardPage,
)

from segdesk.domain.problems import InputError
from segdesk.services.profiles import (
    FileLook,
    Fit,
    SavedProfile,
    fit_file,
    list_profiles,
    look_at_file,
    open_profile_file,
)
from segdesk.ui.desk import problem_lines
from segdesk.ui.import_wizard.common import (
    GREEN,
    GREY,
    RED,
    Item,
    list_table,
    note,
)
from segdesk.ui.import_wizard.models import (
    ItemsModel,
)
from segdesk.ui.widgets import fit_columns

if TYPE_CHECKING:
    from segdesk.ui.import_wizard.wizard import ImportWizard
class FilesPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle("Statements to import")
        self.setSubTitle("SegDesk opens each file and looks for a saved profile that reads it. Files it "
                         "recognises import straight away; for a new layout you set up a profile once.")
        layout = QVBoxLayout(self)
        self.model = ItemsModel()
        self.table = list_table(self.model)
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.use_file_button = QPushButton("Use a profile file…")
        self.use_file_button.setToolTip("Read the selected file with a profile (.toml) kept anywhere, e.g. one a "
                                        "colleague sent")
        self.use_file_button.clicked.connect(self.choose_profile_file)
        self.new_button = QPushButton("Set up a new profile")
        self.new_button.setToolTip("Make a new profile for the selected file, even if one was recognised")
        self.new_button.clicked.connect(lambda: self.set_up_new(self.selected()))
        buttons.addWidget(self.use_file_button)
        buttons.addWidget(self.new_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.message = note()
        layout.addWidget(self.message)
        self.folder_note = note(colour=GREY)
        layout.addWidget(self.folder_note)
        self.table.selectionModel().selectionChanged.connect(self._selection)
        self._selection()

    # --- opening the files ---

    def start(self) -> None:
        self.w.saved_profiles, self.w.profile_problems = list_profiles(self.w.profiles_dir)
        count = len(self.w.saved_profiles)
        text = f"{count} saved profile{'s' if count != 1 else ''} in {self.w.profiles_dir}"
        if self.w.profile_problems:
            text += f". Not usable: {'; '.join(self.w.profile_problems)}"
        self.folder_note.setText(text)
        self.refresh()
        for item in list(self.w.items):
            self._look(item)

    def _look(self, item: Item) -> None:
        profiles = list(self.w.saved_profiles)
        self.w.run(lambda progress: look_at_file(item.path, profiles, progress),
                   lambda look: self._looked(item, look), what=f"Opening {item.name}",
                   on_failure=lambda exc: self._failed(item, exc))

    def _failed(self, item: Item, exc: BaseException) -> None:
        lines = problem_lines(exc)
        item.error = lines[0].removeprefix(f"{item.name}: ") + (f" (and {len(lines) - 1} more)" if len(lines) > 1 else "")
        item.look = None
        self.refresh()

    def _looked(self, item: Item, look: FileLook) -> None:
        item.look = look
        if not look.matches:
            item.sheet, item.needs_setup = look.first_sheet, True
        else:
            # One workbook may hold several statements (a custodian's sheet and an exchange's sheet):
            # each sheet a profile reads is imported with that profile.
            position = self.w.items.index(item)
            for k, (sheet, saved) in enumerate(look.matches):
                target = item if k == 0 else Item(item.path, look=look)
                target.sheet, target.saved, target.how = sheet, saved, "recognised"
                if k:
                    self.w.items.insert(position + k, target)
        self.refresh()

    # --- what the person can do ---

    def selected(self) -> Item | None:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return self.model.row(rows[0]) if rows else None

    def select(self, item: Item) -> None:
        self.table.selectRow(self.model.rows().index(item))

    def _selection(self, *_: object) -> None:
        item = self.selected()
        usable = item is not None and item.look is not None and item.error is None
        self.use_file_button.setEnabled(usable)
        self.new_button.setEnabled(usable)

    def choose_profile_file(self) -> None:
        item = self.selected()
        if item is None:
            return
        name, _ = QFileDialog.getOpenFileName(self, "Use a profile file", str(self.w.profiles_dir),
                                              "Import profiles (*.toml);;All files (*)")
        if name:
            self.use_profile_file(item, Path(name))

    def use_profile_file(self, item: Item, path: Path) -> None:
        """Read ``item`` with the profile in ``path``, once it is known to fit."""
        try:
            saved = open_profile_file(path)
        except InputError as exc:
            self.show_message(["That profile cannot be used:", *exc.problems], RED)
            return
        look = item.look
        assert look is not None
        self.show_message([f"Checking {path.name} against {item.name}…"], GREY)
        self.w.run(lambda _p: fit_file(look, saved.profile), lambda fit: self._fitted(item, saved, fit),
                   what=f"Checking {path.name}", on_failure=lambda exc: self.show_message(problem_lines(exc), RED))

    def _fitted(self, item: Item, saved: SavedProfile, fit: Fit) -> None:
        if fit.problems:
            self.show_message([f"{saved.path.name} does not read {item.name}:", *fit.problems], RED)
            return
        if item.look is not None and fit.table is not None:
            item.look.tables[fit.sheet] = fit.table
        item.saved, item.unsaved, item.sheet, item.how, item.needs_setup = saved, None, fit.sheet, "chosen", False
        self.show_message([f"{item.name} will be read with {saved.path.name}."], GREEN)
        self.refresh()

    def set_up_new(self, item: Item | None) -> None:
        if item is None or item.look is None:
            return
        item.needs_setup, item.saved, item.unsaved, item.how = True, None, None, ""
        self.refresh()

    def show_message(self, lines: list[str], colour: QColor) -> None:
        self.message.setText("\n".join(lines))
        self.message.setStyleSheet(f"color: {colour.name()};")

    def refresh(self) -> None:
        keep = self.selected()
        self.model.set_rows(self.w.items)
        fit_columns(self.table, 420)
        if keep in self.w.items:
            self.select(keep)
        elif self.w.items:
            self.table.selectRow(0)
        self.completeChanged.emit()

    # --- QWizardPage ---

    def isComplete(self) -> bool:  # noqa: N802 - Qt's name
        opened = all(i.look is not None or i.error is not None for i in self.w.items)
        return opened and any(i.error is None for i in self.w.items)

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        for item in self.w.items:
            if item.needs_setup and item.error is None and item.setup is None:
                self.w.new_setup(item)
        return True


# --- 2. a new profile: who sent it -----------------------------------------------------------------------


