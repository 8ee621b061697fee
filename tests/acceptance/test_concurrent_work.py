"""Two people working at once on one database (SQLite file or PostgreSQL): two imports, and a
reconcile while an import is being stored. Writers take turns; nothing is lost or half-stored,
and the audit trail stays one unbroken chain."""

from __future__ import annotations

import datetime as dt
import threading

from segdesk.services.importing import import_statement
from segdesk.services.reconciling import reconcile
from segdesk.store.audit import verify_chain
from segdesk.store.engine import open_database
from segdesk.store.schema import AuditEvent, ImportBatch, Statement, StatementLine
from tests.statements import write_profile

D = dt.date(2026, 11, 20)
PROFILE = """
source = "{source}"
kind = "exchange"
as_of = "2026-11-20"
[columns]
account = "account"
asset = "asset"
quantity = "balance"
"""


def _statement(path, rows: int, account: str):  # type: ignore[no-untyped-def]
    lines = ["account,asset,balance"] + [f"{account}-{i % 500},{('USD', 'EUR', 'BTC')[i % 3]},{i}.25" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _together(*jobs):  # type: ignore[no-untyped-def]
    """Run each (person, work) on its own thread and connection, released at the same moment;
    returns what each returned or raised."""
    gate = threading.Barrier(len(jobs))
    outcomes: dict[str, object] = {}

    def run(person, url, work):  # type: ignore[no-untyped-def]
        own = open_database(url)
        try:
            gate.wait()
            outcomes[person] = work(own)
        except Exception as exc:  # noqa: BLE001 - the test reports it
            outcomes[person] = exc
        finally:
            own.dispose()

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return outcomes


def _check_whole(db) -> None:  # type: ignore[no-untyped-def]
    """Every batch holds exactly the lines it says it has; the chain verifies."""
    with db.reading() as session:
        for batch in session.query(ImportBatch):
            stored = (session.query(StatementLine).join(Statement).filter(Statement.batch_id == batch.id).count())
            assert stored == batch.row_count, (batch.file_name, stored, batch.row_count)
        assert verify_chain(session).intact


def test_two_imports_at_once_both_land_whole(backend, tmp_path):
    one = _statement(tmp_path / "alpha.csv", 20_000, "a")
    two = _statement(tmp_path / "beta.csv", 20_000, "b")
    p1 = write_profile(tmp_path / "alpha.toml", PROFILE.format(source="Alpha Exchange"))
    p2 = write_profile(tmp_path / "beta.toml", PROFILE.format(source="Beta Exchange"))
    outcomes = _together(
        ("ann", backend.url("ann"), lambda db: import_statement(db, one, p1, user="ann")),
        ("bob", backend.url("bob"), lambda db: import_statement(db, two, p2, user="bob")),
    )
    assert {p: type(o).__name__ for p, o in outcomes.items()} == {"ann": "ImportResult", "bob": "ImportResult"}
    db = backend.open()
    _check_whole(db)
    with db.reading() as session:
        imports = [(e.actor, e.action) for e in session.query(AuditEvent).filter(AuditEvent.action == "import")]
        assert sorted(imports) == [("ann", "import"), ("bob", "import")]
        assert session.query(StatementLine).count() == 40_000


def test_a_reconcile_during_an_import_sees_all_of_it_or_none_of_it(backend, tmp_path):
    first = _statement(tmp_path / "alpha.csv", 100, "a")
    p1 = write_profile(tmp_path / "alpha.toml", PROFILE.format(source="Alpha Exchange"))
    import_statement(backend.open("ann"), first, p1, user="ann")
    big = _statement(tmp_path / "beta.csv", 50_000, "b")
    p2 = write_profile(tmp_path / "beta.toml", PROFILE.format(source="Beta Exchange"))
    outcomes = _together(
        ("ann", backend.url("ann"), lambda db: import_statement(db, big, p2, user="ann")),
        ("bob", backend.url("bob"), lambda db: reconcile(db, D, user="bob")),
    )
    assert type(outcomes["ann"]).__name__ == "ImportResult", outcomes
    run = outcomes["bob"]
    assert type(run).__name__ == "RunView", outcomes
    # The run read one consistent state: the big file's lines either all count or none do.
    used: dict[str, int] = {}
    for s in run.results["statements_used"]:
        source = s["external_account"].split(":")[0]
        used[source] = used.get(source, 0) + s["lines"]
    beta = used.get("Beta Exchange", 0)
    assert beta in (0, 50_000), used
    assert used["Alpha Exchange"] == 100
    # Whichever came first, reconciling now takes in everything, as a new run if the first missed it.
    after = reconcile(backend.open("bob"), D, user="bob")
    assert sum(s["lines"] for s in after.results["statements_used"]) == 50_100
    assert (after.run_id == run.run_id) == (beta == 50_000)
    _check_whole(backend.open())
