"""The spreadsheet reader process: python-calamine runs here, never in the application's own
process (see `readers`, which starts it and reads its answers).

This module is loaded by path in a fresh interpreter (``python -S``): it imports nothing of
SegDesk and little of the standard library when loaded, so the reader starts in a few tens of
milliseconds; what only some reads need (zipfile, defusedxml, python-calamine) is imported there.
The parent passes the directories to find those packages in, with the request.
"""

from __future__ import annotations

import itertools
import os
import pickle
import posixpath
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, BinaryIO

if TYPE_CHECKING:
    import zipfile  # imported where it is used: most reads never need it


# Packaged (frozen) builds have no interpreter to pass -c to: their entry point must call
# `run_sheet_worker()` (and exit) when started with this single argument.
FROZEN_WORKER_ARG = "--segdesk-sheet-worker"

_PASSWORD_REASON = "the workbook is password-protected; save an unprotected copy and import that"

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

REPLY_CHUNK_ROWS = 2000


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
    (see `readers._sheet_rows`).

    Not for use in the application's own process: this is where calamine is allowed to crash.
    """
    request = pickle.loads(sys.stdin.buffer.read())  # from our own parent process
    sys.path.extend(entry for entry in request.get("import_paths", ()) if entry not in sys.path)
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
        if request["op"] == "marks":  # only the look-up (see `readers._sheet_rows`); calamine reads nothing
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
        # With marks_first off, another worker does the look-up meanwhile (see `readers._sheet_rows`).
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
        if chunk:
            send(chunk)
    send({"status": "ok", "end": True})


def _find_marks(
    scan: Callable[[str, str, int], dict[tuple[int, int], tuple[str, str]]], path: str, sheet: str, max_cells: int
) -> dict[tuple[int, int], tuple[str, str]]:
    import zipfile

    try:
        return scan(path, sheet, max_cells)
    except _Refusal as exc:
        raise _Refusal(str(exc), sheet) from None
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, SyntaxError) as exc:
        # defusedxml's refusals and expat's ParseError are ValueError/SyntaxError kinds
        raise _Refusal(f"not a readable spreadsheet ({_short(exc)})", sheet) from None


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
        widths = list(map(len, batch))
        if widths == blanks:
            continue  # all blank
        if first < row0 and any(blanks[k] != widths[k] for k in range(min(row0 - first, len(batch)))):
            raise _Refusal("not a readable spreadsheet (the reader gave its rows out of place)", sheet)
        if max(blanks) >= min(widths):  # some rows may be blank: those are left out
            kept = [k for k in range(len(batch)) if blanks[k] != widths[k]]
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
        import zipfile

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
    import zipfile

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
    import zipfile

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
    import zipfile

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
