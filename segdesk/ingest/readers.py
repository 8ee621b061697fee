"""Read statement files (spreadsheets and CSV/text) into plain tables of cells.

This module only turns bytes into rows of Python values; it knows nothing about balances,
profiles or the database (no Qt, no SQLAlchemy). Every failure is a `ReadError` whose text is
one line a person can act on and names the file (and sheet).

Spreadsheets are read with python-calamine, but never in this process. Measured with
python-calamine 0.9.1: a 5 KB .xlsx holding just A1 and XFD1048576 makes calamine allocate one
dense 17-billion-cell grid and *abort the whole process* (a Rust allocation failure, SIGABRT:
no Python exception to catch), and a 5 KB file holding A1 and CU999999 costs 9 s and 3 GB before
any Python code could look at the sheet's dimensions. Only the .ods reader has a cell cap
(100 million cells, which is still 3 GB). Catching that in a pre-check would mean re-implementing
the bounds logic of four file formats exactly as calamine does it; anything less is not safe. So
calamine runs in a short-lived worker process (about 25 ms to start) with a memory cap
(RLIMIT_AS, where the platform has it) and a timeout: a hostile file can only kill the worker,
which becomes a ReadError here. CSV/text files are parsed in-process by the csv module, whose
cost is bounded by the file size we accept.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import os
import pickle
import posixpath
import re
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable, Iterator

__all__ = [
    "SPREADSHEET_SUFFIXES",
    "TEXT_SUFFIXES",
    "ErrorValue",
    "FormulaWithoutValue",
    "ReadError",
    "RereadNeeded",
    "Row",
    "RowStream",
    "Table",
    "decode_text",
    "detect_delimiter",
    "float_text",
    "open_rows",
    "read_table",
    "run_sheet_worker",
    "sheet_names",
]


# --------------------------------------------------------------------------------------------
# Public types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormulaWithoutValue:
    """A formula cell the producing program saved without a computed (cached) value.

    Such a cell shows a number in Excel but holds none in the file (typical of files written by
    scripts and never opened in Excel). It must never be taken as empty or zero.
    """

    formula: str  # e.g. "=SUM(B2:B9)" (best effort; "" if unknown)


@dataclass(frozen=True)
class ErrorValue:
    """A cell holding an error result (a formula that failed): never a value, never empty or zero.

    python-calamine reports these as "", or even 0 (an .ods error cell may carry
    office:value="0"), so they are looked up in the file itself: .xlsx/.xlsm, .xlsb, .ods. Not
    for .xls, whose error cells python-calamine cannot tell from blanks (see `_worker_handle`).
    """

    text: str  # as the file shows it, e.g. "#DIV/0!", "#N/A" (LibreOffice: also "Err:502")

    def __str__(self) -> str:
        # Code that turns a cell into text sees what the spreadsheet shows ("#N/A"), which it
        # already refuses as a code or an amount, never the repr of this class.
        return self.text


@dataclass(frozen=True)
class Row:
    number: int  # 1-based, as a spreadsheet shows it; CSV: the physical line the record starts on
    cells: tuple[object, ...]  # index 0 = column A; a cell beyond the tuple's end is empty (None)


@dataclass(frozen=True)
class Table:
    file_name: str  # base name of the file
    sheet: str | None  # sheet name; None for CSV/TXT
    rows: list[Row]  # entirely blank rows are omitted; row numbers stay absolute


class ReadError(Exception):
    """The file cannot be read; str(e) is one line for a person, naming the file (and sheet)."""


class RereadNeeded(Exception):
    """Ends a `RowStream` opened with ``marks_first=False`` whose sheet turned out to hold formula
    cells without a saved value or error cells. The rows already given showed those cells as
    calamine reads them (empty, "" or 0), so whatever was made of them must be thrown away and
    the sheet read again with ``marks_first=True``."""


class RowStream:
    """The rows of one sheet or text file, handed over as they are read.

    Iterate it once: (row number, cells, texts) in row order, entirely blank rows left out; row
    numbers are as in `Row`. A cell that is None or "" is empty (CSV cells stay the csv module's
    strings, in a list). ``texts`` is None, or (with ``float_texts``) a tuple giving for each
    float cell its `float_text`, worked out in the reader process while this one is busy. A `ReadError` can come at any point of the iteration (a CSV line that is
    not valid CSV, a reader process that fails). Close it when done, or use it in a ``with``: a
    spreadsheet's reader process is stopped then.
    """

    def __init__(
        self,
        file_name: str,
        head: Callable[[], tuple[str | None, int]],
        rows: Iterator[tuple[int, Any, Any]],
        close: Callable[[], None] | None = None,
        cut: list[tuple[int, int, int]] | None = None,
    ) -> None:
        self.file_name = file_name
        self._cut = cut  # filled by the CSV reader when it reaches the end (see `cut_short`)
        self._head = head  # (sheet, rows hint), when first asked for: a sheet's reader may still be reading
        self._known: tuple[str | None, int] | None = None
        self._rows = rows
        self._close = close

    @property
    def sheet(self) -> str | None:
        """The sheet's name (None for a CSV/text file)."""
        if self._known is None:
            self._known = self._head()
        return self._known[0]

    @property
    def rows_hint(self) -> int:
        """About how many rows there are, for progress."""
        if self._known is None:
            self._known = self._head()
        return self._known[1]

    @property
    def cut_short(self) -> tuple[int, int, int] | None:
        """For a CSV/text file that ends in the middle of a line, as one cut short does: (that
        line, its number of values, the number of the line before), known once every row has
        been given; else None. Whether that matters is for the reader of the rows to say: a
        shortened balance does, a footnote ("Total,300") does not."""
        return self._cut[0] if self._cut else None

    def __iter__(self) -> Iterator[tuple[int, Any, Any]]:
        return self._rows

    def close(self) -> None:
        close_rows = getattr(self._rows, "close", None)
        if close_rows is not None:
            close_rows()
        if self._close is not None:
            self._close()
            self._close = None

    def __enter__(self) -> RowStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}
TEXT_SUFFIXES = {".csv", ".txt"}

# A text file larger than this is refused before it is read into memory: a statement is never
# near it, and decoding plus parsing costs several times the file size.
MAX_TEXT_BYTES = 512 * 1024 * 1024

# detect_delimiter looks at this many non-blank lines.
_SNIFF_LINES = 50
# Candidate delimiters; on a tie in consistency the earlier one wins. ";" comes before "," because
# a file that splits consistently on ";" and also on "," is a decimal-comma file (`001;1,5`).
_DELIMITERS = (";", "\t", "|", ",")


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------


def sheet_names(path: Path) -> list[str]:
    """Names of the sheets of a spreadsheet, in workbook order; [] for a CSV/text file."""
    path = Path(path)
    suffix = _check_file(path)
    if suffix in TEXT_SUFFIXES:
        return []
    kind, use_path = _sniff_workbook(path, suffix)
    # An .xls is parsed whole when it is opened, so listing its sheets needs the usual memory.
    worker = _Worker(path, {"op": "names", "kind": kind, "use_path": use_path, "max_cells": 20_000_000})
    try:
        _check_zip_contents(path, kind)
        reply = worker.message()
    finally:
        worker.close()
    if not isinstance(reply, dict) or not isinstance(reply.get("names"), list):
        raise ReadError(f"{path.name}: the spreadsheet reader gave an unreadable answer")
    names: list[str] = reply["names"]
    return names


def read_table(
    path: Path,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    max_cells: int = 20_000_000,
) -> Table:
    """Read one sheet of a spreadsheet (default: the first worksheet) or a whole CSV/text file.

    `encoding` and `delimiter` apply to CSV/text only. A sheet, or a text file, with more than
    `max_cells` cells is refused before its rows are built.
    """
    with open_rows(path, sheet=sheet, encoding=encoding, delimiter=delimiter, max_cells=max_cells) as stream:
        if stream.sheet is None:
            rows = [Row(number, tuple(None if cell == "" else cell for cell in cells)) for number, cells, _ in stream]
        else:
            rows = [Row(number, cells) for number, cells, _ in stream]
    return Table(file_name=stream.file_name, sheet=stream.sheet, rows=rows)


def open_rows(
    path: Path,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    max_cells: int = 20_000_000,
    data: bytes | None = None,
    marks_first: bool = True,
    float_texts: bool = False,
) -> RowStream:
    """`read_table`'s rows as a `RowStream`, so a large file is never held as rows all at once.

    `data`: the file's bytes when the caller has read them already (CSV/text; a spreadsheet is
    read by its reader process from `path`). With ``marks_first=False`` a spreadsheet's rows start
    coming before its formula and error cells are looked up (that look-up then runs while the rows
    are used); should it find any, the iteration ends in `RereadNeeded`. With ``float_texts`` each
    row comes with the `float_text` of its float cells.
    """
    path = Path(path)
    suffix = _check_file(path)
    if suffix in TEXT_SUFFIXES:
        if sheet is not None:
            raise ReadError(f"{path.name}: a CSV/text file has no sheets (sheet '{sheet}' was asked for)")
        return _text_rows(path, encoding=encoding, delimiter=delimiter, max_cells=max_cells, data=data)
    kind, use_path = _sniff_workbook(path, suffix)
    request = {"op": "read", "kind": kind, "use_path": use_path, "sheet": sheet, "max_cells": max_cells,
               "marks_first": marks_first, "float_texts": float_texts}
    return _sheet_rows(path, request)


def decode_text(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Decode a text file: (text, encoding used). Raises ReadError (without a file name).

    Without `encoding`: a BOM (UTF-8, UTF-16 LE/BE, UTF-32) decides; then BOM-less UTF-16 (NUL
    bytes in every other position); then strict UTF-8; then cp1252, the Windows encoding that
    custodian exports in Western Europe use. A leading BOM is never part of the text.
    """
    if encoding is not None:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            raise ReadError(f"unknown text encoding '{encoding}'") from None
        if codec == "utf-8":
            codec = "utf-8-sig"  # tolerate a BOM when the profile says utf-8
        return _decode_strict(data, codec, stated=encoding).removeprefix("\ufeff"), codec

    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: its BOM starts the same way
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return _decode_strict(data, codec), codec

    bomless_utf16 = _guess_bomless_utf16(data)
    if bomless_utf16:
        return _decode_strict(data, bomless_utf16), bomless_utf16

    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # cp1252 leaves five bytes undefined; a file holding one is neither UTF-8 nor cp1252.
    return _decode_strict(data, "cp1252", stated="UTF-8 or cp1252"), "cp1252"


def detect_delimiter(text: str) -> str:
    """The delimiter among ; TAB | , that splits the first lines most consistently.

    Each candidate is scored on the first ~50 non-blank lines, parsed with the csv module (so
    quoted delimiters do not count): the share of records having the most common field count,
    which must be at least 2. Ties go to the earlier candidate in `_DELIMITERS`. A text with no
    multi-column candidate gets ",".
    """
    lines: list[str] = []
    for line in io.StringIO(text, newline=""):
        if line.strip():
            lines.append(line)
            if len(lines) >= _SNIFF_LINES:
                break
    sample = "".join(lines)
    best, best_score = ",", 0.0
    for candidate in _DELIMITERS:
        try:
            counts = [
                len(record)
                for record in csv.reader(io.StringIO(sample, newline=""), delimiter=candidate)
                if any(field.strip() for field in record)
            ]
        except csv.Error:
            continue
        if not counts:
            continue
        tally = Counter(counts)
        # The most common field count; between equally common counts, the wider one.
        width, hits = max(tally.items(), key=lambda item: (item[1], item[0]))
        if width < 2:
            continue
        score = hits / len(counts)
        if score > best_score:
            best, best_score = candidate, score
    return best


# --------------------------------------------------------------------------------------------
# Checks shared by both kinds of file
# --------------------------------------------------------------------------------------------


def _check_file(path: Path) -> str:
    """Refuse what is not a readable file of a known kind; return the lower-case suffix."""
    name = path.name or str(path)
    suffix = path.suffix.lower()
    if suffix not in SPREADSHEET_SUFFIXES | TEXT_SUFFIXES:
        known = ", ".join(sorted(SPREADSHEET_SUFFIXES | TEXT_SUFFIXES))
        shown = f"'{path.suffix}' files" if path.suffix else "files without a suffix"
        raise ReadError(f"{name}: SegDesk cannot read {shown} (it reads {known})")
    try:
        if not path.exists():
            raise ReadError(f"{name}: file not found ({path})")
        if not path.is_file():
            raise ReadError(f"{name}: not a file ({path})")
        size = path.stat().st_size
    except OSError as exc:
        raise ReadError(f"{name}: cannot open the file ({exc.strerror or exc})") from None
    if size == 0:
        raise ReadError(f"{name}: the file is empty (0 bytes)")
    return suffix


# --------------------------------------------------------------------------------------------
# CSV / text
# --------------------------------------------------------------------------------------------


def _text_rows(
    path: Path, *, encoding: str | None, delimiter: str | None, max_cells: int, data: bytes | None
) -> RowStream:
    name = path.name
    try:
        size = len(data) if data is not None else path.stat().st_size
        if size > MAX_TEXT_BYTES:
            raise ReadError(f"{name}: the file is too large to import ({size:,} bytes; the limit is {MAX_TEXT_BYTES:,})")
        if data is None:
            data = path.read_bytes()
    except OSError as exc:
        raise ReadError(f"{name}: cannot read the file ({exc.strerror or exc})") from None
    _refuse_binary(name, data, encoding)
    try:
        text, _ = decode_text(data, encoding)
    except ReadError as exc:
        raise ReadError(f"{name}: {exc}") from None
    del data
    if not text.strip():
        raise ReadError(f"{name}: the file contains no data")
    if "\x00" in text:
        # The csv module refuses NUL; a text file holding one is almost always binary.
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ReadError(f"{name}: not a text file (binary data on line {line})")
    if delimiter is None:
        delimiter = detect_delimiter(text)
    elif len(delimiter) != 1 or delimiter in "\"\r\n":
        raise ReadError(
            f"{name}: the delimiter must be one character other than a quote or newline, not {delimiter!r}"
        )
    lines = text.count("\n") or text.count("\r")
    cut: list[tuple[int, int, int]] = []
    return RowStream(name, lambda: (None, lines + 1), _csv_records(name, text, delimiter, max_cells, cut), cut=cut)


_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)  # UTF-32's start like UTF-16's
_SNIFF_BYTES = 8192


def _refuse_binary(name: str, data: bytes, encoding: str | None) -> None:
    """Refuse, by name, what is not text at all: a PDF, a workbook, an image, random bytes. Before
    decoding, so that such a file is not reported as a text with an odd byte at offset 0."""
    from segdesk.ingest.containers import binary_kind, looks_binary

    head = data[:_SNIFF_BYTES]
    what = binary_kind(head)
    if what is None:
        try:
            wide = encoding is not None and codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))
        except LookupError:
            return  # decode_text names the unknown encoding
        if wide or head.startswith(_BOMS) or _guess_bomless_utf16(head):
            return
        controls = looks_binary(data, head)
        if not controls:
            return
        raise ReadError(
            f"{name}: not a CSV/text file: this is binary data, not text ({controls:,} of its first "
            f"{len(head):,} bytes are control codes that no text file holds)"
        )
    suffix = re.search(r"\((\.\w+)\)$", what)
    hint = f"; rename it to {suffix.group(1)} to import it as a spreadsheet" if suffix else ""
    raise ReadError(f"{name}: not a CSV/text file: this is {what}, not CSV text{hint}")


def _csv_records(
    name: str, text: str, delimiter: str, max_cells: int, cut: list[tuple[int, int, int]] | None = None
) -> Iterator[tuple[int, list[str], None]]:
    """(physical line the record starts on, fields) of each record that is not entirely empty.

    A file cut short (a copy or download that stopped) most often ends inside a line. When the
    text does not end with a line break and its last record has fewer values than the one before,
    (its line, its values, the values before) is put in `cut` just before that record is given
    (see `RowStream.cut_short`). A cut at the end of a line cannot be seen."""
    reader = csv.reader(_text_lines(text), delimiter=delimiter)
    line_before = 0  # physical lines consumed before the current record
    cells_seen = 0
    held: tuple[int, list[str], None] | None = None  # the latest record, given once another comes
    width_before = 0  # the number of values of the record before `held`
    try:
        for record in reader:
            start = line_before + 1
            line_before = reader.line_num
            cells_seen += len(record)
            if cells_seen > max_cells:
                raise ReadError(f"{name}: the file has more than {max_cells:,} cells, the import limit")
            if any(record):
                if held is not None:
                    width_before = len(held[1])
                    yield held
                held = (start, record, None)
    except csv.Error as exc:
        raise ReadError(f"{name}: line {reader.line_num}: not valid CSV ({exc})") from None
    if held is None:
        return
    width = len(held[1])
    if cut is not None and width < width_before and not text.endswith(("\n", "\r")):
        cut.append((held[0], width, width_before))
    yield held


_TEXT_BLOCK = 1 << 20


def _text_lines(text: str) -> Iterator[str]:
    """The lines of `text` exactly as ``io.StringIO(text, newline="")`` gives them, a block of about
    a megabyte at a time: while it is read, a StringIO holds four bytes per character, which for a
    whole large file is several times its size. Blocks end just after a "\\n", where StringIO ends
    a line too (a file with no "\\n" at all is one block)."""

    def blocks() -> Iterator[io.StringIO]:
        start, end = 0, len(text)
        while start < end:
            stop = end
            if start + _TEXT_BLOCK < end:
                cut = text.rfind("\n", start, start + _TEXT_BLOCK)
                if cut < 0:
                    cut = text.find("\n", start + _TEXT_BLOCK)  # one very long line: to its end
                if cut >= 0:
                    stop = cut + 1
            yield io.StringIO(text[start:stop], newline="")
            start = stop

    return itertools.chain.from_iterable(blocks())


def _decode_strict(data: bytes, codec: str, *, stated: str | None = None) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        shown = stated or codec
        line = data.count(b"\n", 0, exc.start) + 1
        raise ReadError(
            f"cannot decode the text as {shown}: byte 0x{data[exc.start]:02X} at offset {exc.start} "
            f"(line {line}) is not valid; save the file as UTF-8, or give the right encoding in the profile"
        ) from None
    except UnicodeError as exc:  # e.g. a truncated UTF-16 surrogate pair at the end
        raise ReadError(f"cannot decode the text as {stated or codec} ({exc})") from None


def _guess_bomless_utf16(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when NUL bytes sit in every other position, as in ASCII text
    saved as UTF-16 without a BOM (strict UTF-8 would accept it, NULs and all)."""
    head = data[:4096]
    if len(head) < 4 or b"\x00" not in head:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


# --------------------------------------------------------------------------------------------
# Spreadsheets: what the file really is
# --------------------------------------------------------------------------------------------

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
# Which suffix calamine's from_path expects for each kind of content.
_SUFFIX_OF_KIND = {"xlsx": {".xlsx", ".xlsm"}, "xlsb": {".xlsb"}, "xls": {".xls"}, "ods": {".ods"}}


def _sniff_workbook(path: Path, suffix: str) -> tuple[str, bool]:
    """Look at the container: (kind of workbook, whether calamine may open it by its suffix).

    Cheap and in-process: it reads the first bytes and, for a zip, its directory only. It turns
    the common wrong files (encrypted workbooks, HTML or text saved as .xls, damaged zips) into
    clear messages, and lets a workbook whose suffix lies (an .xlsx named .xls) be read by its
    content. calamine picks its reader from the suffix in from_path but loses PasswordError when
    it sniffs the content itself, so from_path is used whenever the suffix tells the truth.
    """
    name = path.name
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
            if head.startswith(_ZIP_MAGICS):
                kind = _zip_kind(fh, name)
            elif head == _OLE_MAGIC:
                fh.seek(0)
                kind = _ole_kind(fh, name)
            else:
                fh.seek(0)
                raise ReadError(f"{name}: not a readable spreadsheet ({_describe_non_workbook(fh.read(8192), suffix)})")
    except OSError as exc:
        raise ReadError(f"{name}: cannot read the file ({exc.strerror or exc})") from None
    return kind, suffix in _SUFFIX_OF_KIND[kind] and path.suffix == suffix


def _zip_kind(fh: BinaryIO, name: str) -> str:
    # Imported here, not at the top: the worker process loads this file alone (see _WORKER_BOOT).
    from segdesk.ingest.containers import zip_count_problem, zip_directory_problem

    try:
        problem = zip_count_problem(fh)
        if problem is not None:
            raise ReadError(f"{name}: not a readable spreadsheet ({problem})")
        with zipfile.ZipFile(fh) as zf:
            infos = zf.infolist()
            # Zip bombs the directory shows are refused here, before any reader expands a byte;
            # the parts themselves are streamed by `_check_zip_contents` while the reader starts.
            problem = zip_directory_problem(infos, fh.seek(0, os.SEEK_END))
            if problem is not None:
                raise ReadError(f"{name}: not a readable spreadsheet ({problem})")
            members = {info.filename.lower(): info.filename for info in infos}
            if "mimetype" in members or "content.xml" in members:
                manifest = members.get("meta-inf/manifest.xml")
                if manifest:
                    with zf.open(manifest) as stream:
                        if b"encryption-data" in stream.read(1 << 20):
                            raise ReadError(_password_message(name))
                return "ods"
            if any(m.endswith("workbook.bin") for m in members):
                return "xlsb"
            if "[content_types].xml" in members:
                return "xlsx"
    except ReadError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError,
            zlib.error) as exc:
        # NotImplementedError: a compression method zipfile lacks; EOFError/ValueError: truncation;
        # zlib.error: a damaged part read here (the manifest of an .ods)
        reason = str(exc)
        if isinstance(exc, zipfile.BadZipFile) and reason == "File is not a zip file":
            # It starts like a zip but has no directory at its end: most often a file cut short.
            reason = "it starts as a zip archive but its directory, at the end, is missing: the file looks cut " \
                     "short; copy or download it again"
        raise ReadError(f"{name}: not a readable spreadsheet (damaged zip container: {reason})") from None
    raise ReadError(
        f"{name}: not a readable spreadsheet (a zip archive, but not an Excel or OpenDocument workbook)"
    )


_ZIP_KINDS = {"xlsx", "xlsb", "ods"}


def _check_zip_contents(path: Path, kind: str) -> None:
    """Stream every part of a zip workbook, counting bytes (see `containers.zip_contents_problem`):
    a part bigger than its header says, a damaged one, or XML declaring entities is refused.

    Called once the reader process is started, so this pass (zlib: about 1 ms per MB expanded)
    runs beside it rather than before it; whatever that process meets first is bounded by its
    memory cap and time limit, and this refusal is the one reported.
    """
    if kind not in _ZIP_KINDS:
        return
    from segdesk.ingest.containers import zip_contents_problem

    try:
        with path.open("rb") as fh, zipfile.ZipFile(fh) as zf:
            problem = zip_contents_problem(fh, zf.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, zlib.error) as exc:
        problem = f"damaged zip container: {exc}"
    if problem is not None:
        raise ReadError(f"{path.name}: not a readable spreadsheet ({problem})")


def _ole_kind(fh: BinaryIO, name: str) -> str:
    # Encrypted .xlsx/.xlsb files are OLE containers whose directory names the stream
    # "EncryptedPackage" (UTF-16LE). The directory is small and usually near the start, but it may
    # be anywhere, so the whole (small) container is searched in bounded pieces.
    marker = "EncryptedPackage".encode("utf-16-le")
    tail = b""
    while chunk := fh.read(1 << 20):
        if marker in tail + chunk:
            raise ReadError(_password_message(name))
        tail = chunk[-len(marker):]
    return "xls"


def _describe_non_workbook(head: bytes, suffix: str) -> str:
    from segdesk.ingest.containers import binary_kind

    what = binary_kind(head)
    if what is not None:
        return f"this is {what}, not {_WORKBOOK_OF_SUFFIX.get(suffix, 'a workbook')}"
    text = head.lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html", b"<table", b"<meta", b"<head")):
        return "it is a web page (HTML) with a spreadsheet name; open it in Excel and save it as .xlsx"
    if text.startswith(b"<?xml") or text.startswith(b"<"):
        return (
            "it is an XML file with a spreadsheet name (perhaps Excel 2003 XML); "
            "open it in Excel and save it as .xlsx"
        )
    if head and sum(32 <= b < 127 or b in b"\t\r\n" for b in head) > 0.95 * len(head):
        return "it is plain text with a spreadsheet name; if it is CSV, rename it to .csv"
    return "unrecognised or damaged content"


_WORKBOOK_OF_SUFFIX = {
    ".xlsx": "an .xlsx workbook", ".xlsm": "an .xlsm workbook", ".xlsb": "an .xlsb workbook",
    ".xls": "an .xls workbook", ".ods": "an .ods spreadsheet",
}
_PASSWORD_REASON = "the workbook is password-protected; save an unprotected copy and import that"


def _password_message(name: str) -> str:
    return f"{name}: {_PASSWORD_REASON}"


# --------------------------------------------------------------------------------------------
# Spreadsheets: the parent's side of the worker
# --------------------------------------------------------------------------------------------

# Memory cap of the worker (RLIMIT_AS: address space, so it includes the interpreter, about
# 50 MB). Measured on a 2-million-cell .xlsx: calamine peaks at ~85 bytes per cell while building
# its grid (sparse cells plus the dense range), the whole read at ~110 bytes per cell. The cap is
# raised in two steps: calamine's parse runs under the lower soft limit, so a file claiming far
# more cells than max_cells fails at once (calamine allocates its grid in one piece); after the
# claimed dimensions passed the max_cells check, the soft limit is raised to the hard limit for
# building the rows.
_MEM_BASE = 768 << 20
_MEM_PER_CELL_PARSE = 96
_MEM_PER_CELL_BUILD = 192


def _worker_timeout(size: int) -> float:
    """Seconds the worker may take: honest files read at several MB per second; a hostile one
    that makes the reader loop is stopped after 20 s plus 2 s per MB of file."""
    return min(20.0 + size / 500_000, 600.0)


# The worker loads this very file by path rather than importing the package: it then depends
# neither on sys.path nor on whatever segdesk/__init__ and segdesk/ingest/__init__ import.
_WORKER_BOOT = (
    "import importlib.util, sys\n"
    "spec = importlib.util.spec_from_file_location('segdesk_sheet_worker', sys.argv[1])\n"
    "module = importlib.util.module_from_spec(spec)\n"
    "sys.modules[spec.name] = module\n"
    "spec.loader.exec_module(module)\n"
    "module.run_sheet_worker()\n"
)
# Packaged (frozen) builds have no interpreter to pass -c to: their entry point must call
# `run_sheet_worker()` (and exit) when started with this single argument.
FROZEN_WORKER_ARG = "--segdesk-sheet-worker"


def _worker_command() -> list[str]:
    if getattr(sys, "frozen", False):
        return [sys.executable, FROZEN_WORKER_ARG]
    return [sys.executable, "-c", _WORKER_BOOT, str(Path(__file__).resolve())]


class _Worker:
    """One run of the worker process; its messages are read one at a time, as it writes them.

    A message is one pickle: a dict (a head, an end, or {"status": "refused", ...}) or a list of
    rows. The time limit counts only the time spent waiting for the worker, not the time the
    caller spends on the rows between two messages (while the worker waits on the full pipe).
    """

    def __init__(self, path: Path, request: dict[str, Any]) -> None:
        self.name = path.name
        self.sheet = request.get("sheet")
        self.request = {**request, "path": str(path)}
        env = {**os.environ, "RUST_BACKTRACE": "0"}  # a Rust panic/abort leaves one short line
        try:
            self.timeout = _worker_timeout(path.stat().st_size)
            request = {**request, "path": str(path.resolve())}
        except OSError as exc:
            raise ReadError(f"{self.name}: cannot read the file ({exc.strerror or exc})") from None
        self.stderr = tempfile.TemporaryFile()  # a file, not a pipe: nothing can block on it
        try:
            self.proc = subprocess.Popen(
                _worker_command(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self.stderr,
                env=env,
                creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),  # no console flash on Windows
            )
        except OSError as exc:
            self.stderr.close()
            raise ReadError(f"{self.name}: could not start the spreadsheet reader ({exc.strerror or exc})") from None
        self.waited = 0.0
        self.waiting_since: float | None = time.monotonic()
        self.timed_out = False
        self.closed = False
        self._stop = threading.Event()
        threading.Thread(target=self._watch, name="sheet-reader-watchdog", daemon=True).start()
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.stdout = self.proc.stdout
        try:
            self.proc.stdin.write(pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL))
            self.proc.stdin.close()
        except OSError:
            pass  # the worker is gone already; why is read from its exit status below

    def _watch(self) -> None:
        step = min(0.05, max(self.timeout / 4, 0.001))
        while not self._stop.wait(step):
            since = self.waiting_since
            waited = self.waited + (time.monotonic() - since if since is not None else 0.0)
            if waited > self.timeout:
                self.timed_out = True
                self.proc.kill()
                return

    def message(self) -> Any:  # noqa: ANN401 - a dict or a list of rows
        if self.waiting_since is None:
            self.waiting_since = time.monotonic()
        try:
            message = _SafeUnpickler(self.stdout).load()
        except Exception:  # a reply we cannot trust is a failed read, never a crash
            raise self._failure() from None
        finally:
            if self.waiting_since is not None:
                self.waited += time.monotonic() - self.waiting_since
            self.waiting_since = None
        if isinstance(message, dict):
            if message.get("status") == "refused":
                raise ReadError(f"{self.name}{_sheet_part(message.get('sheet'))}: {message.get('message')}")
            if message.get("status") != "ok":
                raise ReadError(f"{self.name}: the spreadsheet reader gave an unreadable answer")
        elif not isinstance(message, list):
            raise ReadError(f"{self.name}: the spreadsheet reader gave an unreadable answer")
        return message

    def _failure(self) -> ReadError:
        try:
            returncode = self.proc.wait(timeout=5)  # it has closed its output: it is ending
        except subprocess.TimeoutExpired:
            self.proc.kill()
            returncode = self.proc.wait()
        if self.timed_out:
            return ReadError(
                f"{self.name}: not a readable spreadsheet (reading it took longer than {self.timeout:.0f} seconds; "
                "the file is damaged or built to stall readers)"
            )
        if returncode == 0:
            return ReadError(f"{self.name}: the spreadsheet reader gave an unreadable answer")
        self.stderr.seek(0)
        stderr = self.stderr.read(1 << 20).decode("utf-8", "replace")
        if "memory allocation" in stderr or "MemoryError" in stderr or "Cannot allocate memory" in stderr:
            reason = _memory_reason(self.request)
        else:
            last = next((line.strip() for line in reversed(stderr.splitlines()) if line.strip()), "")
            reason = f"the reader stopped unexpectedly: {last[:200]}" if last else (
                f"the reader stopped unexpectedly (exit status {returncode})"
            )
        return ReadError(f"{self.name}{_sheet_part(self.sheet)}: not a readable spreadsheet ({reason})")

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._stop.set()
        if self.proc.poll() is None:
            self.proc.kill()  # done with it, or stopped early: either way it has nothing more to say
        self.proc.wait()
        self.stdout.close()
        self.stderr.close()


def _sheet_part(sheet: object) -> str:
    return f", sheet '{sheet}'" if sheet else ""


REPLY_CHUNK_ROWS = 2000


def _sheet_rows(path: Path, request: dict[str, Any]) -> RowStream:
    """The rows of one sheet as the worker sends them: a head (the sheet's name, its height, and
    the formula and error cells found before the rows; read when first needed, so the caller can
    do other work while calamine reads), lists of REPLY_CHUNK_ROWS rows, then an end. Unpickling
    chunk by chunk lets other threads run in between: one 100k-row unpickle would hold the
    interpreter lock for over 100 ms and freeze the window while an import runs in the background.

    With ``marks_first`` off, a second worker looks up the formula and error cells meanwhile (it
    reads the file's XML, not its cells, and mostly while the first one is busy in calamine, which
    holds its interpreter lock throughout), and its answer is awaited at the end of the rows.
    """
    worker = _Worker(path, request)
    looker = None
    if not request.get("marks_first", True) and request["kind"] in _MARK_SCANS:
        try:
            looker = _Worker(path, {**request, "op": "marks"})
        except BaseException:
            worker.close()
            raise
    try:
        _check_zip_contents(path, request["kind"])
    except BaseException:
        worker.close()
        if looker is not None:
            looker.close()
        raise
    head: dict[str, Any] = {}

    def close() -> None:
        worker.close()
        if looker is not None:
            looker.close()

    def read_head() -> tuple[str | None, int]:
        if not head:
            try:
                message = worker.message()
                if not isinstance(message, dict) or not isinstance(message.get("sheet"), str):
                    raise ReadError(f"{path.name}: the spreadsheet reader gave an unreadable answer")
            except BaseException:
                close()
                raise
            head.update(message)
        return head["sheet"], int(head.get("rows") or 0)

    def rows() -> Iterator[tuple[int, tuple[object, ...], tuple[str | None, ...] | None]]:
        try:
            read_head()
            by_row = _marks_by_row(head.get("marks") or {})
            while True:
                message = worker.message()
                if isinstance(message, dict):
                    break
                if not by_row:
                    yield from message
                    continue
                for number, cells, texts in message:
                    if number in by_row:
                        # A mark replaces whatever calamine read there ("" or 0 for an error cell).
                        filled = list(cells)
                        for col, value in by_row[number].items():
                            filled.extend([None] * (col + 1 - len(filled)))
                            filled[col] = value
                        cells = tuple(filled)
                    yield number, cells, texts
            worker.close()
            if looker is not None:
                found = looker.message()
                if not isinstance(found, dict) or found.get("marks"):
                    raise RereadNeeded(f"{path.name}: formula or error cells found; read it again")
        finally:
            close()

    return RowStream(path.name, read_head, rows(), close)


def _marks_by_row(marks: dict[tuple[int, int], tuple[str, str]]) -> dict[int, dict[int, object]]:
    # The worker sends formula and error cells apart, as (kind, text), so that its reply holds
    # builtin types only; it has already added (empty) rows for marks in rows calamine dropped.
    by_row: dict[int, dict[int, object]] = {}
    for (number, col), (kind, text) in marks.items():
        by_row.setdefault(number, {})[col] = ErrorValue(text) if kind == "error" else FormulaWithoutValue(text)
    return by_row


class _SafeUnpickler(pickle.Unpickler):
    """The worker's reply holds only builtins and datetime values; nothing else is loaded, so a
    misbehaving worker cannot make this process import or run anything."""

    _ALLOWED = {("datetime", n) for n in ("date", "datetime", "time", "timedelta", "timezone")}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"unexpected type {module}.{name}")


# --------------------------------------------------------------------------------------------
# Spreadsheets: the worker process
# --------------------------------------------------------------------------------------------


class _Refusal(Exception):
    """Raised inside the worker: a message for a person (without the file name)."""

    def __init__(self, message: str, sheet: str | None = None) -> None:
        super().__init__(message)
        self.sheet = sheet


def run_sheet_worker() -> None:
    """Entry point of the worker process: a pickled request on stdin, pickled messages on stdout
    (see `_sheet_rows`).

    Not for use in the application's own process: this is where calamine is allowed to crash.
    """
    request = pickle.loads(sys.stdin.buffer.read())  # from our own parent process
    max_cells = max(int(request["max_cells"]), 0)
    _limit_memory(
        soft=_MEM_BASE + _MEM_PER_CELL_PARSE * max_cells,
        hard=_MEM_BASE + _MEM_PER_CELL_BUILD * max_cells,
    )
    out = sys.stdout.buffer
    _widen_pipe(out)

    def send(message: object) -> None:
        out.write(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))
        out.flush()

    try:
        _worker_handle(request, send)
    except _Refusal as exc:
        send({"status": "refused", "message": str(exc), "sheet": exc.sheet})
    except MemoryError:
        send({
            "status": "refused",
            "message": f"not a readable spreadsheet ({_memory_reason(request)})",
            "sheet": request.get("sheet"),
        })
    except BaseException as exc:  # noqa: BLE001 - includes pyo3's PanicException (a BaseException)
        reason = _damage_reason(_short(exc))
        if type(exc).__name__ == "PanicException":  # calamine failed on something it did not expect
            reason = f"damaged: the reader failed on it ({reason})"
        send({
            "status": "refused",
            "message": f"not a readable spreadsheet ({reason})",
            "sheet": request.get("sheet"),
        })


def _widen_pipe(out: Any) -> None:  # noqa: ANN401 - a binary stream
    """Let the pipe to the parent hold about a megabyte (Linux; elsewhere nothing happens), so
    this process can run a few chunks ahead instead of waiting on each in turn."""
    try:
        import fcntl

        fcntl.fcntl(out.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError, ValueError, AttributeError):
        pass


def _limit_memory(*, soft: int, hard: int) -> None:
    try:
        import resource
    except ImportError:  # Windows: the timeout and the process boundary still contain a bad file
        return
    try:  # a caller's very large max_cells must not let one file take most of the machine
        hard = min(hard, os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") * 3 // 4)
    except (ValueError, OSError, AttributeError):
        pass
    _, current_hard = resource.getrlimit(resource.RLIMIT_AS)
    if current_hard != resource.RLIM_INFINITY:
        hard = min(hard, current_hard)
    resource.setrlimit(resource.RLIMIT_AS, (min(soft, hard), hard))


def _raise_memory_limit() -> None:
    try:
        import resource
    except ImportError:
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def _calamine_reason(exc: BaseException) -> str:
    reason = _short(exc)
    if "cell limit exceeded" in reason.lower():
        # calamine's own cap (.ods): the file claims a grid of billions of cells
        return f"it claims far more cells than a statement has: {reason}"
    return _damage_reason(reason)


def _damage_reason(reason: str) -> str:
    """calamine's words for a damaged file, made readable: it names a missing part by its bare
    name ("cellXfs", "Sheet1") and may print its parser's internals ("Start(BytesStart { buf: ...")."""
    if reason and " " not in reason:
        return f"damaged: the part or element '{reason}' is missing or unreadable"
    for internal in ("BytesStart", "BytesEnd", "Borrowed(", "Owned("):
        cut = reason.find(internal)
        if cut > 0:
            return f"damaged: {reason[:cut].rstrip(' ,:(')} (an unexpected XML element)"
    if reason.startswith("Invalid MIME type: ["):
        return "damaged: its mimetype part is not that of a spreadsheet"
    return reason


def _worker_handle(request: dict[str, Any], send: Callable[[object], None]) -> None:
    import python_calamine as pc

    path = request["path"]
    try:
        if request["use_path"]:
            workbook = pc.CalamineWorkbook.from_path(path)
        else:
            with open(path, "rb") as fh:
                workbook = pc.CalamineWorkbook.from_filelike(fh)
    except pc.PasswordError:
        raise _Refusal(_PASSWORD_REASON) from None
    except (pc.CalamineError, OSError, ValueError) as exc:
        reason = _calamine_reason(exc)
        if not request["use_path"] and "detect file format" in reason:
            # calamine sniffed the content (the suffix did not match it) and found nothing it
            # can read; an encrypted workbook looks exactly like that.
            reason = "damaged, or an encrypted workbook; if it is password-protected, save an unprotected copy"
        raise _Refusal(f"not a readable spreadsheet ({reason})") from None

    with workbook:
        metadata = workbook.sheets_metadata
        names = [m.name for m in metadata]
        if request["op"] == "names":
            send({"status": "ok", "names": names})
            return

        wanted: str | None = request["sheet"]
        if wanted is None:
            worksheets = [m.name for m in metadata if m.typ != pc.SheetTypeEnum.ChartSheet]
            if not worksheets:
                raise _Refusal("the workbook has no worksheets")
            wanted = worksheets[0]
        elif wanted not in names:
            available = ", ".join(names) if names else "none"
            raise _Refusal(f"sheet '{wanted}' not found (sheets: {available})")
        if any(m.name == wanted and m.typ == pc.SheetTypeEnum.ChartSheet for m in metadata):
            raise _Refusal("this sheet is a chart, not a table of cells", wanted)
        scan = _MARK_SCANS.get(request["kind"])
        max_cells = int(request["max_cells"])
        if request["op"] == "marks":  # only the look-up (see `_sheet_rows`); calamine reads nothing
            send({"status": "ok", "sheet": wanted, "marks": _find_marks(scan, path, wanted, max_cells) if scan else {}})
            return

        try:
            sheet = workbook.get_sheet_by_name(wanted)
            start = sheet.start
            height, width = sheet.height, sheet.width
        except pc.PasswordError:
            raise _Refusal(_PASSWORD_REASON) from None
        except (pc.CalamineError, OSError, ValueError) as exc:
            raise _Refusal(f"not a readable spreadsheet ({_calamine_reason(exc)})", wanted) from None

        _check_cells(height, width, max_cells, wanted)
        _raise_memory_limit()

        # Formula cells saved without a value and error cells: python-calamine reports both as
        # "" (an error cell of an .ods as "", its text, or the 0 LibreOffice may store with it),
        # or drops them when they lie outside its used range. So they are looked up in the file.
        # .xls is not checked: python-calamine turns its error cells (BOOLERR, and FORMULA with
        # an error result) into "", like blanks, and finding them would need a reader for the
        # OLE container and BIFF8 records. A FORMULA record always holds a result, which
        # calamine reads; a writer that stored a placeholder there cannot be told apart.
        # With marks_first off, another worker does the look-up meanwhile (see `_sheet_rows`).
        marks_first = request.get("marks_first", True)
        marks = _find_marks(scan, path, wanted, max_cells) if scan is not None and marks_first else {}

        # Row by row as they are sent, not all at once with to_python(): the first rows go out
        # while calamine is still turning the later ones into Python values.
        values: Iterator[list[Any]] = sheet.iter_rows() if start is not None else iter(())
    # Blank cells stay "" only where no marks are applied (those look for None).
    chunks = _row_chunks(values, start, height, bool(request.get("float_texts")), blanks_as_none=bool(marks_first),
                         sheet=wanted, size=REPLY_CHUNK_ROWS)
    if marks:
        listed, marks = _apply_marks([row for chunk in chunks for row in chunk], marks, height, width, max_cells, wanted)
        chunks = iter([listed[i:i + REPLY_CHUNK_ROWS] for i in range(0, len(listed), REPLY_CHUNK_ROWS)])
    send({"status": "ok", "sheet": wanted, "rows": height, "marks": marks})
    for chunk in chunks:
        send(chunk)
    send({"status": "ok", "end": True})


def _find_marks(
    scan: Callable[[str, str, int], dict[tuple[int, int], tuple[str, str]]], path: str, sheet: str, max_cells: int
) -> dict[tuple[int, int], tuple[str, str]]:
    try:
        return scan(path, sheet, max_cells)
    except _Refusal as exc:
        raise _Refusal(str(exc), sheet) from None
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, SyntaxError) as exc:
        # defusedxml's refusals and expat's ParseError are ValueError/SyntaxError kinds
        raise _Refusal(f"not a readable spreadsheet ({_short(exc)})", sheet) from None


def _rows_of(
    values: Iterator[list[Any]], start: tuple[int, int] | None, height: int, float_texts: bool, blanks_as_none: bool,
    sheet: str | None = None,
) -> Iterator[tuple[int, tuple[object, ...], tuple[str | None, ...] | None]]:
    """calamine's rows as (row number, cells, texts), blank rows left out: `_row_chunks`, one
    row at a time."""
    for chunk in _row_chunks(values, start, height, float_texts, blanks_as_none, sheet):
        yield from chunk


def _row_chunks(
    values: Iterator[list[Any]], start: tuple[int, int] | None, height: int, float_texts: bool, blanks_as_none: bool,
    sheet: str | None = None, size: int = 2000,
) -> Iterator[list[tuple[int, tuple[object, ...], tuple[str | None, ...] | None]]]:
    """calamine's rows as lists of up to `size` (row number, cells, texts), blank rows left out.
    An empty cell is None, or left as calamine's "" unless `blanks_as_none` (it is empty all the
    same, and the rows go out faster). texts: see `RowStream`.

    `values` is the sheet's ``iter_rows()``: python-calamine 0.9.1 gives it from the sheet's first
    row (row 1), so the rows above the used range come first, empty, and the i-th row given is
    row i + 1; its columns start at the used range's first column, as ``to_python()``'s do. Should
    a python-calamine release number them otherwise, the rows would be misnumbered: a row with a
    value above the used range, or a count of rows other than the used range's last row number,
    ends the read as unreadable rather than let that happen."""
    row0, col0 = start if start is not None else (0, 0)
    given = 0  # rows given so far
    while True:
        batch = list(itertools.islice(values, size))
        if not batch:
            break
        first, given = given, given + len(batch)
        blanks = list(map(list.count, batch, itertools.repeat("")))
        if list(map(len, batch)) == blanks:
            continue  # all blank
        if first < row0 and any(blanks[k] != len(batch[k]) for k in range(min(row0 - first, len(batch)))):
            raise _Refusal("not a readable spreadsheet (the reader gave its rows out of place)", sheet)
        if max(blanks) >= min(map(len, batch)):  # some rows are blank: left out
            kept = [k for k, raw in enumerate(batch) if blanks[k] != len(raw)]
            yield _chunk_of([first + k + 1 for k in kept], [batch[k] for k in kept], col0, float_texts, blanks_as_none)
        else:
            yield _chunk_of(list(range(first + 1, given + 1)), batch, col0, float_texts, blanks_as_none)
    if start is not None and given != row0 + height:
        raise _Refusal("not a readable spreadsheet (the reader gave its rows out of place)", sheet)


def _chunk_of(
    numbers: list[int], raws: list[list[Any]], col0: int, float_texts: bool, blanks_as_none: bool
) -> list[tuple[int, tuple[object, ...], tuple[str | None, ...] | None]]:
    if blanks_as_none:
        kept = [(n, cells) for n, cells in zip(numbers, [tuple([None if v == "" else v for v in raw]) for raw in raws])
                if cells.count(None) != len(cells)]
        numbers, rows = [n for n, _ in kept], [cells for _, cells in kept]
    else:
        rows = list(map(tuple, raws))
    if col0:
        pad = (None,) * col0
        rows = [pad + cells for cells in rows]
    if not float_texts:
        return list(zip(numbers, rows, itertools.repeat(None)))
    return list(zip(numbers, rows, _float_texts(rows)))


_FORMAT_FLOAT = float.__format__


def _float_texts(rows: list[tuple[object, ...]]) -> Iterable[tuple[str | None, ...] | None]:
    """For each row, None if it has no float cell, else the `float_text` of each of its float cells
    (None for its other cells). Worked out a column at a time: formatting floats is much of what
    reading a spreadsheet costs, and a column of them is formatted without a Python call per cell."""
    width = len(rows[0]) if rows else 0
    if any(len(cells) != width for cells in rows):  # calamine's rows are all as wide; should one not be
        return [_row_float_texts(cells) for cells in rows]
    columns: list[Iterable[str | None]] = []
    any_float = False
    for column in zip(*rows):
        kinds = set(map(type, column))
        if float not in kinds:
            columns.append(itertools.repeat(None, len(column)))
            continue
        any_float = True
        if len(kinds) == 1:
            texts: list[str | None] = list(map(_FORMAT_FLOAT, column, itertools.repeat(".15g")))
            shown = "\x00".join(texts)  # type: ignore[arg-type]
        else:
            texts = [_FORMAT_FLOAT(cell, ".15g") if cell.__class__ is float else None for cell in column]
            shown = "\x00".join(filter(None, texts))  # type: ignore[arg-type]
        # Rare: an exponent, inf or nan (no float_text), or "-0" (left to the general rules).
        if "e" in shown or "n" in shown or "\x00-0\x00" in f"\x00{shown}\x00":
            texts = [_plain_float_text(cell) if cell.__class__ is float else None for cell in column]
        columns.append(texts)
    if not any_float:
        return itertools.repeat(None, len(rows))
    return [texts if texts.count(None) != width or _has_float(cells) else None
            for cells, texts in zip(rows, zip(*columns))]


def _has_float(cells: tuple[object, ...]) -> bool:
    return any(cell.__class__ is float for cell in cells)


def _row_float_texts(cells: tuple[object, ...]) -> tuple[str | None, ...] | None:
    if not _has_float(cells):
        return None
    return tuple([_plain_float_text(cell) if cell.__class__ is float else None for cell in cells])


def _plain_float_text(value: float) -> str | None:
    """`float_text`, but None for -0.0 too: the general rules read that (as 0)."""
    text = format(value, ".15g")
    return None if "e" in text or "n" in text or text == "-0" else text


def float_text(value: float) -> str | None:
    """``value`` at Excel's 15 significant digits, in plain notation, exactly as
    `numbers.amount_text` reads the float (SPEC.md: spreadsheet floats are taken at 15 digits);
    None where that needs an exponent, or for inf and nan. The worker process works these out
    beside the importing one: formatting floats is a large share of reading a spreadsheet."""
    text = format(value, ".15g")
    if "e" in text or "n" in text:
        return None
    return "0" if text == "-0" else text


_CELL_ATTRIBUTE = re.compile(rb"""\br\s*=\s*["']([A-Za-z]{1,3})([0-9]{1,7})["']""")
_EXTENT_SCAN_BYTES = 256 << 20


def _memory_reason(request: dict[str, Any]) -> str:
    """Why reading ran out of memory, as specifically as can be said cheaply: for an .xlsx, the
    last row and column its cells reach (calamine builds a grid that large)."""
    extent = _xlsx_extent(request["path"], request.get("sheet")) if request.get("kind") == "xlsx" else None
    if extent is None or extent[0] * extent[1] <= int(request.get("max_cells") or 0):
        return "reading it needs more memory than allowed: it claims far more cells than a statement has"
    rows, cols, ref = extent
    return (f"reading it needs more memory than allowed: its cells reach {ref}, a grid of {rows:,} rows x "
            f"{cols:,} columns ({rows * cols:,} cells), far more than a statement has")


def _xlsx_extent(path: str, sheet: str | None) -> tuple[int, int, str] | None:
    """(rows, columns, the cell at the far corner) that the cells of an .xlsx sheet (default: the
    first) reach, from their r="B7" attributes; None if that cannot be told. Reads at most 256 MB of
    the sheet's XML, a megabyte at a time."""
    try:
        from defusedxml import ElementTree as SafeET

        with zipfile.ZipFile(path) as zf:
            if sheet is None:
                book = _zip_member(zf, "xl/workbook.xml")
                names = [e.get("name") for e in SafeET.fromstring(zf.read(book)).iter() if _local(e.tag) == "sheet"] \
                    if book else []
                sheet = names[0] if names else None
            part = _xlsx_sheet_part(zf, sheet) if sheet else None
            if part is None:
                return None
            max_row = max_col = 0
            overlap = b""
            with zf.open(part) as stream:
                for _ in range(_EXTENT_SCAN_BYTES >> 20):
                    chunk = stream.read(1 << 20)
                    if not chunk:
                        break
                    for found in _CELL_ATTRIBUTE.finditer(overlap + chunk):
                        max_col = max(max_col, _column_index(found.group(1).decode()) + 1)
                        max_row = max(max_row, int(found.group(2)))
                    overlap = chunk[-32:]
    except Exception:  # noqa: BLE001 - this only words a refusal; it must never fail one
        return None
    if not max_row or not max_col:
        return None
    from_col = ""
    index = max_col
    while index:
        index, rem = divmod(index - 1, 26)
        from_col = chr(65 + rem) + from_col
    return max_row, max_col, f"{from_col}{max_row}"


def _check_cells(height: int, width: int, max_cells: int, sheet: str) -> None:
    if height * width > max_cells:
        raise _Refusal(
            f"the sheet is too large to import: its used range is {height:,} rows x {width:,} columns "
            f"({height * width:,} cells; the limit is {max_cells:,})",
            sheet,
        )


def _apply_marks(
    rows: list[tuple[int, tuple[object, ...], Any]],
    marks: dict[tuple[int, int], tuple[str, str]],
    height: int,
    width: int,
    max_cells: int,
    sheet: str,
) -> tuple[list[tuple[int, tuple[object, ...], Any]], dict[tuple[int, int], tuple[str, str]]]:
    """The marks that stand, and the rows with an (empty) row added wherever calamine dropped
    one holding a mark. An error mark always stands: calamine's "" or 0 there is not the cell's
    value. A formula mark stands only where calamine read nothing: a value it did read is the
    cached result, which wins."""
    extra_rows = {r for r, _ in marks} - {n for n, _, _ in rows}
    _check_cells(height + len(extra_rows), max(width, max(c for _, c in marks) + 1), max_cells, sheet)
    cells_of = {number: cells for number, cells, _ in rows}
    standing: dict[tuple[int, int], tuple[str, str]] = {}
    added = False
    for (number, col), (kind, text) in marks.items():
        cells = cells_of.get(number)
        if kind == "formula" and cells is not None and col < len(cells) and cells[col] is not None:
            continue
        standing[(number, col)] = (kind, text)
        if cells is None:
            cells_of[number] = ()
            rows.append((number, (), None))
            added = True
    if added:
        rows.sort(key=lambda item: item[0])
    return rows, standing


# --- .xlsx/.xlsm: formulas without values, error cells ---------------------------------------

# A worksheet part needs the slow scan only if it has a formula element or an error cell.
_NEEDS_SCAN = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?f[\s/>]|\bt\s*=\s*[\"']e[\"']")
# The text of an error cell whose file does not say which error it is.
_UNNAMED_ERROR = "#ERROR"
_CELL_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d{1,7})$")


def _xlsx_marks(path: str, sheet: str, max_cells: int) -> dict[tuple[int, int], tuple[str, str]]:
    """Cells of `sheet` that calamine cannot report: (row number, column index) -> (kind, text),
    kind "formula" (formula saved without a cached value; text "=..." or "") or "error"
    (text "#N/A" etc.)."""
    with zipfile.ZipFile(path) as zf:
        part = _xlsx_sheet_part(zf, sheet)
        if part is None or not _part_needs_scan(zf, part, _NEEDS_SCAN):
            return {}
        return _scan_sheet_xml(zf, part, max_cells)


def _zip_member(zf: zipfile.ZipFile, name: str) -> str | None:
    name = name.replace("\\", "/").lstrip("/")
    try:
        zf.getinfo(name)
        return name
    except KeyError:
        lowered = name.lower()
        return next((n for n in zf.namelist() if n.replace("\\", "/").lower() == lowered), None)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _relationships(zf: zipfile.ZipFile, rels_name: str) -> dict[str, str]:
    """Relationship id -> target of one .rels part of a package ({} if there is none)."""
    from defusedxml import ElementTree as SafeET

    member = _zip_member(zf, rels_name)
    if member is None:
        return {}
    return {
        rel.get("Id", ""): rel.get("Target", "")
        for rel in SafeET.fromstring(zf.read(member))
        if _local(rel.tag) == "Relationship" and rel.get("TargetMode") != "External"
    }


def _resolve(base_dir: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(base_dir, target))


def _part_rels_name(member: str) -> str:
    return posixpath.join(posixpath.dirname(member), "_rels", posixpath.basename(member) + ".rels")


def _xlsx_sheet_part(zf: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member holding `sheet`, found through the package's relationships (workbook.xml
    names sheets by relationship id; its .rels file maps ids to parts)."""
    from defusedxml import ElementTree as SafeET

    workbook = "xl/workbook.xml"
    root_rels = _zip_member(zf, "_rels/.rels")
    if root_rels is not None:
        for rel in SafeET.fromstring(zf.read(root_rels)):
            if rel.get("Type", "").endswith("/officeDocument"):
                workbook = _resolve("", rel.get("Target", workbook))
                break
    workbook_member = _zip_member(zf, workbook)
    if workbook_member is None:
        return None
    base_dir = posixpath.dirname(workbook_member)
    rels = _relationships(zf, _part_rels_name(workbook_member))
    for element in SafeET.fromstring(zf.read(workbook_member)).iter():
        if _local(element.tag) != "sheet" or element.get("name") != sheet:
            continue
        rel_id = next((v for k, v in element.attrib.items() if k.endswith("}id")), None)
        if rel_id is None or rel_id not in rels:
            return None
        return _zip_member(zf, _resolve(base_dir, rels[rel_id]))
    return None


def _part_needs_scan(zf: zipfile.ZipFile, part: str, pattern: re.Pattern[bytes]) -> bool:
    """Whether `pattern` occurs in the part: a byte search, far cheaper than parsing the XML.

    The pattern is only tried on a piece holding one of its hints (substrings every match
    contains): a plain substring search is many times faster than the pattern on XML, where
    almost every "<" starts a try."""
    hints = _SCAN_HINTS[pattern]
    overlap = b""
    with zf.open(part) as stream:
        while chunk := stream.read(1 << 20):
            piece = overlap + chunk
            if any(hint in piece for hint in hints) and pattern.search(piece):
                return True
            overlap = chunk[-64:]
    return False


def _scan_sheet_xml(zf: zipfile.ZipFile, part: str, max_cells: int) -> dict[tuple[int, int], tuple[str, str]]:
    from defusedxml import ElementTree as SafeET

    marks: dict[tuple[int, int], tuple[str, str]] = {}
    # Shared formulas: the master cell holds the text, the others only its index `si`.
    masters: dict[str, tuple[str, int, int]] = {}
    dependents: list[tuple[int, int, str]] = []
    row_number, col_index = 0, -1
    sheet_data = None
    with zf.open(part) as stream:
        for event, element in SafeET.iterparse(stream, events=("start", "end")):
            tag = _local(element.tag)
            if event == "start":
                if tag == "row":
                    r = element.get("r")
                    row_number = int(r) if r and r.isdigit() else row_number + 1
                    col_index = -1
                elif tag == "sheetData":
                    sheet_data = element
                continue
            if tag == "c":
                ref = _CELL_REF.match(element.get("r") or "")
                if ref:
                    col_index = _column_index(ref.group(1))
                    row_number = int(ref.group(2))
                else:
                    col_index += 1
                _scan_cell(element, row_number, col_index, marks, masters, dependents)
                if len(marks) > max_cells:
                    raise _Refusal(f"the sheet is too large to import (more than {max_cells:,} cells)")
                element.clear()
            elif tag == "row" and sheet_data is not None:
                sheet_data.clear()  # keep memory flat: the rows already scanned are not needed
    for row, col, si in dependents:
        master = masters.get(si)
        marks[(row, col)] = ("formula", _translate(master, row, col) if master else "")
    return marks


def _scan_cell(
    cell: Any,
    row: int,
    col: int,
    marks: dict[tuple[int, int], tuple[str, str]],
    masters: dict[str, tuple[str, int, int]],
    dependents: list[tuple[int, int, str]],
) -> None:
    formula = value = None
    for child in cell:
        name = _local(child.tag)
        if name == "f":
            formula = child
        elif name == "v":
            value = child
    cell_type = cell.get("t", "n")
    value_text = value.text if value is not None else None
    if formula is not None:
        text = formula.text or ""
        si = formula.get("si")
        if formula.get("t") == "shared" and si is not None and text:
            masters[si] = (text, row, col)
        # "<v></v>" is how openpyxl saves a formula it could not compute; Excel writes a
        # formula's empty-string result with t="str", which is a real (cached) value.
        if value is None or (not value_text and cell_type != "str"):
            if text:
                marks[(row, col)] = ("formula", "=" + text)
            elif formula.get("t") == "shared" and si is not None:
                dependents.append((row, col, si))
            else:
                marks[(row, col)] = ("formula", "")
            return
    if cell_type == "e":
        marks[(row, col)] = ("error", (value_text or "").strip() or _UNNAMED_ERROR)


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters.upper():
        index = index * 26 + ord(ch) - 64
    return index - 1


def _translate(master: tuple[str, int, int], row: int, col: int) -> str:
    """The text of a shared formula as it reads in another cell (best effort)."""
    text, master_row, master_col = master
    try:
        from openpyxl.formula.translate import Translator
        from openpyxl.utils import get_column_letter

        origin = f"{get_column_letter(master_col + 1)}{master_row}"
        target = f"{get_column_letter(col + 1)}{row}"
        return str(Translator("=" + text, origin=origin).translate_formula(target))
    except Exception:  # noqa: BLE001 - the text is informative only; never fail the read on it
        return ""


# --- .ods: formulas without values, error cells ------------------------------------------------

_ODS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_ODS_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_ODS_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_ODS_CALCEXT = "{urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0}"
_ODS_CELLS = {_ODS_TABLE + "table-cell", _ODS_TABLE + "covered-table-cell"}
_ODS_ROW = _ODS_TABLE + "table-row"
_ODS_SHEET = _ODS_TABLE + "table"
# Any of these attributes is the cell's saved value (calamine reads the first one present).
_ODS_VALUES = tuple(
    _ODS_OFFICE + name for name in ("value", "date-value", "time-value", "boolean-value", "string-value")
)
# content.xml needs the slow scan only if some cell has a formula or an error result.
_ODS_NEEDS_SCAN = re.compile(rb"table:formula\s*=|value-type\s*=\s*[\"']error[\"']")
# Substrings that every match of each pattern holds (see `_part_needs_scan`): an .xlsx formula
# element is "<f" or, with a namespace prefix, ":f"; an error cell's type starts with a quote
# and "e"; an .ods formula or error cell names its attribute.
_SCAN_HINTS = {
    _NEEDS_SCAN: (b"<f", b":f", b'"e', b"'e"),
    _ODS_NEEDS_SCAN: (b"table:formula", b"error"),
}


def _ods_marks(path: str, sheet: str, max_cells: int) -> dict[tuple[int, int], tuple[str, str]]:
    """Like `_xlsx_marks`, for the table named `sheet` in an .ods.

    LibreOffice saves an error result as calcext:value-type="error" with the error's text in
    <text:p>, beside office:value-type="string" (and office:string-value="", or none) or, from
    other writers, office:value="0"; calamine reads that as "", as the text, or as 0. A formula
    saved without a result (by a script) has no office:*value attribute, which calamine reads as
    an empty cell.
    """
    with zipfile.ZipFile(path) as zf:
        member = _zip_member(zf, "content.xml")
        if member is None or not _part_needs_scan(zf, member, _ODS_NEEDS_SCAN):
            return {}
        with zf.open(member) as stream:
            return _scan_ods_content(stream, sheet, max_cells)


def _scan_ods_content(stream: BinaryIO, sheet: str, max_cells: int) -> dict[tuple[int, int], tuple[str, str]]:
    from defusedxml import ElementTree as SafeET

    marks: dict[tuple[int, int], tuple[str, str]] = {}
    open_elements: list[Any] = []  # the path from the root, to unhook finished rows and cells
    table_depth = 0  # open tables: a table inside another (in a cell) is not part of the grid
    cell_depth = 0  # open cells: nor is anything inside a cell
    in_sheet = False  # inside the (outermost) table named `sheet`
    next_row = 0  # 0-based index of the next row of the sheet
    row, row_repeat, col, col_repeat = 0, 1, 0, 1
    for event, element in SafeET.iterparse(stream, events=("start", "end")):
        tag = element.tag
        if event == "start":
            open_elements.append(element)
            if tag == _ODS_SHEET:
                table_depth += 1
                if table_depth == 1 and element.get(_ODS_TABLE + "name") == sheet:
                    # calamine keeps the last of two tables of one name: so does this scan
                    in_sheet, marks, next_row = True, {}, 0
            elif in_sheet and table_depth == 1 and cell_depth == 0:
                if tag == _ODS_ROW:
                    row, row_repeat, col = next_row, _ods_repeat(element, "number-rows-repeated"), 0
                elif tag in _ODS_CELLS:
                    col_repeat = _ods_repeat(element, "number-columns-repeated")
            if tag in _ODS_CELLS:
                cell_depth += 1
            continue

        open_elements.pop()
        if tag in _ODS_CELLS:
            cell_depth -= 1
            if in_sheet and table_depth == 1 and cell_depth == 0:
                mark = _ods_cell_mark(element)
                if mark is not None:
                    # Repeats only advance counters, except for a marked cell, which is as many
                    # cells as it repeats: those are counted against the cap before they exist.
                    if len(marks) + row_repeat * col_repeat > max_cells:
                        raise _Refusal(f"the sheet is too large to import (more than {max_cells:,} cells)")
                    for r in range(row + 1, row + 1 + row_repeat):
                        for c in range(col, col + col_repeat):
                            marks[(r, c)] = mark
                col += col_repeat
        elif tag == _ODS_ROW and in_sheet and table_depth == 1 and cell_depth == 0:
            next_row = row + row_repeat
        elif tag == _ODS_SHEET:
            table_depth -= 1
            if table_depth == 0:
                in_sheet = False
        if (tag in _ODS_CELLS or tag == _ODS_ROW) and open_elements:
            open_elements[-1].remove(element)  # keep memory flat: what is scanned is not needed
    return marks


def _ods_repeat(element: Any, attribute: str) -> int:
    # calamine refuses a file whose repeat count is not a number, so this rarely falls back
    try:
        return max(int(element.get(_ODS_TABLE + attribute, "1")), 0)
    except ValueError:
        return 1


def _ods_cell_mark(cell: Any) -> tuple[str, str] | None:
    """("error", text), ("formula", "=...") or None for an ordinary cell."""
    if cell.get(_ODS_CALCEXT + "value-type") == "error":
        return ("error", _ods_cell_text(cell).strip() or _UNNAMED_ERROR)
    formula = cell.get(_ODS_TABLE + "formula")
    if formula is None:
        return None
    # A saved result is a value attribute; calamine reads the text instead only for a string
    # result. Text beside any other type (or none) is what was shown, which calamine ignores:
    # without a value attribute the cell is empty to it, so this is a formula without a value.
    if any(cell.get(name) is not None for name in _ODS_VALUES):
        return None
    if cell.get(_ODS_OFFICE + "value-type") == "string" and _ods_cell_text(cell):
        return None
    return ("formula", _ods_formula_text(formula))


def _ods_cell_text(cell: Any) -> str:
    # the cell's paragraphs, not the text of a comment (office:annotation) in it
    return "\n".join("".join(p.itertext()) for p in cell if p.tag == _ODS_TEXT + "p")


def _ods_formula_text(formula: str) -> str:
    """The formula without its namespace prefix (of:=SUM([.B1:.B3]) -> =SUM([.B1:.B3])); the
    references stay as saved."""
    prefix, sep, rest = formula.partition(":")
    if sep and prefix.isalnum() and rest.startswith("="):
        return rest
    return formula if formula.startswith("=") else "=" + formula


# --- .xlsb: error cells ------------------------------------------------------------------------

# BIFF12 record types (MS-XLSB 2.3.2) the scan needs.
_BRT_ROW_HDR = 0x0000
_BRT_CELL_ERROR = 0x0003
_BRT_FMLA_ERROR = 0x000B  # a formula whose cached result is an error
_BRT_BEGIN_SHEET_DATA = 0x0091
_BRT_END_SHEET_DATA = 0x0092
_BRT_BUNDLE_SH = 0x009C
_BRT_END_BUNDLE_SHS = 0x0090
_XLSB_SHEET_RECORDS = frozenset(
    {_BRT_ROW_HDR, _BRT_CELL_ERROR, _BRT_FMLA_ERROR, _BRT_BEGIN_SHEET_DATA, _BRT_END_SHEET_DATA}
)
# BErr codes (MS-XLSB 2.5.97.2)
_BIFF_ERRORS = {
    0x00: "#NULL!", 0x07: "#DIV/0!", 0x0F: "#VALUE!", 0x17: "#REF!",
    0x1D: "#NAME?", 0x24: "#NUM!", 0x2A: "#N/A", 0x2B: "#GETTING_DATA",
}


def _xlsb_marks(path: str, sheet: str, max_cells: int) -> dict[tuple[int, int], tuple[str, str]]:
    """Like `_xlsx_marks`, for error cells of an .xlsb: calamine reads a BrtCellError as "" and
    skips a BrtFmlaError (a formula whose result is an error) altogether. An .xlsb formula always
    carries its result, so there are no formulas without a value to find.

    There is no cheap pre-check in a binary part: every record is walked, about 0.4 s per
    million cells, less than half of what the rest of the read costs.
    """
    with zipfile.ZipFile(path) as zf:
        part = _xlsb_sheet_part(zf, sheet)
        if part is None:
            return {}
        with zf.open(part) as stream:
            return _scan_xlsb_sheet(stream, max_cells)


def _xlsb_sheet_part(zf: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member holding `sheet`, found as calamine finds it: the first BrtBundleSh of
    xl/workbook.bin with that name, its relationship id looked up in workbook.bin.rels."""
    member = _zip_member(zf, "xl/workbook.bin")
    if member is None:
        return None
    rels = _relationships(zf, "xl/_rels/workbook.bin.rels")
    with zf.open(member) as stream:
        for typ, payload in _biff12_records(stream, frozenset({_BRT_BUNDLE_SH, _BRT_END_BUNDLE_SHS}), keep=1 << 16):
            if typ == _BRT_END_BUNDLE_SHS:
                break
            if typ != _BRT_BUNDLE_SH or len(payload) < 12:
                continue
            # hsState (4 bytes), iTabID (4), strRelID (count of UTF-16 units, 4, + units), strName
            rel_len = int.from_bytes(payload[8:12], "little")
            if rel_len == 0xFFFFFFFF:
                continue
            rel_end = 12 + 2 * rel_len
            name_len = int.from_bytes(payload[rel_end:rel_end + 4], "little")
            name = payload[rel_end + 4:rel_end + 4 + 2 * name_len].decode("utf-16-le", "replace")
            if name != sheet:
                continue
            target = rels.get(payload[12:rel_end].decode("utf-16-le", "replace"))
            return _zip_member(zf, _resolve("xl", target)) if target else None
    return None


def _scan_xlsb_sheet(stream: BinaryIO, max_cells: int) -> dict[tuple[int, int], tuple[str, str]]:
    marks: dict[tuple[int, int], tuple[str, str]] = {}
    in_data = False  # calamine reads cells from BrtBeginSheetData to BrtEndSheetData only
    row = 0
    for typ, payload in _biff12_records(stream, _XLSB_SHEET_RECORDS, keep=9):
        if not in_data:
            in_data = typ == _BRT_BEGIN_SHEET_DATA
        elif typ == _BRT_ROW_HDR and len(payload) >= 4:
            row = int.from_bytes(payload[:4], "little")
            if row > 0x100000:
                break  # calamine stops at an impossible row number, and so the sheet ends here
        elif typ in (_BRT_CELL_ERROR, _BRT_FMLA_ERROR) and len(payload) >= 9:
            # Cell: column (4 bytes), style and flags (4); then the BErr code
            col = int.from_bytes(payload[:4], "little")
            marks[(row + 1, col)] = ("error", _BIFF_ERRORS.get(payload[8], _UNNAMED_ERROR))
            if len(marks) > max_cells:
                raise _Refusal(f"the sheet is too large to import (more than {max_cells:,} cells)")
        elif typ == _BRT_END_SHEET_DATA:
            break
    return marks


def _biff12_records(stream: BinaryIO, types: frozenset[int], *, keep: int) -> Iterator[tuple[int, bytes]]:
    """(record type, first `keep` bytes of its payload) for each record of a BIFF12 part whose
    type is in `types`, read in bounded pieces: a record claiming a huge size is skipped, never
    held."""
    chunk = 1 << 20
    buf, pos = b"", 0
    while True:
        if len(buf) - pos < 6 + keep:  # a header is at most 6 bytes
            buf, pos = buf[pos:] + stream.read(max(chunk, 6 + keep)), 0
            if not buf:
                return
        # type: 1-2 bytes, size: 1-4 bytes; 7 bits each, the high bit says another byte follows
        typ = buf[pos]
        pos += 1
        if typ & 0x80:
            if pos >= len(buf):
                return  # truncated: calamine has refused such a part already
            typ = (typ & 0x7F) | ((buf[pos] & 0x7F) << 7)
            pos += 1
        size = shift = 0
        for _ in range(4):
            if pos >= len(buf):
                return
            byte = buf[pos]
            pos += 1
            size |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        if typ in types:
            yield typ, buf[pos:pos + min(size, keep)]
        if pos + size <= len(buf):
            pos += size
            continue
        remaining = pos + size - len(buf)
        buf, pos = b"", 0
        while remaining > 0:
            skipped = len(stream.read(min(remaining, chunk)))
            if not skipped:
                return
            remaining -= skipped


# Which scan finds the cells calamine cannot report, by kind of workbook (see `_worker_handle`).
_MARK_SCANS: dict[str, Callable[[str, str, int], dict[tuple[int, int], tuple[str, str]]]] = {
    "xlsx": _xlsx_marks,
    "xlsb": _xlsb_marks,
    "ods": _ods_marks,
}
