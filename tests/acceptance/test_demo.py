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
        ("ledger_2026-11-20.csv", "Acme Ledger", 9),
        ("prices_2026-11-20.csv", "Acme Prices", 4),
    ]
    with db.reading() as session:
        assert [s.code for s in repo.sub_accounts(session)] == [
            "B-BUFFER", "C-ALPHA", "C-BETA", "C-DELTA", "C-GAMMA", "P-HOUSE",
        ]
        assert len(repo.mappings(session)) == 15
    again = load_demo(db)
    assert not again.loaded
    assert len(list_imports(db)) == 5


def test_the_demo_fund_reconciles_to_a_handful_of_meaningful_findings(db):
    import datetime as dt

    from segdesk.services.reconciling import reconcile

    load_demo(db)
    view = reconcile(db, dt.date(2026, 11, 20), user="demo")
    found = sorted((f.kind, f.severity, f.sub_account or "-", f.external_account or "-", f.asset or "-",
                    str(f.amount)) for f in view.findings)
    assert found == sorted([
        ("commingling", "critical", "-", "Northbridge Custody:0012345-01", "-", "75000"),
        ("commingling", "critical", "-", "Northbridge Custody:0077001-00", "-", "30000"),
        ("commingling", "critical", "C-ALPHA", "Northbridge Custody:0077001-00", "-", "30000"),
        ("commingling", "high", "P-HOUSE", "Northbridge Custody:0012345-01", "-", "75000"),
        ("margin_shortfall", "critical", "C-GAMMA", "Helix Exchange:gamma-sub", "-", "11997.6"),
        ("balance_break", "high", "C-ALPHA", "-", "BTC", "9725.05"),
        ("client_deficit", "high", "C-BETA", "-", "-", "45000.1"),
        ("missing_price", "high", "C-GAMMA", "Northbridge Custody:0012345-02", "SOL", "0"),
        ("unmapped_balance", "high", "-", "Northbridge Custody:0012345-01", "USD", "12000"),
        ("stale_statement", "medium", "-", "Bankhaus Adler:000123", "-", "0"),
    ])


def test_the_fingerprint_of_a_day_is_computed_as_it_always_was(db):
    """A run's fingerprint is compared with the one stored in every run made before: computed any
    other way, each approved run in people's databases would look out of date. (Pinned on the demo
    fund; a change to the demo's files changes it too, and then this value with it.)"""
    import datetime as dt

    from segdesk.services.reconciling import _basis

    load_demo(db)
    with db.reading() as session:
        assert _basis(session, dt.date(2026, 11, 20)).fingerprint == (
            "bb50de5b7c45ffc2c816b99194d2302ef6e77e4ad73914ca28ae9643042865fb")
