"""Amounts read from statement cells: exact Decimals, refused rather than guessed."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from segdesk.ingest.numbers import (
    MAX_PLACES,
    CellValueError,
    NumberFormat,
    decimal_from_float,
    format_amount,
    parse_amount,
)

EUROPEAN = NumberFormat(decimal=",", thousands=".")
SWISS = NumberFormat(decimal=".", thousands="'")
NBSP = "\u00a0"
NARROW_NBSP = "\u202f"
THIN_SPACE = "\u2009"
MINUS_SIGN = "\u2212"


# --- text cells ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", "0"),
        ("42", "42"),
        ("1234.50", "1234.5"),
        ("1,234,567.89", "1234567.89"),
        ("1,234", "1234"),
        ("-1,234.50", "-1234.5"),
        ("+1,234.50", "1234.5"),
        (f"{MINUS_SIGN}1,234.50", "-1234.5"),
        ("(1,234.50)", "-1234.5"),
        ("1234.50-", "-1234.5"),
        ("$1,234.50", "1234.5"),
        ("-$1,234.50", "-1234.5"),
        ("$-1,234.50", "-1234.5"),
        ("($1,234.50)", "-1234.5"),
        ("$(1,234.50)", "-1234.5"),
        ("€ 1,234.50", "1234.5"),
        ("1,234.50 €", "1234.5"),
        ("£12", "12"),
        ("¥1,000", "1000"),
        ("₿0.5", "0.5"),
        ("₹1,000", "1000"),
        ("USD 1,234.50", "1234.5"),
        ("1,234.50 USD", "1234.5"),
        ("-1,234.50 USD", "-1234.5"),
        ("1,234.50- USD", "-1234.5"),
        ("CHF 99.95", "99.95"),
        ("USDT 250", "250"),
        ("1.5 BTC", "1.5"),
        ("1 234 567.89", "1234567.89"),
        (f"1{NBSP}234{NBSP}567.89", "1234567.89"),
        (f"1{NARROW_NBSP}234.5", "1234.5"),
        (f"1{THIN_SPACE}234.5", "1234.5"),
        (f"  {NBSP}1,234.50{NBSP}\t", "1234.5"),
        ("- 5", "-5"),
        (".5", "0.5"),
        ("-.5", "-0.5"),
        ("007", "7"),
        ("1.5E-7", "0.00000015"),
        ("2e3", "2000"),
        ("-2.5e+2", "-250"),
        ("1E-18", "0.000000000000000001"),
        ("-0", "0"),
        ("(0.00)", "0"),
        ("0.1000000000000000000000", "0.1"),
    ],
)
def test_text_amounts_in_the_default_format(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.234.567,89", "1234567.89"),
        ("1,5", "1.5"),
        ("-1.234,50", "-1234.5"),
        ("(1.234,50)", "-1234.5"),
        ("1.234,50-", "-1234.5"),
        ("1.234,50 €", "1234.5"),
        ("1 234 567,89", "1234567.89"),
        (f"1{NARROW_NBSP}234,5", "1234.5"),
        ("1,5E-3", "0.0015"),
        ("1.234", "1234"),
    ],
)
def test_text_amounts_in_the_european_format(text: str, expected: str) -> None:
    assert parse_amount(text, EUROPEAN) == Decimal(expected)


def test_apostrophe_grouping_when_the_profile_says_so() -> None:
    assert parse_amount("1'234'567.89", SWISS) == Decimal("1234567.89")


def test_spaces_group_digits_even_when_the_format_has_no_thousands_separator() -> None:
    assert parse_amount("1 234.5", NumberFormat(thousands="")) == Decimal("1234.5")


@pytest.mark.parametrize("blank", [None, "", "   ", NBSP, f" {NARROW_NBSP}\t{THIN_SPACE} "])
def test_blank_cells_are_none(blank: str | None) -> None:
    assert parse_amount(blank) is None


# A number that reads as a decimal comma under a point-decimal profile says what to change.
COMMA_HINT = '; if the file writes decimals with a comma, set decimal = "," in the profile'


@pytest.mark.parametrize(
    ("text", "fmt", "reason"),
    [
        ("n/a", NumberFormat(), "not a number"),
        ("12abc", NumberFormat(), "not a number"),
        ("1.2.3", NumberFormat(), "not a number"),
        ("#DIV/0!", NumberFormat(), "not a number"),
        ("%", NumberFormat(), "not a number"),
        ("5%", NumberFormat(), "not a number"),
        ("-", NumberFormat(), "not a number"),
        ("(5", NumberFormat(), "not a number"),
        ("$5 USD", NumberFormat(), "not a number"),
        ("usd 5", NumberFormat(), "not a number"),
        ("1'234", NumberFormat(), "not a number"),
        # Decimal() itself would take these two: Arabic-Indic digits, Python's "_" separator.
        ("١٢٣", NumberFormat(), "not a number"),
        ("1_000", NumberFormat(), "not a number"),
        ("Infinity", NumberFormat(), "not a number"),
        ("NaN", NumberFormat(), "not a number"),
        ("(-5)", NumberFormat(), "more than one sign"),
        ("--5", NumberFormat(), "more than one sign"),
        ("-5-", NumberFormat(), "more than one sign"),
        ("+-5", NumberFormat(), "more than one sign"),
        ("1,5", NumberFormat(), "misplaced thousands separator" + COMMA_HINT),
        ("1,23.4", NumberFormat(), "misplaced thousands separator"),
        ("1234,567", NumberFormat(), "misplaced thousands separator"),
        ("1,2345", NumberFormat(), "misplaced thousands separator" + COMMA_HINT),
        (",5", NumberFormat(), "misplaced thousands separator" + COMMA_HINT),
        ("1.234,56", NumberFormat(), "misplaced thousands separator" + COMMA_HINT),
        ("1,234 567", NumberFormat(), "misplaced thousands separator"),
        ("₹1,00,000", NumberFormat(), "misplaced thousands separator"),  # lakh grouping
        ("1.5", EUROPEAN, "misplaced thousands separator"),
        ("1,234.56", EUROPEAN, "misplaced thousands separator"),
        ("1,2,3", EUROPEAN, "not a number"),
        ("0.0000000000000000001", NumberFormat(), "more than 18 decimal places"),
        ("1.0000000000000000001", NumberFormat(), "more than 18 decimal places"),
        ("1E-19", NumberFormat(), "more than 18 decimal places"),
        ("1E+20", NumberFormat(), "more than 20 digits before the decimal point"),
        ("1E999999999", NumberFormat(), "more than 20 digits before the decimal point"),
    ],
)
def test_text_that_is_not_an_amount_is_refused_with_a_reason(
    text: str, fmt: NumberFormat, reason: str
) -> None:
    with pytest.raises(CellValueError) as raised:
        parse_amount(text, fmt)
    assert str(raised.value) == reason


def test_every_digit_of_text_is_kept() -> None:
    text = "123456789012345678.123456789012345678"
    result = parse_amount(text)
    assert result == Decimal(text)
    assert format_amount(result) == text  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.000000000000000001 ETH", "0.000000000000000001"),
        ("1.123456789012345678", "1.123456789012345678"),
        ("-98,765.432109876543210987", "-98765.432109876543210987"),
        ("0.100000000000000000", "0.1"),
    ],
)
def test_crypto_quantities_keep_eighteen_places(text: str, expected: str) -> None:
    assert format_amount(parse_amount(text)) == expected  # type: ignore[arg-type]


def test_crypto_quantity_with_nineteen_places_is_refused_not_rounded() -> None:
    with pytest.raises(CellValueError, match="more than 18 decimal places"):
        parse_amount("1.1234567890123456789")


@pytest.mark.parametrize(
    ("text", "canonical"),
    [("1.50", "1.5"), ("2E+2", "200"), ("-0.000", "0"), ("1,000.000", "1000")],
)
def test_equal_amounts_come_back_in_one_canonical_form(text: str, canonical: str) -> None:
    assert str(parse_amount(text)) == canonical


# --- typed cells --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (0, "0"),
        (-17, "-17"),
        (12345678901234567890, "12345678901234567890"),
        (Decimal("1.50"), "1.5"),
        (Decimal("-0"), "0"),
        (Decimal("123456789012345678.123456789012345678"), "123456789012345678.123456789012345678"),
    ],
)
def test_int_and_decimal_cells_are_exact(cell: object, expected: str) -> None:
    assert parse_amount(cell) == Decimal(expected)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (0.1 + 0.2, "0.3"),
        (1234.56, "1234.56"),
        (1e19, "10000000000000000000"),
        (1e-05, "0.00001"),
        (0.1, "0.1"),
        (2.675, "2.675"),
        (-1234.5, "-1234.5"),
        (1 / 3, "0.333333333333333"),
        (1e-18, "0.000000000000000001"),
        (-0.0, "0"),
    ],
)
def test_float_cells_are_taken_at_excels_fifteen_digits(cell: float, expected: str) -> None:
    assert parse_amount(cell) == Decimal(expected)


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        (True, "TRUE/FALSE is not a number"),
        (False, "TRUE/FALSE is not a number"),
        (datetime.date(2026, 11, 20), "a date, not a number"),
        (datetime.datetime(2026, 11, 20, 9, 30), "a date, not a number"),
        (datetime.time(9, 30), "a date, not a number"),
        (datetime.timedelta(days=1), "a date, not a number"),
        (float("nan"), "not a number"),
        (float("inf"), "not a number"),
        (float("-inf"), "not a number"),
        (Decimal("NaN"), "not a number"),
        (Decimal("Infinity"), "not a number"),
        (1e-19, "more than 18 decimal places"),
        (1e20, "more than 20 digits before the decimal point"),
        (b"12", "not a number"),
    ],
)
def test_typed_cells_that_are_not_amounts_are_refused(cell: object, reason: str) -> None:
    with pytest.raises(CellValueError) as raised:
        parse_amount(cell)
    assert str(raised.value) == reason


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (0.30000000000000004, "0.3"),
        (1e-05, "0.00001"),
        (1e20, "100000000000000000000"),
        (123456789.123456789, "123456789.123457"),
        (-2.5, "-2.5"),
    ],
)
def test_decimal_from_float(x: float, expected: str) -> None:
    assert str(decimal_from_float(x)) == expected


# --- format_amount ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("1.50", "1.5"),
        ("100", "100"),
        ("-0", "0"),
        ("-0.000", "0"),
        ("1E+2", "100"),
        ("1E-18", "0.000000000000000001"),
        ("-1.5E-7", "-0.00000015"),
        ("0.5", "0.5"),
        ("-1234567.890", "-1234567.89"),
        ("123456789012345678.123456789012345678", "123456789012345678.123456789012345678"),
    ],
)
def test_format_amount_is_plain_and_exact(amount: str, expected: str) -> None:
    assert format_amount(Decimal(amount)) == expected


def test_format_amount_refuses_nan() -> None:
    with pytest.raises(ValueError, match="not a finite amount"):
        format_amount(Decimal("NaN"))


@pytest.mark.parametrize(
    ("decimal", "thousands"), [(";", ","), (".", "_"), (",", ","), (".", ".")]
)
def test_number_format_refuses_unusable_separators(decimal: str, thousands: str) -> None:
    with pytest.raises(ValueError):
        NumberFormat(decimal=decimal, thousands=thousands)


# --- properties: every rendering of an amount reads back as that amount -------------------------

def amounts() -> st.SearchStrategy[Decimal]:
    """Any Decimal with up to 18 places and |d| < 10**20 (built from text, so exact)."""
    return st.integers(0, MAX_PLACES).flatmap(
        lambda places: st.integers(-(10 ** (20 + places)) + 1, 10 ** (20 + places) - 1).map(
            lambda n: Decimal(f"{n}E-{places}")
        )
    )


def _parts(d: Decimal) -> tuple[bool, str, str]:
    """(negative, integer digits, fraction digits), taken from the digit tuple, not from code
    under test. Exponents are never positive here (see amounts())."""
    sign, digits, exponent = d.as_tuple()
    assert isinstance(exponent, int) and exponent <= 0
    text = "".join(map(str, digits)).rjust(-exponent + 1, "0")
    if exponent == 0:
        return bool(sign), text, ""
    return bool(sign), text[:exponent], text[exponent:]


def _grouped(integer: str, separator: str) -> str:
    head = len(integer) % 3 or 3
    groups = [integer[:head]] + [integer[i : i + 3] for i in range(head, len(integer), 3)]
    return separator.join(groups)


def _render(
    d: Decimal, separator: str = "", point: str = ".", negative: str = "-{}", currency: str = "{}"
) -> str:
    is_negative, integer, fraction = _parts(d)
    number = _grouped(integer, separator) if separator else integer
    if fraction:
        number += point + fraction
    shown = currency.format(number)
    return negative.format(shown) if is_negative else shown


Render = Callable[[Decimal], str]
RENDERINGS: list[tuple[str, Render, NumberFormat]] = [
    ("plain", lambda d: _render(d), NumberFormat()),
    ("thousands", lambda d: _render(d, ","), NumberFormat()),
    ("parentheses", lambda d: _render(d, ",", negative="({})"), NumberFormat()),
    ("trailing minus", lambda d: _render(d, ",", negative="{}-"), NumberFormat()),
    ("unicode minus", lambda d: _render(d, ",", negative=MINUS_SIGN + "{}"), NumberFormat()),
    ("dollar prefix", lambda d: _render(d, ",", currency="${}"), NumberFormat()),
    ("dollar after minus", lambda d: _render(d, ",", negative="$-{}"), NumberFormat()),
    ("dollar in parentheses", lambda d: _render(d, ",", currency="${}", negative="({})"),
     NumberFormat()),
    ("euro suffix", lambda d: _render(d, ",", currency="{} €"), NumberFormat()),
    ("code suffix", lambda d: _render(d, ",", currency="{} USD"), NumberFormat()),
    ("code prefix", lambda d: _render(d, currency="USDT {}"), NumberFormat()),
    ("nbsp grouping", lambda d: _render(d, NBSP), NumberFormat()),
    ("narrow nbsp grouping", lambda d: _render(d, NARROW_NBSP, point=","), EUROPEAN),
    ("padded", lambda d: f" {NBSP}{_render(d, ',')}\t", NumberFormat()),
    ("european", lambda d: _render(d, ".", point=","), EUROPEAN),
    ("european trailing minus", lambda d: _render(d, ".", point=",", negative="{}-"), EUROPEAN),
    ("swiss", lambda d: _render(d, "'"), SWISS),
    ("scientific", lambda d: "{:d}E{:d}".format(*_scientific(d)), NumberFormat()),
]


def _scientific(d: Decimal) -> tuple[int, int]:
    sign, digits, exponent = d.as_tuple()
    assert isinstance(exponent, int)
    coefficient = int("".join(map(str, digits)))
    return (-coefficient if sign else coefficient), exponent


@pytest.mark.parametrize(
    ("render", "fmt"), [(r, f) for _, r, f in RENDERINGS], ids=[name for name, _, _ in RENDERINGS]
)
@given(d=amounts())
def test_every_rendering_reads_back_exactly(render: Render, fmt: NumberFormat, d: Decimal) -> None:
    assert parse_amount(render(d), fmt) == d


def test_renderings_look_like_statements() -> None:
    # The property above is only as good as its renderings; pin a few of them down.
    d = Decimal("-1234567.50")
    shown = {name: render(d) for name, render, _ in RENDERINGS}
    assert shown["thousands"] == "-1,234,567.50"
    assert shown["parentheses"] == "(1,234,567.50)"
    assert shown["trailing minus"] == "1,234,567.50-"
    assert shown["dollar in parentheses"] == "($1,234,567.50)"
    assert shown["code suffix"] == "-1,234,567.50 USD"
    assert shown["european"] == "-1.234.567,50"
    assert shown["nbsp grouping"] == f"-1{NBSP}234{NBSP}567.50"
    assert shown["scientific"] == "-123456750E-2"


@given(d=amounts())
def test_format_amount_reads_back_exactly(d: Decimal) -> None:
    text = format_amount(d)
    assert "e" not in text.lower()
    assert parse_amount(text) == d


@given(d=amounts())
def test_format_amount_has_no_needless_zeros(d: Decimal) -> None:
    text = format_amount(d)
    assert not ("." in text and text.endswith("0"))
    assert not text.endswith(".")
    assert text != "-0"


@given(
    coefficient=st.integers(-(10**15) + 1, 10**15 - 1),
    exponent=st.integers(-18, 5),
)
def test_floats_give_back_the_fifteen_digits_they_were_typed_with(
    coefficient: int, exponent: int
) -> None:
    typed = Decimal(f"{coefficient}E{exponent}")
    assert decimal_from_float(float(typed)) == typed


@given(
    coefficient=st.integers(1, 10**25).filter(lambda n: n % 10 != 0),
    places=st.integers(MAX_PLACES + 1, MAX_PLACES + 8),
)
def test_more_than_eighteen_places_is_always_refused(coefficient: int, places: int) -> None:
    text = _render(Decimal(f"{coefficient}E-{places}"))
    with pytest.raises(CellValueError, match="more than 18 decimal places"):
        parse_amount(text)


# --- the fast paths agree with the general rules ------------------------------------------------
# amount_reader (what an import uses) and parse_amount take plain digits, floats and ints on a
# fast path before the general rules; whatever the cell, they must give exactly what the general
# rules give, and refuse exactly what they refuse, with the same reason.

from segdesk.ingest.numbers import PLAIN_AMOUNT, _parse_general, amount_reader, amount_text  # noqa: E402
from segdesk.ingest.readers import float_text  # noqa: E402

FORMATS = [NumberFormat(), EUROPEAN, SWISS, NumberFormat(decimal=",", thousands=" "), NumberFormat(thousands="")]
# Everything a number cell is made of, and some of what it must not hold.
NUMBER_ALPHABET = "0123456789" * 3 + "-+.,'() $€eE" + NBSP + MINUS_SIGN + THIN_SPACE + "\u0663\u00b2" + "xU"


def _general(cell: object, fmt: NumberFormat) -> tuple[str, str | None]:
    try:
        value = _parse_general(cell, fmt)
    except CellValueError as exc:
        return ("refused", str(exc))
    return ("ok", None if value is None else format_amount(value))


def _fast(cell: object, fmt: NumberFormat) -> tuple[str, str | None]:
    try:
        return ("ok", amount_reader(fmt)(cell))
    except CellValueError as exc:
        return ("refused", str(exc))


def _plain_numbers() -> st.SearchStrategy[str]:
    """Digit strings shaped like the fast path's own: signs, leading and trailing zeros, both
    separators, up to 22 digits before and 20 after the separator (past both limits)."""
    return st.builds(
        lambda sign, whole, sep, fraction: sign + whole + (sep + fraction if sep else ""),
        st.sampled_from(["", "-", "+", MINUS_SIGN]),
        st.text("0123456789", min_size=0, max_size=22),
        st.sampled_from(["", ".", ","]),
        st.text("0123456789", min_size=0, max_size=20),
    )


@pytest.mark.parametrize("fmt", FORMATS, ids=["default", "european", "swiss", "space", "no thousands"])
@given(text=st.one_of(_plain_numbers(), st.text(NUMBER_ALPHABET, max_size=30)))
def test_fast_text_path_agrees_with_the_general_rules(fmt: NumberFormat, text: str) -> None:
    expected = _general(text, fmt)
    assert _fast(text, fmt) == expected
    try:
        parsed = parse_amount(text, fmt)
    except CellValueError as exc:
        assert expected == ("refused", str(exc))
    else:
        assert expected == ("ok", None if parsed is None else format_amount(parsed))
        if parsed is not None:
            assert parsed.as_tuple() == _parse_general(text, fmt).as_tuple()  # the same canonical Decimal


@pytest.mark.parametrize("fmt", FORMATS[:2], ids=["default", "european"])
@given(d=amounts(), places=st.integers(0, 20), lead=st.integers(0, 3), render=st.sampled_from(
    ["plain", "parentheses", "trailing minus", "thousands"]))
def test_fast_path_agrees_on_amounts_with_padding_zeros(fmt: NumberFormat, d: Decimal, places: int, lead: int,
                                                        render: str) -> None:
    # 18 decimals and more (trailing zeros), leading zeros, signs and separators around them.
    negative, integer, fraction = _parts(d)
    fraction = (fraction + "0" * places)[:max(len(fraction), places)]
    number = "0" * lead + (_grouped(integer, fmt.thousands) if render == "thousands" else integer)
    if fraction:
        number += fmt.decimal + fraction
    if negative:
        number = {"parentheses": f"({number})", "trailing minus": f"{number}-"}.get(render, "-" + number)
    assert _fast(number, fmt) == _general(number, fmt)
    if not (lead and render == "thousands"):  # "0001,000" groups wrongly and is refused, alike
        assert _fast(number, fmt) == ("ok", format_amount(d))


@given(x=st.one_of(st.floats(), st.floats(-1e16, 1e16), st.floats(-1e-3, 1e-3)))
def test_fast_float_path_agrees_with_the_general_rules(x: float) -> None:
    expected = _general(x, NumberFormat())
    assert _fast(x, NumberFormat()) == expected
    # The spreadsheet reader works the same text out in its own process.
    shown = float_text(x)
    if shown is not None:
        assert expected == ("ok", shown)


@given(n=st.one_of(st.integers(), st.integers(-(10**21), 10**21), st.booleans()))
def test_fast_int_path_agrees_with_the_general_rules(n: int) -> None:
    assert _fast(n, NumberFormat()) == _general(n, NumberFormat())


@given(text=st.one_of(_plain_numbers(), st.text(NUMBER_ALPHABET, max_size=30)))
def test_text_matching_plain_amount_is_its_own_amount(text: str) -> None:
    if PLAIN_AMOUNT.fullmatch(text):
        assert _general(text, NumberFormat()) == ("ok", text)


@given(d=amounts())
def test_every_stored_amount_is_a_plain_amount(d: Decimal) -> None:
    assert PLAIN_AMOUNT.fullmatch(format_amount(d))


@pytest.mark.parametrize("cell", [
    "1,5", "1,23.4", "12abc", "1.2.3", "--5", "(-5)", "5-)", "1e999999999", "0.1234567890123456789",
    "123456789012345678901", "\u0663", "#N/A", True, float("nan"), float("inf"), 1e300, 10**20,
    datetime.date(2026, 11, 20),
])
def test_fast_paths_refuse_what_the_general_rules_refuse(cell: object) -> None:
    expected = _general(cell, NumberFormat())
    assert expected[0] == "refused"
    assert _fast(cell, NumberFormat()) == expected
    with pytest.raises(CellValueError, match=re.escape(str(expected[1]))):
        amount_text(cell)
