"""Finding life cycle and four-eyes sign-off, enforced in the service (not only in a screen)."""

from __future__ import annotations

import datetime as dt

import pytest

from segdesk.domain.problems import InputError
from segdesk.services.demo import load_demo
from segdesk.services.findings import act_on_finding, sign_off
from segdesk.services.reconciling import current_run, reconcile
from segdesk.store.audit import verify_chain
from segdesk.store.schema import AuditEvent

D = dt.date(2026, 11, 20)


@pytest.fixture
def day(db):
    load_demo(db)
    return reconcile(db, D, user="ann")


def _finding(view, kind):
    return next(f for f in view.findings if f.kind == kind)


def test_a_finding_walks_its_life_with_who_when_and_why(db, day):
    target = _finding(day, "client_deficit")
    assert act_on_finding(db, target.id, "acknowledge", "Calling Beta Partners", user="ann") == "acknowledged"
    assert act_on_finding(db, target.id, "resolve", "Beta wired 45,000.10", user="ann") == "resolved"
    after = next(f for f in current_run(db, D).findings if f.id == target.id)
    assert [(s.from_status, s.to_status, s.user, s.comment) for s in after.history] == [
        ("open", "acknowledged", "ann", "Calling Beta Partners"),
        ("acknowledged", "resolved", "ann", "Beta wired 45,000.10"),
    ]
    with db.reading() as session:
        actions = [e.action for e in session.query(AuditEvent).order_by(AuditEvent.seq)][-2:]
        assert verify_chain(session).intact
    assert actions == ["finding.acknowledge", "finding.resolve"]


def test_illegal_steps_are_refused(db, day):
    target = _finding(day, "stale_statement")
    act_on_finding(db, target.id, "waive", "Adler publishes with a day's lag", user="ann")
    with pytest.raises(InputError, match="is waived; it cannot be acknowledged now"):
        act_on_finding(db, target.id, "acknowledge", "again", user="ann")
    with pytest.raises(InputError, match="a comment is required"):
        act_on_finding(db, _finding(day, "client_deficit").id, "resolve", "  ", user="ann")


def test_the_reviewer_must_be_a_different_person_and_comes_second(db, day):
    with pytest.raises(InputError, match="no preparer sign-off yet"):
        sign_off(db, D, "reviewer", user="bob")
    sign_off(db, D, "preparer", user="ann")
    with pytest.raises(InputError, match="already signed as preparer by ann"):
        sign_off(db, D, "preparer", user="carol")
    with pytest.raises(InputError, match="ann prepared run .* and 'ANN' is the same person; a different person"):
        sign_off(db, D, "reviewer", user="ANN")
    approved = sign_off(db, D, "reviewer", user="bob", comment="Checked the break with treasury")
    assert (approved.role, approved.user) == ("reviewer", "bob")
    assert current_run(db, D).approved


def test_an_approved_run_is_frozen_and_a_later_import_makes_a_new_run(db, day, tmp_path):
    from segdesk.services.importing import import_statement

    sign_off(db, D, "preparer", user="ann")
    sign_off(db, D, "reviewer", user="bob")
    with pytest.raises(InputError, match="approved and frozen"):
        act_on_finding(db, _finding(day, "client_deficit").id, "resolve", "late", user="ann")
    assert reconcile(db, D, user="ann").run_id == day.run_id  # nothing changed: the approved run
    late = tmp_path / "helix_late.csv"
    late.write_text("account,asset,balance,equity,initial_margin,maintenance_margin\n"
                    "gamma-sub,USDT,40000,40000,60000,30000\n", encoding="utf-8")
    from segdesk.services.demo import DEMO_DIR

    import_statement(db, late, DEMO_DIR / "profiles" / "helix.toml", user="ann")
    rerun = reconcile(db, D, user="ann")
    assert rerun.run_id != day.run_id and not rerun.approved
    assert "margin_shortfall" not in {f.kind for f in rerun.findings}
    with db.reading() as session:
        from segdesk.store.schema import Finding

        assert session.query(Finding).filter(Finding.run_id == day.run_id).count() == len(day.findings)


def test_acting_on_a_replaced_runs_finding_is_refused(db, day, tmp_path):
    from segdesk.services.chart import export_chart, import_chart

    export_chart(db, tmp_path / "chart.xlsx")
    from openpyxl import load_workbook

    wb = load_workbook(tmp_path / "chart.xlsx")
    wb["Mappings"].append(["Northbridge Custody", "0012345-01", "ZETA", "C-BETA", None, None])
    wb.save(tmp_path / "chart.xlsx")
    import_chart(db, tmp_path / "chart.xlsx", user="ann")
    rerun = reconcile(db, D, user="ann")
    assert "unmapped_balance" not in {f.kind for f in rerun.findings}
    with pytest.raises(InputError, match=f"which run {rerun.run_id} for 2026-11-20 has replaced"):
        act_on_finding(db, _finding(day, "unmapped_balance").id, "resolve", "mapped", user="ann")


def test_four_eyes_are_not_fooled_by_spacing_or_case(db, day):
    sign_off(db, D, "preparer", user="alice")
    for disguise in ("alice ", " Alice", "ALICE", "a\u200blice".replace("\u200b", "")):
        with pytest.raises(InputError, match="a different person must review it"):
            sign_off(db, D, "reviewer", user=disguise)
    with pytest.raises(InputError, match="a person's name is required"):
        sign_off(db, D, "reviewer", user="   ")


def test_a_day_without_statements_is_refused_not_signed_off_clean(db, day):
    with pytest.raises(InputError, match="no custodian or exchange statement is dated on or before 2026-11-01"):
        reconcile(db, dt.date(2026, 11, 1), user="ann")


def test_a_finding_amount_with_36_decimal_places_is_stored_exactly(db, tmp_path):
    from decimal import Decimal

    from segdesk.services.importing import import_statement

    load_demo(db)
    extra = tmp_path / "helix_zeta.csv"
    extra.write_text("account,asset,balance,equity,initial_margin,maintenance_margin\n"
                     "zeta-sub,BTC,0.123456789012345671,,,\n", encoding="utf-8")
    from segdesk.services.demo import DEMO_DIR

    import_statement(db, extra, DEMO_DIR / "profiles" / "helix.toml", user="ann")
    view = reconcile(db, D, user="ann")
    zeta = next(f for f in view.findings if f.kind == "unmapped_balance" and f.external_account.endswith("zeta-sub"))
    assert zeta.amount == Decimal("0.123456789012345671") * Decimal("97250.50")
