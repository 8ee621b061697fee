"""The tally on columns where exactness is at its edges: it widens, or it refuses and the per-line
tally does the work; never a rounded or wrapped-around amount. (Every other domain test already
runs both ways: tests/unit/fund.py's ``run`` compares them.)"""

from __future__ import annotations

import dataclasses
from decimal import Decimal, Inexact, localcontext

import pyarrow as pa
import pytest

from segdesk.domain.columnar import NotColumnar, _summable, tally_columns
from segdesk.domain.lines import statements_of
from segdesk.domain.model import PricePoint, ReconciliationInputs
from segdesk.domain.reconcile import exact_arithmetic, prepare, reconcile
from tests.unit.fund import D, MAPPINGS, PRICES, SUBS, as_columns, line, run

LARGEST = "99999999999999999999.999999999999999999"  # 20 + 18 digits: the most the database keeps


def _inputs(*lines, prices=PRICES) -> ReconciliationInputs:  # type: ignore[no-untyped-def]
    statements, rows = statements_of(lines)
    return ReconciliationInputs(D, "USD", SUBS, statements, MAPPINGS, tuple(prices), {}, rows)


def _tally(inputs: ReconciliationInputs):  # type: ignore[no-untyped-def]
    prepared = prepare(inputs)
    with exact_arithmetic():
        return tally_columns(prepared.used, inputs.lines, prepared.rules, prepared.book, prepared.kinds)


def test_the_largest_amounts_the_database_keeps_are_summed_exactly_on_columns():
    prices = (PricePoint("BTC", D, Decimal("99999.123456789012345678")),)
    result = run(  # run() also proves the columns were not handed back to the per-line tally
        line("Bank", "OMNI", "BTC", LARGEST, ref="ALPHA", row=1),
        line("Bank", "OMNI", "BTC", LARGEST, ref="ALPHA", row=2),
        line("Bank", "OMNI", "USD", "-" + LARGEST, ref="BETA", row=3),
        prices=prices,
    )
    alpha = next(s for s in result.sub_accounts if s.code == "C-ALPHA")
    assert alpha.equity == Decimal("19999824691357802469135599.999999999999800001753086421975308644")
    with localcontext() as ctx:
        ctx.prec = 120  # Python's default 28 digits would round the expected figure itself
        assert alpha.equity == 2 * Decimal(LARGEST) * Decimal("99999.123456789012345678")


def test_a_product_too_wide_for_exact_columns_is_refused_and_the_lines_are_tallied_one_by_one():
    # 38-digit quantity x 38-digit price: the exact product needs 77 digits, one more than Arrow has
    prices = (PricePoint("BTC", D, Decimal(LARGEST)),)
    inputs = _inputs(line("Bank", "OMNI", "BTC", LARGEST, ref="ALPHA"), prices=prices)
    columns = as_columns(inputs)
    with pytest.raises(NotColumnar, match="product"):
        _tally(columns)
    by_line, by_column = reconcile(inputs), reconcile(columns)
    assert by_column.segregation == by_line.segregation
    assert by_column.sub_accounts == by_line.sub_accounts
    with localcontext() as ctx:
        ctx.prec = 120
        expected = Decimal(LARGEST) * Decimal(LARGEST)
    assert next(s for s in by_column.sub_accounts if s.code == "C-ALPHA").equity == expected


def test_money_stored_as_a_binary_number_is_not_summed_on_columns():
    columns = as_columns(_inputs(line("Bank", "OMNI", "USD", "0.1", ref="ALPHA")))
    table = columns.lines
    floats = table.set_column(table.column_names.index("quantity"), "quantity", pa.array([0.1], pa.float64()))
    with pytest.raises(NotColumnar, match="quantity is stored as double"):
        _tally(dataclasses.replace(columns, lines=floats))


def test_a_sum_that_could_pass_76_digits_is_refused_rather_than_wrapped_around():
    huge = pa.chunked_array([pa.array([Decimal("9" * 40)] * 3, pa.decimal256(76, 36))])
    with localcontext() as ctx:
        ctx.prec = 120
        with pytest.raises(NotColumnar, match="76 digits"):
            _summable(huge)


def test_a_sum_past_38_digits_moves_to_256_bits_instead_of_wrapping():
    column = pa.chunked_array([pa.array([Decimal("9" * 37)] * 20, pa.decimal128(38, 0))])
    with localcontext() as ctx:
        ctx.prec = 120
        widened, digits = _summable(column)
    assert widened.type == pa.decimal256(38, 0) and digits == 39
    assert pa.compute.sum(widened).as_py() == Decimal("199999999999999999999999999999999999980")  # 39 digits


def test_two_lines_from_one_spreadsheet_row_are_one_evidence_row_on_both_paths():
    result = run(  # a wide layout: one row of the file, two assets
        line("Bank", "OMNI", "USD", "-5", ref="ALPHA", row=4),
        line("Bank", "OMNI", "EUR", "-3", ref="ALPHA", row=4),
        line("Bank", "OMNI", "USD", "-1", ref="ALPHA", row=2),
    )
    deficit = next(f for f in result.findings if f.kind == "client_deficit")
    assert [(e.file, e.row) for e in deficit.evidence] == [("bank.csv", 2), ("bank.csv", 4)]


def test_reference_mappings_with_windows_resolve_the_same_on_both_paths():
    import datetime as dt

    from segdesk.domain.model import MappingRule

    mappings = (
        MappingRule("Bank", "OMNI", "ALPHA", "C-BETA", valid_to=D - dt.timedelta(days=1)),  # expired
        MappingRule("Bank", "OMNI", "ALPHA", "C-ALPHA", valid_from=D),
        MappingRule("Bank", "OMNI", "ALPHA", "P-HOUSE"),  # valid too, but later: the first valid wins
        MappingRule("Bank", "OMNI", "BETA", "C-BETA", valid_from=D + dt.timedelta(days=1)),  # not yet
        MappingRule("Bank", "OMNI", None, "B-BUF"),  # what no valid reference rule claims
    )
    result = run(line("Bank", "OMNI", "USD", "100", ref="ALPHA"), line("Bank", "OMNI", "USD", "7", ref="BETA", row=2),
                 mappings=mappings)
    equity = {s.code: s.equity for s in result.sub_accounts}
    assert (equity["C-ALPHA"], equity["B-BUF"], equity["C-BETA"], equity["P-HOUSE"]) == (100, 7, 0, 0)


def test_evidence_rows_read_like_the_tuple_of_their_evidence():
    from segdesk.domain.model import Evidence, EvidenceRows

    rows = EvidenceRows([("a.csv", None, [1, 2, 3]), ("b.xlsx", "S", [7])])
    whole = (Evidence("a.csv", None, 1), Evidence("a.csv", None, 2), Evidence("a.csv", None, 3),
             Evidence("b.xlsx", "S", 7))
    assert len(rows) == 4 and tuple(rows) == whole and rows == whole and whole == rows
    assert rows[:2] == whole[:2] and rows[3] == whole[3] and rows[-1] == whole[-1] and rows[1:][0] == whole[1]
    assert rows != whole[:3] and hash(rows) == hash(whole)
    assert [e.file for e in rows] == ["a.csv"] * 3 + ["b.xlsx"]
    assert EvidenceRows([]) == () and len(EvidenceRows([])) == 0


def test_a_client_at_two_venues_shows_their_margins_added_up_on_both_paths():
    from segdesk.domain.model import MappingRule

    mappings = (*MAPPINGS[:7], MappingRule("Venue", "house-sub", None, "C-ALPHA"))
    result = run(
        line("Venue", "alpha-sub", "USD", "100", equity="100", initial_margin="40", maintenance_margin="20"),
        line("Venue", "house-sub", "BTC", "0.001", row=2, equity="0.002", initial_margin="0.001",
             maintenance_margin="0.0005"),
        mappings=mappings,
    )
    alpha = next(s for s in result.sub_accounts if s.code == "C-ALPHA")
    assert (alpha.venue_equity, alpha.initial_margin, alpha.maintenance_margin) == (200, 90, 45)  # BTC at 50,000
    assert len([m for m in result.margins if m.sub_account == "C-ALPHA"]) == 2


def test_eighteen_place_crypto_at_a_venue_with_margins_is_worked_on_columns():
    # A 42-digit product goes to 256 bits; its sums are narrowed back to what they can hold, so the
    # venue's equity and margins are still added up exactly on columns (found by review: refused before).
    prices = (PricePoint("BTC", D, Decimal("65000.12345678901234567")),)
    result = run(
        line("Venue", "alpha-sub", "BTC", "1.123456789012345678", equity="1.123456789012345678",
             initial_margin="0.5", maintenance_margin="0.25"),
        line("Venue", "alpha-sub", "BTC", "99999999999999999999.999999999999999999", row=2,
             initial_margin="0.000000000000000001"),
        prices=prices,
    )
    alpha = next(s for s in result.sub_accounts if s.code == "C-ALPHA")
    with localcontext() as ctx:
        ctx.prec = 120
        price = Decimal("65000.12345678901234567")
        held = (Decimal("1.123456789012345678") + Decimal("99999999999999999999.999999999999999999")) * price
    assert alpha.equity == held and alpha.venue_equity == held


def test_whatever_the_columns_refuse_after_the_tally_is_reconciled_line_by_line(monkeypatch):
    from segdesk.domain import columnar

    inputs = _inputs(line("Bank", "OMNI", "USD", "-5", ref="ALPHA"), line("Venue", "alpha-sub", "USD", "10",
                                                                            equity="10", maintenance_margin="20"))

    def refused(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise NotColumnar("refused for the test")

    monkeypatch.setattr(columnar.Tallied, "holdings", refused)
    by_line, by_column = reconcile(inputs), reconcile(as_columns(inputs))
    assert by_column.findings == by_line.findings and by_column.sub_accounts == by_line.sub_accounts
    assert "margin_shortfall" in {f.kind for f in by_column.findings}
