"""The first window: real database, real widgets, offscreen."""

from __future__ import annotations

from PySide6.QtCore import Qt

from segdesk.services.importing import import_statement
from segdesk.services.overview import list_imports
from segdesk.ui.app import MainWindow
from segdesk.ui.imports_table import ImportsTableModel
from tests.statements import write_northbridge_statement, write_profile


def test_empty_database_shows_how_to_start(qtbot, db):
    window = MainWindow(db)
    qtbot.addWidget(window)
    assert window.stack.currentWidget() is window.empty
    assert "No statements imported yet" in window.empty.text()


def test_imported_files_are_listed_and_sortable(qtbot, db, tmp_path):
    import_statement(db, write_northbridge_statement(tmp_path / "nb.xlsx"), write_profile(tmp_path / "p.toml"), user="jane")
    window = MainWindow(db)
    qtbot.addWidget(window)
    assert window.stack.currentWidget() is window.table
    proxy = window.table.model()
    assert proxy.rowCount() == 1
    row = [proxy.index(0, c).data() for c in range(proxy.columnCount())]
    assert row[:6] == ["nb.xlsx", "Northbridge Custody", "custodian", "2026-11-20", "5", "jane"]
    assert row[7] == "in use"


def test_imports_table_model_obeys_qt_model_rules(qtmodeltester, db, tmp_path):
    import_statement(db, write_northbridge_statement(tmp_path / "nb.xlsx"), write_profile(tmp_path / "p.toml"), user="jane")
    model = ImportsTableModel(list_imports(db))
    qtmodeltester.check(model)


def test_newest_import_is_listed_first(qtbot, db):
    from segdesk.services.demo import load_demo

    load_demo(db)
    window = MainWindow(db)
    qtbot.addWidget(window)
    proxy = window.table.model()
    files = [proxy.index(r, 0).data() for r in range(proxy.rowCount())]
    assert files == [
        "prices_2026-11-20.csv",
        "ledger_2026-11-20.csv",
        "adler_2026-11-19.csv",
        "helix_2026-11-20.csv",
        "northbridge_2026-11-20.xlsx",
    ]
    window.table.sortByColumn(4, Qt.SortOrder.DescendingOrder)  # rows, as numbers
    assert [proxy.index(r, 4).data() for r in range(proxy.rowCount())] == ["10", "9", "4", "4", "2"]
