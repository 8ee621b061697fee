"""The demo fund loads into an empty database, once."""

from __future__ import annotations

from segdesk.services.demo import load_demo
from segdesk.services.overview import list_imports
from segdesk.store import repositories as repo


def test_demo_loads_its_chart_and_statements_once(db):
    first = load_demo(db)
    assert first.loaded
    assert [(r.file_name, r.source, r.rows) for r in first.imports] == [
        ("northbridge_2026-11-20.xlsx", "Northbridge Custody", 10),
        ("helix_2026-11-20.csv", "Helix Exchange", 4),
        ("adler_2026-11-19.csv", "Bankhaus Adler", 2),
        ("ledger_2026-11-20.csv", "Acme Ledger", 7),
        ("prices_2026-11-20.csv", "Acme Prices", 4),
    ]
    with db.reading() as session:
        assert [s.code for s in repo.sub_accounts(session)] == [
            "B-BUFFER", "C-ALPHA", "C-BETA", "C-DELTA", "C-GAMMA", "P-HOUSE",
        ]
        assert len(repo.mappings(session)) == 14
    again = load_demo(db)
    assert not again.loaded
    assert len(list_imports(db)) == 5
