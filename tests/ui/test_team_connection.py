"""Connecting the window to a team database: the password goes to the keyring when asked, and
never into SegDesk's settings or its list of recent databases."""

from __future__ import annotations

import keyring
import pytest
from keyring.backend import KeyringBackend
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from sqlalchemy.engine import make_url

from segdesk.domain.problems import InputError
from segdesk.services.connections import (
    TeamConnection,
    save_password,
    saved_password,
    wants_password,
    without_password,
)
from segdesk.ui.app import MainWindow, recent_databases
from segdesk.ui.connect_dialog import ConnectDialog

SECRET = "s3cret-Pa55"


class MemoryKeyring(KeyringBackend):
    """A keyring that keeps passwords in this process only (the machines tests run on have none)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.kept: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.kept.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.kept[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.kept.pop((service, username), None)


@pytest.fixture
def memory_keyring():  # type: ignore[no-untyped-def]
    before = keyring.get_keyring()
    kept = MemoryKeyring()
    keyring.set_keyring(kept)
    yield kept
    keyring.set_keyring(before)


def test_a_connection_is_checked_and_its_url_carries_a_password_only_when_given():
    with pytest.raises(InputError) as caught:
        TeamConnection.checked(" ", "80000", "", "")
    assert caught.value.problems == [
        "the server (host) is required, e.g. db.example.internal",
        "the port must be a number from 1 to 65535, not '80000'",
        "the database name is required (your IT team gives it)",
        "the login is required: your database login, which is who you are in the audit trail",
    ]
    team = TeamConnection.checked("db.internal", "6543", "fund", "ann")
    assert team.address == "postgresql+psycopg://ann@db.internal:6543/fund"
    assert make_url(team.url(SECRET)).password == SECRET
    assert without_password(team.url(SECRET)) == team.address
    assert TeamConnection.from_url(team.url(SECRET)) == team
    assert TeamConnection.from_url("/home/ann/desk.sqlite3") is None
    assert wants_password('connection failed: FATAL:  password authentication failed for user "ann"')


def test_without_a_keyring_the_password_is_asked_for_each_time(monkeypatch):
    from keyring.backends import fail

    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        team = TeamConnection("db.internal", 5432, "fund", "ann")
        assert save_password(team, SECRET) == (
            "this computer has no password keyring, so SegDesk will ask for the password each time")
        assert saved_password(team) is None
    finally:
        keyring.set_keyring(before)


def test_the_dialog_names_every_missing_field_and_stays_open(qtbot):
    dialog = ConnectDialog()
    qtbot.addWidget(dialog)
    dialog.host.setText("")
    dialog.database.setText("")
    dialog.open()
    dialog._check()
    assert dialog.isVisible() and dialog.connection() is None
    assert dialog.problem.text().splitlines()[0] == "the server (host) is required, e.g. db.example.internal"
    dialog.grab().save("/tmp/connect-dialog.png")


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # a team database is a PostgreSQL server
def test_connecting_the_window_keeps_the_password_in_the_keyring_only(qtbot, backend, memory_keyring,
                                                                      private_settings):
    from segdesk.store.engine import open_database

    local = open_database(str(private_settings / "desk.sqlite3"))
    window = MainWindow(local)
    qtbot.addWidget(window)
    server = make_url(backend.url("ann"))
    window.connect_dialog()
    dialog = window.connect_box
    dialog.host.setText(server.host)
    dialog.port.setText(str(server.port))
    dialog.database.setText(server.database)
    dialog.login.setText("ann")
    dialog.secret.setText(SECRET)
    dialog.remember.setChecked(True)
    dialog._check()

    team = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w is not window
                and w.isVisible())
    qtbot.addWidget(team)
    assert team.desk.db.engine.dialect.name == "postgresql" and team.desk.user == "ann"
    address = f"postgresql+psycopg://ann@{server.host}:{server.port}/{server.database}"
    assert recent_databases()[0] == address
    assert memory_keyring.kept == {("SegDesk", f"ann@{server.host}:{server.port}/{server.database}"): SECRET}
    settings = QSettings("SegDesk", "SegDesk")
    settings.sync()
    assert all(SECRET not in str(settings.value(key)) for key in settings.allKeys())
    assert all(SECRET not in f.read_text(errors="replace") for f in private_settings.rglob("*") if f.is_file()
               and f.suffix != ".sqlite3")
    # Opening it again from the recent list takes the password from the keyring.
    team.switch_database(recent_databases()[0])
    again = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()
                 and w is not team and w is not window)
    qtbot.addWidget(again)
    assert make_url(again.desk.db.url).password == SECRET
    for w in (window, team, again):
        w.desk.db.dispose()
