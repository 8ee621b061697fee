"""The base currency and per-asset tolerances: set, audited, part of what makes a run current."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from segdesk.domain.problems import InputError
from segdesk.services.demo import load_demo
from segdesk.services.reconciling import current_run, reconcile
from segdesk.services.settings import firm_settings, set_base_currency, set_tolerance
from segdesk.store.schema import AuditEvent
from tests.acceptance.cli import segdesk

D = dt.date(2026, 11, 20)


def test_a_tolerance_keeps_a_small_ledger_difference_from_being_a_break(db):
    load_demo(db)
    before = reconcile(db, D, user="ann")
    (brk,) = [f for f in before.findings if f.kind == "balance_break" and f.asset == "BTC"]
    assert "difference -0.1" in brk.message  # statements 2.9 BTC, the ledger 3
    assert set_tolerance(db, "BTC", "0.1", user="kim") == Decimal("0.1")
    after = reconcile(db, D, user="ann")
    assert after.run_id != before.run_id  # the tolerance is part of the run's basis
    assert not [f for f in after.findings if f.kind == "balance_break" and f.asset == "BTC"]
    set_tolerance(db, "BTC", "0.09999999", user="kim")  # just under the difference: the break is back
    assert [f for f in reconcile(db, D, user="ann").findings if f.kind == "balance_break" and f.asset == "BTC"]
    set_tolerance(db, "BTC", "0", user="kim")
    assert firm_settings(db).tolerances == {}
    with db.reading() as session:
        steps = [json.loads(e.payload) for e in session.query(AuditEvent).filter(AuditEvent.action == "tolerance.set")]
    assert [(s["from"], s["to"]) for s in steps] == [(None, "0.1"), ("0.1", "0.09999999"), ("0.09999999", "0")]


@pytest.mark.parametrize(("value", "reason"), [
    ("-1", "must be zero or more"),
    ("lots", "is not a number"),
    ("0.0000000000000000001", "more than 18 decimal places"),
    ("1,2,3", "misplaced thousands separator"),  # read by the same rules as a statement's amounts
])
def test_a_bad_tolerance_is_refused(db, value, reason):
    with pytest.raises(InputError, match=reason):
        set_tolerance(db, "BTC", value, user="kim")
    assert firm_settings(db).tolerances == {}


def test_the_base_currency_values_the_next_run(db):
    load_demo(db)
    first = reconcile(db, D, user="ann")
    assert first.base_currency == "USD"
    with pytest.raises(InputError, match="'€' is not a currency code"):
        set_base_currency(db, "€", user="kim")
    assert set_base_currency(db, " eur ", user="kim") == "EUR"
    rerun = reconcile(db, D, user="ann")
    assert rerun.run_id != first.run_id and rerun.base_currency == "EUR"
    (sol,) = [f for f in rerun.findings if f.kind == "missing_price"]
    assert sol.message.startswith("no SOL price on or before 2026-11-20 to value Northbridge Custody:0012345-02 in EUR")
    assert current_run(db, D).base_currency == "EUR"


def test_settings_from_the_command_line(tmp_path):
    desk = tmp_path / "desk.sqlite3"
    assert segdesk("init", "--entity", "Acme Fund", db=desk).code == 0
    shown = segdesk("settings", db=desk)
    assert shown.out.splitlines() == [
        "Entity:        Acme Fund",
        "Base currency: USD",
        "Tolerances:    none (any difference from the ledger is a balance_break)",
    ]
    assert segdesk("settings", "tolerance", "ETH", "0.001", db=desk).out.strip() == "Tolerance for ETH: 0.001"
    assert segdesk("settings", "base-currency", "GBP", db=desk).code == 0
    shown = segdesk("settings", db=desk).out.splitlines()
    assert shown[1:] == ["Base currency: GBP", "Tolerances (custodian vs ledger quantity, in units of the asset):",
                         "  ETH          0.001"]
    bad = segdesk("settings", "tolerance", "ETH", "-5", db=desk)
    assert bad.code == 2 and bad.err.strip() == "segdesk: error: the tolerance '-5' must be zero or more"
