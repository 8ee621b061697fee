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


def test_the_latest_reconciled_day_opens_first_with_its_figures_and_findings(qtbot, db):
    from segdesk.services.demo import load_demo

    load_demo(db)
    window = MainWindow(db)
    qtbot.addWidget(window)
    page = window.reconciliation
    assert window.tabs.currentWidget() is page
    heading = page.heading.text()
    assert "Reconciliation for 20 November 2026" in heading and "4 critical open" in heading
    assert "4,721,104.7845" in heading and "250,000" in heading
    proxy = page.table.model()
    assert proxy.rowCount() == 10
    severities = [proxy.index(r, 1).data() for r in range(proxy.rowCount())]
    assert severities == ["critical"] * 4 + ["high"] * 5 + ["medium"]
    amounts = {proxy.index(r, 2).data(): proxy.index(r, 6).data() for r in range(proxy.rowCount())}
    assert amounts["client deficit"] == "45,000.1" and amounts["balance break"] == "9,725.05"
    page.table.sortByColumn(6, Qt.SortOrder.DescendingOrder)  # by exact amount
    assert proxy.index(0, 6).data() == "75,000" and proxy.index(9, 6).data() == "0"


def test_no_reconciliation_yet_says_how_to_make_one(qtbot, db):
    window = MainWindow(db)
    qtbot.addWidget(window)
    assert window.reconciliation.stack.currentWidget() is window.reconciliation.empty
    assert "segdesk reconcile --as-of" in window.reconciliation.empty.text()


def test_findings_table_model_obeys_qt_model_rules(qtmodeltester, db):
    from segdesk.services.demo import load_demo
    from segdesk.ui.findings_table import FindingsTableModel

    run = load_demo(db).run
    qtmodeltester.check(FindingsTableModel(list(run.findings)))
