"""Connecting to a team database on a PostgreSQL server: where it is, who signs in, the password
(kept only in the OS keyring, when asked, and never in SegDesk's settings)."""

from __future__ import annotations

import getpass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from segdesk.domain.problems import InputError
from segdesk.services.connections import DEFAULT_PORT, TeamConnection, saved_password


class ConnectDialog(QDialog):
    """Asks for a team database. ``connection()`` and ``password()`` give what was entered once
    it is accepted; the caller connects and says what went wrong (``show_problem``) if it must."""

    def __init__(self, parent: QWidget | None = None, *, known: TeamConnection | None = None,
                 reason: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Connect to a team database")
        self.setObjectName("connectDialog")
        self.setMinimumWidth(460)
        intro = QLabel("Your IT team gives the server, port and database name. You sign in with your own "
                       "database login: it is who you are in the audit trail and for four-eyes sign-off.")
        intro.setWordWrap(True)
        self.host = QLineEdit(known.host if known else "")
        self.host.setPlaceholderText("e.g. segdesk-db.example.internal")
        self.port = QLineEdit(str(known.port if known else DEFAULT_PORT))
        self.database = QLineEdit(known.database if known else "segdesk")
        self.login = QLineEdit(known.login if known else _os_user())
        self.secret = QLineEdit((saved_password(known) or "") if known else "")
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setObjectName("password")
        self.remember = QCheckBox("Remember the password in this computer's keyring")
        note = QLabel("SegDesk never writes the password to its settings or any file.")
        note.setStyleSheet("color: gray")
        form = QFormLayout()
        form.addRow("Server:", self.host)
        form.addRow("Port:", self.port)
        form.addRow("Database:", self.database)
        form.addRow("Login:", self.login)
        form.addRow("Password:", self.secret)
        form.addRow("", self.remember)
        self.problem = QLabel(reason)
        self.problem.setObjectName("problem")
        self.problem.setWordWrap(True)
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setStyleSheet("color: #b00020")
        self.problem.setVisible(bool(reason))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Connect")
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(note)
        layout.addWidget(buttons)
        (self.secret if known else self.host).setFocus()
        self._connection: TeamConnection | None = None

    def _check(self) -> None:
        try:
            self._connection = TeamConnection.checked(self.host.text(), self.port.text(), self.database.text(),
                                                      self.login.text())
        except InputError as exc:
            self.show_problem("\n".join(exc.problems))
            return
        self.accept()

    def show_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(True)

    def connection(self) -> TeamConnection | None:
        return self._connection

    def password(self) -> str:
        return self.secret.text()


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""
