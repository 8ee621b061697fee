"""Setting up a new profile: who sent the file, where its table is, which column is which (with the
importer's own live preview), and saving it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    Qt,
    QTimer,
)
from PySide6.QtGui import QBrush, QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QRadioButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from segdesk.domain.problems import InputError
from segdesk.services.profiles import (
    FIELD_LABELS,
    FIELDS,
    Preview,
    ProfileDraft,
    SavedProfile,
    Table,
    column_letter,
    grid_rows,
    guess_columns,
    guess_header_row,
    guess_source,
    header_cells,
    open_profile_file,
    preview,
    profile_path,
    read_sheet,
    required_fields,
    save_profile,
    settle_header_row,
)
from segdesk.ui.desk import problem_lines
from segdesk.ui.import_wizard.common import (
    AMBER,
    DATE_STYLES,
    FILE_DATE,
    GREEN,
    GREY,
    KIND_TEXT,
    NOT_IN_FILE,
    NUMBER_STYLES,
    ONE_ACCOUNT,
    PROBLEMS_LISTED,
    RED,
    SAVED_DATE,
    Item,
    from_qdate,
    hidden_fields,
    list_table,
    more_problems,
    note,
    to_qdate,
)
from segdesk.ui.import_wizard.models import (
    GridModel,
    PreviewModel,
)
from segdesk.ui.widgets import fit_columns
from segdesk.ui.worker import Job

if TYPE_CHECKING:
    from segdesk.ui.import_wizard.wizard import ImportWizard
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


