"""Two people on one database: a change made from a stale view is refused with who and when,
never applied over the other person's; two writers racing on one finding: one wins, one is told."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading

import pytest

from segdesk.domain.problems import InputError
from segdesk.services import accounts as acc
from segdesk.services.demo import load_demo
from segdesk.services.findings import StaleChange, act_on_finding, sign_off
from segdesk.services.reconciling import current_run, reconcile
from segdesk.store.audit import verify_chain
from segdesk.store.engine import open_database

D = dt.date(2026, 11, 20)
WHEN = r"20\d\d-\d\d-\d\d \d\d:\d\d:\d\d UTC"


@pytest.fixture
def day(backend):
    """The demo fund reconciled by ann; ``backend.open(person)`` is the database as each person reaches it."""
    load_demo(backend.open())
    return reconcile(backend.open("ann"), D, user="ann")


def _finding(db, finding_id):
    return next(f for f in current_run(db, D).findings if f.id == finding_id)


def test_acting_on_a_finding_someone_changed_since_is_refused_with_who_and_when(backend, day):
    ann, bob = backend.open("ann"), backend.open("bob")
    target = next(f for f in day.findings if f.kind == "client_deficit")
    seen_by_bob = _finding(bob, target.id)  # both have the list open
    seen_by_ann = _finding(ann, target.id)
    act_on_finding(ann, target.id, "acknowledge", "calling Beta", user="ann", expected_version=seen_by_ann.version)
    with pytest.raises(StaleChange, match=rf"finding {target.id} was changed by ann at {WHEN} since you opened it "
                                          r"\(it is acknowledged now\); nothing was done"):
        act_on_finding(bob, target.id, "waive", "not material", user="bob", expected_version=seen_by_bob.version)
    now = _finding(bob, target.id)
    assert now.status == "acknowledged" and now.version == seen_by_ann.version + 1
    assert [(s.user, s.to_status) for s in now.history] == [("ann", "acknowledged")]
    # Bob reloads, sees Ann's step, and can act on what he now sees.
    assert act_on_finding(bob, target.id, "resolve", "Beta wired the money", user="bob",
                          expected_version=now.version) == "resolved"
    with bob.reading() as session:
        assert verify_chain(session).intact


def test_two_writers_racing_on_one_finding_one_wins_and_the_other_is_told(backend, day):
    """Two separate connections (as two SegDesk windows or processes would have), released at
    the same moment, both acting on the version they read: exactly one step is stored."""
    target = next(f for f in day.findings if f.kind == "client_deficit")
    version = _finding(backend.open(), target.id).version
    gate = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def act(user: str, action: str) -> None:
        own = open_database(backend.url(user))
        try:
            gate.wait()
            outcomes[user] = act_on_finding(own, target.id, action, f"{user} decides", user=user,
                                            expected_version=version)
        except InputError as exc:
            outcomes[user] = exc
        finally:
            own.dispose()

    threads = [threading.Thread(target=act, args=args) for args in (("ann", "resolve"), ("bob", "waive"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    won = [u for u, o in outcomes.items() if isinstance(o, str)]
    told = [u for u, o in outcomes.items() if isinstance(o, StaleChange)]
    assert len(won) == 1 and len(told) == 1, outcomes
    loser = outcomes[told[0]]
    assert f"was changed by {won[0]} at" in str(loser)
    now = _finding(backend.open(), target.id)
    assert now.status == outcomes[won[0]] and len(now.history) == 1 and now.history[0].user == won[0]
    with backend.open().reading() as session:
        assert verify_chain(session).intact


def test_signing_a_run_that_a_newer_run_replaced_is_refused(backend, day):
    ann, bob, carol = backend.open("ann"), backend.open("bob"), backend.open("carol")
    seen = current_run(bob, D)  # the reviewer's screen shows this run
    sign_off(ann, D, "preparer", user="ann", expected_run=seen.run_id)
    # Meanwhile someone maps ZETA's lines, and reconciles again: a new run with new figures.
    acc.add_mapping(carol, source="Northbridge Custody", account="0012345-01", reference="ZETA",
                    sub_account="C-ALPHA", user="carol")
    newer = reconcile(carol, D, user="carol")
    assert newer.run_id != seen.run_id
    with pytest.raises(StaleChange, match=rf"run {seen.run_id} that you looked at was replaced by run {newer.run_id}, "
                                          rf"made by carol at {WHEN}; nothing was signed"):
        sign_off(bob, D, "reviewer", user="bob", expected_run=seen.run_id)
    assert current_run(bob, D).sign_offs == {}


def test_upgrading_a_database_keeps_its_rows_and_starts_every_version_at_one(db_path, tmp_path):
    """A database made at the first schema revision (findings, mappings and sign-offs in it)
    upgrades to head without losing a row, each row at version 1."""
    from alembic import command

    from segdesk.store.migrate import alembic_config

    old = tmp_path / "old.sqlite3"
    database = open_database(str(old))
    load_demo(database)
    reconcile(database, D, user="ann")
    sign_off(database, D, "preparer", user="ann")
    counts = {t: _count(old, t) for t in ("findings", "mappings", "sign_offs", "audit_events")}
    command.downgrade(alembic_config(database), "0001")
    database.dispose()
    with sqlite3.connect(old) as conn:
        assert "version" not in {row[1] for row in conn.execute("PRAGMA table_info(findings)")}
    upgraded = open_database(str(old))
    upgraded.dispose()
    assert {t: _count(old, t) for t in counts} == counts
    with sqlite3.connect(old) as conn:
        for table in ("findings", "mappings", "sign_offs"):
            assert conn.execute(f"SELECT DISTINCT version FROM {table}").fetchall() == [(1,)]


def _count(path, table: str) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
