"""Editing the chart one change at a time (services.accounts): each change stored with its audit
event, each refusal a readable line with nothing stored."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from segdesk.domain.problems import InputError
from segdesk.services import accounts as acc
from segdesk.services.audit_trail import list_events, verify_audit_trail
from segdesk.services.chart import import_chart, write_template
from segdesk.services.demo import DEMO_DATE, load_demo
from segdesk.services.importing import import_statement
from segdesk.services.reconciling import reconcile
from tests.statements import write_northbridge_statement, write_profile

ZETA = dict(source="Northbridge Custody", account="0012345-01", reference="ZETA")


@pytest.fixture
def demo(db):
    load_demo(db)
    return db


def events(db, action: str) -> list[dict]:
    """The payloads of every ``action`` event, oldest first."""
    return [json.loads(e.payload) for e in reversed(list_events(db)) if e.action == action]


def event_count(db) -> int:
    return verify_audit_trail(db).events


def mapping_keys(db) -> list[tuple]:
    return [(m.source, m.account, m.reference, m.sub_account, m.valid_from, m.valid_to)
            for m in acc.chart_overview(db).mappings]


# --- what the page shows -----------------------------------------------------------------------------


def test_the_demo_chart_is_listed_with_its_one_unmapped_reference(demo):
    view = acc.chart_overview(demo, DEMO_DATE)
    assert [s.code for s in view.sub_accounts] == ["B-BUFFER", "C-ALPHA", "C-BETA", "C-DELTA", "C-GAMMA", "P-HOUSE"]
    assert len(view.accounts) == 8 and len(view.mappings) == 15
    assert acc.AccountRow("Northbridge Custody", "custodian", "0012345-01", "omnibus_client") in view.accounts
    assert view.run_state == "current" and view.base_currency == "USD"
    assert view.unmapped == (acc.UnmappedItem(
        acc.UNMAPPED, "Northbridge Custody", "custodian", "0012345-01", "omnibus_client", "ZETA", 1,
        Decimal("12000"), False, ("USD",), DEMO_DATE),)


def test_with_no_day_chosen_the_newest_statement_day_is_used(demo):
    assert acc.chart_overview(demo).as_of == DEMO_DATE
    earlier = acc.chart_overview(demo, dt.date(2026, 11, 19))  # only Adler's statement is that old
    assert (earlier.as_of, earlier.unmapped, earlier.run_state) == (dt.date(2026, 11, 19), (), "none")


def test_an_empty_database_has_an_empty_chart(db):
    view = acc.chart_overview(db)
    assert view == acc.ChartOverview(None, "USD", (), (), (), (), "none")


def test_accounts_not_in_the_chart_show_up_undesignated_and_their_lines_unmapped(db, tmp_path):
    chart = tmp_path / "chart.xlsx"
    write_template(chart)
    from openpyxl import load_workbook

    wb = load_workbook(chart)
    wb["SubAccounts"].append(["C-ALPHA", "Alpha", "client", "Alpha LP", None])
    wb["ExternalAccounts"].append(["Northbridge Custody", "custodian", "0012345-01", "omnibus_client"])
    wb["Mappings"].append(["Northbridge Custody", "0012345-01", "ALPHA", "C-ALPHA", None, None])
    wb.save(chart)
    import_chart(db, chart, user="jane")
    import_statement(db, write_northbridge_statement(tmp_path / "nb.xlsx"), write_profile(tmp_path / "p.toml"),
                     user="jane")
    found = {(i.problem, i.account, i.reference): (i.lines, i.amount, i.assets)
             for i in acc.chart_overview(db).unmapped}
    eth = Decimal("12.123456789012345678") * Decimal("3050.25")
    assert found == {
        (acc.NO_DESIGNATION, "0012345-02", None): (2, Decimal("29175.15") + eth, ("BTC", "ETH")),
        (acc.NO_DESIGNATION, "0099000-07", None): (1, Decimal("-1.5"), ("USD",)),
        (acc.UNMAPPED, "0012345-01", "BETA"): (1, Decimal("-48789.10842"), ("EUR",)),
        (acc.UNMAPPED, "0012345-02", None): (2, Decimal("29175.15") + eth, ("BTC", "ETH")),
        (acc.UNMAPPED, "0099000-07", "GAMMA"): (1, Decimal("-1.5"), ("USD",)),
    }


def test_unmapped_ledger_lines_have_no_amount(demo):
    acc.remove_mapping(demo, next(m.id for m in acc.chart_overview(demo).mappings
                                  if m.source == "Acme Ledger" and m.reference == "BETA"), user="jane")
    ledger = [i for i in acc.chart_overview(demo).unmapped if i.source_kind == "ledger"]
    assert [(i.reference, i.amount, i.lines, i.assets) for i in ledger] == [("BETA", None, 1, ("USD",))]


# --- mappings --------------------------------------------------------------------------------------


def test_mapping_zeta_is_stored_audited_and_clears_the_unmapped_balance(demo):
    row = acc.add_mapping(demo, **ZETA, sub_account="C-ALPHA", user="jane")
    assert (row.reference, row.sub_account, row.valid_from, row.valid_to) == ("ZETA", "C-ALPHA", None, None)
    assert ("Northbridge Custody", "0012345-01", "ZETA", "C-ALPHA", None, None) in mapping_keys(demo)
    assert verify_audit_trail(demo).intact
    assert events(demo, "mapping.add")[-1] == {
        "source": "Northbridge Custody", "account": "0012345-01", "reference": "ZETA", "sub_account": "C-ALPHA",
        "valid_from": None, "valid_to": None, "file": None}
    view = acc.chart_overview(demo, DEMO_DATE)
    assert view.unmapped == () and view.run_state == "stale"
    run = reconcile(demo, DEMO_DATE, user="x")
    assert not [f for f in run.findings if f.kind == "unmapped_balance"]
    assert acc.chart_overview(demo, DEMO_DATE).run_state == "current"


def test_a_mapping_with_a_window_that_has_not_started_leaves_the_line_unmapped(demo):
    acc.add_mapping(demo, **ZETA, sub_account="C-ALPHA", valid_from=dt.date(2026, 12, 1), user="jane")
    assert [i.reference for i in acc.chart_overview(demo, DEMO_DATE).unmapped] == ["ZETA"]


@pytest.mark.parametrize("change, problem", [
    (dict(sub_account="C-NOBODY"), "there is no sub-account 'C-NOBODY' (known: B-BUFFER, C-ALPHA"),
    (dict(sub_account=""), "choose a sub-account"),
    (dict(account="9999"), "there is no external account Northbridge Custody:9999"),
    (dict(reference="ALPHA", sub_account="C-BETA"),
     "Northbridge Custody:0012345-01 (reference ALPHA) is already mapped to C-ALPHA with no end date"),
    (dict(valid_from=dt.date(2026, 12, 1), valid_to=dt.date(2026, 11, 1)),
     "valid from 2026-12-01 is after valid to 2026-11-01"),
])
def test_a_bad_mapping_is_refused_with_a_reason_and_nothing_stored(demo, change, problem):
    before, count = mapping_keys(demo), event_count(demo)
    with pytest.raises(InputError) as refused:
        acc.add_mapping(demo, **{**ZETA, "sub_account": "C-ALPHA", **change}, user="jane")
    assert any(problem in line for line in refused.value.problems), refused.value.problems
    assert mapping_keys(demo) == before and event_count(demo) == count


def test_windows_that_do_not_overlap_may_map_one_account_to_two_sub_accounts(demo):
    # The demo maps every line of 0012345-02 to C-GAMMA from 2026-01-01.
    acc.add_mapping(demo, source="Northbridge Custody", account="0012345-02", reference=None, sub_account="C-BETA",
                    valid_to=dt.date(2025, 12, 31), user="jane")
    with pytest.raises(InputError, match="already mapped to C-GAMMA from 2026-01-01 to no end date"):
        acc.add_mapping(demo, source="Northbridge Custody", account="0012345-02", reference=" ", sub_account="C-BETA",
                        valid_from=dt.date(2025, 6, 1), valid_to=dt.date(2026, 1, 1), user="jane")


def test_removing_a_mapping_is_audited_and_returns_what_it_was(demo):
    target = next(m for m in acc.chart_overview(demo).mappings if m.reference == "BETA" and m.source.startswith("North"))
    removed = acc.remove_mapping(demo, target.id, user="jane")
    assert removed == target
    assert target not in acc.chart_overview(demo).mappings
    assert events(demo, "mapping.remove")[-1]["reference"] == "BETA"
    assert [i.reference for i in acc.chart_overview(demo).unmapped] == ["BETA", "ZETA"]
    with pytest.raises(InputError, match=rf"mapping #{target.id} was removed or changed by jane at 20\d\d-\d\d-\d\d "
                                         r"\d\d:\d\d:\d\d UTC since you loaded the page; nothing was done"):
        acc.remove_mapping(demo, target.id, user="bob")
    assert verify_audit_trail(demo).intact


def test_changing_a_mapping_removes_the_old_and_adds_the_new_in_one_go(demo):
    target = next(m for m in acc.chart_overview(demo).mappings if m.account == "000123")
    count = event_count(demo)
    before, after = acc.change_mapping(demo, target.id, reference=None, sub_account="C-BETA",
                                       valid_from=dt.date(2026, 1, 1), user="jane")
    assert before == target
    assert (after.account, after.sub_account, after.valid_from) == ("000123", "C-BETA", dt.date(2026, 1, 1))
    assert event_count(demo) == count + 2
    assert [e["sub_account"] for e in events(demo, "mapping.remove")[-1:] + events(demo, "mapping.add")[-1:]] == \
        ["C-DELTA", "C-BETA"]
    same, again = acc.change_mapping(demo, after.id, reference=None, sub_account="C-BETA",
                                     valid_from=dt.date(2026, 1, 1), user="jane")
    assert same == again == after and event_count(demo) == count + 2  # no change, nothing recorded


def test_a_change_that_would_overlap_another_mapping_is_refused(demo):
    alpha = next(m for m in acc.chart_overview(demo).mappings if m.reference == "ALPHA" and m.account == "0012345-01")
    before = mapping_keys(demo)
    with pytest.raises(InputError, match=r"\(reference BETA\) is already mapped to C-BETA"):
        acc.change_mapping(demo, alpha.id, reference="BETA", sub_account="C-ALPHA", user="jane")
    assert mapping_keys(demo) == before


# --- sub-accounts ------------------------------------------------------------------------------------


def test_adding_a_sub_account_is_audited_as_the_chart_import_audits_it(demo):
    row = acc.add_sub_account(demo, code="  C-EPSILON ", name="Epsilon  Fund", kind="client", client="Epsilon SA",
                              base_currency="eur", user="jane")
    assert row == acc.SubAccountRow("C-EPSILON", "Epsilon Fund", "client", "Epsilon SA", "EUR")
    assert row in acc.chart_overview(demo).sub_accounts
    assert events(demo, "sub_account.create")[-1] == {"code": "C-EPSILON", "name": "Epsilon Fund", "kind": "client",
                                                      "client": "Epsilon SA", "base_currency": "EUR", "file": None}


def test_a_bad_sub_account_lists_every_problem_and_stores_nothing(demo):
    count, subs = event_count(demo), acc.chart_overview(demo).sub_accounts
    with pytest.raises(InputError) as refused:
        acc.add_sub_account(demo, code=" ", name="", kind="customer", base_currency="US DOLLAR", user="jane")
    assert refused.value.problems == [
        "the code is required (e.g. C-ALPHA)",
        "the name is required",
        "kind 'customer' is not one of client, proprietary, buffer",
        "base currency 'US DOLLAR' is not a currency code (e.g. USD); leave it blank for the firm's",
    ]
    with pytest.raises(InputError, match="a sub-account with code 'C-ALPHA' already exists"):
        acc.add_sub_account(demo, code="C-ALPHA", name="Again", kind="client", user="jane")
    assert event_count(demo) == count and acc.chart_overview(demo).sub_accounts == subs


def test_updating_a_sub_account_records_old_and_new(demo):
    acc.update_sub_account(demo, "C-BETA", name="Beta Partners", kind="client", client="Beta Partners LLC (UK)",
                           user="jane")
    assert events(demo, "sub_account.update")[-1] == {
        "code": "C-BETA", "file": None,
        "old": {"name": "Beta Partners", "kind": "client", "client": "Beta Partners LLC", "base_currency": None},
        "new": {"name": "Beta Partners", "kind": "client", "client": "Beta Partners LLC (UK)", "base_currency": None}}
    count = event_count(demo)
    acc.update_sub_account(demo, "C-BETA", name="Beta Partners", kind="client", client="Beta Partners LLC (UK)",
                           user="jane")
    assert event_count(demo) == count
    with pytest.raises(InputError, match="there is no sub-account 'C-NONE'"):
        acc.update_sub_account(demo, "C-NONE", name="x", kind="client", user="jane")


# --- designations ------------------------------------------------------------------------------------


def test_a_designation_change_is_audited_and_can_be_put_back(demo):
    change = acc.designate(demo, "Bankhaus Adler", "000123", "omnibus_client", user="jane")
    assert change == acc.DesignationChange("Bankhaus Adler", "000123", "client_segregated", "omnibus_client")
    assert events(demo, "external_account.designate")[-1] == {
        "source": "Bankhaus Adler", "account": "000123", "old": "client_segregated", "new": "omnibus_client",
        "file": None}
    acc.designate(demo, "Bankhaus Adler", "000123", change.old, user="jane")
    assert acc.AccountRow("Bankhaus Adler", "custodian", "000123", "client_segregated") in acc.chart_overview(
        demo).accounts
    assert verify_audit_trail(demo).intact


def test_bad_designations_are_refused(demo):
    count = event_count(demo)
    with pytest.raises(InputError, match="designation 'segregated' is not one of client_segregated"):
        acc.designate(demo, "Bankhaus Adler", "000123", "segregated", user="jane")
    with pytest.raises(InputError, match="Bankhaus Adler:000123 is a custodian account and needs a designation"):
        acc.designate(demo, "Bankhaus Adler", "000123", None, user="jane")
    with pytest.raises(InputError, match="there is no external account Bankhaus Adler:999"):
        acc.designate(demo, "Bankhaus Adler", "999", "proprietary", user="jane")
    assert event_count(demo) == count
    # Undo of designating an account that had none puts "none" back.
    acc.designate(demo, "Bankhaus Adler", "000123", None, user="jane", allow_none=True)
    assert events(demo, "external_account.designate")[-1]["new"] is None
    # A ledger account needs none ("none" is how a person may spell it).
    acc.designate(demo, "Acme Ledger", "GL-CLIENT", "proprietary", user="jane")
    assert acc.designate(demo, "Acme Ledger", "GL-CLIENT", "none", user="jane").new is None


def test_a_change_needs_a_person(demo):
    with pytest.raises(InputError, match="a person's name is required"):
        acc.add_mapping(demo, **ZETA, sub_account="C-ALPHA", user="  ")


def test_removing_several_mappings_is_all_or_nothing_and_can_be_restored(demo):
    ledger = [m for m in acc.chart_overview(demo).mappings if m.source == "Acme Ledger"]
    count = event_count(demo)
    with pytest.raises(InputError, match="mapping #99999 does not exist"):
        acc.remove_mappings(demo, [ledger[0].id, 99999], user="jane")
    assert event_count(demo) == count and ledger[0] in acc.chart_overview(demo).mappings
    removed = acc.remove_mappings(demo, [m.id for m in ledger], user="jane")
    assert removed == ledger and event_count(demo) == count + 4
    restored = acc.restore_mappings(demo, removed, user="jane")
    assert [(r.reference, r.sub_account) for r in restored] == [(r.reference, r.sub_account) for r in ledger]
    assert [e["reference"] for e in events(demo, "mapping.add")[-4:]] == ["ALPHA", "BETA", "DELTA", "GAMMA"]
    assert verify_audit_trail(demo).intact
