"""Every file of the calamine regression corpus is read or refused cleanly, quickly.

The corpus (/work/shared/corpus/calamine, a sibling of the repository) holds real workbooks from
Excel, LibreOffice, Numbers and generators, including password-protected ones and files built to
make readers allocate without bound or loop. For each file and each of its sheets, read_table
must return a Table or raise ReadError with a one-line message naming the file: any other
exception, a crash or a hang fails the test.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from segdesk.ingest.readers import ErrorValue, FormulaWithoutValue, ReadError, Table, read_table, sheet_names

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "calamine"
FILES = sorted(CORPUS.iterdir()) if CORPUS.is_dir() else []
PARAMS = [pytest.param(p, id=p.name) for p in FILES] or [
    pytest.param(None, marks=pytest.mark.skip(reason=f"calamine corpus not found at {CORPUS}"), id="no-corpus")
]

# Each file gets this long for all of its sheets (a worker process per call, ~30 ms each).
SECONDS_PER_FILE = 10.0

CELL_TYPES = (str, int, float, bool, dt.date, dt.time, dt.timedelta, FormulaWithoutValue, ErrorValue)


def check_refusal(error: ReadError, path: Path) -> None:
    message = str(error)
    assert message.startswith(f"{path.name}"), message
    assert "\n" not in message and "Traceback" not in message, message


def check_table(table: Table, path: Path, sheet: str | None) -> None:
    assert table.file_name == path.name
    if sheet is not None:
        assert table.sheet == sheet
    numbers = [row.number for row in table.rows]
    assert all(n >= 1 for n in numbers)
    assert numbers == sorted(set(numbers)), "row numbers must be unique and ascending"
    for row in table.rows:
        assert any(c is not None for c in row.cells), f"blank row {row.number} kept"
        for value in row.cells:
            assert value is None or isinstance(value, CELL_TYPES), (row.number, value)
            assert value != "", f"row {row.number}: empty string instead of None"


@pytest.mark.timeout(30)
@pytest.mark.parametrize("path", PARAMS)
def test_every_sheet_is_read_or_refused(path: Path) -> None:
    began = time.monotonic()
    try:
        names = sheet_names(path)
    except ReadError as error:
        check_refusal(error, path)
        # a file whose sheets cannot be listed cannot be read either
        with pytest.raises(ReadError):
            read_table(path)
    else:
        for name in names:
            try:
                table = read_table(path, sheet=name)
            except ReadError as error:
                check_refusal(error, path)
            else:
                check_table(table, path, name)
        try:
            check_table(read_table(path), path, None)  # the default sheet
        except ReadError as error:
            check_refusal(error, path)
    assert time.monotonic() - began < SECONDS_PER_FILE


def corpus_file(name: str) -> Path:
    path = CORPUS / name
    if not path.is_file():
        pytest.skip(f"{name} not in the corpus at {CORPUS}")
    return path


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "name", ["pass_protected.xlsx", "pass_protected.xlsb", "pass_protected.ods", "issue_385.xls"]
)
def test_password_protected_workbooks_say_so(name: str) -> None:
    path = corpus_file(name)
    with pytest.raises(ReadError) as info:
        read_table(path)
    assert str(info.value) == (
        f"{name}: the workbook is password-protected; save an unprotected copy and import that"
    )


@pytest.mark.timeout(30)
@pytest.mark.parametrize("name", ["issue_594_dos.ods", "OOM_alloc3.xls", "too_small.xls", "issue252.xlsx"])
def test_hostile_and_damaged_files_are_refused(name: str) -> None:
    path = corpus_file(name)
    began = time.monotonic()
    with pytest.raises(ReadError, match=rf"^{name}: not a readable spreadsheet \(.+\)$"):
        read_table(path)
    assert time.monotonic() - began < 5


@pytest.mark.timeout(30)
@pytest.mark.parametrize("name", ["date.xlsx", "date.xls", "date.xlsb", "date.ods"])
def test_each_format_reads_dates_and_numbers(name: str) -> None:
    table = read_table(corpus_file(name))
    assert table.sheet == "Sheet1"
    first = table.rows[0]
    assert first.number == 1
    assert first.cells[0] == dt.date(2021, 1, 1)
    assert first.cells[1] == 15


@pytest.mark.timeout(30)
def test_error_cells_are_not_blank() -> None:
    table = read_table(corpus_file("errors.xlsx"))
    assert [row.cells[0] for row in table.rows] == [
        ErrorValue(text) for text in ("#DIV/0!", "#NAME?", "#VALUE!", "#NULL!", "#REF!", "#NUM!", "#N/A")
    ]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("name", ["issues.ods", "richtext_issue.ods"])
def test_ods_formulas_with_saved_results_read_as_their_results(name: str) -> None:
    # LibreOffice's formula cells carry their results: the scan must leave every one alone
    path = corpus_file(name)
    for sheet in sheet_names(path):
        for row in read_table(path, sheet=sheet).rows:
            assert not any(isinstance(c, (FormulaWithoutValue, ErrorValue)) for c in row.cells), (sheet, row)


@pytest.mark.timeout(30)
def test_chart_sheet_is_refused_by_name() -> None:
    path = corpus_file("any_sheets.xlsx")
    assert sheet_names(path) == ["Visible", "Hidden", "VeryHidden", "Chart"]
    with pytest.raises(ReadError, match=r"^any_sheets.xlsx, sheet 'Chart': this sheet is a chart"):
        read_table(path, sheet="Chart")
