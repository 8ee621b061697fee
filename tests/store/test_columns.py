"""A day's lines read from SQLite as Arrow columns (store/columns.py), and the reconcile that sums
them on columns, against the rows path on the same database file."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys

import pytest
from sqlalchemy import text

from segdesk.services.demo import load_demo
from segdesk.services.reconciling import reconcile, run_json
from segdesk.store import repositories as repo
from segdesk.store.columns import ColumnsUnavailable, live_line_table
from segdesk.store.engine import open_database

DAY = dt.date(2026, 11, 20)
NEXT_DAY = dt.date(2026, 11, 21)  # the demo reconciles its own day as it loads: a day it has no run for


def _comparable(view) -> dict:  # type: ignore[no-untyped-def, type-arg]
    report = run_json(view)
    report.pop("run_id")
    for f in report["findings"]:
        f.pop("id")
    return report


def test_the_demo_reconciles_the_same_on_columns_as_on_rows(db, db_path, tmp_path, monkeypatch):
    load_demo(db)
    copy = tmp_path / "rows.sqlite3"
    db.dispose()
    shutil.copyfile(db_path, copy)
    monkeypatch.setenv("SEGDESK_COLUMNS", "require")  # columns even for a fund this small
    on_columns = reconcile(open_database(str(db_path)), NEXT_DAY, user="demo")
    monkeypatch.setenv("SEGDESK_COLUMNS", "off")
    on_rows = reconcile(open_database(str(copy)), NEXT_DAY, user="demo")
    assert not on_columns.reused and not on_rows.reused
    assert _comparable(on_columns) == _comparable(on_rows)
    assert on_columns.results == on_rows.results  # every figure as written, the venues' margins too
    assert on_columns.results["venues"]
    # the demo's handful, and every statement now a day old; evidence rows and all
    assert len(on_columns.findings) == 17
    assert all(f.evidence for f in on_columns.findings if f.kind != "segregation_shortfall")


def test_a_column_empty_at_first_and_text_later_is_read_as_text(db, db_path):
    load_demo(db)
    with db.transaction() as session:
        statement = session.execute(text("SELECT min(id) FROM statements")).scalar_one()
        # 5,000 lines without a price, then one with: more than any one batch of the driver's
        session.execute(text(
            "INSERT INTO statement_lines (statement_id, sheet, row, reference, asset, quantity, price) "
            "VALUES (:s, NULL, :row, 'ZZ', 'USD', :q, :p)"
        ), [{"s": statement, "row": 1000 + i, "q": f"{i}.25", "p": None if i < 5000 else "1.000000000000000001"}
            for i in range(5001)])
    with db.reading() as session:
        rows = repo.live_line_rows(session, DAY)
        stored = repo.statement_line_count(session)
    table = live_line_table(db_path, DAY, stored)
    as_rows = list(zip(*(table[name].to_pylist() for name in table.column_names), strict=True))
    assert sorted(as_rows, key=repr) == sorted((tuple(r) for r in rows), key=repr)
    assert ("ZZ", "5000.25", "1.000000000000000001") in {(r[1], r[5], r[4]) for r in as_rows}


def test_a_file_that_changed_since_the_caller_looked_is_refused(db, db_path):
    load_demo(db)
    with db.reading() as session:
        count = repo.statement_line_count(session)
    with pytest.raises(ColumnsUnavailable, match="lines as read for columns"):
        live_line_table(db_path, DAY, count + 1)


def test_without_the_column_reader_the_reconcile_reads_rows(db, monkeypatch):
    from segdesk.store import columns

    load_demo(db)

    # a line reader that dies at once (a build without the driver, a crash): no answer, no columns
    monkeypatch.setattr(columns, "_worker_command", lambda: [sys.executable, "-c", "import sys; sys.exit(3)"])
    view = reconcile(db, NEXT_DAY, user="demo")
    assert not view.reused and len(view.findings) == 17
    monkeypatch.setenv("SEGDESK_COLUMNS", "require")  # as the packaged app's smoke test runs
    with pytest.raises(ColumnsUnavailable):
        reconcile(db, NEXT_DAY + dt.timedelta(days=1), user="demo")


def test_a_new_runs_view_is_what_reading_it_back_gives_carried_statuses_and_history_too(db):
    from segdesk.services.findings import act_on_finding
    from segdesk.services.reconciling import current_run

    first = load_demo(db).run
    assert first is not None
    deficit = next(f for f in first.findings if f.kind == "client_deficit")
    act_on_finding(db, deficit.id, "acknowledge", "calling the client", user="ann")
    with db.transaction() as session:  # a later price file for the day: the basis changes, a new run
        session.execute(text("UPDATE import_batches SET sha256 = 'changed' WHERE id = (SELECT max(id) FROM import_batches)"))
    fresh = reconcile(db, DAY, user="demo")
    assert not fresh.reused and fresh.run_id != first.run_id
    read_back = current_run(db, DAY)
    assert read_back is not None
    assert fresh.findings == read_back.findings
    assert fresh.results == read_back.results
    carried = next(f for f in fresh.findings if f.kind == "client_deficit")
    assert carried.status == "acknowledged"
    assert [(s.to_status, s.user, s.comment) for s in carried.history] == [("acknowledged", "ann", "calling the client")]


def test_evidence_is_stored_as_runs_of_rows_and_the_older_one_object_per_line_form_still_reads(db):
    from segdesk.domain.model import Evidence
    from segdesk.services.reconciling import _evidence_json, current_run, evidence_of

    rows = (Evidence("a.xlsx", "Holdings", 3), Evidence("a.xlsx", "Holdings", 9), Evidence("b.csv", None, 2),
            Evidence("a.xlsx", "Holdings", 12))
    stored = _evidence_json(rows)
    assert json.loads(stored) == [{"file": "a.xlsx", "sheet": "Holdings", "rows": [3, 9]},
                                  {"file": "b.csv", "sheet": None, "rows": [2]},
                                  {"file": "a.xlsx", "sheet": "Holdings", "rows": [12]}]
    assert evidence_of(stored) == rows
    assert evidence_of(_evidence_json(())) == ()
    # A run stored before: one object per line. Its findings read back the same.
    view = load_demo(db).run
    assert view is not None
    with db.transaction() as session:
        for f in view.findings:
            session.execute(text("UPDATE findings SET evidence = :e WHERE id = :id"), {
                "id": f.id, "e": json.dumps([{"file": e.file, "sheet": e.sheet, "row": e.row} for e in f.evidence])})
    again = current_run(db, DAY)
    assert again is not None and again.findings == view.findings


def test_a_small_fund_reads_its_rows_without_starting_a_worker(db, monkeypatch):
    from segdesk.services import reconciling

    load_demo(db)

    def no_worker(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("a worker process was started for a few lines")

    monkeypatch.setattr(reconciling, "LineRead", no_worker)
    assert not reconcile(db, NEXT_DAY, user="demo").reused
