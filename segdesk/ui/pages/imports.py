"""Import history: every file brought in, with its hash, rows, who, when and whether a later file
superseded it; and the way in to the import wizard."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QTextBrowser,
    QWidget,
)

from segdesk.services.overview import ImportSummary, list_imports
from segdesk.ui.desk import Desk
from segdesk.ui.imports_table import ImportsTableModel
from segdesk.ui.lines_model import LinesModel
from segdesk.ui.widgets import (
    TableOrEmpty,
    copy_selection,
    fit_columns,
    heading,
    page_layout,
    selected_rows,
)


class ImportsPage(QWidget):
    import_requested = Signal(list)

    def __init__(self, desk: Desk) -> None:
        super().__init__()
        self.desk = desk
        layout = page_layout(self)
        top = QHBoxLayout()
        top.addWidget(heading("Imports"))
        top.addStretch(1)
        self.import_button = QPushButton("Import statements…")
        self.import_button.setToolTip("Choose files, or drop them anywhere on the window (Ctrl+I)")
        self.import_button.clicked.connect(lambda: self.import_requested.emit([]))
        top.addWidget(self.import_button)
        layout.addLayout(top)
        self.model = ImportsTableModel()
        self.stack = TableOrEmpty(self.model, "No statements imported yet.\n\nPress “Import statements…” or drop "
                                              "spreadsheets and CSV files on the window.")
        self.table, self.empty = self.stack.table, self.stack.empty
        self.table.sortByColumn(6, Qt.SortOrder.DescendingOrder)  # newest first
        self.table.selectionModel().selectionChanged.connect(self._selected)
        self.detail = QTextBrowser()
        self.lines_model = LinesModel(desk)
        self.lines = QTableView()
        self.lines.setModel(self.lines_model)
        self.lines.setAlternatingRowColors(True)
        self.lines.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.lines.verticalHeader().setVisible(False)
        self.lines.verticalHeader().setDefaultSectionSize(22)
        self.lines.horizontalHeader().setStretchLastSection(True)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.detail, "Details")
        self.tabs.addTab(self.lines, "Stored lines")
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.stack)
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout.addWidget(split, 1)
        self.count = QLabel()
        layout.addWidget(self.count)
        desk.changed.connect(self.reload)

    def reload(self) -> None:
        db = self.desk.db
        self.desk.run(lambda _p: list_imports(db), self.show_imports, parent=self, what="Loading the imports")

    def show_imports(self, imports: list[ImportSummary]) -> None:
        self.model.set_rows(imports)
        fit_columns(self.table)
        self.stack.show_rows(bool(imports))
        in_use = sum(1 for i in imports if not i.superseded)
        self.count.setText(f"{len(imports)} file(s) imported, {in_use} in use")
        self._selected()

    def _selected(self, *_: object) -> None:
        rows = selected_rows(self.table)
        if len(rows) != 1:
            self.detail.setHtml("<p style='color:gray'>Select a file to see its details and the lines stored from "
                                "it.</p>")
            self.lines_model.show_batch(None)
            return
        i = self.model.row(rows[0])
        self.lines_model.show_batch(i.batch_id)
        self.detail.setHtml(
            f"<p><b>{escape(i.file_name)}</b> — {escape(i.source)} ({escape(i.kind)}), batch {i.batch_id}</p>"
            f"<p>{i.rows:,} balance rows, as of {i.as_of or 'several dates'}; imported by {escape(i.imported_by)} "
            f"on {i.imported_at.astimezone():%Y-%m-%d %H:%M}. "
            f"{'<b>Superseded</b> by a later file for the same account and date.' if i.superseded else 'In use.'}</p>"
            f"<p>SHA-256 <code>{i.sha256}</code></p>")

    def copy_selection(self) -> str:
        return copy_selection(self.table)
