"""Turning one spreadsheet or CSV cell into a ``datetime.date``.

Statements carry as-of dates as real date cells, as ISO text, as text in the custodian's own
layout (the profile's ``[format] date`` hint, e.g. ``%d.%m.%Y``), or as bare Excel serial numbers
when the date format was lost on the way. Anything else is refused with the text and the format
that was expected, so the administrator can fix the profile rather than get a wrong date.
"""

from __future__ import annotations

import datetime
import math
import re
from decimal import Decimal

__all__ = ["CellDateError", "parse_date", "parse_iso_date"]


class CellDateError(ValueError):
    """A cell that should hold a date does not. ``str(e)`` names the text and expected format."""


# [0-9] rather than \d: \d also matches Arabic-Indic and other digits that date parsing accepts.
_ISO_DATE = re.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}")
# The date part of an ISO date-time; the time part (and any offset) is checked by fromisoformat.
_ISO_DATETIME = re.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}.*")
_COMPACT_DATE = re.compile("[0-9]{8}")

# Excel's 1900 date system. Serial 1 is 1900-01-01, but Excel (copying Lotus 1-2-3) counts a
# 29 February 1900 that never existed as serial 60, so from serial 61 on the epoch is one day
# earlier. Serial 2958465 is 9999-12-31, the last day Excel knows.
_EXCEL_FIRST_SERIAL = 1
_EXCEL_FAKE_LEAP_DAY = 60
_EXCEL_LAST_SERIAL = 2958465
_EXCEL_EPOCH_BEFORE_LEAP_DAY = datetime.date(1899, 12, 31)
_EXCEL_EPOCH_AFTER_LEAP_DAY = datetime.date(1899, 12, 30)

_HINT_WORDS = {
    "%Y": "YYYY",
    "%y": "YY",
    "%m": "MM",
    "%d": "DD",
    "%b": "Mon",
    "%B": "Month",
    "%H": "hh",
    "%M": "mm",
    "%S": "ss",
}


def parse_date(cell: object, hint: str | None = None) -> datetime.date | None:
    """The date in ``cell``, or ``None`` when the cell is blank.

    ``hint`` is a ``strptime`` format from the import profile; text is tried against it first, then
    as ISO. Compact ``YYYYMMDD`` text is accepted only without a hint: with one, eight digits are
    more likely a mistake than a date.
    """
    if cell is None:
        return None
    # bool before int (True is an int to Python); datetime before date (it is a date subclass).
    if isinstance(cell, bool):
        raise CellDateError("TRUE/FALSE is not a date")
    if isinstance(cell, datetime.datetime):
        return cell.date()
    if isinstance(cell, datetime.date):
        return cell
    if isinstance(cell, (datetime.time, datetime.timedelta)):
        raise CellDateError(f"a time ({cell}), not a date")
    if isinstance(cell, (int, float, Decimal)):
        return _from_excel_serial(cell)
    if isinstance(cell, str):
        return _from_text(cell, hint)
    raise CellDateError(f"{cell!r} is not a date")


def parse_iso_date(text: str) -> datetime.date:
    """The date written as exactly ``YYYY-MM-DD``, as the CLI and import profiles take it."""
    if _ISO_DATE.fullmatch(text):
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            # Written right, but no such day (2026-11-31): say that, not "wrong format".
            raise CellDateError(f"{text!r} is not a real date (no such day in the calendar)") from None
    raise CellDateError(f"{text!r} is not a date: expected YYYY-MM-DD")


def _from_text(text: str, hint: str | None) -> datetime.date | None:
    stripped = text.strip()
    if not stripped:
        return None
    if hint:
        try:
            return datetime.datetime.strptime(stripped, hint).date()
        except ValueError:
            pass  # the file may still use ISO; the error below names the hint
    if _ISO_DATE.fullmatch(stripped) or _ISO_DATETIME.fullmatch(stripped):
        try:
            return datetime.datetime.fromisoformat(stripped).date()
        except ValueError:
            pass
    elif hint is None and _COMPACT_DATE.fullmatch(stripped):
        try:
            return datetime.datetime.strptime(stripped, "%Y%m%d").date()
        except ValueError:
            pass
    expected = f"{_readable(hint)} or YYYY-MM-DD" if hint else "YYYY-MM-DD"
    raise CellDateError(f"{stripped!r} is not a date: expected {expected}")


def _from_excel_serial(serial: int | float | Decimal) -> datetime.date:
    expected = (
        f"expected a whole Excel date serial from {_EXCEL_FIRST_SERIAL} to {_EXCEL_LAST_SERIAL}"
    )
    if isinstance(serial, float) and not math.isfinite(serial):
        raise CellDateError(f"{serial} is not a date: {expected}")
    if isinstance(serial, Decimal) and not serial.is_finite():
        raise CellDateError(f"{serial} is not a date: {expected}")
    # A fractional serial is a date-time; its cell lost the date format, and guessing whether the
    # time part matters for the as-of date is not ours to do.
    if serial != int(serial):
        raise CellDateError(f"{serial} is not a date: {expected}")
    day = int(serial)
    if not _EXCEL_FIRST_SERIAL <= day <= _EXCEL_LAST_SERIAL:
        raise CellDateError(f"{serial} is not a date: {expected}")
    if day == _EXCEL_FAKE_LEAP_DAY:
        raise CellDateError(f"{serial} is Excel's 29 February 1900, a day that never existed")
    if day < _EXCEL_FAKE_LEAP_DAY:
        return _EXCEL_EPOCH_BEFORE_LEAP_DAY + datetime.timedelta(days=day)
    return _EXCEL_EPOCH_AFTER_LEAP_DAY + datetime.timedelta(days=day)


def _readable(hint: str) -> str:
    """A strptime format the way a person writes it: "%d.%m.%Y" -> "DD.MM.YYYY"."""
    return re.sub("%[a-zA-Z]", lambda m: _HINT_WORDS.get(m.group(), m.group()), hint)
