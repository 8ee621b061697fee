"""The import wizard: recognise each file's saved profile or build a new one, preview what the
importer reads, save the profile, and import in the background with progress and a way to stop.

Pages: the files (what SegDesk recognised), then for each file that needs a profile: who sent it,
where its table is, which column is which (with a live preview), saving the profile; then a review
of what will be imported, and the import itself. Reading files and parsing run off the GUI thread
(``Desk.run``); everything shown is computed by the importer's own code in
``segdesk.services.profiles``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QDate, QModelIndex, QPersistentModelIndex, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QFont, QFontDatabase, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from segdesk.domain.money import grouped, plain
from segdesk.domain.problems import InputError
from segdesk.domain.progress import Cancelled, Progress
from segdesk.services.importing import ImportResult, import_statement
from segdesk.services.profiles import (
    FIELD_LABELS,
    FIELDS,
    NUMBER_FIELDS,
    FileLook,
    Fit,
    Preview,
    PreviewRow,
    ProfileDraft,
    SavedProfile,
    Table,
    check_statement,
    column_letter,
    fit_file,
    grid_rows,
    guess_columns,
    guess_header_row,
    guess_source,
    header_cells,
    list_profiles,
    look_at_file,
    open_profile_file,
    preview,
    profile_path,
    profiles_folder,
    read_sheet,
    required_fields,
    save_profile,
    settle_header_row,
)
from segdesk.ui.desk import Desk, problem_lines, show_error
from segdesk.ui.rows_model import RowsTableModel
from segdesk.ui.widgets import copy_selection, fit_columns
from segdesk.ui.worker import Job

FILES, REVIEW, IMPORT = 1, 2, 3
SETUP_BASE, SETUP_PAGES = 100, 4
RED, GREY, AMBER, GREEN = QColor("#b3261e"), QColor("#6b6b6b"), QColor("#a15c00"), QColor("#1e7b34")
PROBLEM_BG, HEADER_BG = QColor("#fce8e6"), QColor("#d7e7fb")
KIND_TEXT = {
    "custodian": "Custodian — a bank or crypto custodian holding the money",
    "exchange": "Exchange — a trading venue or clearing member (may carry equity and margin)",
    "ledger": "Ledger — the firm's own books",
    "prices": "Prices — a valuation file: one price per asset",
}
NUMBER_STYLES = [  # (shown, decimal, thousands)
    ("1,234.56", ".", ","),
    ("1.234,56", ",", "."),
    ("1 234,56", ",", " "),
    ("1'234.56", ".", "'"),
    ("1234.56 (no grouping)", ".", ""),
    ("1234,56 (no grouping)", ",", ""),
]
DATE_STYLES = [  # (shown, strptime pattern or None)
    ("Spreadsheet dates or YYYY-MM-DD", None),
    ("DD.MM.YYYY", "%d.%m.%Y"),
    ("DD/MM/YYYY", "%d/%m/%Y"),
    ("MM/DD/YYYY", "%m/%d/%Y"),
    ("DD-MM-YYYY", "%d-%m-%Y"),
    ("YYYYMMDD", "%Y%m%d"),
]
PROBLEMS_LISTED = 200
NOT_IN_FILE, ONE_ACCOUNT, FILE_DATE, SAVED_DATE = "", "\x00one-account", "\x00file-date", "\x00saved-date"


def shown(value: object) -> str:
    """A parsed value as the rest of SegDesk shows it: exact amounts grouped, dates ISO."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return grouped(plain(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def to_qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def from_qdate(day: QDate) -> dt.date:
    return dt.date(day.year(), day.month(), day.day())


def hidden_fields(kind: str) -> tuple[str, ...]:
    """A prices file names assets and prices only: its other fields are not offered."""
    if kind == "prices":
        return ("account", "reference", "quantity", "equity", "initial_margin", "maintenance_margin")
    return ()


def list_table(model: RowsTableModel) -> QTableView:  # type: ignore[type-arg]
    """A table of our rows in the order the wizard keeps them (files in the order given)."""
    table = QTableView()
    table.setModel(model)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(24)
    table.horizontalHeader().setStretchLastSection(True)
    copy = QShortcut(QKeySequence.StandardKey.Copy, table, context=Qt.ShortcutContext.WidgetShortcut)
    copy.activated.connect(lambda: copy_selection(table))
    return table


def more_problems(listing: QListWidget, count: int) -> None:
    """A file with thousands of bad rows usually has one mistake: the first lines show it."""
    if count > PROBLEMS_LISTED:
        listing.addItem(f"… and {count - PROBLEMS_LISTED:,} more problems like these")


def note(text: str = "", colour: QColor | None = None) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if colour is not None:
        label.setStyleSheet(f"color: {colour.name()};")
    return label


# --- what the wizard works on -------------------------------------------------------------------------


@dataclass
class Setup:
    """A new profile being made for one item: the state its four pages share."""

    base: int  # page id of its first page
    pages: list[QWizardPage] = field(default_factory=list)
    sheet: str | None = None
    header_row: int = 0
    draft: ProfileDraft | None = None
    file_as_of: dt.date | None = None  # a date for this file only (like --as-of)


@dataclass
class Item:
    """One statement to import: a file and, for a workbook, the sheet a profile reads."""

    path: Path
    look: FileLook | None = None
    error: str | None = None  # the file cannot be read
    sheet: str | None = None
    saved: SavedProfile | None = None  # the profile file that reads it
    unsaved: Any = None  # a Profile made here and not saved
    how: str = ""  # "recognised", "chosen", "made here"
    needs_setup: bool = False
    setup: Setup | None = None
    as_of: dt.date | None = None  # passed to the importer as --as-of; None: the profile's own date
    check: Preview | None = None
    check_error: str | None = None
    outcome: str = ""
    result: ImportResult | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def profile(self) -> Any:
        return self.saved.profile if self.saved is not None else self.unsaved

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def ready(self) -> bool:
        return self.error is None and self.profile is not None

    def profile_name(self) -> str:
        if self.saved is not None:
            return self.saved.name
        return "(not saved)" if self.unsaved is not None else ""


# --- small models ---------------------------------------------------------------------------------------


class ItemsModel(RowsTableModel[Item]):
    COLUMNS = ("File", "Sheet", "Profile", "What happens")

    def cells(self, item: Item) -> tuple[str, ...]:
        return (item.name, item.sheet or "", item.profile_name(), self.status(item))

    @staticmethod
    def status(item: Item) -> str:
        if item.error:
            return f"Cannot be read: {item.error}"
        if item.look is None:
            return "Reading…"
        if item.needs_setup and item.profile is None:
            return "New layout: you will set up a profile for it next"
        if item.needs_setup:
            return f"Profile made here for {item.profile.source}"
        p = item.profile
        if p is None:
            return "New layout: you will set up a profile for it next"
        return f"{item.how.capitalize()}: {p.source} ({p.kind})"

    def style(self, item: Item, column: int, role: int) -> object:
        if role == Qt.ItemDataRole.ForegroundRole and column == 3:
            if item.look is None and not item.error:
                return QBrush(GREY)
            return QBrush(RED if item.error else GREEN if item.ready and not item.needs_setup else AMBER)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.status(item)
        return None


class GridModel(QAbstractTableModel):
    """The top of a sheet as the spreadsheet shows it: row numbers, column letters, the header row
    highlighted and the rows above it greyed."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[int, tuple[str, ...]]] = []
        self.width = 0
        self.header_row = 0

    def set_grid(self, width: int, rows: list[tuple[int, tuple[str, ...]]], header_row: int) -> None:
        self.beginResetModel()
        self.width, self.rows, self.header_row = width, rows, header_row
        self.endResetModel()

    def set_header_row(self, row: int) -> None:
        self.header_row = row
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, max(self.width - 1, 0)))
            self.headerDataChanged.emit(Qt.Orientation.Vertical, 0, len(self.rows) - 1)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else self.width

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        number, cells = self.rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return cells[index.column()]
        if role == Qt.ItemDataRole.BackgroundRole and number == self.header_row:
            return QBrush(HEADER_BG)
        if role == Qt.ItemDataRole.FontRole and number == self.header_row:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and number < self.header_row:
            return QBrush(GREY)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return column_letter(section)
        number = self.rows[section][0]
        return f"{number} ▶" if number == self.header_row else str(number)


class PreviewModel(RowsTableModel[PreviewRow]):
    """Each row under the header as the importer reads it: exact values of a balance, or the cells
    of a row it refuses or skips. ``Qt.UserRole`` gives the parsed value itself."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[str] = []
        self.COLUMNS = ("Row", "Note")  # type: ignore[misc]  # per instance: the fields assigned

    def set_preview(self, fields: list[str], rows: list[PreviewRow]) -> None:
        self.beginResetModel()
        self.fields = list(fields)
        self.COLUMNS = ("Row", *(FIELD_LABELS[f] for f in fields), "Note")  # type: ignore[misc]
        self.RIGHT = frozenset([0] + [i + 1 for i, f in enumerate(fields) if f in NUMBER_FIELDS])  # type: ignore[misc]
        self.endResetModel()
        self.set_rows(rows)

    def cells(self, row: PreviewRow) -> tuple[str, ...]:
        return (str(row.row), *(shown(row.values.get(f)) for f in self.fields), row.note)

    def keys(self, row: PreviewRow) -> tuple[Any, ...]:
        return (row.row, *(str(row.values.get(f)) for f in self.fields), row.note)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if role == Qt.ItemDataRole.UserRole and index.isValid():
            row = self.row(index.row())
            column = index.column()
            return row.row if column == 0 else row.values.get(self.fields[column - 1]) if column <= len(self.fields) else row.note
        return super().data(index, role)

    def style(self, row: PreviewRow, column: int, role: int) -> object:
        field_name = self.fields[column - 1] if 0 < column <= len(self.fields) else None
        if role == Qt.ItemDataRole.BackgroundRole and row.state == "problem":
            return QBrush(PROBLEM_BG)
        if role == Qt.ItemDataRole.ForegroundRole:
            if row.state == "problem" and (field_name in row.bad_columns or column == len(self.fields) + 1):
                return QBrush(RED)
            if row.state == "skipped":
                return QBrush(GREY)
        if role == Qt.ItemDataRole.FontRole and row.state == "problem" and field_name in row.bad_columns:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.note or None
        return None


# --- the wizard ----------------------------------------------------------------------------------------


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
                show_error(self, f"{what} did not complete", exc)

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


class SourcePage(QWizardPage):
    def __init__(self, wizard: ImportWizard, item: Item) -> None:
        super().__init__()
        self.w, self.item = wizard, item
        self.setTitle(f"New profile for {item.name}: who sent it?")
        self.setSubTitle("The source is created on the first import. Its kind decides what the statement is "
                         "used for in the reconciliation.")
        form = QFormLayout(self)
        self.source = QComboBox()
        self.source.setEditable(True)
        self.source.addItems(sorted({p.profile.source for p in wizard.saved_profiles}, key=str.casefold))
        self.source.setEditText(guess_source(item.name))
        self.source.lineEdit().setPlaceholderText("e.g. Northbridge Custody")
        self.source.editTextChanged.connect(lambda _t: self.completeChanged.emit())
        form.addRow("Source name:", self.source)
        self.kinds = QButtonGroup(self)
        box = QVBoxLayout()
        for kind, text in KIND_TEXT.items():
            button = QRadioButton(text)
            button.setObjectName(kind)
            self.kinds.addButton(button)
            box.addWidget(button)
        self.kinds.buttonToggled.connect(lambda *_: self.completeChanged.emit())
        form.addRow("Kind:", box)

    def kind(self) -> str:
        button = self.kinds.checkedButton()
        return button.objectName() if button else ""

    def set_kind(self, kind: str) -> None:
        for button in self.kinds.buttons():
            button.setChecked(button.objectName() == kind)

    def source_name(self) -> str:
        return self.source.currentText().strip()

    def isComplete(self) -> bool:  # noqa: N802 - Qt's name
        return bool(self.source_name() and self.kind())


# --- 3. a new profile: where the table is ---------------------------------------------------------------


class TablePage(QWizardPage):
    def __init__(self, wizard: ImportWizard, item: Item) -> None:
        super().__init__()
        self.w, self.item = wizard, item
        self.table: Table | None = None
        self.detected = 0
        self.setTitle(f"Where is the table in {item.name}?")
        self.setSubTitle("SegDesk found the header row: the row naming the columns. Change it if it is wrong: "
                         "type its number or click the row.")
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.sheet_label = QLabel("Sheet:")
        self.sheet = QComboBox()
        self.sheet.setMinimumWidth(180)
        look = item.look
        self.sheet.addItems(look.sheets if look else [])
        self.sheet.currentTextChanged.connect(self._sheet_chosen)
        top.addWidget(self.sheet_label)
        top.addWidget(self.sheet)
        top.addSpacing(24)
        top.addWidget(QLabel("Header row:"))
        self.header_row = QSpinBox()
        self.header_row.setRange(1, 1_048_576)
        self.header_row.valueChanged.connect(self._header_chosen)
        top.addWidget(self.header_row)
        self.detected_label = QLabel()
        self.detected_label.setStyleSheet(f"color: {GREY.name()};")
        top.addWidget(self.detected_label)
        top.addStretch(1)
        layout.addLayout(top)
        for w in (self.sheet_label, self.sheet):
            w.setVisible(bool(look and look.sheets))
        self.grid_model = GridModel()
        self.grid = QTableView()
        self.grid.setModel(self.grid_model)
        self.grid.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.grid.setWordWrap(False)
        self.grid.verticalHeader().setDefaultSectionSize(22)
        self.grid.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.grid.clicked.connect(lambda index: self.header_row.setValue(self.grid_model.rows[index.row()][0]))
        layout.addWidget(self.grid, 1)
        self.headers_note = note()
        layout.addWidget(self.headers_note)
        self.status = note(colour=GREY)
        layout.addWidget(self.status)

    def initializePage(self) -> None:  # noqa: N802 - Qt's name
        if self.table is None:
            setup = self.item.setup
            sheet = setup.sheet if setup else None
            if sheet and self.sheet.currentText() != sheet:
                self.sheet.setCurrentText(sheet)  # reads it
            else:
                self._sheet_chosen(sheet or "")

    def _sheet_chosen(self, sheet: str) -> None:
        look = self.item.look
        if look is None:
            return
        key = sheet or None if look.sheets else None
        if key in look.tables:
            self._show_table(look.tables[key])
            return
        self.table = None
        self.grid_model.set_grid(0, [], 0)
        self.status.setText(f"Reading sheet '{sheet}'…")
        self.completeChanged.emit()
        path = self.item.path
        self.w.run(lambda _p: read_sheet(path, key), lambda table: self._read(key, table), what=f"Reading {sheet}",
                   on_failure=lambda exc: self.status.setText("\n".join(problem_lines(exc))))

    def _read(self, key: str | None, table: Table) -> None:
        if self.item.look is not None:
            self.item.look.tables[key] = table
        if (self.sheet.currentText() or None) == key or not self.sheet.isVisible():
            self._show_table(table)

    def _show_table(self, table: Table) -> None:
        self.table = table
        if self.item.setup is not None:
            self.item.setup.sheet = table.sheet
        self.detected = guess_header_row(table)
        self.detected_label.setText(f"(SegDesk found row {self.detected})")
        width, rows = grid_rows(table, 30, self.detected)
        self.grid_model.set_grid(width, rows, self.detected)
        self.grid.resizeColumnsToContents()
        for c in range(width):
            self.grid.setColumnWidth(c, min(self.grid.columnWidth(c), 260))
        self.status.setText("" if table.rows else "This sheet is empty.")
        if self.header_row.value() == self.detected:
            self._header_chosen(self.detected)
        else:
            self.header_row.setValue(self.detected)

    def _header_chosen(self, row: int) -> None:
        if self.table is None:
            return
        if not any(r == row for r, _ in self.grid_model.rows):
            width, rows = grid_rows(self.table, 30, row)
            self.grid_model.set_grid(width, rows, row)
        self.grid_model.set_header_row(row)
        if self.item.setup is not None:
            self.item.setup.header_row = row
        headers = header_cells(self.table, row)
        if headers:
            self.headers_note.setText(f"Columns named on row {row}: " + " · ".join(
                f"{column_letter(i)} {text}" for i, text in headers))
            self.headers_note.setStyleSheet("")
        else:
            self.headers_note.setText(f"Row {row} is blank: choose the row that names the columns.")
            self.headers_note.setStyleSheet(f"color: {RED.name()};")
        self.completeChanged.emit()

    def headers(self) -> list[tuple[int, str]]:
        return header_cells(self.table, self.header_row.value()) if self.table is not None else []

    def isComplete(self) -> bool:  # noqa: N802 - Qt's name
        return self.table is not None and bool(self.headers())


# --- 4. a new profile: which column is which, with a live preview -----------------------------------------


class ColumnsPage(QWizardPage):
    def __init__(self, wizard: ImportWizard, item: Item) -> None:
        super().__init__()
        self.w, self.item = wizard, item
        self.result: Preview | None = None
        self.draft_problems: list[str] = []
        self.job: Job | None = None
        self.generation = 0
        self._headers: list[tuple[int, str]] = []
        self.setTitle(f"Which column is which in {item.name}?")
        self.setSubTitle("Fields marked * are required. The preview below is read by the importer itself: what "
                         "it shows is what will be stored.")
        outer = QVBoxLayout(self)
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(4)
        self.labels: dict[str, QLabel] = {}
        self.combos: dict[str, QComboBox] = {}
        fields = [f for f in FIELDS if f != "as_of_column"] + ["as_of_column"]
        for n, f in enumerate(fields):
            row, col = n % 5, (n // 5) * 3
            label = QLabel(FIELD_LABELS[f] + ":")
            combo = QComboBox()
            combo.setMinimumWidth(210)
            combo.currentIndexChanged.connect(self.changed)
            self.labels[f], self.combos[f] = label, combo
            grid.addWidget(label, row, col, Qt.AlignmentFlag.AlignRight)
            grid.addWidget(combo, row, col + 1)
        self.account = QLineEdit()
        self.account.setPlaceholderText("the account number, e.g. 0012345-01")
        self.account.textChanged.connect(self.changed)
        self.as_of = QDateEdit()
        self.as_of.setCalendarPopup(True)
        self.as_of.setDisplayFormat("yyyy-MM-dd")
        self.as_of.setDate(to_qdate(wizard.desk.as_of or dt.date.today()))
        self.as_of.dateChanged.connect(self.changed)
        grid.addWidget(self.account, 5, 1)
        grid.addWidget(self.as_of, 5, 4)
        grid.addWidget(QLabel("Numbers look like:"), 0, 6, Qt.AlignmentFlag.AlignRight)
        self.numbers = QComboBox()
        for text, decimal, thousands in NUMBER_STYLES:
            self.numbers.addItem(text, (decimal, thousands))
        self.numbers.currentIndexChanged.connect(self.changed)
        grid.addWidget(self.numbers, 0, 7)
        grid.addWidget(QLabel("Dates look like:"), 1, 6, Qt.AlignmentFlag.AlignRight)
        self.dates = QComboBox()
        for text, pattern in DATE_STYLES:
            self.dates.addItem(text, pattern)
        self.dates.currentIndexChanged.connect(self.changed)
        grid.addWidget(self.dates, 1, 7)
        grid.setColumnStretch(8, 1)
        outer.addLayout(grid)

        self.summary = note()
        outer.addWidget(self.summary)
        split = QSplitter(Qt.Orientation.Vertical)
        self.model = PreviewModel()
        self.preview_table = list_table(self.model)
        split.addWidget(self.preview_table)
        problems = QWidget()
        box = QVBoxLayout(problems)
        box.setContentsMargins(0, 4, 0, 0)
        self.problems_label = QLabel("Problems (double-click one to see its row):")
        box.addWidget(self.problems_label)
        self.problems = QListWidget()
        self.problems.setWordWrap(True)
        self.problems.itemDoubleClicked.connect(self.go_to_problem)
        self.problems.itemActivated.connect(self.go_to_problem)
        box.addWidget(self.problems)
        split.addWidget(problems)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        outer.addWidget(split, 1)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(120)  # typing a date or an account is one preview, not one per key
        self.timer.timeout.connect(self.refresh_preview)

    # --- filling the choices ---

    def _source(self) -> SourcePage:
        return self.item.setup.pages[0]  # type: ignore[union-attr, return-value]

    def _table_page(self) -> TablePage:
        return self.item.setup.pages[1]  # type: ignore[union-attr, return-value]

    def initializePage(self) -> None:  # noqa: N802 - Qt's name
        kind = self._source().kind()
        headers = self._table_page().headers()
        texts = [t for _, t in headers]
        previous = {f: c.currentData() for f, c in self.combos.items()} if self._headers else {}
        guessed = guess_columns(texts, kind)
        self._headers = headers
        required = required_fields(kind, fixed_account=False)
        for f, combo in self.combos.items():
            combo.blockSignals(True)
            combo.clear()
            needed = f in required or f == "as_of_column"
            combo.addItem("— choose a column —" if needed else "— not in this file —", NOT_IN_FILE)
            for i, text in headers:
                combo.addItem(f"{text}  (column {column_letter(i)})", text)
            if f == "account":
                combo.addItem("One account for the whole file:", ONE_ACCOUNT)
            if f == "as_of_column":
                combo.insertItem(1, "This file's date (not saved):", FILE_DATE)
                combo.insertItem(2, "One date, saved in the profile:", SAVED_DATE)
            want = previous.get(f) if previous.get(f) in texts + [ONE_ACCOUNT, FILE_DATE, SAVED_DATE] else guessed.get(f)
            if f == "as_of_column" and not want:
                want = FILE_DATE
            combo.setCurrentIndex(max(combo.findData(want), 0) if want else 0)
            combo.blockSignals(False)
            hidden = f in hidden_fields(kind)
            combo.setVisible(not hidden)
            self.labels[f].setVisible(not hidden)
            star = " *" if f in required or f == "as_of_column" else ""
            self.labels[f].setText(f"{FIELD_LABELS[f]}{star}:")
            font = self.labels[f].font()
            font.setBold(bool(star))
            self.labels[f].setFont(font)
        self.changed()

    def changed(self, *_: object) -> None:
        kind = self._source().kind() if self.item.setup else ""
        self.account.setVisible(self.combos["account"].currentData() == ONE_ACCOUNT and kind != "prices")
        self.as_of.setVisible(self.combos["as_of_column"].currentData() in (FILE_DATE, SAVED_DATE))
        self.result = None
        self.summary.setText("Updating the preview…")
        self.summary.setStyleSheet(f"color: {GREY.name()};")
        self.completeChanged.emit()
        self.timer.start()

    # --- the profile the choices make ---

    def draft(self) -> ProfileDraft:
        kind = self._source().kind()
        columns = {f: c.currentData() for f, c in self.combos.items() if f not in hidden_fields(kind)}
        columns = {f: h for f, h in columns.items() if isinstance(h, str) and h and not h.startswith("\x00")}
        date_mode = self.combos["as_of_column"].currentData()
        decimal, thousands = self.numbers.currentData()
        setup = self.item.setup
        assert setup is not None
        return ProfileDraft(
            source=self._source().source_name(),
            kind=kind,
            columns=columns,
            sheet=setup.sheet,
            header_row=self._table_page().header_row.value(),
            as_of=from_qdate(self.as_of.date()) if date_mode == SAVED_DATE else None,
            account=self.account.text().strip() or None if self.combos["account"].currentData() == ONE_ACCOUNT else None,
            decimal=decimal,
            thousands=thousands,
            date_format=self.dates.currentData(),
            file_name=self.item.name,
        )

    def missing(self, draft: ProfileDraft) -> list[str]:
        """The required choices not made yet, in the words on this page."""
        lines = []
        for f in required_fields(draft.kind, fixed_account=bool(draft.account)):
            if f not in draft.columns:
                if f == "account" and self.combos["account"].currentData() == ONE_ACCOUNT:
                    lines.append("Account: type the account number of the whole file")
                else:
                    lines.append(f"{FIELD_LABELS[f]}: choose its column (a {draft.kind} statement needs it)")
        if self.combos["as_of_column"].currentData() == NOT_IN_FILE:
            lines.append("As-of date: choose its column, or give the date")
        return lines

    def file_as_of(self) -> dt.date | None:
        return from_qdate(self.as_of.date()) if self.combos["as_of_column"].currentData() == FILE_DATE else None

    def refresh_preview(self) -> None:
        table = self._table_page().table
        if table is None:
            return
        self.generation += 1
        generation = self.generation
        if self.job is not None:
            self.job.cancel()
        draft = self.draft()
        missing = self.missing(draft)
        try:
            if missing:
                raise InputError(missing)
            profile = draft.profile(name="this profile")
        except InputError as exc:
            self.job = None
            self.draft_problems = [p.removeprefix("this profile: ") for p in exc.problems]
            self._show(None)
            return
        self.draft_problems = []
        as_of = self.file_as_of()
        self.summary.setText("Reading the rows…")
        self.job = self.w.run(lambda progress: preview(table, profile, as_of, progress),
                              lambda result: self._previewed(generation, result), what="The preview",
                              on_failure=lambda exc: self._preview_failed(generation, exc))

    def _previewed(self, generation: int, result: Preview) -> None:
        if generation == self.generation:
            self.job = None
            self._show(result)

    def _preview_failed(self, generation: int, exc: BaseException) -> None:
        if generation == self.generation:
            self.job = None
            self.draft_problems = problem_lines(exc)
            self._show(None)

    def _show(self, result: Preview | None) -> None:
        self.result = result
        self.problems.clear()
        if result is None:
            self.model.set_preview([], [])
            self.summary.setText("The preview appears once the columns marked * are chosen.")
            self.summary.setStyleSheet(f"color: {AMBER.name()};")
            self.problems_label.setText("What the profile still needs:")
            for line in self.draft_problems:
                self.problems.addItem(line)
            self.completeChanged.emit()
            return
        self.model.set_preview(result.fields, result.rows)
        fit_columns(self.preview_table, 220)
        shown_rows = sum(1 for r in result.rows if r.state == "balance")
        parts = [f"{result.balances:,} balance{'s' if result.balances != 1 else ''} read from "
                 f"{result.body_rows:,} rows under the header"]
        if result.dates:
            parts.append("as of " + ", ".join(d.isoformat() for d in result.dates[:3])
                         + ("…" if len(result.dates) > 3 else ""))
        if result.accounts:
            parts.append(f"{len(result.accounts)} account{'s' if len(result.accounts) != 1 else ''}")
        if shown_rows < result.balances:
            parts.append(f"showing the first {shown_rows:,}; every row was checked")
        if result.problems:
            count = len(result.problems)
            parts.append(f"{count} problem{'s' if count != 1 else ''}: the file will not be imported until "
                         f"{'it is' if count == 1 else 'they are'} fixed")
        self.summary.setText(" · ".join(parts))
        self.summary.setStyleSheet(f"color: {(RED if result.problems else GREEN).name()};")
        self.problems_label.setText("Problems (double-click one to see its row):" if result.problems
                                    else "No problems: every row reads.")
        for p in result.problems[:PROBLEMS_LISTED]:
            entry = QListWidgetItem(p.text)
            entry.setData(Qt.ItemDataRole.UserRole, p.row)
            entry.setForeground(QBrush(RED))
            self.problems.addItem(entry)
        more_problems(self.problems, len(result.problems))
        self.completeChanged.emit()

    def go_to_problem(self, entry: QListWidgetItem) -> None:
        """Select, and scroll to, the row a problem names."""
        row = entry.data(Qt.ItemDataRole.UserRole)
        if row is None:
            return
        for i, preview_row in enumerate(self.model.rows()):
            if preview_row.row == row:
                self.preview_table.selectRow(i)
                self.preview_table.scrollTo(self.model.index(i, 0), QAbstractItemView.ScrollHint.PositionAtCenter)
                self.preview_table.setFocus()
                return

    def isComplete(self) -> bool:  # noqa: N802 - Qt's name
        return self.result is not None and self.result.header_row > 0

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        setup = self.item.setup
        assert setup is not None
        table = self._table_page().table
        assert table is not None
        setup.draft = settle_header_row(self.draft(), table)
        setup.file_as_of = self.file_as_of()
        return True


# --- 5. a new profile: saving it -----------------------------------------------------------------------


class SavePage(QWizardPage):
    def __init__(self, wizard: ImportWizard, item: Item) -> None:
        super().__init__()
        self.w, self.item = wizard, item
        self.saved_path: Path | None = None  # saved by this page: saving again replaces it
        self.setTitle("Save the profile")
        self.setSubTitle("Saved profiles are how SegDesk recognises the next statement in this layout: it is "
                         "then imported without these questions.")
        layout = QVBoxLayout(self)
        self.keep = QCheckBox("Save this profile for next time")
        self.keep.setChecked(True)
        self.keep.toggled.connect(self._changed)
        layout.addWidget(self.keep)
        form = QFormLayout()
        self.name = QLineEdit()
        self.name.textChanged.connect(self._changed)
        form.addRow("Profile name:", self.name)
        self.where = note(colour=GREY)
        form.addRow("Saved as:", self.where)
        layout.addLayout(form)
        self.exists = note(colour=RED)
        layout.addWidget(self.exists)
        self.replace = QCheckBox("Replace it")
        self.replace.toggled.connect(self._changed)
        layout.addWidget(self.replace)
        layout.addWidget(note("The profile as saved (the same file works with “segdesk import --profile”):",
                              colour=GREY))
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        layout.addWidget(self.text, 1)
        self.error = note(colour=RED)
        layout.addWidget(self.error)

    def initializePage(self) -> None:  # noqa: N802 - Qt's name
        draft = self.item.setup.draft  # type: ignore[union-attr]
        assert draft is not None
        if not self.name.text():
            self.name.setText(draft.source)
        self.text.setPlainText(draft.text())
        self.error.clear()
        self._changed()

    def target(self) -> Path:
        return profile_path(self.name.text().strip() or "profile", self.w.profiles_dir)

    def _changed(self, *_: object) -> None:
        keep = self.keep.isChecked()
        self.name.setEnabled(keep)
        target = self.target()
        self.where.setText(str(target) if keep else "not saved: this import only")
        clash = keep and target.exists() and target != self.saved_path
        self.exists.setText(f"A profile called “{target.stem}” already exists. Choose another name, or replace it."
                            if clash else "")
        self.exists.setVisible(clash)
        self.replace.setVisible(clash)
        if not clash:
            self.replace.setChecked(False)
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802 - Qt's name
        if not self.keep.isChecked():
            return True
        target = self.target()
        return bool(self.name.text().strip()) and (
            not target.exists() or target == self.saved_path or self.replace.isChecked())

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        setup = self.item.setup
        assert setup is not None and setup.draft is not None
        text = setup.draft.text()
        try:
            if self.keep.isChecked():
                path = save_profile(text, self.name.text().strip(), folder=self.w.profiles_dir,
                                    replace=self.replace.isChecked() or self.target() == self.saved_path)
                self.saved_path = path
                saved: SavedProfile | None = open_profile_file(path)
                self.item.saved, self.item.unsaved = saved, None
            else:
                saved = None
                self.item.saved, self.item.unsaved = None, setup.draft.profile(name=f"profile for {self.item.name}")
        except InputError as exc:
            self.error.setText("\n".join(exc.problems))
            return False
        self.item.sheet, self.item.how, self.item.as_of = setup.sheet, "made here", setup.file_as_of
        self.w.profile_saved(self.item, saved)
        self.w.desk.status.emit(f"Profile saved: {saved.path}" if saved else "Profile used for this import only")
        return True


# --- 6. what will happen -----------------------------------------------------------------------------


class ReviewModel(RowsTableModel[Item]):
    COLUMNS = ("File", "Sheet", "Profile", "Source", "Balances", "As of", "Check")
    RIGHT = frozenset({4})

    def cells(self, item: Item) -> tuple[str, ...]:
        p = item.profile
        check = item.check
        return (
            item.name,
            item.sheet or "",
            item.profile_name(),
            f"{p.source} ({p.kind})" if p is not None else "",
            f"{check.balances:,}" if check else "",
            ", ".join(d.isoformat() for d in check.dates[:2]) + ("…" if check and len(check.dates) > 2 else "")
            if check else "",
            self.status(item),
        )

    @staticmethod
    def status(item: Item) -> str:
        if item.error:
            return f"Not imported: cannot be read ({item.error})"
        if item.profile is None:
            return "Not imported: no profile"
        if item.check_error:
            return f"Not imported: {item.check_error}"
        if item.check is None:
            return "Checking…"
        if item.check.problems:
            n = len(item.check.problems)
            return f"Not imported: {n} problem{'s' if n != 1 else ''}"
        return "Ready"

    def style(self, item: Item, column: int, role: int) -> object:
        if role == Qt.ItemDataRole.ForegroundRole and column == 6:
            text = self.status(item)
            return QBrush(GREEN if text == "Ready" else GREY if text == "Checking…" else RED)
        if role == Qt.ItemDataRole.ToolTipRole and column == 6:
            return self.status(item)
        return None


class ReviewPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.generation = 0
        self.setTitle("Ready to import")
        self.setSubTitle("Every file has been read with its profile; nothing is stored yet. Each file is imported "
                         "whole or not at all.")
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "Import")
        layout = QVBoxLayout(self)
        self.model = ReviewModel()
        self.table = list_table(self.model)
        self.table.selectionModel().selectionChanged.connect(self._selected)
        layout.addWidget(self.table, 2)
        date_row = QHBoxLayout()
        self.date_label = QLabel("As-of date for files whose profile gives none:")
        self.as_of = QDateEdit()
        self.as_of.setCalendarPopup(True)
        self.as_of.setDisplayFormat("yyyy-MM-dd")
        self.as_of.setDate(to_qdate(wizard.desk.as_of or dt.date.today()))
        self.as_of.dateChanged.connect(lambda _d: self.check())
        date_row.addWidget(self.date_label)
        date_row.addWidget(self.as_of)
        date_row.addStretch(1)
        layout.addLayout(date_row)
        self.summary = note()
        layout.addWidget(self.summary)
        self.problems = QListWidget()
        self.problems.setWordWrap(True)
        layout.addWidget(self.problems, 1)

    def undated(self, item: Item) -> bool:
        p = item.profile
        return (item.ready and p is not None and p.as_of is None and "as_of_column" not in p.columns
                and not (item.setup and item.setup.file_as_of))

    def initializePage(self) -> None:  # noqa: N802 - Qt's name
        needs_date = any(self.undated(i) for i in self.w.items)
        self.date_label.setVisible(needs_date)
        self.as_of.setVisible(needs_date)
        self.check()

    def check(self) -> None:
        """Read every file with its profile, in the background: what the import would store."""
        self.generation += 1
        generation = self.generation
        for item in self.w.items:
            item.check, item.check_error = None, None
            if not item.ready:
                continue
            if self.undated(item):
                item.as_of = from_qdate(self.as_of.date())
            profile, as_of, path = item.profile, item.as_of, item.path
            table = item.look.tables.get(item.sheet) if item.look else None
            self.w.run(lambda progress, profile=profile, as_of=as_of, path=path, table=table:
                       check_statement(path, profile, as_of, table=table, progress=progress),
                       lambda result, item=item: self._checked(generation, item, result, None),
                       what=f"Checking {item.name}",
                       on_failure=lambda exc, item=item: self._checked(generation, item, None, exc))
        self.refresh()

    def _checked(self, generation: int, item: Item, result: Preview | None, exc: BaseException | None) -> None:
        if generation != self.generation:
            return
        item.check = result
        item.check_error = "; ".join(problem_lines(exc)) if exc is not None else None
        self.refresh()

    def refresh(self) -> None:
        self.model.set_rows(self.w.items)
        fit_columns(self.table, 360)
        ready = self.ready_items()
        pending = any(i.ready and i.check is None and i.check_error is None for i in self.w.items)
        if pending:
            self.summary.setText("Reading the files…")
        else:
            left = len(self.w.items) - len(ready)
            balances = sum(i.check.balances for i in ready if i.check)
            files = f"{left} file{'s' if left != 1 else ''}"
            if ready:
                self.summary.setText(
                    f"{len(ready)} file{'s' if len(ready) != 1 else ''} ready: {balances:,} balances will be stored."
                    + (f" {files} will not be imported (select one to see why)." if left else ""))
            else:
                self.summary.setText(f"Nothing can be imported: {files} {'have' if left != 1 else 'has'} problems "
                                     "(select one to see why). Go Back to change a profile, or have the file "
                                     "corrected and import it again.")
            self.summary.setStyleSheet(f"color: {(RED if not ready else AMBER if left else GREEN).name()};")
        if self.table.selectionModel().selectedRows() == [] and self.w.items:
            problem = next((n for n, i in enumerate(self.w.items) if ReviewModel.status(i) != "Ready"), 0)
            self.table.selectRow(problem)
        self._selected()
        self.completeChanged.emit()

    def _selected(self, *_: object) -> None:
        self.problems.clear()
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        if not rows:
            return
        item = self.model.row(rows[0])
        lines = ([item.error] if item.error else [item.check_error] if item.check_error else
                 [p.text for p in item.check.problems] if item.check else [])
        for line in lines[:PROBLEMS_LISTED]:
            entry = QListWidgetItem(line)
            entry.setForeground(QBrush(RED))
            self.problems.addItem(entry)
        more_problems(self.problems, len(lines))
        if item.check and not lines:
            accounts = ", ".join(item.check.accounts[:6]) + ("…" if len(item.check.accounts) > 6 else "")
            self.problems.addItem(f"{item.name}: {item.check.balances:,} balances"
                                  + (f" for account{'s' if len(item.check.accounts) != 1 else ''} {accounts}"
                                     if accounts else ""))

    def ready_items(self) -> list[Item]:
        return [i for i in self.w.items if i.ready and i.check is not None and i.check.ok]

    def isComplete(self) -> bool:  # noqa: N802 - Qt's name
        pending = any(i.ready and i.check is None and i.check_error is None for i in self.w.items)
        return not pending and bool(self.ready_items())


# --- 7. importing ----------------------------------------------------------------------------------------


class ResultsModel(RowsTableModel[Item]):
    COLUMNS = ("File", "Result", "Source", "Rows", "As of", "Superseded")
    RIGHT = frozenset({3})

    def cells(self, item: Item) -> tuple[str, ...]:
        r = item.result
        return (
            item.name + (f" [{item.sheet}]" if item.sheet else ""),
            item.outcome,
            r.source if r else "",
            f"{r.rows:,}" if r else "",
            (r.as_of.isoformat() if r.as_of else "several dates") if r else "",
            f"{r.superseded:,} earlier statement{'s' if r.superseded != 1 else ''}" if r and r.superseded else
            "—" if r else "",
        )

    def style(self, item: Item, column: int, role: int) -> object:
        if role == Qt.ItemDataRole.ForegroundRole and column == 1:
            return QBrush(GREEN if item.result else GREY if item.outcome.startswith("Waiting") else RED)
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join(item.problems) or item.outcome
        return None


class ImportPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.job: Job | None = None
        self.finished = False
        self.stopped = False
        self.items: list[Item] = []
        self.setTitle("Importing")
        self.setSubTitle("Each file is stored whole or not at all. Stopping leaves the file being imported "
                         "unstored; files already imported stay.")
        layout = QVBoxLayout(self)
        self.stage = note()
        layout.addWidget(self.stage)
        row = QHBoxLayout()
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        row.addWidget(self.bar, 1)
        self.stop_button = QPushButton("Cancel import")
        self.stop_button.clicked.connect(self.stop)
        row.addWidget(self.stop_button)
        layout.addLayout(row)
        self.model = ResultsModel()
        self.table = list_table(self.model)
        self.table.selectionModel().selectionChanged.connect(self._selected)
        layout.addWidget(self.table, 2)
        self.details = QListWidget()
        self.details.setWordWrap(True)
        layout.addWidget(self.details, 1)

    def initializePage(self) -> None:  # noqa: N802 - Qt's name
        self.items = self.w.review_page.ready_items()
        for item in self.items:
            item.outcome, item.result, item.problems = "Waiting", None, []
        self.model.set_rows(self.items)
        fit_columns(self.table, 360)
        self.finished = self.stopped = False
        self.setTitle("Importing")
        self.start()

    def start(self) -> None:
        db, user, items = self.w.desk.db, self.w.desk.user, list(self.items)
        plan = [(i.path, i.saved.path if i.saved is not None else i.profile, i.as_of, i.name) for i in items]
        outcomes: list[tuple[ImportResult | None, list[str]]] = []
        self._outcomes = outcomes

        def work(progress: Progress) -> list[tuple[ImportResult | None, list[str]]]:
            for n, (path, profile, as_of, name) in enumerate(plan):
                def report(done: int, total: int, stage: str, n: int = n, name: str = name) -> None:
                    share = done / total if total else 0
                    progress.report(int(1000 * (n + share) / len(plan)), 1000,
                                    f"{name} ({n + 1} of {len(plan)}): {stage}")

                one = Progress(report, progress.cancel_flag)  # Cancel reaches the importer's every report
                try:
                    outcomes.append((import_statement(db, path, profile, as_of=as_of, user=user, progress=one), []))
                except Cancelled:
                    raise
                except InputError as exc:
                    outcomes.append((None, list(exc.problems)))
                except Exception as exc:  # noqa: BLE001 - one file's failure is shown, the next file goes on
                    outcomes.append((None, problem_lines(exc)))
            return outcomes

        self.stop_button.setEnabled(True)
        self.stop_button.setText("Cancel import")
        self.stage.setText("Starting…")
        self.job = self.w.run(work, lambda _r: self.settle(), what="The import", on_progress=self.progressed,
                              on_cancel=self.settle, on_failure=self.failed)

    def progressed(self, done: int, total: int, stage: str) -> None:
        self.bar.setValue(done)
        if not self.stopped:
            self.stage.setText(f"Importing {stage}")
        position = done * len(self.items) // 1000 if self.items else 0
        for n, item in enumerate(self.items):
            if n == position and n >= len(self._outcomes) and item.outcome == "Waiting":
                item.outcome = "Importing…"
                self.model.set_rows(self.items)

    def stop(self) -> None:
        if self.job is not None and not self.finished:
            self.stopped = True
            self.job.cancel()
            self.stop_button.setEnabled(False)
            self.stage.setText("Stopping… nothing of the file being imported will be stored.")

    def failed(self, exc: BaseException) -> None:
        self._failure = problem_lines(exc)
        self.settle()

    def settle(self) -> None:
        """The job is over: imported, stopped or failed. Say what happened to every file."""
        self.finished = True
        self.job = None
        imported: list[Item] = []
        for n, item in enumerate(self.items):
            if n < len(self._outcomes):
                result, problems = self._outcomes[n]
                item.result, item.problems = result, problems
                item.outcome = "Imported" if result else f"Refused: {problems[0] if problems else 'unknown problem'}"
                if result:
                    imported.append(item)
            elif self.stopped:
                item.outcome = "Cancelled: nothing stored" if n == len(self._outcomes) else "Not imported (cancelled)"
            else:
                item.outcome = "Not imported"
                item.problems = getattr(self, "_failure", [])
        self.model.set_rows(self.items)
        fit_columns(self.table, 420)
        rows = sum(i.result.rows for i in imported if i.result)
        done_text = (f"Imported {len(imported)} file{'s' if len(imported) != 1 else ''}, {rows:,} balance rows."
                     if imported else "Nothing was imported.")
        if self.stopped:
            done_text = "Import cancelled. " + done_text
        self.setTitle("Import cancelled" if self.stopped else "Import finished")
        refused = len(self.items) - len(imported)
        if refused and not self.stopped:
            done_text += f" {refused} file{'s' if refused != 1 else ''} refused: select one to see why."
        self.stage.setText(done_text)
        self.bar.setValue(1000 if not self.stopped else self.bar.value())
        self.stop_button.setEnabled(False)
        if imported:
            self.w.desk.status.emit(done_text)
            self.w.desk.changed.emit()
        self.w.button(QWizard.WizardButton.CancelButton).setEnabled(False)
        if self.items:
            self.table.selectRow(0)
        self.completeChanged.emit()

    def _selected(self, *_: object) -> None:
        self.details.clear()
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        if not rows:
            return
        item = self.model.row(rows[0])
        r = item.result
        if r is not None:
            self.details.addItem(
                f"{r.file_name}: {r.rows:,} balance rows from {r.source}, {r.statements} statement"
                f"{'s' if r.statements != 1 else ''}"
                + (f", {r.skipped_rows} total/note rows skipped" if r.skipped_rows else "")
                + (f"; replaces {r.superseded} earlier statement{'s' if r.superseded != 1 else ''} for the same "
                   "account and date" if r.superseded else "")
                + f". SHA-256 {r.sha256}")
        for line in item.problems[:PROBLEMS_LISTED]:
            entry = QListWidgetItem(line)
            entry.setForeground(QBrush(RED))
            self.details.addItem(entry)
        more_problems(self.details, len(item.problems))

    def isComplete(self) -> bool:  # noqa: N802 - Qt's name
        return self.finished
