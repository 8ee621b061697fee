"""The desktop app. For now one window: the latest reconciled day and the imported files.

The full desk (import wizard, acting on findings, sign-off, export) arrives with the GUI work;
this window already runs on the real database through the same services as the command line.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QAbstractTableModel, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import (
    QApplication,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from segdesk.services.overview import list_imports
from segdesk.services.reconciling import RunView, latest_day
from segdesk.store.engine import Database, DatabaseError, open_database
from segdesk.domain.money import grouped
from segdesk.ui.findings_table import FindingsTableModel
from segdesk.ui.imports_table import ImportsTableModel


def _table(model: QAbstractTableModel) -> QTableView:
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setSortRole(Qt.ItemDataRole.UserRole)
    table = QTableView()
    table.setModel(proxy)
    proxy.setParent(table)
    table.setSortingEnabled(True)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)  # one line per row; the tooltip holds the whole text
    table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


class TableOrEmpty(QStackedWidget):
    """A sortable table, or a line saying what to do while it has no rows."""

    def __init__(self, model: QAbstractTableModel, empty_text: str) -> None:
        super().__init__()
        self.table = _table(model)
        self.empty = QLabel(empty_text)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.addWidget(self.empty)
        self.addWidget(self.table)

    def show_rows(self, has_rows: bool) -> None:
        self.setCurrentWidget(self.table if has_rows else self.empty)


class ReconciliationPage(QWidget):
    """The latest reconciled day: the four figures, then its findings."""

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        self.heading = QLabel()
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.heading)
        self.model = FindingsTableModel()
        self.stack = TableOrEmpty(
            self.model,
            "No reconciliation yet.\n\nRun one from the command line:\nsegdesk reconcile --as-of YYYY-MM-DD",
        )
        self.table, self.empty = self.stack.table, self.stack.empty
        self.table.sortByColumn(1, Qt.SortOrder.AscendingOrder)  # most severe first
        layout.addWidget(self.stack, 1)

    def show_run(self, run: RunView | None) -> None:
        if run is None:
            self.heading.setText("")
            self.model.set_rows([])
            self.stack.show_rows(False)
            return
        seg = run.results["segregation"]
        state = "approved" if run.approved else ("prepared, awaiting review" if "preparer" in run.sign_offs
                                                  else "not signed off")
        cells = "".join(
            f"<td style='padding-right:28px'>{label}<br><b style='font-size:14pt'>{grouped(seg[key])}</b>"
            f" {run.base_currency}</td>"
            for label, key in (("Requirement", "requirement"), ("Resources", "resources"), ("Excess", "excess"),
                               ("Undermargined", "undermargined"), ("Buffer held", "buffer"))
        )
        critical = len(run.open_critical)
        self.heading.setText(
            f"<p><b>Reconciliation for {run.as_of:%d %B %Y}</b> &nbsp;·&nbsp; run {run.run_id}, {state}"
            f" &nbsp;·&nbsp; {len(run.findings)} findings, "
            f"<span style='color:{'#b3261e' if critical else '#1e7b34'}'>{critical} critical open</span></p>"
            f"<table><tr>{cells}</tr></table>"
        )
        self.model.set_rows(list(run.findings))
        self.stack.show_rows(bool(run.findings))


class MainWindow(QMainWindow):
    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db
        self.setWindowTitle(f"SegDesk — {db.describe()}")
        self.resize(1200, 680)
        self.reconciliation = ReconciliationPage()
        imports = QWidget()
        layout = QVBoxLayout(imports)
        self.model = ImportsTableModel()
        self.stack = TableOrEmpty(
            self.model,
            "No statements imported yet.\n\nImport one from the command line:\n"
            "segdesk import STATEMENT.xlsx --profile PROFILE.toml",
        )
        self.table, self.empty = self.stack.table, self.stack.empty
        self.table.sortByColumn(6, Qt.SortOrder.DescendingOrder)  # newest import first
        layout.addWidget(self.stack, 1)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.reconciliation, "Reconciliation")
        self.tabs.addTab(imports, "Imported files")
        self.setCentralWidget(self.tabs)
        self.refresh()

    def refresh(self) -> None:
        imports = list_imports(self.db)
        self.model.set_rows(imports)
        self.stack.show_rows(bool(imports))
        self.reconciliation.show_run(latest_day(self.db))
        self.statusBar().showMessage(f"Database: {self.db.describe()} · {len(imports)} file(s) imported")


def run_app(db_arg: str | None) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("SegDesk")
    try:
        db = open_database(db_arg)
    except DatabaseError as exc:
        QMessageBox.critical(None, "SegDesk cannot open its database", str(exc))
        return 2
    window = MainWindow(db)
    window.show()
    return app.exec()
