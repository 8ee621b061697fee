"""Turning one spreadsheet or CSV cell into an exact ``Decimal``.

This is the only place in SegDesk that reads numbers out of statements (SPEC.md, "Valuation"):
every amount becomes a ``Decimal``; a binary float is taken at Excel's own 15 significant digits;
up to 18 decimal places are kept exactly and a number with more is refused, never rounded.

Nothing here uses decimal arithmetic. ``Decimal`` operations such as unary minus, ``quantize``,
``normalize`` or ``scaleb`` round to the context precision (28 digits by default), and an amount
like ``123456789012345678.123456789012345678`` has 36. Values are therefore only ever built from
strings or digit tuples, which is exact.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from segdesk.domain.money import plain

__all__ = [
    "MAX_INTEGER_DIGITS",
    "MAX_PLACES",
    "CellValueError",
    "PLAIN_AMOUNT",
    "NumberFormat",
    "amount_reader",
    "amount_text",
    "decimal_from_float",
    "format_amount",
    "parse_amount",
]

MAX_PLACES = 18
"""Most decimal places an amount may have: crypto assets go down to 1e-18 (wei)."""

MAX_INTEGER_DIGITS = 20
"""Most digits before the decimal point: what PostgreSQL's NUMERIC(38,18) holds, so a file is
accepted or refused the same on every database. It also keeps text such as ``1E999999999`` from
being expanded into a billion digits."""

# Spaces that spreadsheets and locales put between digit groups. They are accepted as grouping in
# every format, because a French or Swiss export uses them whatever the profile says.
_GROUPING_SPACES = " \u00a0\u202f\u2009"
_CURRENCY_SIGNS = "$€£¥₿₹"
_ASCII_DIGITS = frozenset("0123456789")


class CellValueError(ValueError):
    """A cell that should hold an amount does not. ``str(e)`` is a short reason for a person."""


@dataclass(frozen=True)
class NumberFormat:
    """How a statement writes numbers: the profile's ``[format] decimal`` and ``thousands``."""

    decimal: str = "."
    thousands: str = ","

    def __post_init__(self) -> None:
        if self.decimal not in (".", ","):
            raise ValueError(f"decimal separator must be '.' or ',', not {self.decimal!r}")
        if self.thousands not in (",", ".", " ", "'", ""):
            raise ValueError(
                f"thousands separator must be ',', '.', ' ', \"'\" or empty, not {self.thousands!r}"
            )
        if self.thousands == self.decimal:
            raise ValueError(f"decimal and thousands separators are both {self.decimal!r}")


# The shape of a number written as text, before the digits themselves are checked. Sign forms and
# the currency may sit on either side and inside or outside parentheses; how many of them were
# used is counted afterwards, so "(-5)" and "--5" match here and are refused with a reason.
_SP = "[\u0020\u00a0\u202f\u2009]*"
_SIGN = "[-+\u2212]"
_TRAILING_MINUS = "[-\u2212]"
_CURRENCY = f"(?:[{_CURRENCY_SIGNS}]|[A-Z]{{3,5}})"
# Digits with any separators between them; the separators are validated by _number_literal.
_BODY = "[.,]?[0-9](?:[0-9.,'\u0020\u00a0\u202f\u2009]*[0-9])?[.,]?(?:[eE][-+]?[0-9]+)?"
_TEXT_NUMBER = re.compile(
    f"(?P<cur_out_before>{_CURRENCY})?{_SP}"
    f"(?P<open>\\()?{_SP}"
    f"(?P<sign_a>{_SIGN})?{_SP}"
    f"(?P<cur_before>{_CURRENCY})?{_SP}"
    f"(?P<sign_b>{_SIGN})?{_SP}"
    f"(?P<body>{_BODY})"
    f"{_SP}(?P<trail_a>{_TRAILING_MINUS})?"
    f"{_SP}(?P<cur_after>{_CURRENCY})?"
    f"{_SP}(?P<trail_b>{_TRAILING_MINUS})?"
    f"{_SP}(?P<close>\\))?"
    f"{_SP}(?P<cur_out_after>{_CURRENCY})?"
)
_EXPONENT = re.compile("[eE]")


def parse_amount(cell: object, fmt: NumberFormat = NumberFormat()) -> Decimal | None:
    """The exact amount in ``cell``, or ``None`` when the cell is blank.

    ``cell`` is whatever a reader returns: ``None``, ``str``, ``int``, ``float``, ``bool``,
    ``Decimal`` or a date/time value. Raises ``CellValueError`` when the cell holds something other
    than a number, or a number SegDesk cannot keep exactly.
    """
    if cell.__class__ is str:
        text = _PLAIN_TEXT[fmt.decimal](cell)
        if text is not None:
            return Decimal(text)  # canonical text makes a canonical Decimal
    return _parse_general(cell, fmt)


def amount_text(cell: object, fmt: NumberFormat = NumberFormat()) -> str | None:
    """``format_amount(parse_amount(cell, fmt))``, or ``None`` for a blank cell: the exact amount as
    the plain text the database stores, refused alike. Cheaper for the common cells: plain digits
    in text, and binary floats."""
    return amount_reader(fmt)(cell)


def amount_reader(fmt: NumberFormat = NumberFormat()) -> Callable[[object], str | None]:
    """``amount_text`` for one format, as a function an import calls once per cell.

    Fast paths, each giving exactly what the general rules give (tests/unit/test_numbers.py holds
    them to it): text that is nothing but optional ``-``, ASCII digits and at most one decimal
    separator (no grouping, no spaces, no currency, at most 20 + 18 digits); floats, whose
    15-significant-digit form without an exponent is already canonical; plain ints. Every other
    cell goes through ``parse_amount``.
    """
    plain_text = _PLAIN_TEXT[fmt.decimal]
    canonical = PLAIN_AMOUNT.fullmatch if fmt.decimal == "." else None

    def read(cell: object) -> str | None:
        kind = cell.__class__
        if kind is str:
            if canonical is not None and canonical(cell):  # type: ignore[arg-type]
                return cell  # type: ignore[return-value]
            text = plain_text(cell)  # type: ignore[arg-type]
            if text is not None:
                return text
        elif kind is float:
            # "g" drops trailing zeros and the point itself; without an exponent the value is
            # below 1e15 and above 1e-5, so within 20 integer digits and 18 places.
            text = format(cell, ".15g")
            if "e" not in text and "n" not in text:  # inf and nan hold an "n"
                return "0" if text == "-0" else text
        elif cell is None:
            return None
        elif kind is int and -_INT_LIMIT < cell < _INT_LIMIT:  # type: ignore[operator]
            return str(cell)
        value = _parse_general(cell, fmt)
        return None if value is None else format_amount(value)

    return read


_INT_LIMIT = 10**MAX_INTEGER_DIGITS

PLAIN_AMOUNT = re.compile("-?(?:[1-9][0-9]{0,19}|0(?=[.]))(?:[.][0-9]{0,17}[1-9])?|0")
"""Text that already is an amount in its canonical form (what ``format_amount`` writes) and within
SegDesk's limits: no leading zeros, no trailing zeros after the point, no "-0", at most 20 digits
before the point and 18 after. Under a format whose decimal separator is ".", such text is its
own amount (``amount_text(text) == text``): the cheapest of the fast paths, a single match."""


def _plain_text_reader(decimal: str) -> Callable[[str], str | None]:
    """For ``decimal``: a function from text to its canonical amount text, or None when the text
    is not a plain number (an optional ``-``, 1 to 20 ASCII digits, optionally the decimal
    separator and 1 to 18 digits), which the general rules then read or refuse."""
    match = re.compile(f"(-?)([0-9]{{1,20}})(?:{re.escape(decimal)}([0-9]{{1,18}}))?").fullmatch

    def plain_text(text: str) -> str | None:
        found = match(text)
        if found is None:
            return None
        sign, whole, fraction = found.groups()
        whole = whole.lstrip("0")
        if fraction is not None:
            fraction = fraction.rstrip("0")
            if fraction:
                return f"{sign}{whole or '0'}.{fraction}"
        if not whole:
            return "0"
        return sign + whole

    return plain_text


_PLAIN_TEXT = {sep: _plain_text_reader(sep) for sep in (".", ",")}


def _parse_general(cell: object, fmt: NumberFormat) -> Decimal | None:
    """``parse_amount`` by the full rules, for any cell."""
    if cell is None:
        return None
    # bool before int: True is an int to Python, but a TRUE cell is no balance.
    if isinstance(cell, bool):
        raise CellValueError("TRUE/FALSE is not a number")
    if isinstance(cell, (datetime.date, datetime.time, datetime.timedelta)):
        raise CellValueError("a date, not a number")
    if isinstance(cell, int):
        return _checked(Decimal(cell))
    if isinstance(cell, float):
        return _checked(decimal_from_float(cell))
    if isinstance(cell, Decimal):
        if not cell.is_finite():
            raise CellValueError("not a number")
        return _checked(cell)
    if isinstance(cell, str):
        return _parse_text(cell, fmt)
    raise CellValueError("not a number")


def decimal_from_float(x: float) -> Decimal:
    """``x`` at the 15 significant digits Excel shows and computes with.

    A binary float cannot hold 0.1; Excel stores 0.1 + 0.2 as 0.30000000000000004 but shows and
    treats it as 0.3, so that is the amount the administrator sees and means.
    """
    if not math.isfinite(x):
        raise CellValueError("not a number")
    return _canonical(Decimal(format(x, ".15g")))


def format_amount(d: Decimal) -> str:
    """``d`` as an exact plain decimal string: no exponent, no trailing zeros after the point."""
    if not d.is_finite():
        raise ValueError(f"not a finite amount: {d}")
    return plain(d)


def _parse_text(text: str, fmt: NumberFormat) -> Decimal | None:
    # str.strip() without arguments also removes NBSP, narrow NBSP and thin space.
    stripped = text.strip()
    if not stripped:
        return None
    match = _TEXT_NUMBER.fullmatch(stripped)
    if match is None:
        raise CellValueError("not a number")
    parts = match.groupdict()
    if (parts["open"] is None) != (parts["close"] is None):
        raise CellValueError("not a number")
    currencies = [parts[k] for k in ("cur_out_before", "cur_before", "cur_after", "cur_out_after")]
    if sum(c is not None for c in currencies) > 1:
        raise CellValueError("not a number")
    signs = [parts[k] for k in ("open", "sign_a", "sign_b", "trail_a", "trail_b")]
    used = [s for s in signs if s is not None]
    if len(used) > 1:
        raise CellValueError("more than one sign")
    negative = bool(used) and used[0] != "+"
    literal = _number_literal(parts["body"], fmt)
    try:
        value = Decimal(literal)
    except InvalidOperation:  # an exponent too large for the decimal module
        raise CellValueError("not a number") from None
    if negative:
        value = value.copy_negate()
    return _checked(value)


def _number_literal(body: str, fmt: NumberFormat) -> str:
    """The digits of ``body`` as a plain Python decimal literal, separators validated strictly.

    Grouping is checked rather than stripped: with the default format "1,5" is refused instead of
    silently becoming 15, because it is most likely a decimal comma in a file whose profile says
    otherwise.
    """
    mantissa, *exponent = _EXPONENT.split(body)
    grouping = set(_GROUPING_SPACES) | ({fmt.thousands} if fmt.thousands else set())
    integer, point, fraction = mantissa.partition(fmt.decimal)
    for char in integer + fraction:
        if char not in _ASCII_DIGITS and char not in grouping:
            raise CellValueError("not a number")  # e.g. a second decimal point
    if not set(fraction) <= _ASCII_DIGITS:
        raise CellValueError("misplaced thousands separator" + _decimal_comma_hint(mantissa, fmt))
    try:
        ungrouped = _ungrouped(integer)
    except CellValueError as exc:
        raise CellValueError(str(exc) + _decimal_comma_hint(mantissa, fmt)) from None
    literal = ungrouped + (point and "." + fraction)
    return literal + ("E" + exponent[0] if exponent else "")


def _decimal_comma_hint(body: str, fmt: NumberFormat) -> str:
    """When a number reads as a decimal comma ("250.000,00", "1,5") under a point-decimal
    profile, say how to tell SegDesk so: the profile is most likely what is wrong."""
    if fmt.decimal != "." or "," not in body:
        return ""
    tail = body.rsplit(",", 1)[1]
    if tail.isdigit() and (len(tail) != 3 or "." in body.rsplit(",", 1)[0]):
        return '; if the file writes decimals with a comma, set decimal = "," in the profile'
    return ""


def _ungrouped(integer: str) -> str:
    """The integer digits of ``integer`` once its digit groups are confirmed to be thousands."""
    # All kinds of space count as one separator: exports mix NBSP and plain spaces.
    normal = "".join(" " if c in _GROUPING_SPACES else c for c in integer)
    separators = set(normal) - _ASCII_DIGITS
    if not separators:
        return normal
    if len(separators) > 1:
        raise CellValueError("misplaced thousands separator")
    groups = normal.split(separators.pop())
    first, rest = groups[0], groups[1:]
    if not 1 <= len(first) <= 3 or any(len(group) != 3 for group in rest):
        raise CellValueError("misplaced thousands separator")
    return "".join(groups)


def _checked(value: Decimal) -> Decimal:
    """``value`` in canonical form, refused when SegDesk cannot keep it exactly."""
    canonical = _canonical(value, max_integer_digits=MAX_INTEGER_DIGITS)
    exponent = canonical.as_tuple().exponent
    assert isinstance(exponent, int)
    if -exponent > MAX_PLACES:
        raise CellValueError(f"more than {MAX_PLACES} decimal places")
    return canonical


def _canonical(value: Decimal, max_integer_digits: int | None = None) -> Decimal:
    """``value`` with trailing zeros after the point removed and no positive exponent.

    So "1.50" is Decimal("1.5"), "1E+2" is Decimal("100") and "-0" is Decimal("0"): equal amounts
    look the same in the database, the audit pack and error messages.
    """
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int), "only finite values reach here"
    if not any(digits):
        return Decimal(0)
    kept = len(digits)
    while exponent < 0 and digits[kept - 1] == 0:
        kept -= 1
        exponent += 1
    if max_integer_digits is not None and value.adjusted() + 1 > max_integer_digits:
        raise CellValueError(f"more than {max_integer_digits} digits before the decimal point")
    if exponent > 0:
        return Decimal((sign, digits[:kept] + (0,) * exponent, 0))
    return Decimal((sign, digits[:kept], exponent))
