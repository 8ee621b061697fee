"""One readable test per finding kind and per rule of SPEC.md, each amount spelled out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from segdesk.domain.model import Evidence, MappingRule, PricePoint
from tests.unit.fund import D, MAPPINGS, kinds, line, only, run


def test_a_clean_fund_raises_nothing_and_states_its_segregation():
    result = run(
        line("Bank", "OMNI", "USD", "1000", ref="ALPHA"),
        line("Bank", "OMNI", "USD", "500", ref="BETA"),
        line("Bank", "OMNI", "USD", "200", ref="BUF"),
        line("Bank", "PROP", "USD", "9000"),
    )
    assert result.findings == ()
    seg = result.segregation
    assert (seg.requirement, seg.resources, seg.excess, seg.undermargined, seg.buffer) == (
        Decimal("1500"), Decimal("1700"), Decimal("200"), Decimal("0"), Decimal("200"),
    )


# --- valuation ---------------------------------------------------------------------------------


def test_value_column_wins_then_equity_then_quantity_times_price():
    result = run(
        line("Bank", "SEG-A", "BTC", "2", value="90000"),           # value column: 90,000
        line("Venue", "alpha-sub", "BTC", "3", equity="1"),         # equity x price: 50,000
        line("Bank", "SEG-A", "EUR", "100", price="1.2"),           # own price: 120
        line("Bank", "SEG-A", "EUR", "100", row=2),                 # prices file: 110
    )
    (alpha,) = [s for s in result.sub_accounts if s.code == "C-ALPHA"]
    assert alpha.equity == Decimal("90000") + Decimal("50000") + Decimal("120.0") + Decimal("110.0")


def test_the_latest_price_on_or_before_the_as_of_date_is_used():
    prices = (
        PricePoint("SOL", D - dt.timedelta(days=3), Decimal("100")),
        PricePoint("SOL", D - dt.timedelta(days=1), Decimal("120")),
        PricePoint("SOL", D + dt.timedelta(days=1), Decimal("999")),  # after D: not known on D
    )
    result = run(line("Bank", "SEG-A", "SOL", "10"), prices=prices)
    assert result.segregation.resources == Decimal("1200")


def test_missing_price_is_a_finding_and_the_line_is_not_guessed():
    result = run(line("Bank", "SEG-A", "DOGE", "1000", row=7), line("Bank", "SEG-A", "USD", "5"))
    finding = only(result, "missing_price")
    assert (finding.severity, finding.amount, finding.sub_account, finding.external_account, finding.asset) == (
        "high", Decimal("0"), "C-ALPHA", "Bank:SEG-A", "DOGE",
    )
    assert finding.evidence == (Evidence("bank.csv", None, 7),)
    assert result.segregation.resources == Decimal("5")


# --- statements ----------------------------------------------------------------------------------


def test_the_latest_statement_on_or_before_d_is_used_and_an_older_one_is_stale():
    older = D - dt.timedelta(days=2)
    result = run(
        line("Bank", "SEG-A", "USD", "100", on=older),
        line("Bank", "SEG-A", "USD", "300", on=D - dt.timedelta(days=1)),
        line("Bank", "SEG-A", "USD", "999", on=D + dt.timedelta(days=1)),  # after D: ignored
    )
    assert result.segregation.resources == Decimal("300")
    stale = only(result, "stale_statement")
    assert (stale.severity, stale.amount, stale.external_account, stale.sub_account, stale.asset) == (
        "medium", Decimal("0"), "Bank:SEG-A", None, None,
    )


# --- ownership -----------------------------------------------------------------------------------


def test_a_reference_mapping_wins_over_the_accounts_blank_mapping():
    mappings = (*MAPPINGS, MappingRule("Bank", "SEG-A", "BETA", "C-BETA"))
    result = run(line("Bank", "SEG-A", "USD", "10", ref="BETA"), line("Bank", "SEG-A", "USD", "7", ref="OTHER"),
                 mappings=mappings)
    equity = {s.code: s.equity for s in result.sub_accounts}
    assert (equity["C-BETA"], equity["C-ALPHA"]) == (Decimal("10"), Decimal("7"))


def test_mapping_windows_are_inclusive_and_judged_on_the_statement_date():
    mappings = (
        MappingRule("Bank", "SEG-A", None, "C-ALPHA", valid_to=D - dt.timedelta(days=1)),
        MappingRule("Bank", "SEG-A", None, "C-BETA", valid_from=D, valid_to=D),
    )
    result = run(line("Bank", "SEG-A", "USD", "10"), mappings=mappings)
    assert {s.code: s.equity for s in result.sub_accounts}["C-BETA"] == Decimal("10")


def test_unmapped_balance_names_the_account_and_its_value():
    result = run(line("Bank", "OMNI", "USD", "12000", ref="ZETA", row=9), line("Bank", "NEW-1", "BTC", "0.5"))
    found = [(f.external_account, f.asset, f.amount, f.severity) for f in result.findings if f.kind == "unmapped_balance"]
    assert found == [("Bank:NEW-1", "BTC", Decimal("25000.0"), "high"), ("Bank:OMNI", "USD", Decimal("12000"), "high")]


def test_unmapped_money_in_a_segregated_account_still_counts_as_resources():
    result = run(line("Bank", "OMNI", "USD", "12000", ref="ZETA"))
    assert result.segregation.resources == Decimal("12000")


# --- commingling ---------------------------------------------------------------------------------


def test_client_money_in_a_proprietary_account_is_critical_commingling():
    mappings = (*MAPPINGS, MappingRule("Bank", "PROP", "ALPHA", "C-ALPHA"))
    result = run(line("Bank", "PROP", "USD", "30000", ref="ALPHA"), line("Bank", "PROP", "USD", "1000000"),
                 mappings=mappings)
    directional = [f for f in result.findings if f.kind == "commingling" and f.sub_account == "C-ALPHA"]
    assert [(f.severity, f.amount, f.external_account, f.asset) for f in directional] == [
        ("critical", Decimal("30000"), "Bank:PROP", None)
    ]


def test_proprietary_money_in_a_client_account_is_high_commingling():
    result = run(line("Bank", "OMNI", "USD", "75000", ref="HOUSE"))
    finding = only(result, "commingling")
    assert (finding.severity, finding.amount, finding.sub_account, finding.external_account) == (
        "high", Decimal("75000"), "P-HOUSE", "Bank:OMNI",
    )


def test_buffer_money_in_a_client_account_is_allowed():
    result = run(line("Bank", "OMNI", "USD", "250000", ref="BUF"), line("Bank", "OMNI", "USD", "10", ref="ALPHA"))
    assert "commingling" not in kinds(result)


def test_one_account_mapping_to_both_sides_is_raised_once_with_the_smaller_side():
    result = run(line("Bank", "OMNI", "USD", "75000", ref="HOUSE"), line("Bank", "OMNI", "USD", "2500000", ref="ALPHA"),
                 line("Bank", "OMNI", "USD", "250000", ref="BUF"))
    both = [f for f in result.findings if f.kind == "commingling" and f.sub_account is None]
    assert [(f.severity, f.amount, f.external_account) for f in both] == [("critical", Decimal("75000"), "Bank:OMNI")]


# --- clients and margin --------------------------------------------------------------------------


def test_client_deficit_is_the_negated_equity():
    result = run(line("Bank", "OMNI", "USD", "-45000.10", ref="BETA"), line("Bank", "OMNI", "USD", "100", ref="ALPHA"))
    finding = only(result, "client_deficit")
    assert (finding.severity, finding.amount, finding.sub_account) == ("high", Decimal("45000.10"), "C-BETA")


def test_a_deficit_is_never_netted_against_another_clients_credit():
    result = run(line("Bank", "OMNI", "USD", "-400", ref="BETA"), line("Bank", "OMNI", "USD", "1000", ref="ALPHA"))
    assert result.segregation.requirement == Decimal("1000")  # not 600
    assert result.segregation.resources == Decimal("600")
    shortfall = only(result, "segregation_shortfall")
    assert (shortfall.severity, shortfall.amount) == ("critical", Decimal("400"))


def test_margin_shortfall_for_a_client_is_critical():
    result = run(line("Venue", "alpha-sub", "USD", "18000", equity="18000", initial_margin="60000",
                      maintenance_margin="30000"))
    finding = only(result, "margin_shortfall")
    assert (finding.severity, finding.amount, finding.sub_account, finding.external_account, finding.asset) == (
        "critical", Decimal("12000"), "C-ALPHA", "Venue:alpha-sub", None,
    )


def test_margin_shortfall_for_the_house_is_high():
    result = run(line("Venue", "house-sub", "USD", "10", equity="10", initial_margin="100", maintenance_margin="50"))
    assert (only(result, "margin_shortfall").severity, only(result, "margin_shortfall").amount) == ("high", Decimal("40"))


def test_margin_call_between_maintenance_and_initial_margin():
    result = run(line("Venue", "alpha-sub", "USD", "45000", equity="45000", initial_margin="60000",
                      maintenance_margin="30000"))
    finding = only(result, "margin_call")
    assert (finding.severity, finding.amount) == ("medium", Decimal("15000"))


def test_margin_fields_are_valued_at_the_lines_price():
    result = run(line("Venue", "alpha-sub", "BTC", "1", equity="1", initial_margin="0.5", maintenance_margin="1.5"))
    assert only(result, "margin_shortfall").amount == Decimal("25000.0")  # (1.5 - 1) x 50,000


def test_custody_cash_elsewhere_does_not_cure_a_venue_margin_deficit():
    result = run(
        line("Venue", "alpha-sub", "USD", "100", equity="100", initial_margin="400", maintenance_margin="300"),
        line("Bank", "SEG-A", "USD", "1000000"),
    )
    assert only(result, "margin_shortfall").amount == Decimal("200")


# --- segregation ---------------------------------------------------------------------------------


def test_residual_interest_shortfall_when_excess_does_not_cover_undermargined_clients():
    result = run(
        line("Venue", "alpha-sub", "USD", "100", equity="100", initial_margin="400", maintenance_margin="300"),
        line("Bank", "OMNI", "USD", "50", ref="BUF"),
    )
    seg = result.segregation
    assert (seg.requirement, seg.resources, seg.excess, seg.undermargined) == (
        Decimal("100"), Decimal("150"), Decimal("50"), Decimal("200"),
    )
    finding = only(result, "residual_interest_shortfall")
    assert (finding.severity, finding.amount, finding.sub_account, finding.external_account) == (
        "high", Decimal("150"), None, None,
    )


def test_the_statement_per_currency_shows_buffer_and_base_values():
    result = run(
        line("Bank", "OMNI", "EUR", "1000", ref="ALPHA"),
        line("Bank", "OMNI", "USD", "300", ref="BUF"),
        line("Bank", "OMNI", "USD", "200", ref="BETA"),
    )
    rows = {c.asset: (c.quantity, c.resources, c.requirement, c.excess, c.buffer) for c in result.by_currency}
    assert rows == {
        "EUR": (Decimal("1000"), Decimal("1100.0"), Decimal("1100.0"), Decimal("0.0"), Decimal("0")),
        "USD": (Decimal("500"), Decimal("500"), Decimal("200"), Decimal("300"), Decimal("300")),
    }


# --- the ledger ----------------------------------------------------------------------------------


def test_balance_break_against_the_ledger_is_valued_at_the_price_on_d():
    result = run(
        line("Bank", "OMNI", "BTC", "2.4", ref="ALPHA"),
        line("Ledger", "GL", "BTC", "2.5", ref="ALPHA"),
        line("Ledger", "GL", "USD", "0", ref="ALPHA"),
    )
    finding = only(result, "balance_break")
    assert (finding.severity, finding.amount, finding.sub_account, finding.asset, finding.external_account) == (
        "high", Decimal("5000.0"), "C-ALPHA", "BTC", None,
    )


def test_a_difference_within_the_assets_tolerance_is_no_break():
    result = run(line("Bank", "OMNI", "BTC", "2.4", ref="ALPHA"), line("Ledger", "GL", "BTC", "2.5", ref="ALPHA"),
                 tolerances={"BTC": Decimal("0.1")})
    assert "balance_break" not in kinds(result)


def test_ledger_lines_are_no_part_of_equity_resources_or_prices():
    result = run(line("Ledger", "GL", "DOGE", "5", ref="BETA"), line("Ledger", "GL", "USD", "-9", ref="ALPHA"))
    assert result.segregation.resources == 0 and result.segregation.requirement == 0
    assert "missing_price" not in kinds(result) and "client_deficit" not in kinds(result)


def test_large_amounts_times_precise_prices_stay_exact_beyond_28_digits():
    # 20 integer digits and 18 places, priced at 18 places: Python's default context would round.
    prices = (PricePoint("WEI", D, Decimal("0.000000000000000001")),)
    quantity = "12345678901234567890.123456789012345678"
    result = run(line("Bank", "SEG-A", "WEI", quantity), line("Bank", "SEG-A", "USD", "0.000000000000000001"),
                 prices=prices)
    assert str(result.segregation.resources) == "12.345678901234567891123456789012345678"


# --- found in review ---------------------------------------------------------------------------


def test_venue_equity_is_the_base_valued_equity_column_before_value():
    result = run(line("Venue", "alpha-sub", "BTC", "10", value="500000", equity="1", initial_margin="3",
                      maintenance_margin="2"))
    assert only(result, "margin_shortfall").amount == Decimal("50000")  # MM 100,000 - equity 50,000


def test_margin_fields_without_a_price_are_a_missing_price_not_silence():
    result = run(line("Venue", "alpha-sub", "ETH", "10", value="30000", initial_margin="12", maintenance_margin="11"))
    finding = only(result, "missing_price")
    assert (finding.sub_account, finding.external_account, finding.asset) == ("C-ALPHA", "Venue:alpha-sub", "ETH")


def test_an_unmapped_ledger_line_is_named_with_amount_zero():
    result = run(line("Bank", "OMNI", "USD", "10", ref="ALPHA"), line("Ledger", "GL", "USD", "750000", ref="GAMMA"),
                 line("Ledger", "GL", "USD", "10", ref="ALPHA"))
    finding = only(result, "unmapped_balance")
    assert (finding.external_account, finding.asset, finding.amount) == ("Ledger:GL", "USD", Decimal("0"))


def test_once_a_ledger_is_in_use_a_client_it_leaves_out_books_as_zero():
    result = run(line("Bank", "OMNI", "USD", "500", ref="BETA"), line("Bank", "OMNI", "USD", "10", ref="ALPHA"),
                 line("Ledger", "GL", "USD", "10", ref="ALPHA"))
    finding = only(result, "balance_break")
    assert (finding.sub_account, finding.asset, finding.amount) == ("C-BETA", "USD", Decimal("500"))


def test_a_computed_amount_keeps_all_its_decimal_places():
    prices = (PricePoint("BTC", D, Decimal("97250.50")),)
    result = run(line("Bank", "OMNI", "BTC", "0.123456789012345671", ref="ZETA"), prices=prices)
    assert only(result, "unmapped_balance").amount == Decimal("0.123456789012345671") * Decimal("97250.50")
