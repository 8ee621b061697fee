"""Import profiles for the import wizard: find the saved ones, recognise a file's layout, draft a new
profile, preview what it reads, and save it.

Everything here uses the importer's own code (readers, header detection, number and date parsing),
so what the wizard previews is exactly what ``import_statement`` stores, and a profile saved here is
the same TOML that ``segdesk import --profile`` reads (SPEC.md, "An import profile").
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from segdesk.domain.problems import InputError
from segdesk.domain.progress import Progress
from segdesk.ingest.dates import CellDateError, parse_date
from segdesk.ingest.numbers import CellValueError, NumberFormat, parse_amount
from segdesk.ingest.profile import COLUMN_FIELDS, KINDS, NUMBER_FIELDS, Profile, load_profile, parse_profile
from segdesk.ingest.readers import ErrorValue, FormulaWithoutValue, ReadError, Row, Table, read_table, sheet_names
from segdesk.ingest.statement import HEADER_SEARCH_ROWS, column_letter, parse_statement
from segdesk.store.engine import default_location

__all__ = [
    "FIELDS",
    "FIELD_LABELS",
    "KINDS",
    "NUMBER_FIELDS",
    "FileLook",
    "Preview",
    "PreviewRow",
    "Problem",
    "ProfileDraft",
    "SavedProfile",
    "Table",
    "check_statement",
    "fit_file",
    "guess_source",
    "settle_header_row",
    "column_letter",
    "grid_rows",
    "guess_columns",
    "guess_header_row",
    "header_cells",
    "list_profiles",
    "look_at_file",
    "open_profile_file",
    "preview",
    "profile_fits",
    "profile_path",
    "profiles_folder",
    "read_sheet",
    "required_fields",
    "save_profile",
]

FIELDS: tuple[str, ...] = COLUMN_FIELDS
FIELD_LABELS = {
    "as_of": "As of",
    "account": "Account",
    "reference": "Reference",
    "asset": "Asset",
    "quantity": "Quantity",
    "price": "Price",
    "value": "Value (base currency)",
    "equity": "Equity",
    "initial_margin": "Initial margin",
    "maintenance_margin": "Maintenance margin",
    "as_of_column": "As-of date",
}
PREVIEW_ROWS = 1000  # rows shown in the preview; every row is still checked

# Header texts that usually mean a field; the wizard pre-selects them and the person confirms.
_SYNONYMS = {
    "account": {"account", "account no", "account number", "account id", "acct", "acct no", "sub-account",
                "sub account", "subaccount", "account code", "portfolio"},
    "reference": {"client ref", "reference", "ref", "client reference", "client", "client id"},
    "asset": {"asset", "currency", "ccy", "instrument", "symbol", "security", "coin", "asset code", "isin"},
    "quantity": {"quantity", "qty", "balance", "units", "holding", "holdings", "position", "nominal", "amount"},
    "price": {"price", "rate", "fx rate", "mark price", "unit price", "close", "closing price"},
    "value": {"value", "market value", "base value", "mv", "value usd", "value (usd)", "valuation"},
    "equity": {"equity", "net equity", "account equity", "total equity"},
    "initial_margin": {"initial margin", "im", "init margin", "initial margin requirement"},
    "maintenance_margin": {"maintenance margin", "mm", "maint margin", "maintenance margin requirement"},
    "as_of_column": {"date", "as of", "as-of", "as of date", "as-of date", "statement date", "business date",
                     "value date", "valuation date", "price date"},
}
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
_WHERE = re.compile(r"\b(?:row|line) (\d+)(?:, column ([A-Z]{1,3}))?")


def profiles_folder() -> Path:
    """``profiles`` next to the default database, in the user's data folder."""
    return default_location().parent / "profiles"


def required_fields(kind: str, fixed_account: bool = False) -> tuple[str, ...]:
    """The columns the importer refuses a file without (segdesk/ingest/profile.py)."""
    if kind == "prices":
        return ("asset", "price")
    return ("asset", "quantity") if fixed_account else ("account", "asset", "quantity")


# --- saved profiles --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SavedProfile:
    path: Path
    profile: Profile

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def has_date(self) -> bool:
        return self.profile.as_of is not None or "as_of_column" in self.profile.columns


def open_profile_file(path: Path) -> SavedProfile:
    """One profile file, checked as the command line checks it. Raises InputError."""
    return SavedProfile(Path(path), load_profile(Path(path)))


def list_profiles(folder: Path | None = None) -> tuple[list[SavedProfile], list[str]]:
    """The saved profiles, by name, and one line for each file that is not a usable profile."""
    folder = folder or profiles_folder()
    found: list[SavedProfile] = []
    problems: list[str] = []
    if not folder.is_dir():
        return found, problems
    for path in sorted(folder.glob("*.toml"), key=lambda p: p.name.casefold()):
        try:
            found.append(open_profile_file(path))
        except InputError as exc:
            problems.append(exc.problems[0] if len(exc.problems) == 1 else f"{path.name}: {len(exc.problems)} problems")
    return found, problems


def profile_path(name: str, folder: Path | None = None) -> Path:
    """Where a profile called ``name`` is saved: a file name any system accepts."""
    stem = re.sub(r"[^\w\- ]+", "", name, flags=re.UNICODE).strip().replace(" ", "-").lower()
    stem = re.sub(r"-{2,}", "-", stem).strip("-.") or "profile"
    return (folder or profiles_folder()) / f"{stem[:80]}.toml"


def save_profile(text: str, name: str, *, folder: Path | None = None, replace: bool = False) -> Path:
    """Write the profile ``text`` as ``name``; an existing profile is replaced only when asked."""
    path = profile_path(name, folder)
    parse_profile(text, name=path.name)  # never save what the importer would refuse
    if path.exists() and not replace:
        raise InputError(f"{path.name}: a profile with this name already exists in {path.parent}; choose "
                         "another name, or tick “Replace it”")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".toml.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise InputError(f"{path}: cannot save the profile ({exc.strerror or exc})") from None
    return path


# --- opening a file --------------------------------------------------------------------------------


def read_sheet(path: Path, sheet: str | None = None) -> Table:
    """One sheet (default the first) or a whole CSV. Raises InputError with the reader's one line."""
    try:
        return read_table(Path(path), sheet=sheet)
    except ReadError as exc:
        raise InputError(str(exc)) from None


def profile_fits(table: Table, profile: Profile) -> tuple[bool, list[str]]:
    """Does the importer find ``profile``'s headers in ``table``? Uses the importer's own header
    detection, on the rows it searches, so a large sheet costs no more than a small one."""
    last = max(profile.header_row or 0, table.rows[min(HEADER_SEARCH_ROWS, len(table.rows)) - 1].number
               if table.rows else 0)
    head = Table(table.file_name, table.sheet, [r for r in table.rows if r.number <= last])
    parsed = parse_statement(head, profile, as_of=dt.date(2000, 1, 1))
    return (parsed.header_row > 0, [] if parsed.header_row > 0 else list(parsed.problems))


@dataclass
class FileLook:
    """What opening a file tells the wizard: its sheets, the sheets read, and which saved profile
    reads which sheet."""

    path: Path
    sheets: list[str]  # [] for CSV/text
    tables: dict[str | None, Table] = field(default_factory=dict)
    matches: list[tuple[str | None, SavedProfile]] = field(default_factory=list)

    @property
    def first_sheet(self) -> str | None:
        return self.sheets[0] if self.sheets else None


def _sheet_of(profile: Profile, sheets: list[str]) -> tuple[bool, str | None]:
    """(usable, sheet): a profile for a CSV has no sheet; for a workbook, its sheet or the first."""
    if not sheets:
        return profile.sheet is None, None
    if profile.sheet is None:
        return True, sheets[0]
    return profile.sheet in sheets, profile.sheet


def look_at_file(path: Path, profiles: Iterable[SavedProfile], progress: Progress | None = None) -> FileLook:
    """Open ``path``, read its first sheet and every sheet a saved profile names, and say which
    profile fits which sheet (per sheet the one naming the most columns). Raises InputError."""
    progress = progress or Progress()
    path = Path(path)
    progress.report(0, 2, f"Opening {path.name}")
    try:
        sheets = sheet_names(path)
    except ReadError as exc:
        raise InputError(str(exc)) from None
    look = FileLook(path, sheets)
    candidates: dict[str | None, list[SavedProfile]] = {}
    for saved in profiles:
        usable, sheet = _sheet_of(saved.profile, sheets)
        if usable:
            candidates.setdefault(sheet, []).append(saved)
    wanted = [look.first_sheet] + [s for s in candidates if s != look.first_sheet]
    for i, sheet in enumerate(wanted):
        progress.report(i, len(wanted), f"Reading {path.name}")
        look.tables[sheet] = read_sheet(path, sheet)
    for sheet, saved_list in candidates.items():
        fitting = [s for s in saved_list if profile_fits(look.tables[sheet], s.profile)[0]]
        if fitting:
            best = max(fitting, key=lambda s: len(s.profile.columns))  # max() keeps the first on a tie
            look.matches.append((sheet, best))
    look.matches.sort(key=lambda m: sheets.index(m[0]) if m[0] in sheets else 0)
    return look


@dataclass(frozen=True)
class Fit:
    sheet: str | None
    table: Table | None  # the sheet read, to keep in the FileLook
    problems: list[str]  # [] when the profile reads this file


def fit_file(look: FileLook, profile: Profile) -> Fit:
    """Does ``profile`` read the file ``look`` opened? Reads its sheet if not read yet."""
    usable, sheet = _sheet_of(profile, look.sheets)
    name = look.path.name
    if not usable:
        if not look.sheets:
            return Fit(None, None, [f"{name}: the profile reads sheet '{profile.sheet}', but a CSV/text file has no sheets"])
        return Fit(sheet, None, [f"{name}: the profile reads sheet '{profile.sheet}', which this workbook does not have "
                                 f"(it has: {', '.join(look.sheets)})"])
    table = look.tables.get(sheet) or read_sheet(look.path, sheet)
    return Fit(sheet, table, profile_fits(table, profile)[1])


def guess_source(file_name: str) -> str:
    """A first guess at who sent a file, from its name: "northbridge_2026-11-20.xlsx" -> "Northbridge"."""
    stem = Path(file_name).stem
    words = [w for w in re.split(r"[\s_\-.]+", re.sub(r"\d{4}-?\d{2}-?\d{2}|\d+", " ", stem)) if w]
    skip = {"statement", "statements", "holdings", "positions", "balances", "export", "report", "eod", "daily"}
    kept = [w for w in words if w.casefold() not in skip] or words
    return " ".join(w if w.isupper() else w.capitalize() for w in kept)


# --- finding the table without a profile -----------------------------------------------------------


def _is_label(cell: object) -> bool:
    """Text that is not an amount or a date: what header cells hold."""
    if not isinstance(cell, str) or not _SPACES.sub("", cell):
        return False
    for fmt in (NumberFormat(), NumberFormat(decimal=",", thousands=".")):
        try:
            parse_amount(cell, fmt)
            return False
        except CellValueError:
            pass
    try:
        parse_date(cell)
        return False
    except CellDateError:
        return True


def guess_header_row(table: Table) -> int:
    """The row, among the first the importer searches, holding the most header-like texts (the
    first such row on a tie); row 1 for a table with none."""
    best: tuple[int, int] | None = None
    for row in table.rows[:HEADER_SEARCH_ROWS]:
        labels = sum(1 for c in row.cells if _is_label(c))
        if labels >= 2 and (best is None or labels > best[1]):
            best = (row.number, labels)
    if best is not None:
        return best[0]
    return table.rows[0].number if table.rows else 1


def header_cells(table: Table, header_row: int) -> list[tuple[int, str]]:
    """(column index, text) of the non-blank cells of the header row, as a profile names them."""
    row = next((r for r in table.rows if r.number == header_row), None)
    if row is None:
        return []
    return [(i, _SPACES.sub(" ", str(c)).strip()) for i, c in enumerate(row.cells)
            if c is not None and _SPACES.sub("", str(c))]


def _key(text: str) -> str:
    return re.sub(r"[^\w\s\-()]", "", _SPACES.sub(" ", text)).strip().casefold()


def guess_columns(headers: Iterable[str], kind: str) -> dict[str, str]:
    """Fields whose usual header text appears among ``headers``; each header serves one field."""
    taken: set[str] = set()
    found: dict[str, str] = {}
    headers = list(headers)
    for field_name in FIELDS:
        if kind == "prices" and field_name in ("account", "reference", "quantity", "equity",
                                               "initial_margin", "maintenance_margin"):
            continue
        for header in headers:
            if header not in taken and _key(header) in _SYNONYMS[field_name]:
                found[field_name] = header
                taken.add(header)
                break
    return found


def _cell_text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, (FormulaWithoutValue, ErrorValue)):
        return str(getattr(cell, "formula", "") or cell)
    if isinstance(cell, float):
        return format(cell, ".15g")
    if isinstance(cell, dt.datetime):
        return cell.isoformat(sep=" ").removesuffix(" 00:00:00")
    if isinstance(cell, dt.date):
        return cell.isoformat()
    return str(cell)


def grid_rows(table: Table, count: int = 30, through: int = 0) -> tuple[int, list[tuple[int, tuple[str, ...]]]]:
    """(width, rows): the first ``count`` spreadsheet rows (at least through row ``through``) as
    texts, blank rows included so row numbers read as the spreadsheet shows them."""
    by_number = {r.number: r for r in table.rows}
    last_row = max(count, through + 5)
    if table.rows:
        last_row = min(last_row, table.rows[-1].number)
    shown = [by_number.get(n, Row(n, ())) for n in range(1, last_row + 1)]
    width = max((len(r.cells) for r in shown), default=0)
    return width, [(r.number, tuple(_cell_text(c) for c in r.cells) + ("",) * (width - len(r.cells)))
                   for r in shown]


# --- drafting a profile ----------------------------------------------------------------------------


def _toml_string(text: str) -> str:
    # A JSON string is a TOML basic string, except that TOML also wants DEL escaped.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


@dataclass(frozen=True)
class ProfileDraft:
    """What the wizard's pages say so far; ``text()`` is the TOML saved and ``profile()`` how the
    importer reads it."""

    source: str
    kind: str
    columns: dict[str, str]
    sheet: str | None = None
    header_row: int | None = None
    as_of: dt.date | None = None
    account: str | None = None
    decimal: str = "."
    thousands: str = ","
    date_format: str | None = None
    file_name: str = ""

    def text(self) -> str:
        made = "# SegDesk import profile, made with the import wizard" + (f" for {self.file_name}" if self.file_name else "")
        lines = [made,
                 f"source = {_toml_string(self.source.strip())}",
                 f"kind = {_toml_string(self.kind)}"]
        if self.sheet is not None:
            lines.append(f"sheet = {_toml_string(self.sheet)}")
        if self.header_row is not None:
            lines.append(f"header_row = {int(self.header_row)}")
        if self.as_of is not None:
            lines.append(f'as_of = "{self.as_of.isoformat()}"')
        if self.account:
            lines.append(f"account = {_toml_string(self.account.strip())}")
        lines += ["", "[columns]"]
        lines += [f"{f} = {_toml_string(self.columns[f])}" for f in FIELDS if self.columns.get(f)]
        fmt = []
        if self.decimal != ".":
            fmt.append(f"decimal = {_toml_string(self.decimal)}")
        if self.thousands != ("," if self.decimal == "." else "."):
            fmt.append(f"thousands = {_toml_string(self.thousands)}")
        if self.date_format:
            fmt.append(f"date = {_toml_string(self.date_format)}")
        if fmt:
            lines += ["", "[format]", *fmt]
        return "\n".join(lines) + "\n"

    def profile(self, name: str = "new profile") -> Profile:
        """The profile as the importer reads it; raises InputError naming what is missing."""
        return parse_profile(self.text(), name=name)


def settle_header_row(draft: ProfileDraft, table: Table) -> ProfileDraft:
    """Drop ``header_row`` when the importer finds that row by its texts anyway: the profile then
    still reads a statement that gained or lost a title line."""
    if draft.header_row is None:
        return draft
    loose = replace(draft, header_row=None)
    try:
        parsed = parse_statement(_head_of(table, draft.header_row), loose.profile(), as_of=dt.date(2000, 1, 1))
    except InputError:
        return draft
    return loose if parsed.header_row == draft.header_row else draft


def _head_of(table: Table, header_row: int) -> Table:
    last = max(header_row, table.rows[min(HEADER_SEARCH_ROWS, len(table.rows)) - 1].number if table.rows else 0)
    return Table(table.file_name, table.sheet, [r for r in table.rows if r.number <= last])


# --- previewing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    text: str  # the importer's own line: file, sheet, row, column, the text found
    row: int | None
    column: str | None  # spreadsheet letter


def _problem(text: str) -> Problem:
    match = _WHERE.search(text)
    if match is None:
        return Problem(text, None, None)
    return Problem(text, int(match.group(1)), match.group(2))


@dataclass(frozen=True)
class PreviewRow:
    row: int
    state: str  # "balance", "skipped" (a total or a note) or "problem"
    values: dict[str, object]  # balance: field -> Decimal/str/date/None; otherwise the cells' texts
    note: str = ""
    bad_columns: frozenset[str] = frozenset()  # fields whose cell is refused


@dataclass
class Preview:
    file_name: str
    sheet: str | None
    header_row: int  # 0 when the header was not found
    fields: list[str]  # what each balance shows, in order; "as_of" is the line's date wherever it came from
    rows: list[PreviewRow]
    problems: list[Problem]
    balances: int
    body_rows: int  # rows under the header (the preview may show fewer)
    accounts: list[str]
    dates: list[dt.date]

    @property
    def ok(self) -> bool:
        return not self.problems


def _norm(text: object) -> str:
    return _SPACES.sub(" ", str(text)).strip().casefold()


def _positions(table: Table, header_row: int, profile: Profile) -> dict[str, int]:
    """Where the importer found each column: the header spelled exactly as the profile, else the
    one matching ignoring case and spaces."""
    cells = header_cells(table, header_row)
    out: dict[str, int] = {}
    for f, header in profile.columns.items():
        exact = [i for i, text in cells if text == header.strip()]
        loose = [i for i, text in cells if _norm(text) == _norm(header)]
        if exact or loose:
            out[f] = (exact or loose)[0]
    return out


def preview(table: Table, profile: Profile, as_of: dt.date | None = None, progress: Progress | None = None,
            limit: int = PREVIEW_ROWS) -> Preview:
    """Parse every row with the importer's own code, store nothing: the rows as they would be
    stored (the first ``limit``, plus every refused row), and every problem."""
    parsed = parse_statement(table, profile, as_of, progress)
    problems = [_problem(p) for p in parsed.problems]
    positions = _positions(table, parsed.header_row, profile) if parsed.header_row else {}
    fields = [f for f in FIELDS if f != "as_of_column" and (f in positions or (f == "account" and profile.account))]
    fields.append("as_of")
    letters = {column_letter(i): f for f, i in positions.items()}
    bad_by_row: dict[int, list[Problem]] = {}
    for p in problems:
        if p.row is not None:
            bad_by_row.setdefault(p.row, []).append(p)
    lines = {line.row: line for line in parsed.lines}
    skipped = set(parsed.skipped_rows)
    date_note = (as_of or profile.as_of)

    def texts(row: Row, dated: bool = True) -> dict[str, object]:
        shown = {f: _cell_text(row.cells[i]) if i < len(row.cells) else "" for f, i in positions.items()}
        shown["as_of"] = shown.pop("as_of_column", date_note if dated else "")
        if profile.account:
            shown["account"] = profile.account
        return shown

    rows: list[PreviewRow] = []
    body = [r for r in table.rows if r.number > parsed.header_row] if parsed.header_row else []
    for index, row in enumerate(body):
        bad = bad_by_row.get(row.number)
        if index >= limit and not bad:
            continue
        if row.number in lines:
            line = lines[row.number]
            rows.append(PreviewRow(row.number, "balance", {f: getattr(line, f) for f in fields}))
        elif bad:
            bad_fields = frozenset(
                "as_of" if letters[p.column] == "as_of_column" else letters[p.column]
                for p in bad if p.column in letters
            )
            rows.append(PreviewRow(row.number, "problem", texts(row), "; ".join(_reason(p.text) for p in bad),
                                   bad_fields))
        elif row.number in skipped:
            rows.append(PreviewRow(row.number, "skipped", texts(row, dated=False), "not a balance: a total, heading or note"))
    return Preview(
        file_name=table.file_name,
        sheet=table.sheet,
        header_row=parsed.header_row,
        fields=fields,
        rows=rows,
        problems=problems,
        balances=len(parsed.lines),
        body_rows=len(body),
        accounts=sorted({line.account for line in parsed.lines if line.account}),
        dates=sorted({line.as_of for line in parsed.lines}),
    )


def check_statement(path: Path, saved: Profile, as_of: dt.date | None = None, *, table: Table | None = None,
                    progress: Progress | None = None) -> Preview:
    """What importing ``path`` with ``saved`` would store, without storing it (no rows kept)."""
    if table is None:
        table = read_sheet(path, saved.sheet)
    return preview(table, saved, as_of, progress, limit=0)


def _reason(text: str) -> str:
    """The part of a problem line after its location, for a cell-sized note."""
    match = _WHERE.search(text)
    if match is None:
        return text
    rest = text[match.end():]
    rest = re.sub(r"^ \([^)]*\)", "", rest)  # the header name after the column letter
    return rest.lstrip(":, ") or text
