"""The desktop app's window: a sidebar of pages, menus and shortcuts, a status bar, settings kept
between sessions, files dropped on the window go to the import wizard."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, QSize, QTimer, QUrl
from PySide6.QtGui import (
    QAction,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QIcon,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QStyle,
    QWidget,
)

from segdesk import __version__
from segdesk.services.connections import (
    TeamConnection,
    password_in_url,
    save_password,
    saved_password,
    wants_password,
    without_password,
)
from segdesk.store.engine import Database, DatabaseError, open_database
from segdesk.ui.desk import Desk, message_box, show_error
from segdesk.ui.pages.audit import AuditPage
from segdesk.ui.pages.dashboard import DashboardPage
from segdesk.ui.pages.findings import FindingsPage
from segdesk.ui.pages.imports import ImportsPage
from segdesk.ui.pages.schedule import SchedulePage
from segdesk.ui.pages.signoff import SignOffPage

ICON = Path(__file__).resolve().parents[2] / "resources" / "icons" / "segdesk.svg"
RECENT_LIMIT = 8
PAGE_ICONS = {
    "Dashboard": QStyle.StandardPixmap.SP_ComputerIcon,
    "Findings": QStyle.StandardPixmap.SP_MessageBoxWarning,
    "Sub-accounts": QStyle.StandardPixmap.SP_FileDialogDetailedView,
    "Imports": QStyle.StandardPixmap.SP_ArrowDown,
    "Accounts": QStyle.StandardPixmap.SP_DirIcon,
    "Sign-off && export": QStyle.StandardPixmap.SP_DialogApplyButton,
    "Audit log": QStyle.StandardPixmap.SP_FileDialogContentsView,
}
STATEMENT_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".csv", ".txt"}


def settings() -> QSettings:
    return QSettings("SegDesk", "SegDesk")


class MainWindow(QMainWindow):
    def __init__(self, db: Database) -> None:
        super().__init__()
        self.desk = Desk(db, self)
        self.setWindowTitle(f"SegDesk — {db.describe()}")
        if ICON.exists():
            self.setWindowIcon(QIcon(str(ICON)))
        self.resize(1280, 760)
        self.setAcceptDrops(True)

        self.dashboard = DashboardPage(self.desk)
        self.findings = FindingsPage(self.desk)
        self.schedule = SchedulePage(self.desk)
        self.imports = ImportsPage(self.desk)
        self.signoff = SignOffPage(self.desk)
        self.audit = AuditPage(self.desk)
        self.pages: list[tuple[str, QWidget]] = [
            ("Dashboard", self.dashboard), ("Findings", self.findings), ("Sub-accounts", self.schedule),
            ("Imports", self.imports), ("Sign-off && export", self.signoff), ("Audit log", self.audit),
        ]
        try:
            from segdesk.ui.pages.accounts import AccountsPage
        except ImportError:  # built in its own piece of work; the window works without it
            pass
        else:
            self.accounts = AccountsPage(self.desk)
            self.pages.insert(4, ("Accounts", self.accounts))

        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setFixedWidth(190)
        self.sidebar.setIconSize(QSize(18, 18))
        # Spacing only: colours come from the system palette, so light and dark themes both work.
        self.sidebar.setStyleSheet("QListWidget#sidebar { border: none; padding-top: 8px; }"
                                   "QListWidget#sidebar::item { padding: 7px 10px; }")
        self.stack = QStackedWidget()
        for title, page in self.pages:
            item = QListWidgetItem(self.style().standardIcon(PAGE_ICONS.get(title, QStyle.StandardPixmap.SP_FileIcon)),
                                   title.replace("&&", "&"))
            self.sidebar.addItem(item)
            self.stack.addWidget(page)
        self.sidebar.currentRowChanged.connect(self.stack.setCurrentIndex)
        body = QWidget()
        row = QHBoxLayout(body)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.sidebar)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(body)

        self.db_label, self.day_label, self.user_label = QLabel(), QLabel(), QLabel()
        # Permanent, so a passing status message never hides that work (or a wait for the database) goes on.
        self.busy_label = QLabel("")
        for label in (self.busy_label, self.db_label, self.day_label, self.user_label):
            self.statusBar().addPermanentWidget(label)
        self.desk.as_of_changed.connect(self._show_status)
        # A write waiting for another program's lock looks like this too: the window says it is busy.
        self.desk.activity.connect(lambda what: self.busy_label.setText(f"Working: {what}…" if what else ""))
        self.desk.status.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.dashboard.import_requested.connect(self.import_files)
        self.dashboard.demo_opened.connect(self.open_demo_window)
        self.imports.import_requested.connect(self.import_files)

        self._menus()
        self._restore()
        self._show_status()
        self.desk.changed.emit()  # every page loads

    # --- menus -----------------------------------------------------------------------------------

    def _menus(self) -> None:
        file = self.menuBar().addMenu("&File")
        self._action(file, "&New database…", QKeySequence.StandardKey.New, self.new_database_dialog)
        self._action(file, "&Open database…", QKeySequence.StandardKey.Open, self.open_database_dialog)
        self._action(file, "&Connect to a team database…", "Ctrl+Shift+O", lambda: self.connect_dialog())
        self.recent_menu = file.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file.addSeparator()
        self.backup_action = self._action(file, "&Back up database…", None, self.back_up_dialog)
        self.restore_action = self._action(file, "Res&tore from a backup…", None, self.restore_dialog)
        if not self.desk.db.is_sqlite:
            for action in (self.backup_action, self.restore_action):
                action.setEnabled(False)
                action.setToolTip("A team database is backed up by the server's own tools (pg_dump)")
        file.addSeparator()
        self._action(file, "&Import statements…", "Ctrl+I", lambda: self.import_files([]))
        self._action(file, "&Export audit pack…", "Ctrl+E", self._go_export)
        self._action(file, "&Verify a pack…", "Ctrl+Shift+V", self.signoff.open_verify)
        file.addSeparator()
        self._action(file, "&Quit", QKeySequence.StandardKey.Quit, self.close)
        edit = self.menuBar().addMenu("&Edit")
        self._action(edit, "&Copy selected rows", QKeySequence.StandardKey.Copy, self._copy)
        view = self.menuBar().addMenu("&View")
        for i, (title, _page) in enumerate(self.pages):
            self._action(view, title, f"Ctrl+{i + 1}", lambda i=i: self.sidebar.setCurrentRow(i))
        view.addSeparator()
        self._action(view, "&Refresh", QKeySequence.StandardKey.Refresh, self.desk.changed.emit)
        help_menu = self.menuBar().addMenu("&Help")
        self._action(help_menu, "&About SegDesk", None, self._about)

    def _action(self, menu, text: str, shortcut, slot) -> QAction:  # type: ignore[no-untyped-def]
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _copy(self) -> None:
        page = self.stack.currentWidget()
        copy = getattr(page, "copy_selection", None)
        if copy is not None:
            copy()

    def _go_export(self) -> None:
        self.sidebar.setCurrentRow(self.stack.indexOf(self.signoff))
        self.signoff.export_button.setFocus()

    def _about(self) -> None:
        QMessageBox.about(self, "About SegDesk",
                          f"<b>SegDesk {__version__}</b><p>Segregation reconciliation for fund administrators.</p>"
                          f"<p>Database: {self.desk.db.describe()}</p>")

    # --- status, settings ------------------------------------------------------------------------

    def _show_status(self, *_: object) -> None:
        # The file's name keeps the status bar short enough for messages; the full path is in the
        # tooltip and the window title.
        path = self.desk.db.sqlite_path
        self.db_label.setText(f"Database: {path.name if path else self.desk.db.describe()}")
        self.db_label.setToolTip(self.desk.db.describe())
        day = self.desk.as_of
        self.day_label.setText(f"As of: {day:%d %b %Y}" if day else "As of: —")
        self.user_label.setText(f"User: {self.desk.user}")

    def _restore(self) -> None:
        s = settings()
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        page = s.value("window/page", 0)
        self.sidebar.setCurrentRow(int(page) if str(page).isdigit() and int(page) < len(self.pages) else 0)
        remember_database(self.desk.db.describe() if self.desk.db.is_sqlite else without_password(self.desk.db.url))

    def closeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        s = settings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/page", self.sidebar.currentRow())
        super().closeEvent(event)

    # --- databases -------------------------------------------------------------------------------

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = recent_databases()
        if not recent:
            self.recent_menu.addAction("(none yet)").setEnabled(False)
        for target in recent:
            self.recent_menu.addAction(target, lambda t=target: self.switch_database(t))

    def open_database_dialog(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Open a SegDesk database", "",
                                              "SegDesk databases (*.sqlite3 *.sqlite *.db);;All files (*)")
        if name:
            self.switch_database(name)

    def back_up_dialog(self) -> None:
        from segdesk.services.backup import default_backup_name

        here = self.desk.db.sqlite_path
        if here is None:
            return
        name, _ = QFileDialog.getSaveFileName(self, "Back up the database", str(default_backup_name(here)),
                                              "SegDesk databases (*.sqlite3)")
        if name:  # the dialog has asked before replacing an existing file
            self.back_up_to(Path(name), replace=Path(name).exists())

    def back_up_to(self, target: Path, *, replace: bool = False) -> None:
        """A checked copy of this database (integrity, schema, audit chain) at ``target``."""
        from segdesk.services.backup import DamagedDatabase, back_up

        here = str(self.desk.db.sqlite_path)

        def done(made) -> None:  # type: ignore[no-untyped-def]
            self._tell("Backup written", f"Backed up to {made.path} ({made.size / 1_000_000:.1f} MB).\n"
                       f"Checked: integrity ok; audit trail intact, {made.events} events.")
            self.desk.status.emit(f"Backed up to {made.path}")

        def failed(exc: BaseException) -> None:
            if isinstance(exc, DamagedDatabase):
                self._tell("No backup was written", "\n".join(exc.problems), warning=True)
            else:
                show_error(self, "The backup was not written", exc, where=self.desk.db.describe())

        self.desk.run(lambda _p: back_up(here, target, replace=replace), done, parent=self,
                      what="Backing up the database", on_failure=failed)

    def restore_dialog(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Restore from a backup", "", "SegDesk databases (*.sqlite3)")
        if not name:
            return
        box = message_box(self, QMessageBox.Icon.Question, "Restore from this backup?",
                          f"The database {self.desk.db.describe()} will hold what {name} holds. SegDesk first "
                          "checks the backup and keeps a safety copy of the database as it is now.",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
        box.accepted.connect(lambda: self.restore_from(Path(name)))
        box.open()
        self.restore_box = box

    def restore_from(self, backup: Path) -> None:
        """Replace this database's contents with a checked backup (see services.backup.restore)."""
        from segdesk.services.backup import restore

        here = str(self.desk.db.sqlite_path)

        def done(result) -> None:  # type: ignore[no-untyped-def]
            kept = f"\nThe database as it was is kept in {result.safety_copy}." if result.safety_copy else ""
            self._tell("Restored", f"Restored from {result.backup}; audit trail intact, {result.events} events "
                       f"(the restore recorded as the last).{kept}")
            self.desk.status.emit(f"Restored from {result.backup}")
            self.desk.changed.emit()

        self.desk.run(lambda _p: restore(here, backup), done, parent=self, what="Restoring from a backup")

    def _tell(self, title: str, text: str, *, warning: bool = False) -> None:
        box = message_box(self, QMessageBox.Icon.Warning if warning else QMessageBox.Icon.Information, title, text)
        box.open()
        self.told = box

    def new_database_dialog(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Create a SegDesk database", "",
                                              "SegDesk databases (*.sqlite3)")
        if name:
            self.new_database(Path(name))

    def new_database(self, path: Path) -> None:
        """A new, empty database at ``path`` (for another fund, or to try things), opened in place
        of this one. An existing file is never reused as "new"."""
        if path.suffix == "":
            path = path.with_suffix(".sqlite3")
        if path.exists():
            self._tell("That file exists already",
                       f"{path} exists already. Open it with File > Open database, or choose a new name.",
                       warning=True)
            return
        self.switch_database(str(path))

    def switch_database(self, target: str, password: str | None = None) -> None:
        """Open ``target`` (a file, or a team database's URL) in a new window in place of this one.
        A team database without its password takes it from the keyring, else asks for it."""
        try:
            db = open_target(target, password)
        except DatabaseError as exc:
            team = TeamConnection.from_url(target)
            if team is not None and wants_password(str(exc)):
                self.connect_dialog(team, reason=f"The server did not accept the login: {exc}")
                return
            QMessageBox.warning(self, "SegDesk cannot open that database", str(exc))
            return
        window = MainWindow(db)
        window.show()
        self.next_window = window
        self.close()

    def open_demo_window(self, db: Database) -> None:
        """The demo fund's own database, in a new window in place of this one."""
        window = MainWindow(db)
        window.show()
        window.desk.status.emit(f"This is the demo fund, in {db.describe()}; your database is as it was "
                                "(File > Open recent to go back to it)")
        self.demo_window = window
        self.close()

    def connect_dialog(self, known: TeamConnection | None = None, reason: str = "") -> None:
        from segdesk.ui.connect_dialog import ConnectDialog

        dialog = ConnectDialog(self, known=known, reason=reason)
        self.connect_box = dialog

        def accepted() -> None:
            team, password = dialog.connection(), dialog.password()
            if team is None:
                return
            if dialog.remember.isChecked() and password:
                why_not = save_password(team, password)
                if why_not is not None:
                    self.desk.status.emit(f"Password not kept: {why_not}")
            self.switch_database(team.address, password or None)

        dialog.accepted.connect(accepted)
        dialog.open()

    # --- importing -------------------------------------------------------------------------------

    def import_files(self, files: list[Path]) -> None:
        from segdesk.ui.import_wizard import ImportWizard

        if not files:
            names, _ = QFileDialog.getOpenFileNames(
                self, "Import statements", "", "Statements (*.xlsx *.xlsm *.xls *.xlsb *.ods *.csv *.txt);;All files (*)")
            files = [Path(n) for n in names]
        if not files:
            return
        self.wizard = ImportWizard(self.desk, files, self)
        self.wizard.open()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _dropped_files(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        files = _dropped_files(event)
        if files:
            event.acceptProposedAction()
            self.import_files(files)


def _dropped_files(event: QDragEnterEvent | QDropEvent) -> list[Path]:
    mime = event.mimeData()
    if not mime.hasUrls():
        return []
    return [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()
            and Path(u.toLocalFile()).suffix.lower() in STATEMENT_SUFFIXES]


def recent_databases() -> list[str]:
    value = settings().value("databases/recent", [])
    items = [value] if isinstance(value, str) else list(value or [])
    return [str(v) for v in items][:RECENT_LIMIT]


def remember_database(target: str) -> None:
    recent = [t for t in recent_databases() if t != target]
    settings().setValue("databases/recent", [target, *recent][:RECENT_LIMIT])


def open_target(target: str, password: str | None = None) -> Database:
    """A file, or a team database's URL; a URL without a password gets the one given, else the
    one kept in the keyring for it, else none (libpq's own PGPASSWORD and .pgpass still apply)."""
    team = TeamConnection.from_url(target)
    if team is not None and not password_in_url(target):
        password = password or saved_password(team)
        if password:
            target = team.url(password)
    return open_database(target)


def open_folder(path: Path) -> None:
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def run_app(db_arg: str | None) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("SegDesk")
    app.setOrganizationName("SegDesk")
    app.setApplicationVersion(__version__)
    if ICON.exists():
        app.setWindowIcon(QIcon(str(ICON)))
    try:
        db = open_target(db_arg) if db_arg else open_database(None)
    except DatabaseError as exc:
        team = TeamConnection.from_url(db_arg or "")
        if team is None or not wants_password(str(exc)):
            QMessageBox.critical(None, "SegDesk cannot open its database", str(exc))
            return 2
        db = _ask_for_password(team, str(exc))
        if db is None:
            return 2
    window = MainWindow(db)
    window.show()
    quit_after = os.environ.get("SEGDESK_QUIT_AFTER_MS", "")
    if quit_after.isdigit():  # a smoke test of a packaged build: show the window, then leave
        print(f"SegDesk {__version__}: window shown on {db.describe()} with {len(window.pages)} pages", flush=True)
        QTimer.singleShot(int(quit_after), app.quit)
    return app.exec()



def _ask_for_password(team: TeamConnection, reason: str) -> Database | None:
    """At start-up, a team database that wants a password: ask until it opens or the person gives up."""
    from segdesk.ui.connect_dialog import ConnectDialog

    problem = f"The server did not accept the login: {reason}"
    while True:
        dialog = ConnectDialog(None, known=team, reason=problem)
        if dialog.exec() != ConnectDialog.DialogCode.Accepted or dialog.connection() is None:
            return None
        team = dialog.connection()  # type: ignore[assignment]
        try:
            db = open_target(team.address, dialog.password() or None)
        except DatabaseError as exc:
            problem = str(exc)
            continue
        if dialog.remember.isChecked() and dialog.password():
            save_password(team, dialog.password())
        return db
