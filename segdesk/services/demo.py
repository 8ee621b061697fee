"""The demo fund: a chart and a day's statements a newcomer can explore (resources/demo)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from segdesk.services.chart import import_chart
from segdesk.services.importing import ImportResult, import_statement
from segdesk.services.overview import list_imports
from segdesk.store.engine import Database

DEMO_DIR = Path(__file__).resolve().parents[2] / "resources" / "demo"
DEMO_USER = "demo"


@dataclass(frozen=True)
class DemoLoad:
    loaded: bool
    imports: list[ImportResult]


def load_demo(db: Database, demo_dir: Path = DEMO_DIR) -> DemoLoad:
    """Load the demo into an empty database; a database that already has imports is left alone."""
    if list_imports(db):
        return DemoLoad(False, [])
    manifest = tomllib.loads((demo_dir / "demo.toml").read_text(encoding="utf-8"))
    import_chart(db, demo_dir / manifest["chart"], user=DEMO_USER)
    results = [
        import_statement(db, demo_dir / item["file"], demo_dir / item["profile"], user=DEMO_USER)
        for item in manifest["imports"]
    ]
    return DemoLoad(True, results)
