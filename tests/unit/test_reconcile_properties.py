"""Properties that must hold for any fund, checked on generated ones (hypothesis)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from segdesk.domain.model import Evidence, MappingRule, SubAccount
from tests.unit.fund import MAPPINGS, SUBS, line, run

amounts = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=8, allow_nan=False,
                      allow_infinity=False)
REFS = ["ALPHA", "BETA", "BUF", "HOUSE", "ZETA"]
placements = st.sampled_from(
    [("Bank", "OMNI", r) for r in REFS] + [("Bank", "SEG-A", None), ("Bank", "PROP", None)]
)
assets = st.sampled_from(["USD", "BTC", "EUR"])


@st.composite
def fund_lines(draw):  # type: ignore[no-untyped-def]
    n = draw(st.integers(min_value=1, max_value=12))
    out = []
    for row in range(1, n + 1):
        source, account, ref = draw(placements)
        out.append(line(source, account, draw(assets), str(draw(amounts)), ref=ref, row=row))
    return out


def _without_evidence(result):  # type: ignore[no-untyped-def]
    return [dataclasses.replace(f, evidence=()) for f in result.findings]


@settings(max_examples=150, deadline=None)
@given(fund_lines())
def test_requirement_never_nets_a_deficit_against_another_client(lines):
    result = run(*lines)
    clients = [s for s in result.sub_accounts if s.kind == "client"]
    assert result.segregation.requirement == sum((max(s.equity, Decimal(0)) for s in clients), Decimal(0))
    assert result.segregation.requirement >= sum((s.equity for s in clients), Decimal(0))
    for s in clients:
        deficit = [f for f in result.findings if f.kind == "client_deficit" and f.sub_account == s.code]
        assert [f.amount for f in deficit] == ([-s.equity] if s.equity < 0 else [])


@settings(max_examples=150, deadline=None)
@given(fund_lines(), st.randoms(use_true_random=False))
def test_reordering_lines_or_splitting_a_statement_into_two_files_changes_nothing(lines, rnd):
    base = run(*lines)
    shuffled = list(lines)
    rnd.shuffle(shuffled)
    # The same balances arriving in two files: only their provenance differs.
    split = [ln._replace(evidence=Evidence("part2.csv", None, ln.evidence.row)) if i % 2 else ln
             for i, ln in enumerate(shuffled)]
    for other in (run(*shuffled), run(*split)):
        assert other.segregation == base.segregation
        assert other.by_currency == base.by_currency
        assert other.sub_accounts == base.sub_accounts
        assert _without_evidence(other) == _without_evidence(base)


@settings(max_examples=150, deadline=None)
@given(fund_lines(), st.decimals(min_value=Decimal("0"), max_value=Decimal("1e9"), places=2, allow_nan=False))
def test_a_clean_client_whose_money_is_in_segregation_leaves_the_excess_unchanged(lines, money):
    before = run(*lines)
    subs = (*SUBS, SubAccount("C-NEW", "New client", "client"))
    mappings = (*MAPPINGS, MappingRule("Bank", "OMNI", "NEW", "C-NEW"))
    after = run(*lines, line("Bank", "OMNI", "USD", str(money), ref="NEW", row=99), subs=subs, mappings=mappings)
    assert after.segregation.excess == before.segregation.excess
    assert after.segregation.requirement == before.segregation.requirement + money


@settings(max_examples=100, deadline=None)
@given(fund_lines())
def test_every_amount_is_an_exact_decimal(lines):
    result = run(*lines)
    numbers = [*dataclasses.astuple(result.segregation)]
    for c in result.by_currency:
        numbers += [c.quantity, c.resources, c.requirement, c.excess, c.buffer]
    for s in result.sub_accounts:
        numbers += [s.equity, s.venue_equity, s.initial_margin, s.maintenance_margin]
    numbers += [f.amount for f in result.findings]
    assert all(type(n) is Decimal for n in numbers)
    # Exact: the resources are the plain sum of the lines' values, digit for digit.
    segregated = [ln for ln in lines if ln.designation in ("omnibus_client", "client_segregated")]
    prices = {"USD": Decimal(1), "BTC": Decimal("50000"), "EUR": Decimal("1.1")}
    assert result.segregation.resources == sum((ln.quantity * prices[ln.asset] for ln in segregated), Decimal(0))


def test_a_float_amount_is_refused_not_rounded_into_the_figures():
    """The money context traps float mixing: a float quantity that reached a reconciliation (a
    reader bug) stops it, rather than carrying binary rounding into client money."""
    import decimal

    import pytest

    good = line("Bank", "OMNI", "USD", "100", ref="ALPHA")
    bad = good._replace(quantity=0.1, evidence=Evidence("bank.csv", None, 2))
    with pytest.raises(decimal.FloatOperation):
        run(good, bad)


def test_a_product_too_long_to_hold_exactly_is_refused_not_rounded():
    """Every operation in a reconciliation is exact: one that would need rounding raises."""
    import decimal

    import pytest

    from segdesk.domain.model import PricePoint
    from tests.unit.fund import D

    digits = "9" * 70
    huge = line("Bank", "OMNI", "BTC", digits + ".5", ref="ALPHA")
    with pytest.raises(decimal.Inexact):
        run(huge, prices=(PricePoint("BTC", D, Decimal(digits + ".25")),))
