from __future__ import annotations

import os
from pathlib import Path

import pytest

from segdesk.store.engine import Database, open_database

# GUI tests never need a screen.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "segdesk.sqlite3"


@pytest.fixture
def db(db_path: Path) -> Database:
    database = open_database(str(db_path))
    yield database
    database.dispose()


def pg_url() -> str | None:
    """A PostgreSQL server for team-mode tests; .ci/run starts one and sets this."""
    url = os.environ.get("SEGDESK_TEST_PG_URL")
    if not url and os.environ.get("CI"):
        pytest.fail("SEGDESK_TEST_PG_URL is not set: .ci/run must start PostgreSQL for these tests")
    return url


def settled_bytes(db: Database, path: Path) -> bytes:
    """The database file's bytes with the WAL checkpointed, so two readings compare like for like."""
    db.dispose()  # closing the last connection checkpoints the WAL into the main file
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
    return path.read_bytes()
