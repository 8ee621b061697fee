"""Team databases: a PostgreSQL server reached by host, port, database and login.

What is remembered of a connection is only where it goes and who signs in; the password is kept
in the operating system's keyring (Windows Credential Manager, macOS Keychain, the Secret Service
on Linux) when the person asks for that, or asked for each time. It is never written to a file,
to the settings, or to the list of recent databases.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

KEYRING_SERVICE = "SegDesk"
DRIVER = "postgresql+psycopg"
DEFAULT_PORT = 5432


@dataclass(frozen=True)
class TeamConnection:
    host: str
    port: int
    database: str
    login: str

    @property
    def key(self) -> str:
        """How the keyring names this connection's password: login@host:port/database."""
        return f"{self.login}@{self.host}:{self.port}/{self.database}"

    def url(self, password: str | None = None) -> str:
        """The SQLAlchemy URL; with the password only when given (kept in memory, never saved)."""
        built = URL.create(DRIVER, username=self.login, password=password or None, host=self.host, port=self.port,
                           database=self.database)
        return built.render_as_string(hide_password=False)

    @property
    def address(self) -> str:
        """The URL as remembered among recent databases: no password in it."""
        return self.url()

    @classmethod
    def from_url(cls, url: str) -> TeamConnection | None:
        """The connection a PostgreSQL URL names (its password, if any, is not kept); None for
        anything else, such as a SQLite file."""
        try:
            parsed = make_url(url)
        except ArgumentError:
            return None
        if parsed.get_backend_name() != "postgresql" or not parsed.host:
            return None
        return cls(parsed.host, parsed.port or DEFAULT_PORT, parsed.database or "", parsed.username or "")

    @classmethod
    def checked(cls, host: str, port: str | int, database: str, login: str) -> TeamConnection:
        """From what a person typed; every problem named at once."""
        from segdesk.domain.problems import InputError

        problems = []
        host, database, login = host.strip(), database.strip(), login.strip()
        if not host:
            problems.append("the server (host) is required, e.g. db.example.internal")
        try:
            number = int(str(port).strip() or DEFAULT_PORT)
            if not 0 < number < 65536:
                raise ValueError
        except ValueError:
            problems.append(f"the port must be a number from 1 to 65535, not {port!r}")
            number = DEFAULT_PORT
        if not database:
            problems.append("the database name is required (your IT team gives it)")
        if not login:
            problems.append("the login is required: your database login, which is who you are in the audit trail")
        if problems:
            raise InputError(problems)
        return cls(host, number, database, login)


def password_in_url(url: str) -> bool:
    try:
        return make_url(url).password is not None
    except ArgumentError:
        return False


def without_password(url: str) -> str:
    """A URL fit to remember or show: any password removed (not masked, so it can be reopened)."""
    connection = TeamConnection.from_url(url)
    return connection.address if connection is not None else url


def saved_password(connection: TeamConnection) -> str | None:
    """The password kept in the keyring for this connection, if the person asked to keep it."""
    try:
        import keyring
        from keyring.errors import KeyringError

        return keyring.get_password(KEYRING_SERVICE, connection.key)
    except (ImportError, KeyringError, RuntimeError):
        return None


def save_password(connection: TeamConnection, password: str) -> str | None:
    """Keep the password in the OS keyring. Returns None when kept, else why it could not be (it
    is then asked for next time; it is never written anywhere else)."""
    try:
        import keyring
        from keyring.errors import KeyringError, NoKeyringError

        try:
            keyring.set_password(KEYRING_SERVICE, connection.key, password)
        except NoKeyringError:
            return "this computer has no password keyring, so SegDesk will ask for the password each time"
        except (KeyringError, RuntimeError) as exc:
            return f"the keyring refused to keep the password ({exc}); SegDesk will ask for it each time"
    except ImportError:
        return "the keyring module is missing, so SegDesk will ask for the password each time"
    return None


def forget_password(connection: TeamConnection) -> None:
    try:
        import keyring
        from keyring.errors import KeyringError, PasswordDeleteError

        try:
            keyring.delete_password(KEYRING_SERVICE, connection.key)
        except (PasswordDeleteError, KeyringError, RuntimeError):
            pass
    except ImportError:
        pass


def wants_password(message: str) -> bool:
    """The server turned the login away for want of the right password: ask the person."""
    text = message.lower()
    return any(sign in text for sign in ("password authentication failed", "no password supplied",
                                         "fe_sendauth", "authentication failed"))
