"""segdesk.ingest.readers on real files written here: spreadsheets by openpyxl, CSVs byte by byte."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segdesk.ingest import readers, sheet_worker
from segdesk.ingest.readers import (
    ErrorValue,
    FormulaWithoutValue,
    ReadError,
    Row,
    decode_text,
    detect_delimiter,
    read_table,
    sheet_names,
)

# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def patch_sheet_xml(path: Path, edit: dict[str, str], member: str = "xl/worksheets/sheet1.xml") -> None:
    """Rewrite one worksheet part of an .xlsx in place (pattern -> replacement), to write what
    openpyxl cannot: Excel's 17-digit floats, cached formula values, shared formulas, errors."""
    with zipfile.ZipFile(path) as zf:
        parts = {info.filename: zf.read(info.filename) for info in zf.infolist()}
    xml = parts[member].decode("utf-8")
    for pattern, replacement in edit.items():
        xml, count = re.subn(pattern, replacement, xml)
        assert count == 1, f"{pattern!r} matched {count} times in {member}"
    parts[member] = xml.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def trimmed(table_rows: list[Row]) -> list[Row]:
    """The rows without their trailing empty cells (a reader pads rows to the sheet's width)."""
    result = []
    for row in table_rows:
        cells = list(row.cells)
        while cells and cells[-1] is None:
            cells.pop()
        result.append(Row(row.number, tuple(cells)))
    return result


def cell(table_rows: list[Row], number: int, col: int) -> object:
    row = next(r for r in table_rows if r.number == number)
    return row.cells[col] if col < len(row.cells) else None


def write_statement(path: Path) -> None:
    """A custody statement as a custodian's system would write it: a summary sheet first, then
    the holdings with a merged title, an as-of line, blank rows and the header on row 7."""
    wb = openpyxl.Workbook()
    summary = wb.active
    summary.title = "Summary"
    summary["A1"] = "Total value"
    summary["B1"] = 1500.25
    ws = wb.create_sheet("Holdings")
    ws["A1"] = "Northbridge Custody - Statement of Holdings"
    ws.merge_cells("A1:G1")
    ws["A2"] = "As of"
    ws["B2"] = dt.date(2026, 11, 20)
    header = ["Account No.", "Client Ref", "Asset", "Quantity", "Price", "Value", "Settled"]
    for col, text in enumerate(header, start=1):
        ws.cell(row=7, column=col, value=text)
    ws.append(["0012345-01", "C-001", "USD", 1250000.5, 1, None, dt.datetime(2026, 11, 19, 16, 30)])
    ws.append(["0012345-01", "C-002", "BTC", 0.3, 91234.12, "=D9*E9", dt.date(2026, 11, 18)])
    ws.append(["0000777", None, "EUR", 42, None, None, None])
    ws["A8"].number_format = "@"  # account numbers are text in the file
    wb.save(path)
    # openpyxl writes floats with 16 significant digits; Excel writes the 17 that make 0.1+0.2.
    patch_sheet_xml(path, {r'<c r="D9" t="n"><v>0.3</v>': '<c r="D9" t="n"><v>0.30000000000000004</v>'},
                    member="xl/worksheets/sheet2.xml")


# --------------------------------------------------------------------------------------------
# spreadsheets
# --------------------------------------------------------------------------------------------


def test_custody_statement(tmp_path: Path) -> None:
    path = tmp_path / "statement.xlsx"
    write_statement(path)

    assert sheet_names(path) == ["Summary", "Holdings"]
    table = read_table(path, sheet="Holdings")
    assert table.file_name == "statement.xlsx"
    assert table.sheet == "Holdings"
    rows = table.rows
    # blank rows 3-6 are omitted, numbering stays absolute
    assert [r.number for r in rows] == [1, 2, 7, 8, 9, 10]
    # merged title: the value sits in the top-left cell only
    assert rows[0].cells[0] == "Northbridge Custody - Statement of Holdings"
    assert all(c is None for c in rows[0].cells[1:])
    assert cell(rows, 2, 1) == dt.date(2026, 11, 20)
    assert rows[2].cells[:7] == ("Account No.", "Client Ref", "Asset", "Quantity", "Price", "Value", "Settled")
    # text stays text, every digit and leading zero kept
    assert cell(rows, 8, 0) == "0012345-01"
    assert cell(rows, 10, 0) == "0000777"
    assert cell(rows, 8, 3) == 1250000.5
    # the float arrives exactly as stored; rounding to 15 digits is the domain's job
    assert cell(rows, 9, 3) == 0.1 + 0.2
    assert cell(rows, 10, 3) == 42
    # a formula saved without a computed value is neither empty nor zero
    assert cell(rows, 9, 5) == FormulaWithoutValue("=D9*E9")
    assert cell(rows, 8, 5) is None
    assert cell(rows, 8, 6) == dt.datetime(2026, 11, 19, 16, 30)
    assert cell(rows, 9, 6) == dt.date(2026, 11, 18)


def test_default_sheet_is_the_first(tmp_path: Path) -> None:
    path = tmp_path / "statement.xlsx"
    write_statement(path)
    table = read_table(path)
    assert table.sheet == "Summary"
    assert table.rows == [Row(1, ("Total value", 1500.25))]


def test_table_starting_at_column_c_keeps_column_positions(tmp_path: Path) -> None:
    path = tmp_path / "offset.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["C5"], ws["D5"] = "Account", "Quantity"
    ws["C6"], ws["D6"] = "0012345-01", 10
    ws["E7"] = "x"
    wb.save(path)
    rows = read_table(path).rows
    assert [r.number for r in rows] == [5, 6, 7]
    assert rows[0].cells[:4] == (None, None, "Account", "Quantity")
    assert rows[1].cells[2] == "0012345-01"
    assert rows[2].cells[4] == "x"


def test_formula_cells(tmp_path: Path) -> None:
    path = tmp_path / "formulas.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["B1"] = 2, 3
    ws["C1"] = "=A1*B1"  # cached value patched in below: calamine's value wins
    ws["D1"] = '=IF(A1>5,"big","")'  # cached empty string (t="str"): a blank cell, not a formula gap
    ws["E1"] = "=A1+B1"  # no cached value
    ws["B4"] = "=SUM(A1:B1)"  # no cached value, in a row calamine leaves out altogether
    wb.save(path)
    patch_sheet_xml(path, {
        r"<c r=\"C1\"><f>A1\*B1</f><v\s*/?>(</v>)?": '<c r="C1"><f>A1*B1</f><v>6</v>',
        r"<c r=\"D1\"><f>(.*?)</f><v\s*/?>(</v>)?": r'<c r="D1" t="str"><f>\1</f><v></v>',
    })
    rows = read_table(path).rows
    assert rows[0].number == 1
    assert rows[0].cells[:5] == (2, 3, 6, None, FormulaWithoutValue("=A1+B1"))
    assert rows[-1] == Row(4, (None, FormulaWithoutValue("=SUM(A1:B1)")))


def test_shared_formula_without_values_is_translated(tmp_path: Path) -> None:
    path = tmp_path / "shared.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["A2"] = 1, 2
    ws["B1"], ws["B2"] = "placeholder1", "placeholder2"
    wb.save(path)
    patch_sheet_xml(path, {
        r'<c r="B1" t="inlineStr">.*?</c>': '<c r="B1"><f t="shared" ref="B1:B2" si="0">A1*2</f><v></v></c>',
        r'<c r="B2" t="inlineStr">.*?</c>': '<c r="B2"><f t="shared" si="0"/></c>',
    })
    rows = read_table(path).rows
    assert rows == [
        Row(1, (1, FormulaWithoutValue("=A1*2"))),
        Row(2, (2, FormulaWithoutValue("=A2*2"))),
    ]


def test_error_cells_are_error_values_not_blank(tmp_path: Path) -> None:
    path = tmp_path / "errors.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["B1"], ws["C1"], ws["D1"] = "BTC", "placeholder", 5, "placeholder"
    ws["B3"] = "placeholder"
    wb.save(path)
    patch_sheet_xml(path, {
        r'<c r="B1" t="inlineStr">.*?</c>': '<c r="B1" t="e"><f>VLOOKUP(A1,X:Y,2,0)</f><v>#N/A</v></c>',
        r'<c r="D1" t="inlineStr">.*?</c>': '<c r="D1" t="e"><v>#DIV/0!</v></c>',  # no formula
        r'<c r="B3" t="inlineStr">.*?</c>': '<c r="B3" t="e"><v>#REF!</v></c>',  # a row of errors only
    })
    assert read_table(path).rows == [
        Row(1, ("BTC", ErrorValue("#N/A"), 5, ErrorValue("#DIV/0!"))),
        Row(3, (None, ErrorValue("#REF!"))),
    ]


def test_error_value_reads_as_its_text() -> None:
    # code that turns cells into text sees what the spreadsheet shows, never a repr
    assert str(ErrorValue("#N/A")) == "#N/A"
    assert f"{ErrorValue('#DIV/0!')}" == "#DIV/0!"
    assert ErrorValue("#N/A") != "#N/A"  # but it is no string: it cannot pass for a code


# .ods written by hand, as LibreOffice writes it: `mimetype` first and stored, a manifest, and a
# content.xml whose empty space is table:number-*-repeated runs.
ODS_NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2" '
    'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"'
)
ODS_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
    '<manifest:file-entry manifest:full-path="/" manifest:version="1.3" '
    'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


def write_ods(path: Path, tables: dict[str, str]) -> None:
    """An .ods holding one table:table per entry (name -> the XML of its rows)."""
    body = "".join(f'<table:table table:name="{name}">{rows}</table:table>' for name, rows in tables.items())
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODS_NAMESPACES} office:version="1.3">'
        f"<office:body><office:spreadsheet>{body}</office:spreadsheet></office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet",
                    compress_type=zipfile.ZIP_STORED)
        zf.writestr("META-INF/manifest.xml", ODS_MANIFEST)
        zf.writestr("content.xml", content)


def ods_number(value: float, repeat: int = 1) -> str:
    repeated = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    return (f'<table:table-cell office:value-type="float" office:value="{value}" calcext:value-type="float"{repeated}>'
            f"<text:p>{value}</text:p></table:table-cell>")


def ods_empty(repeat: int) -> str:
    return f'<table:table-cell table:number-columns-repeated="{repeat}"/>'


def ods_row(*cells: str, repeat: int = 1) -> str:
    repeated = f' table:number-rows-repeated="{repeat}"' if repeat > 1 else ""
    return f"<table:table-row{repeated}>{''.join(cells)}</table:table-row>"


# What LibreOffice saves for =1/0: a string type with an empty string value, and the error's text.
ODS_DIV0 = ('<table:table-cell table:formula="of:=1/0" office:value-type="string" office:string-value="" '
            'calcext:value-type="error"><text:p>#DIV/0!</text:p></table:table-cell>')
# Other writers give the error cell a float type and the value 0, which calamine reads as 0.
ODS_NA_ZERO = ('<table:table-cell table:formula="of:=NA()" office:value-type="float" office:value="0" '
               'calcext:value-type="error"><text:p>#N/A</text:p></table:table-cell>')
# A script's formula, saved without a result: no office:*value, no text.
ODS_NO_VALUE = '<table:table-cell table:formula="of:=[.A4]*[.D4]"/>'


def test_ods_formulas_without_values_and_error_cells_land_where_they_are(tmp_path: Path) -> None:
    path = tmp_path / "book.ods"
    rows = (
        ods_row(ods_empty(1024), repeat=3)  # rows 1-3 empty
        + ods_row(
            ods_number(2), ods_empty(2), ods_number(3.5),  # A4, D4
            '<table:table-cell table:number-columns-spanned="2"/>', "<table:covered-table-cell/>",  # E4:F4
            ODS_NO_VALUE,  # G4
            ODS_DIV0,  # H4
            ods_number(7, repeat=2),  # I4:J4
            ODS_NA_ZERO,  # K4
            ods_empty(1013),
        )
        + ods_row(ods_number(1), ods_empty(1023))  # row 5
        + ods_row(ods_empty(1024), repeat=2)  # rows 6-7 empty
        + ods_row(ods_empty(3), ODS_DIV0, ods_empty(1020))  # D8: a row holding an error only
        + ods_row(  # rows 9-10, twice the same cells: C and D of both are formulas without values
            ods_number(4), ods_empty(1), '<table:table-cell table:formula="of:=SUM([.A1:.A8])" '
            'table:number-columns-repeated="2"/>', ods_empty(1020), repeat=2,
        )
        + '<table:table-row><table:table-cell table:formula="of:=[.A9]*2" office:value-type="float" '
        'office:value="8" calcext:value-type="float"><text:p>8</text:p></table:table-cell></table:table-row>'  # A11
        + ods_row(ods_empty(1024), repeat=1048565)
    )
    write_ods(path, {"Notes": ods_row('<table:table-cell table:formula="of:=1+1"/>'), "Holdings": rows})

    table = read_table(path, sheet="Holdings")
    no_value = FormulaWithoutValue("=[.A4]*[.D4]")
    assert trimmed(table.rows) == [
        Row(4, (2, None, None, 3.5, None, None, no_value, ErrorValue("#DIV/0!"), 7, 7, ErrorValue("#N/A"))),
        Row(5, (1,)),
        Row(8, (None, None, None, ErrorValue("#DIV/0!"))),
        Row(9, (4, None, FormulaWithoutValue("=SUM([.A1:.A8])"), FormulaWithoutValue("=SUM([.A1:.A8])"))),
        Row(10, (4, None, FormulaWithoutValue("=SUM([.A1:.A8])"), FormulaWithoutValue("=SUM([.A1:.A8])"))),
        Row(11, (8,)),  # a formula with its saved result is that result
    ]
    # the other sheet is scanned on its own
    assert read_table(path).rows == [Row(1, (FormulaWithoutValue("=1+1"),))]


def test_ods_formula_text_shown_for_a_float_is_no_value(tmp_path: Path) -> None:
    # A float formula with the shown text but no office:value: calamine reads the cell as empty.
    path = tmp_path / "book.ods"
    write_ods(path, {"S": ods_row(
        ods_number(1),
        '<table:table-cell table:formula="of:=[.A1]+1" office:value-type="float">'
        "<text:p>2</text:p></table:table-cell>",
        '<table:table-cell table:formula="of:=&quot;x&quot;" office:value-type="string">'
        "<text:p>x</text:p></table:table-cell>",
    )})
    assert trimmed(read_table(path).rows) == [Row(1, (1, FormulaWithoutValue("=[.A1]+1"), "x"))]


def test_ods_repeated_formula_cells_count_against_max_cells_before_they_exist(tmp_path: Path) -> None:
    # calamine leaves the trailing formula rows out of its range; the scan must not expand them
    path = tmp_path / "book.ods"
    write_ods(path, {"S": ods_row(ods_number(1)) + ods_row(
        '<table:table-cell table:formula="of:=1+1"/>', repeat=1_000_000_000,
    )})
    began = time.monotonic()
    with pytest.raises(ReadError, match=r"^book.ods, sheet 'S': the sheet is too large to import"):
        read_table(path, max_cells=10_000)
    assert time.monotonic() - began < 10


def test_ods_without_formulas_is_not_scanned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "book.ods"
    write_ods(path, {"S": ods_row(ods_number(1), ods_empty(3), ods_number(2))})
    # the scan runs in the worker process: call the worker's side here to see it skipped
    monkeypatch.setattr(sheet_worker, "_scan_ods_content", lambda *args: pytest.fail("scanned"))
    assert sheet_worker._ods_marks(str(path), "S", 100) == {}
    assert read_table(path).rows == [Row(1, (1, None, None, None, 2))]


# .xlsb written by hand: BIFF12 records (type and size as 7-bit varints, MS-XLSB 2.1.4).
def biff12(typ: int, payload: bytes = b"") -> bytes:
    head = bytes([typ]) if typ < 0x80 else bytes([(typ & 0x7F) | 0x80, typ >> 7])
    size = len(payload)
    while True:
        byte, size = size & 0x7F, size >> 7
        head += bytes([byte | (0x80 if size else 0)])
        if not size:
            return head + payload


def wide_string(text: str) -> bytes:
    return struct.pack("<I", len(text)) + text.encode("utf-16-le")


def write_xlsb(path: Path, sheet_records: bytes) -> None:
    """An .xlsb with one worksheet, "Sheet1", whose cell records are `sheet_records`."""
    workbook = (biff12(0x83) + biff12(0x8F) + biff12(0x9C, struct.pack("<II", 0, 1) + wide_string("rId1")
                + wide_string("Sheet1")) + biff12(0x90) + biff12(0x84))
    sheet = (biff12(0x81) + biff12(0x94, struct.pack("<IIII", 0, 9, 0, 9)) + biff12(0x91) + sheet_records
             + biff12(0x92) + biff12(0x82))
    ns = "http://schemas.openxmlformats.org"

    def relationship(kind: str, target: str) -> str:
        return (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/{kind}" Target="{target}"/>'
            "</Relationships>"
        )

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", (
            f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{ns}/package/2006/content-types">'
            '<Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/></Types>'
        ))
        zf.writestr("_rels/.rels", relationship("officeDocument", "xl/workbook.bin"))
        zf.writestr("xl/workbook.bin", workbook)
        zf.writestr("xl/_rels/workbook.bin.rels", relationship("worksheet", "worksheets/sheet1.bin"))
        zf.writestr("xl/worksheets/sheet1.bin", sheet)


def xlsb_row(row: int) -> bytes:  # BrtRowHdr: 0-based row number, style, height, flags
    return biff12(0x00, struct.pack("<IIHBBBI", row, 0, 300, 0, 0, 0, 0))


def xlsb_number(col: int, value: float) -> bytes:  # BrtCellReal
    return biff12(0x05, struct.pack("<IId", col, 0, value))


def xlsb_error(col: int, code: int) -> bytes:  # BrtCellError: column, style, BErr
    return biff12(0x03, struct.pack("<IIB", col, 0, code))


def xlsb_formula_error(col: int, code: int) -> bytes:  # BrtFmlaError for =1/0: PtgInt 1, PtgInt 0, PtgDiv
    formula = bytes([0x1E, 1, 0, 0x1E, 0, 0, 0x06])
    return biff12(0x0B, struct.pack("<IIBH", col, 0, code, 0) + struct.pack("<I", len(formula)) + formula
                  + struct.pack("<I", 0))


def test_xlsb_error_cells_are_error_values(tmp_path: Path) -> None:
    # calamine reads a BrtCellError as "" and skips a BrtFmlaError altogether
    path = tmp_path / "book.xlsb"
    write_xlsb(path, (
        xlsb_row(0) + xlsb_number(0, 1.5) + xlsb_error(1, 0x07) + xlsb_formula_error(2, 0x2A) + xlsb_number(3, 9)
        + xlsb_row(2) + xlsb_error(4, 0x17)
        + xlsb_row(3) + xlsb_formula_error(1, 0x07)
    ))
    assert trimmed(read_table(path).rows) == [
        Row(1, (1.5, ErrorValue("#DIV/0!"), ErrorValue("#N/A"), 9)),
        Row(3, (None, None, None, None, ErrorValue("#REF!"))),
        Row(4, (None, ErrorValue("#DIV/0!"))),
    ]


def test_xlsx_content_with_xls_name_is_read_by_content(tmp_path: Path) -> None:
    path = tmp_path / "export.xls"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "0012345-01"
    wb.save(path)
    assert read_table(path).rows == [Row(1, ("0012345-01",))]


def test_missing_sheet_lists_the_sheets(tmp_path: Path) -> None:
    path = tmp_path / "statement.xlsx"
    write_statement(path)
    with pytest.raises(ReadError) as info:
        read_table(path, sheet="Positions")
    assert str(info.value) == "statement.xlsx: sheet 'Positions' not found (sheets: Summary, Holdings)"


def test_sheet_over_max_cells_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "statement.xlsx"
    write_statement(path)
    with pytest.raises(ReadError, match=r"statement.xlsx, sheet 'Holdings': the sheet is too large"):
        read_table(path, sheet="Holdings", max_cells=50)


@pytest.mark.timeout(60)
def test_file_claiming_the_whole_grid_is_refused_without_harm(tmp_path: Path) -> None:
    # Two cells, A1 and XFD1048576: calamine would allocate a 17-billion-cell grid and abort the
    # process. It must come back as a ReadError, quickly, with this process unharmed.
    path = tmp_path / "hostile.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "x"
    ws.cell(row=1_048_576, column=16_384, value=1)
    wb.save(path)
    began = time.monotonic()
    with pytest.raises(ReadError, match=r"^hostile.xlsx(, sheet 'Sheet')?: .*(memory|too large)"):
        read_table(path)
    assert time.monotonic() - began < 20


def test_a_reader_that_stalls_is_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "statement.xlsx"
    write_statement(path)
    monkeypatch.setattr(readers, "_worker_timeout", lambda size: 0.01)
    with pytest.raises(ReadError, match=r"^statement.xlsx: not a readable spreadsheet \(reading it took longer than"):
        read_table(path)


def test_a_reader_that_crashes_is_a_read_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # What calamine does on an allocation it cannot make: abort the process.
    path = tmp_path / "statement.xlsx"
    write_statement(path)
    crash = "import sys; sys.stderr.write('memory allocation of 549755813888 bytes failed\\n'); import os; os.abort()"
    monkeypatch.setattr(readers, "_worker_command", lambda: [sys.executable, "-c", crash])
    with pytest.raises(ReadError, match=r"^statement.xlsx: not a readable spreadsheet \(reading it needs more memory"):
        read_table(path)


def test_encrypted_workbook_is_refused_as_password_protected(tmp_path: Path) -> None:
    # Excel saves a password-protected .xlsx as an OLE container holding "EncryptedPackage".
    path = tmp_path / "book.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "EncryptedPackage".encode("utf-16-le"))
    with pytest.raises(ReadError) as info:
        read_table(path)
    assert str(info.value) == (
        "book.xlsx: the workbook is password-protected; save an unprotected copy and import that"
    )


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("damaged.xlsx", b"PK\x03\x04" + b"\x00" * 100, "damaged zip"),
        ("page.xls", b"<html><body><table><tr><td>1</td></tr></table></body></html>", "HTML"),
        ("noise.ods", bytes(range(256)) * 4, "unrecognised"),
        ("notes.xlsx", b"Account,Quantity\n1,2\n", "rename it to .csv"),
        ("garbage.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "not a readable spreadsheet"),
    ],
)
def test_broken_spreadsheets_are_refused(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ReadError) as info:
        read_table(path)
    message = str(info.value)
    assert message.startswith(f"{name}: ")
    assert reason in message
    assert "\n" not in message


def test_truncated_xlsx_is_refused(tmp_path: Path) -> None:
    whole = tmp_path / "whole.xlsx"
    write_statement(whole)
    path = tmp_path / "cut.xlsx"
    path.write_bytes(whole.read_bytes()[:3000])
    with pytest.raises(ReadError, match=r"^cut.xlsx: not a readable spreadsheet"):
        sheet_names(path)


# --------------------------------------------------------------------------------------------
# CSV / text
# --------------------------------------------------------------------------------------------

STATEMENT_CSV = "Account No.,Asset,Quantity\n0012345-01,USD,1250000.50\n0000777,EUR,42\n"
EXPECTED_ROWS = [
    Row(1, ("Account No.", "Asset", "Quantity")),
    Row(2, ("0012345-01", "USD", "1250000.50")),
    Row(3, ("0000777", "EUR", "42")),
]


@pytest.mark.parametrize(
    "data",
    [
        STATEMENT_CSV.encode("utf-8"),
        b"\xef\xbb\xbf" + STATEMENT_CSV.encode("utf-8"),
        STATEMENT_CSV.encode("utf-16"),  # LE with BOM on this platform's Python
        STATEMENT_CSV.encode("utf-16-le"),  # no BOM
        STATEMENT_CSV.replace("\n", "\r\n").encode("ascii"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-bom", "utf-16-le-no-bom", "crlf"],
)
def test_csv_encodings(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "statement.csv"
    path.write_bytes(data)
    table = read_table(path)
    assert table.sheet is None
    assert table.file_name == "statement.csv"
    assert table.rows == EXPECTED_ROWS  # no BOM left in the first header


def test_decode_text_boms_and_fallbacks() -> None:
    assert decode_text(b"\xef\xbb\xbfabc") == ("abc", "utf-8-sig")
    assert decode_text(b"\xff\xfe" + "abc".encode("utf-16-le")) == ("abc", "utf-16")
    assert decode_text(b"\xfe\xff" + "abc".encode("utf-16-be")) == ("abc", "utf-16")
    assert decode_text("Grüße".encode("utf-8")) == ("Grüße", "utf-8")
    assert decode_text("Kurs 1,5 €, café".encode("cp1252")) == ("Kurs 1,5 €, café", "cp1252")
    assert decode_text("café".encode("cp1252"), "latin-1") == ("café", "iso8859-1")


def test_cp1252_csv_with_euro_and_accents(tmp_path: Path) -> None:
    path = tmp_path / "depot.txt"
    path.write_bytes("Konto;Währung;Betrag\n0012345-01;€;1.234,56\nCafé SA;EUR;7\n".encode("cp1252"))
    assert read_table(path).rows == [
        Row(1, ("Konto", "Währung", "Betrag")),
        Row(2, ("0012345-01", "€", "1.234,56")),
        Row(3, ("Café SA", "EUR", "7")),
    ]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_each_delimiter_is_detected(tmp_path: Path, delimiter: str) -> None:
    lines = [["Account", "Asset", "Quantity"], ["0012345-01", "BTC", "0.5"], ["002", "ETH", "12"]]
    text = "\n".join(delimiter.join(line) for line in lines) + "\n"
    assert detect_delimiter(text) == delimiter
    path = tmp_path / "s.csv"
    path.write_text(text, encoding="utf-8")
    assert [list(r.cells) for r in read_table(path).rows] == lines


def test_semicolon_with_decimal_comma() -> None:
    assert detect_delimiter("Konto;Menge\n001;1.234,56") == ";"
    assert detect_delimiter("Konto;Menge;Wert\n001;1,5;2,5\n002;3,5;4,5\n") == ";"
    assert detect_delimiter("001;1,5\n002;2,5\n") == ";"
    # thousands separators inside quotes do not confuse a comma file
    assert detect_delimiter('Account,Quantity\n001,"1,234.56"\n002,"7,000"\n') == ","
    # title lines above the table do not matter
    assert detect_delimiter("Statement of holdings\n\nAcct|Qty\n1|2\n3|4\n") == "|"
    assert detect_delimiter("just one column\nof text\n") == ","


def test_semicolon_decimal_comma_file(tmp_path: Path) -> None:
    path = tmp_path / "konto.csv"
    path.write_bytes(b"Konto;Menge\n001;1.234,56")
    assert read_table(path).rows == [Row(1, ("Konto", "Menge")), Row(2, ("001", "1.234,56"))]


def test_quoted_fields_embedded_newlines_and_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_bytes(
        b"Statement\r\n"
        b"\r\n"
        b"Account,Note,Quantity\r\n"
        b'0012345-01,"two\r\nlines",1\r\n'
        b'002,"say ""hi""",\r\n'
        b",,\r\n"
        b'003,"a,b",3'
    )
    assert read_table(path).rows == [
        Row(1, ("Statement",)),
        Row(3, ("Account", "Note", "Quantity")),
        Row(4, ("0012345-01", "two\r\nlines", "1")),
        Row(6, ("002", 'say "hi"', None)),
        Row(8, ("003", "a,b", "3")),
    ]


def test_explicit_encoding_and_delimiter_win(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes("a;b,c\nd;e,f\n".encode("utf-16-le"))
    rows = read_table(path, encoding="utf-16-le", delimiter=",").rows
    assert rows == [Row(1, ("a;b", "c")), Row(2, ("d;e", "f"))]
    path.write_bytes("Konto;Währung\n".encode("cp1252"))
    with pytest.raises(ReadError, match=r"^s.csv: cannot decode the text as utf-8: byte 0xE4 at offset 7"):
        read_table(path, encoding="utf-8")
    with pytest.raises(ReadError, match=r"^s.csv: unknown text encoding 'klingon'"):
        read_table(path, encoding="klingon")


def test_csv_over_max_cells_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("a,b\n" * 10, encoding="utf-8")
    with pytest.raises(ReadError, match=r"^s.csv: the file has more than 15 cells"):
        read_table(path, max_cells=15)


def test_undecodable_bytes_name_file_and_offset(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"Account,Quantity\n001,1\x8d5\n")
    with pytest.raises(ReadError) as info:
        read_table(path)
    message = str(info.value)
    assert message.startswith("bad.csv: cannot decode")
    assert "0x8D at offset 22" in message
    assert "line 2" in message


def test_binary_data_in_a_csv_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "blob.csv"
    path.write_bytes(b"a,b\n\x00\x01\x02\x03,\xff\n")
    with pytest.raises(ReadError, match=r"^blob.csv: "):
        read_table(path)


def test_sheet_names_of_a_csv_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("a,b\n", encoding="utf-8")
    assert sheet_names(path) == []
    with pytest.raises(ReadError, match=r"^s.csv: a CSV/text file has no sheets"):
        read_table(path, sheet="Holdings")


# --------------------------------------------------------------------------------------------
# refusals shared by both kinds
# --------------------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    for name in ("gone.xlsx", "gone.csv"):
        with pytest.raises(ReadError, match=rf"^{re.escape(name)}: file not found"):
            read_table(tmp_path / name)
    with pytest.raises(ReadError, match=r"^gone.xlsx: file not found"):
        sheet_names(tmp_path / "gone.xlsx")


def test_unknown_suffix(tmp_path: Path) -> None:
    path = tmp_path / "statement.pdf"
    path.write_bytes(b"%PDF-1.7")
    with pytest.raises(ReadError, match=r"^statement.pdf: SegDesk cannot read '.pdf' files \(it reads .csv, "):
        read_table(path)


@pytest.mark.parametrize("name", ["empty.csv", "empty.txt", "empty.xlsx", "empty.xls", "empty.ods"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(ReadError, match=rf"^{re.escape(name)}: the file is empty"):
        read_table(path)


def test_blank_text_file(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_bytes(b"\xef\xbb\xbf\r\n \r\n")
    with pytest.raises(ReadError, match=r"^blank.csv: the file contains no data"):
        read_table(path)


# --------------------------------------------------------------------------------------------
# property: whatever csv.writer writes comes back field for field, on the right lines
# --------------------------------------------------------------------------------------------

field = st.text(alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\x00\r"), max_size=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    records=st.lists(st.lists(field, min_size=1, max_size=5), min_size=1, max_size=8),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-16"]),
)
def test_csv_round_trip(tmp_path: Path, records: list[list[str]], delimiter: str, encoding: str) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    expected: list[Row] = []
    line = 1
    for record in records:
        start = buffer.tell()
        writer.writerow(record)
        written = buffer.getvalue()[start:]
        cells = tuple(value or None for value in record)
        if any(c is not None for c in cells):
            expected.append(Row(line, cells))
        line += written.count("\n")
    text = buffer.getvalue()
    if not text.strip():
        return  # an all-blank file is refused; covered above
    path = tmp_path / "rt.csv"
    path.write_bytes(text.encode(encoding))
    assert read_table(path, delimiter=delimiter).rows == expected


# --------------------------------------------------------------------------------------------
# Streaming rows (open_rows), as an import reads them
# --------------------------------------------------------------------------------------------


def _streamed(path: Path, **options: object) -> list[tuple[int, tuple[object, ...], object]]:
    with readers.open_rows(path, **options) as stream:  # type: ignore[arg-type]
        return [(n, tuple(None if c == "" else c for c in cells), texts) for n, cells, texts in stream]


def test_streamed_rows_are_the_rows_read_table_gives(tmp_path: Path) -> None:
    path = tmp_path / "statement.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["C3"] = "Account"  # the used range starts at C3: columns A and B are padding
    ws.append([None, None, "0012345-01", "BTC", 0.3, 91234.12, dt.date(2026, 11, 20)])
    ws.append([])
    ws.append([None, None, "0000777", "EUR", 42, -0.0, "x"])
    wb.save(path)
    patch_sheet_xml(path, {r'<c r="E4" t="n"><v>0.3</v>': '<c r="E4" t="n"><v>0.30000000000000004</v>'})
    table = read_table(path)
    assert [r.number for r in table.rows] == [3, 4, 6]
    for marks_first in (True, False):
        rows = _streamed(path, marks_first=marks_first, float_texts=True)
        assert trimmed([Row(n, cells) for n, cells, _ in rows]) == trimmed(table.rows)
    # Float cells come with their text at Excel's 15 digits, worked out by the reader process.
    texts = {n: t for n, _, t in rows}
    assert texts[3] is None  # no float in the row
    assert texts[4][4:6] == ("0.3", "91234.12") and texts[4][2] is None
    assert texts[6][4:6] == ("42", None)  # -0.0 is left to the general rules, which make it 0


def test_cells_found_after_the_rows_ask_for_a_second_read(tmp_path: Path) -> None:
    # Without marks_first, the error and formula cells are looked up while the rows are used; a
    # sheet that has some ends its rows in RereadNeeded, and read with marks_first it shows them.
    path = tmp_path / "errors.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["B1"] = "BTC", "placeholder"
    ws["A2"], ws["B2"] = "ETH", 5
    wb.save(path)
    patch_sheet_xml(path, {r'<c r="B1" t="inlineStr">.*?</c>': '<c r="B1" t="e"><v>#N/A</v></c>'})
    with readers.open_rows(path, marks_first=False) as stream, pytest.raises(readers.RereadNeeded):
        list(stream)
    assert [(n, cells) for n, cells, _ in _streamed(path, marks_first=True)] == [
        (1, ("BTC", ErrorValue("#N/A"))), (2, ("ETH", 5)),
    ]


def test_a_stream_closed_early_stops_its_reader(tmp_path: Path) -> None:
    path = tmp_path / "statement.xlsx"
    write_statement(path)
    stream = readers.open_rows(path, sheet="Holdings", marks_first=False)
    first = next(iter(stream))
    stream.close()
    assert first[0] == 1


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=st.lists(
        st.tuples(st.text(st.sampled_from('ab,;"x\u2028\x85 '), max_size=12), st.sampled_from(["\n", "\r\n", "\r"])),
        max_size=40,
    ),
    tail=st.text(st.sampled_from("ab,"), max_size=3),
    block=st.integers(1, 30),
)
def test_text_is_split_into_lines_exactly_as_stringio_splits_it(lines: list[tuple[str, str]], tail: str, block: int) -> None:
    # The csv reader gets the text a block at a time; its lines (and so every line number in a
    # message) must be exactly those of the whole text.
    text = "".join(a + b for a, b in lines) + tail
    original = readers._TEXT_BLOCK
    readers._TEXT_BLOCK = block
    try:
        assert list(readers._text_lines(text)) == list(io.StringIO(text, newline=""))
    finally:
        readers._TEXT_BLOCK = original


def test_a_large_csv_streams_with_its_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    body = "".join(f'{i},"quoted\nacross lines",{i}.5\r\n' if i % 1000 == 7 else f"{i},x,{i}.5\n" for i in range(60_000))
    path.write_text("n,text,amount\n" + body, encoding="utf-8")
    with readers.open_rows(path) as stream:
        rows = list(stream)
    assert len(rows) == 60_001
    # a record holding a quoted newline takes two physical lines; later line numbers count both
    assert rows[8][:2] == (9, ["7", "quoted\nacross lines", "7.5"])
    assert rows[9][:2] == (11, ["8", "x", "8.5"])
    assert rows[-1][0] == 60_001 + 60_000 // 1000


def test_sheet_rows_are_numbered_from_calamine_iter_rows_leading_rows(tmp_path: Path) -> None:
    # The reader process streams a sheet with python-calamine's iter_rows(), which starts at row 1
    # (the rows above the used range come first, empty): a table starting on row 5 keeps its
    # numbers, in both ways of streaming, and a blank row inside it is still left out.
    path = tmp_path / "low.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["B5"], ws["C5"] = "Asset", "Quantity"
    ws["B6"], ws["C6"] = "BTC", 0.1
    ws["C9"] = 2
    wb.save(path)
    for marks_first in (True, False):
        rows = _streamed(path, marks_first=marks_first, float_texts=True)
        assert [(n, [c for c in cells if c not in (None, "")]) for n, cells, _ in rows] == [
            (5, ["Asset", "Quantity"]), (6, ["BTC", 0.1]), (9, [2])
        ]
        assert rows[1][2][2] == "0.1"


def test_the_reader_process_starts_light() -> None:
    # The reader starts as `python -S` loading sheet_worker.py alone: none of SegDesk and none
    # of the heavier standard modules are imported before a request asks for them, so a read
    # does not wait on a hundred milliseconds of imports (measured: 0.12-0.19 s before, 0.03 s now).
    command = readers._worker_command()
    assert command[1:3] == ["-S", "-c"]
    probe = command[3].replace("module.run_sheet_worker()\n", "print(' '.join(sorted(sys.modules)))\n")
    assert probe != command[3]
    done = subprocess.run([*command[:3], probe, *command[4:]], capture_output=True, text=True, check=True)
    loaded = set(done.stdout.split())
    assert "segdesk_sheet_worker" in loaded
    assert not {m for m in loaded if m.startswith("segdesk.")}
    assert not loaded & {"zipfile", "subprocess", "tempfile", "dataclasses", "pathlib", "csv", "python_calamine", "site"}


_CELLS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, -0.0, 1e15, 1e-5, 123456789.12345678, 0.1]),
    st.integers(-10**6, 10**6), st.text(max_size=3), st.booleans(), st.just(""),
)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 6).flatmap(lambda width: st.lists(st.lists(_CELLS, min_size=width, max_size=width), min_size=1,
                                                              max_size=30)),
       st.lists(st.integers(0, 29), max_size=3))
def test_float_texts_worked_out_a_column_at_a_time_are_those_of_each_row(rows: list[list[object]], ragged: list[int]) -> None:
    # The worker formats a chunk's floats a column at a time; the result must be, row by row,
    # what the one-row rule gives: each float's text at 15 digits, None for an exponent, inf, nan
    # or -0, and None for the whole row when it holds no float. Rows of other widths too.
    cells = [tuple(row) for row in rows]
    for k in ragged:
        if k < len(cells):
            cells[k] = cells[k][:-1]
    expected = [sheet_worker._row_float_texts(row) for row in cells]
    assert list(sheet_worker._float_texts(cells)) == expected
    for row, texts in zip(cells, expected):
        if texts is not None:
            assert texts == tuple(
                None if c.__class__ is not float or c == 0 and str(c).startswith("-") else sheet_worker.float_text(c)  # type: ignore[arg-type]
                for c in row
            )


def test_blank_rows_are_left_out_in_any_chunk() -> None:
    # Blank rows anywhere (a chunk of them only, a chunk's first or last) leave the numbering exact.
    values = [["", ""], ["a", 1.5], ["", ""], ["", ""], ["", "b"], ["", ""]] * 3 + [["", ""]] * 4 + [[2.0, ""]]
    expected = [(n, tuple(row)) for n, row in enumerate(values, start=1) if row.count("") != len(row)]
    for size in (1, 2, 3, 4, 7, 100):
        chunks = list(sheet_worker._row_chunks(iter(values), (1, 0), len(values) - 1, True, False, size=size))
        assert all(chunks) and all(len(chunk) <= size for chunk in chunks)
        assert [(n, c) for chunk in chunks for n, c, _ in chunk] == expected
        assert [t for chunk in chunks for _, _, t in chunk] == [sheet_worker._row_float_texts(c) for _, c in expected]


def _rows_of(*args: object) -> list[tuple[int, tuple[object, ...], object]]:
    """`_row_chunks`' rows, one after another."""
    return [row for chunk in sheet_worker._row_chunks(*args) for row in chunk]  # type: ignore[arg-type]


def test_rows_out_of_place_are_refused_not_misnumbered() -> None:
    # Should iter_rows ever give the used range's rows only (no leading empty rows), the count
    # or a value above the used range gives it away: the read is refused, never misnumbered.
    start, height = (4, 1), 2
    good = [[""], [""], [""], [""], ["a"], ["b"]]
    assert [(n, c) for n, c, _ in _rows_of(iter(good), start, height, False, True)] == [
        (5, (None, "a")), (6, (None, "b"))
    ]
    with pytest.raises(sheet_worker._Refusal, match=r"^not a readable spreadsheet \(the reader gave its rows out of place\)$"):
        list(_rows_of(iter([["a"], ["b"]]), start, height, False, True))
    with pytest.raises(sheet_worker._Refusal, match="out of place"):
        list(_rows_of(iter([[""], [""], [""], [""], [""], [""], ["b"]]), start, height, False, True))
