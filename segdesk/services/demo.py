"""The demo fund: a chart and a day's statements a newcomer can explore (resources/demo)."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path

from segdesk.services.chart import import_chart
from segdesk.services.exporting import entity_name, set_entity_name
from segdesk.services.importing import ImportResult, import_statement
from segdesk.services.overview import list_imports
from segdesk.services.reconciling import RunView, reconcile
from segdesk.store.engine import Database, default_location, open_database

DEMO_DIR = Path(__file__).resolve().parents[2] / "resources" / "demo"
DEMO_USER = "demo"


DEMO_DATE = dt.date(2026, 11, 20)


@dataclass(frozen=True)
class DemoLoad:
    loaded: bool
    imports: list[ImportResult]
    run: RunView | None = None


def load_demo(db: Database, demo_dir: Path = DEMO_DIR) -> DemoLoad:
    """Load the demo into an empty database; a database that already has imports is left alone."""
    if list_imports(db):
        return DemoLoad(False, [])
    manifest = tomllib.loads((demo_dir / "demo.toml").read_text(encoding="utf-8"))
    # On a personal database the demo's changes are signed "demo"; on a shared PostgreSQL database
    # everyone acts as their login, the demo included.
    user = None if db.engine.dialect.name == "postgresql" else DEMO_USER
    if entity_name(db) is None:
        set_entity_name(db, manifest["entity"], user=user)
    import_chart(db, demo_dir / manifest["chart"], user=user)
    results = [
        import_statement(db, demo_dir / item["file"], demo_dir / item["profile"], user=user)
        for item in manifest["imports"]
    ]
    # Reconciled too, so the app opens on a day with something to look at.
    return DemoLoad(True, results, reconcile(db, DEMO_DATE, user=user))


DEMO_FILE = "demo.sqlite3"


def demo_location(db: Database) -> Path:
    """Where the demo fund lives for someone working on ``db``: a file of its own beside their
    SQLite database (or in their data folder, for a team database), so that exploring the demo
    never puts a made-up fund, its entity name and its audit events into their real books."""
    here = db.sqlite_path
    return here.with_name(DEMO_FILE) if here is not None else default_location().with_name(DEMO_FILE)


def open_demo(db: Database) -> tuple[Database, DemoLoad]:
    """The demo database for someone working on ``db``, loaded and reconciled on first use. If
    ``db`` is itself that file, the demo goes into it."""
    target_path = demo_location(db)
    if db.sqlite_path is not None and db.sqlite_path.resolve() == target_path.resolve():
        return db, load_demo(db)
    target = open_database(str(target_path))
    try:
        return target, load_demo(target)
    except Exception:
        target.dispose()
        raise
