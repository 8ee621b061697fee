"""Renders a screenshot of every screen of the desktop app, from the demo fund, into docs/screenshots/.

Offscreen, on a fresh temporary database; nothing of yours is touched:
    .venv/bin/python docs/make_screenshots.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "screenshots"

from PySide6.QtCore import QEventLoop, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402


def settle(ms: int = 400) -> None:
    from segdesk.ui import worker

    loop = QEventLoop()
    for _ in range(400):
        if not worker._live:
            break
        QTimer.singleShot(25, loop.quit)
        loop.exec()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_for(condition, seconds: float = 30) -> None:  # type: ignore[no-untyped-def]
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the screen did not get ready")
        settle(50)


def shoot(widget: QWidget, name: str) -> Path:
    settle()
    path = OUT / f"{name}.png"
    widget.grab().save(str(path))
    print(f"wrote {path.relative_to(ROOT)}")
    return path


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv)
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        os.environ["XDG_DATA_HOME"] = str(home / "data")  # saved import profiles, kept out of yours
        for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
            QSettings.setPath(fmt, QSettings.Scope.UserScope, str(home / "settings"))
        from segdesk.store.engine import open_database
        from segdesk.ui.app import MainWindow

        empty = MainWindow(open_database(str(home / "demo.sqlite3")))
        empty.resize(1280, 780)
        empty.show()
        shoot(empty, "00-first-run")
        empty.dashboard.load_demo()
        settle(800)
        window = empty
        names = {"Dashboard": "01-dashboard", "Findings": "02-findings", "Sub-accounts": "03-sub-accounts",
                 "Imports": "04-imports", "Accounts": "05-accounts", "Sign-off && export": "06-sign-off-export",
                 "Audit log": "07-audit-log"}
        for i, (title, page) in enumerate(window.pages):
            window.sidebar.setCurrentIndex(window.sidebar.model().index(i, 0))
            settle()
            if page is window.findings:
                window.findings.table.selectRow(4)
            if page is window.imports:
                window.imports.table.selectRow(4)
                window.imports.tabs.setCurrentIndex(1)
                settle()
                window.imports.lines_model.index(0, 0).data()
                settle()
            shoot(window, names.get(title, f"page-{i}"))
        accounts = getattr(window, "accounts", None)
        if accounts is not None and hasattr(accounts, "tabs"):
            window.sidebar.setCurrentRow(window.stack.indexOf(accounts))
            accounts.tabs.setCurrentIndex(accounts.tabs.count() - 1)
            shoot(window, "05b-accounts-unmapped")

        from segdesk.services.exporting import create_signing_key

        made = create_signing_key(home / "jane.p12", "Jane Doe, Harbour Fund Services", "screenshot passphrase")
        os.environ["SEGDESK_KEY_PASSPHRASE"] = "screenshot passphrase"
        page = window.signoff
        page.key.setText(str(made.p12))
        page.out.setText(str(home / "pack.pdf"))
        page.export()
        for _ in range(200):
            settle(100)
            if getattr(page, "export_box", None) is not None:
                break
        page.export_box.close()
        page.open_verify()
        page.verify_dialog.cert.setText(str(made.ca_certificate))
        page.verify_dialog.check(home / "pack.pdf")
        shoot(page.verify_dialog, "08-verify-a-pack")
        from PySide6.QtCore import QDate

        from segdesk.ui.import_wizard import SAVED_DATE, ImportWizard

        wizard = ImportWizard(window.desk, [ROOT / "resources" / "demo" / "northbridge_2026-11-20.xlsx"], window)
        wizard.resize(1000, 720)
        wizard.show()
        wait_for(wizard.files_page.isComplete)
        shoot(wizard, "09a-import-wizard-files")
        wizard.next()
        source, table, columns, save = wizard.items[0].setup.pages
        source.source.setEditText("Northbridge Custody")
        source.set_kind("custodian")
        shoot(wizard, "09b-import-wizard-source")
        wizard.next()
        wait_for(table.isComplete)
        shoot(wizard, "09c-import-wizard-table")
        wizard.next()
        dates = columns.combos["as_of_column"]
        dates.setCurrentIndex(dates.findData(SAVED_DATE))
        columns.as_of.setDate(QDate(2026, 11, 20))
        wait_for(lambda: columns.result is not None and columns.isComplete())
        shoot(wizard, "09d-import-wizard-columns")
        wizard.next()
        shoot(wizard, "09e-import-wizard-save")
        wizard.reject()
        window.close()
    app.quit()


if __name__ == "__main__":
    main()
