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
from segdesk.store.engine import Database

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
