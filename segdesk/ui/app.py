"""The desktop app. For now one window: where the data lives and what has been imported.

The full desk (import wizard, findings, sign-off, export) arrives with the GUI work; this window
already runs on the real database through the same services as the command line.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtWidgets import (
    QApplication,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from segdesk.services.overview import list_imports
from segdesk.store.engine import Database, DatabaseError, open_database
from segdesk.ui.imports_table import ImportsTableModel


class MainWindow(QMainWindow):
    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db
        self.setWindowTitle("SegDesk")
        self.resize(1000, 600)
        central = QWidget()
        layout = QVBoxLayout(central)
        self.location = QLabel(f"Database: {db.describe()}")
        self.location.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.location)
        self.model = ImportsTableModel()
        proxy = QSortFilterProxyModel(self)
        proxy.setSourceModel(self.model)
        proxy.setSortRole(Qt.ItemDataRole.UserRole)
        self.table = QTableView()
        self.table.setModel(proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(6, Qt.SortOrder.DescendingOrder)  # newest import first
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.empty = QLabel(
            "No statements imported yet.\n\n"
            "Import one from the command line:\n"
            "segdesk import STATEMENT.xlsx --profile PROFILE.toml"
        )
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.table)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.refresh()

    def refresh(self) -> None:
        imports = list_imports(self.db)
        self.model.set_imports(imports)
        self.stack.setCurrentWidget(self.table if imports else self.empty)
        self.statusBar().showMessage(f"{len(imports)} file(s) imported")


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
