"""As-of dates read from statement cells and from the command line."""

from __future__ import annotations

import datetime
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from segdesk.ingest.dates import CellDateError, parse_date, parse_iso_date

NBSP = "\u00a0"


@pytest.mark.parametrize("blank", [None, "", "   ", f"{NBSP}\t"])
def test_blank_cells_are_none(blank: str | None) -> None:
    assert parse_date(blank) is None


def test_date_cell_is_itself() -> None:
    assert parse_date(date(2026, 11, 20)) == date(2026, 11, 20)


def test_datetime_cell_gives_its_date() -> None:
    result = parse_date(datetime.datetime(2026, 11, 20, 23, 59, 59))
    assert result == date(2026, 11, 20)
    assert type(result) is date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20", date(2026, 11, 20)),
        (" 2026-11-20 ", date(2026, 11, 20)),
        ("2026-11-20T00:00:00", date(2026, 11, 20)),
        ("2026-11-20 00:00:00", date(2026, 11, 20)),
        ("2026-11-20T17:45", date(2026, 11, 20)),
        ("2026-11-20 17:45:12.250", date(2026, 11, 20)),
        # The business date as the statement prints it, not converted to any other zone.
        ("2026-11-20T23:30:00+02:00", date(2026, 11, 20)),
        ("20261120", date(2026, 11, 20)),
        ("2024-02-29", date(2024, 2, 29)),
    ],
)
def test_iso_and_compact_text_without_a_hint(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "hint", "expected"),
    [
        ("20.11.2026", "%d.%m.%Y", date(2026, 11, 20)),
        ("1.2.2026", "%d.%m.%Y", date(2026, 2, 1)),
        ("11/20/2026", "%m/%d/%Y", date(2026, 11, 20)),
        ("01/02/2026", "%d/%m/%Y", date(2026, 2, 1)),
        ("01/02/2026", "%m/%d/%Y", date(2026, 1, 2)),
        ("20.11.26", "%d.%m.%y", date(2026, 11, 20)),
        ("20-Nov-2026", "%d-%b-%Y", date(2026, 11, 20)),
        ("20.11.2026 14:00", "%d.%m.%Y %H:%M", date(2026, 11, 20)),
        # ISO is still understood in a file whose profile names another layout...
        ("2026-11-20", "%d.%m.%Y", date(2026, 11, 20)),
        ("2026-11-20T00:00:00", "%m/%d/%Y", date(2026, 11, 20)),
        # ...but the hint is tried first, so a hint that also fits ISO-shaped text wins.
        ("2026-01-02", "%Y-%d-%m", date(2026, 2, 1)),
    ],
)
def test_text_with_the_profiles_hint(text: str, hint: str, expected: date) -> None:
    assert parse_date(text, hint) == expected


@pytest.mark.parametrize(
    ("serial", "expected"),
    [
        (1, date(1900, 1, 1)),
        (59, date(1900, 2, 28)),
        (61, date(1900, 3, 1)),
        (36526, date(2000, 1, 1)),
        (45658, date(2025, 1, 1)),
        (45658.0, date(2025, 1, 1)),
        (Decimal("45658"), date(2025, 1, 1)),
        (2958465, date(9999, 12, 31)),
    ],
)
def test_excel_serial_numbers(serial: object, expected: date) -> None:
    assert parse_date(serial) == expected


@pytest.mark.parametrize(
    ("cell", "hint", "message"),
    [
        ("20.11.2026", None, "'20.11.2026' is not a date: expected YYYY-MM-DD"),
        ("11/20/2026", "%d.%m.%Y", "'11/20/2026' is not a date: expected DD.MM.YYYY or YYYY-MM-DD"),
        ("20261120", "%d.%m.%Y", "'20261120' is not a date: expected DD.MM.YYYY or YYYY-MM-DD"),
        ("13/20/2026", "%m/%d/%Y", "'13/20/2026' is not a date: expected MM/DD/YYYY or YYYY-MM-DD"),
        ("2026-02-30", None, "'2026-02-30' is not a date: expected YYYY-MM-DD"),
        ("2026-11-20T25:00:00", None, "'2026-11-20T25:00:00' is not a date: expected YYYY-MM-DD"),
        ("2026-11-20Tnoon", None, "'2026-11-20Tnoon' is not a date: expected YYYY-MM-DD"),
        ("2026-W47-5", None, "'2026-W47-5' is not a date: expected YYYY-MM-DD"),
        ("20261320", None, "'20261320' is not a date: expected YYYY-MM-DD"),
        ("46000", None, "'46000' is not a date: expected YYYY-MM-DD"),
        (" tomorrow ", None, "'tomorrow' is not a date: expected YYYY-MM-DD"),
        (True, None, "TRUE/FALSE is not a date"),
        (datetime.time(9, 30), None, "a time (09:30:00), not a date"),
        (datetime.timedelta(days=2), None, "a time (2 days, 0:00:00), not a date"),
        (60, None, "60 is Excel's 29 February 1900, a day that never existed"),
        (0, None, "0 is not a date: expected a whole Excel date serial from 1 to 2958465"),
        (-5, None, "-5 is not a date: expected a whole Excel date serial from 1 to 2958465"),
        (
            2958466,
            None,
            "2958466 is not a date: expected a whole Excel date serial from 1 to 2958465",
        ),
        (
            45658.5,
            None,
            "45658.5 is not a date: expected a whole Excel date serial from 1 to 2958465",
        ),
        (
            float("nan"),
            None,
            "nan is not a date: expected a whole Excel date serial from 1 to 2958465",
        ),
        (
            float("inf"),
            None,
            "inf is not a date: expected a whole Excel date serial from 1 to 2958465",
        ),
    ],
)
def test_cells_that_are_not_dates_are_refused(cell: object, hint: str | None, message: str) -> None:
    with pytest.raises(CellDateError) as raised:
        parse_date(cell, hint)
    assert str(raised.value) == message


def test_parse_iso_date() -> None:
    assert parse_iso_date("2026-11-20") == date(2026, 11, 20)


@pytest.mark.parametrize(
    "text",
    ["2026-1-20", "20261120", "2026-11-20T00:00:00", " 2026-11-20", "20.11.2026", ""],
)
def test_parse_iso_date_is_strict(text: str) -> None:
    with pytest.raises(CellDateError) as raised:
        parse_iso_date(text)
    assert str(raised.value) == f"{text!r} is not a date: expected YYYY-MM-DD"


@pytest.mark.parametrize("text", ["2026-02-30", "2026-11-31", "2026-13-01"])
def test_a_well_written_day_that_does_not_exist_is_called_that(text: str) -> None:
    with pytest.raises(CellDateError) as raised:
        parse_iso_date(text)
    assert str(raised.value) == f"{text!r} is not a real date (no such day in the calendar)"


# --- properties ---------------------------------------------------------------------------------

business_dates = st.dates(min_value=date(1900, 3, 1), max_value=date(9999, 12, 31))


@given(day=business_dates)
def test_any_iso_date_reads_back(day: date) -> None:
    assert parse_date(day.isoformat()) == day
    assert parse_iso_date(day.isoformat()) == day


@pytest.mark.parametrize("hint", ["%d.%m.%Y", "%m/%d/%Y", "%Y%m%d", "%d %b %Y"])
@given(day=business_dates)
def test_any_date_written_in_the_hinted_layout_reads_back(hint: str, day: date) -> None:
    assert parse_date(day.strftime(hint), hint) == day


@given(serial=st.integers(61, 2958464))
def test_consecutive_excel_serials_are_consecutive_days(serial: int) -> None:
    today, tomorrow = parse_date(serial), parse_date(serial + 1)
    assert today is not None and tomorrow is not None
    assert tomorrow - today == datetime.timedelta(days=1)


@given(day=business_dates)
def test_an_excel_serial_counts_days_from_1899_12_30(day: date) -> None:
    # From March 1900 on, Excel's serial is the day count from 1899-12-30 (the fake leap day
    # shifts its epoch by one); 45658 = 2025-01-01 above anchors this to Excel itself.
    assert parse_date((day - date(1899, 12, 30)).days) == day
