"""From a read table and a profile to exact statement lines, or every problem found.

A file is taken whole or not at all: this collects every bad cell, so the person can fix the
file in one go, and the caller stores nothing unless the list of problems is empty.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from segdesk.domain.progress import Progress
from segdesk.ingest.dates import CellDateError, parse_date
from segdesk.ingest.numbers import CellValueError, format_amount, parse_amount
from segdesk.ingest.profile import NUMBER_FIELDS, Profile
from segdesk.ingest.readers import ErrorValue, FormulaWithoutValue, Row, Table

# Totals are sums of balances, never balances: skipped even when the profile does not say so.
TOTAL_ROW = re.compile(r"^\s*(grand\s+|sub\s*-?)?totals?\b", re.IGNORECASE)
# A total (not a subtotal) closes the table: a balance-looking row after it is questioned.
TABLE_END = re.compile(r"^\s*(grand\s+)?totals?\b", re.IGNORECASE)
# What Excel shows for a formula that failed; never an account, asset or amount.
EXCEL_ERRORS = frozenset(
    {"#N/A", "#REF!", "#DIV/0!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!", "#GETTING_DATA", "#FIELD!"}
)
HEADER_SEARCH_ROWS = 100
PROGRESS_EVERY = 2000
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")


@dataclass(frozen=True)
class ParsedLine:
    row: int
    as_of: dt.date
    account: str | None
    reference: str | None
    asset: str
    quantity: Decimal | None
    price: Decimal | None = None
    value: Decimal | None = None
    equity: Decimal | None = None
    initial_margin: Decimal | None = None
    maintenance_margin: Decimal | None = None


@dataclass
class ParsedStatement:
    file_name: str
    sheet: str | None
    header_row: int
    lines: list[ParsedLine] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    skipped_rows: list[int] = field(default_factory=list)


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _where(table: Table, row: int | None = None, col: int | None = None, header: str | None = None) -> str:
    parts = [table.file_name]
    if table.sheet is not None:
        parts.append(f"sheet '{table.sheet}'")
    if row is not None:
        parts.append(f"row {row}" if table.sheet is not None else f"line {row}")
    if col is not None:
        parts.append(f"column {column_letter(col)}" + (f" ({header})" if header else ""))
    return ", ".join(parts)


def _norm(text: object) -> str:
    return _SPACES.sub(" ", str(text)).strip().casefold()


def _blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not _SPACES.sub("", cell))


def _shown(cell: object) -> str:
    if isinstance(cell, FormulaWithoutValue):
        return cell.formula or "a formula"
    if isinstance(cell, ErrorValue):
        return cell.text
    text = str(cell)
    return text if len(text) <= 60 else text[:57] + "..."


def _find_header(table: Table, profile: Profile) -> tuple[int, dict[str, int]] | list[str]:
    wanted = {f: _norm(h) for f, h in profile.columns.items()}

    def match(row: Row) -> tuple[dict[str, int], list[str]]:
        positions: dict[str, int] = {}
        seen: dict[str, list[int]] = {}
        for idx, cell in enumerate(row.cells):
            if isinstance(cell, str) and cell.strip():
                seen.setdefault(_norm(cell), []).append(idx)
        missing = []
        for f, h in wanted.items():
            if h not in seen:
                missing.append(profile.columns[f])
                continue
            candidates = seen[h]
            if len(candidates) > 1:
                # Two columns answer to one header: take the one spelled exactly as the profile
                # says, or give up rather than guess which holds the balances.
                exact = [i for i in candidates if str(row.cells[i]).strip() == profile.columns[f].strip()]
                if len(exact) != 1:
                    duplicated.setdefault(
                        row.number, []
                    ).append((profile.columns[f], [column_letter(i) for i in candidates]))
                    missing.append(profile.columns[f])
                    continue
                candidates = exact
            positions[f] = candidates[0]
        return positions, missing

    duplicated: dict[int, list[tuple[str, list[str]]]] = {}

    if profile.header_row is not None:
        row = next((r for r in table.rows if r.number == profile.header_row), None)
        if row is None:
            return [f"{_where(table, profile.header_row)}: the header row given by the profile is blank"]
        positions, missing = match(row)
        if row.number in duplicated:
            return _duplicate_headers(table, row.number, duplicated[row.number])
        if missing:
            found = ", ".join(repr(str(c).strip()) for c in row.cells if not _blank(c)) or "nothing"
            return [
                f"{_where(table, row.number)}: header row lacks column {m!r} (found {found})" for m in missing
            ]
        return row.number, positions
    best: tuple[int, list[str]] | None = None
    for row in table.rows[:HEADER_SEARCH_ROWS]:
        positions, missing = match(row)
        if row.number in duplicated and len(missing) == len(duplicated[row.number]):
            return _duplicate_headers(table, row.number, duplicated[row.number])
        if not missing:
            return row.number, positions
        if best is None or len(missing) < len(best[1]):
            best = (row.number, missing)
    where = _where(table)
    if best is not None and len(best[1]) == len(wanted):
        best = None  # a row lacking every header is no "closest" row
    if best is None:
        return [
            f"{where}: none of the profile's headers ({', '.join(map(repr, profile.columns.values()))}) "
            f"appear in the first {HEADER_SEARCH_ROWS} rows; is this the right file, sheet and profile?"
        ]
    return [
        f"{where}: no header row with all the profile's columns in the first {HEADER_SEARCH_ROWS} rows; "
        f"closest is row {best[0]}, which lacks {', '.join(map(repr, best[1]))}"
    ]


def _duplicate_headers(table: Table, row: int, clashes: list[tuple[str, list[str]]]) -> list[str]:
    return [
        f"{_where(table, row)}: the header {header!r} appears in columns {', '.join(cols)}; "
        "SegDesk cannot tell which holds the balances (rename one, or name it exactly in the profile)"
        for header, cols in clashes
    ]


def parse_statement(
    table: Table, profile: Profile, as_of: dt.date | None = None, progress: Progress | None = None
) -> ParsedStatement:
    """Every balance row of ``table`` as exact values, or the problems that refuse the file.

    ``as_of`` (the command line's ``--as-of``) overrides the profile's date and date column.
    """
    progress = progress or Progress()
    found = _find_header(table, profile)
    if isinstance(found, list):
        return ParsedStatement(table.file_name, table.sheet, 0, problems=found)
    header_row, positions = found
    result = ParsedStatement(table.file_name, table.sheet, header_row)
    date_for_file = as_of or profile.as_of
    if date_for_file is None and "as_of_column" not in positions:
        result.problems.append(
            f"{_where(table)}: no statement date: give as_of or [columns] as_of_column in "
            f"{profile.name}, or --as-of"
        )
        return result
    # The profile's own pattern replaces the default one: a fund whose account is called
    # "Total Return Fund" can say skip_rows_matching = "^Total$".
    skip = profile.skip_rows_matching or TOTAL_ROW
    ends = profile.table_ends_at
    numeric_positions = [(f, positions[f]) for f in NUMBER_FIELDS if f in positions]
    asset_pos = positions["asset"]
    width = _header_width(table, header_row)
    body = [r for r in table.rows if r.number > header_row]
    total = len(body)
    after_total: int | None = None  # the row of a (grand) total that should close the table

    def cell(row: Row, pos: int) -> object:
        return row.cells[pos] if pos < len(row.cells) else None

    for index, row in enumerate(body):
        if index % PROGRESS_EVERY == 0:
            progress.report(index, total, "Reading rows")
        first = next((c for c in row.cells if not _blank(c)), None)
        if first is None:
            continue
        first_text = first.strip() if isinstance(first, str) else ""
        if ends is not None and ends.search(first_text):
            result.skipped_rows.append(row.number)
            break  # the profile says: the table ends here; what follows is not balances
        has_balance = not _blank(cell(row, asset_pos)) or any(not _blank(cell(row, p)) for _, p in numeric_positions)
        if skip.search(first_text):
            if has_balance and not _blank(cell(row, asset_pos)) and skip is TOTAL_ROW:
                result.problems.append(
                    f"{_where(table, row.number)}: {first_text!r} looks like a total but has an asset; if it is a "
                    f"total, set skip_rows_matching in {profile.name}; if it is a balance, set "
                    "skip_rows_matching to a pattern that does not match it"
                )
                continue
            result.skipped_rows.append(row.number)
            if TABLE_END.match(first_text):
                after_total = row.number
            continue
        # Notes, sub-headings and footnotes carry no asset and no amount: not balances.
        if not has_balance:
            result.skipped_rows.append(row.number)
            continue
        if after_total is not None:
            result.problems.append(
                f"{_where(table, row.number)}: a balance after the total on {_row_word(table)} {after_total}; if the table "
                f"ends at the total, set table_ends_at = \"^Total\" under [format] in {profile.name}"
            )
            continue
        extra = [i for i in range(width, len(row.cells)) if not _blank(row.cells[i])]
        if extra:
            result.problems.append(
                f"{_where(table, row.number)}: {width + len(extra)} or more values but the header has {width} "
                f"columns (extra in column {column_letter(extra[0])}: {_shown(row.cells[extra[0]])!r}); "
                "an unquoted thousands separator in a CSV? Quote the number or remove the separators"
            )
            continue
        line = _parse_row(table, profile, positions, row, date_for_file, result.problems)
        if line is not None:
            result.lines.append(line)
    progress.report(total, total, "Reading rows")
    if profile.kind == "prices":
        _refuse_repeated_prices(table, positions["asset"], profile.columns["asset"], result)
    if not result.lines and not result.problems:
        result.problems.append(f"{_where(table)}: no balances found under the header on row {header_row}")
    return result


def _row_word(table: Table) -> str:
    return "row" if table.sheet is not None else "line"


def _refuse_repeated_prices(table: Table, asset_pos: int, header: str, result: ParsedStatement) -> None:
    """Two prices for one asset and date in one file: which is right is a question for a person."""
    first_seen: dict[tuple[str, dt.date], int] = {}
    for line in result.lines:
        key = (line.asset, line.as_of)
        if key in first_seen:
            result.problems.append(
                f"{_where(table, line.row, asset_pos, header)}: {line.asset} is priced twice for "
                f"{line.as_of.isoformat()} (also on {_row_word(table)} {first_seen[key]})"
            )
        else:
            first_seen[key] = line.row


def _header_width(table: Table, header_row: int) -> int:
    row = next(r for r in table.rows if r.number == header_row)
    filled = [i for i, c in enumerate(row.cells) if not _blank(c)]
    return filled[-1] + 1 if filled else 0


def clean_code(text: str) -> str:
    """One spelling for account numbers, references and asset codes, wherever they come from:
    ends trimmed, runs of spaces (non-breaking ones too) made one space."""
    return _SPACES.sub(" ", text).strip()


def _text_value(cell: object) -> str | None:
    """Account numbers, references and asset codes exactly as shown, leading zeros kept."""
    if _blank(cell):
        return None
    if isinstance(cell, bool):
        raise CellValueError("TRUE/FALSE is not a code")
    if isinstance(cell, float) and abs(cell) >= 1e15:
        # Excel keeps 15 digits: a longer number was already cut when the file was saved.
        raise CellValueError(
            "a number too long to be kept exactly (spreadsheets keep 15 digits); format the column as text"
        )
    if isinstance(cell, (int, float, Decimal)):
        return format_amount(parse_amount(cell))  # type: ignore[arg-type]
    if isinstance(cell, (dt.date, dt.time, dt.timedelta)):
        raise CellValueError("a date, not a code")
    text = clean_code(str(cell))
    if text.upper() in EXCEL_ERRORS:
        raise CellValueError("an Excel error value, not a code: the formula behind it failed")
    return text


def _parse_row(
    table: Table,
    profile: Profile,
    positions: dict[str, int],
    row: Row,
    file_date: dt.date | None,
    problems: list[str],
) -> ParsedLine | None:
    values: dict[str, object] = {}
    before = len(problems)

    def bad(field_name: str, reason: str) -> None:
        pos = positions[field_name]
        problems.append(f"{_where(table, row.number, pos, profile.columns[field_name])}: {reason}")

    for field_name, pos in positions.items():
        raw = row.cells[pos] if pos < len(row.cells) else None
        if isinstance(raw, FormulaWithoutValue):
            bad(
                field_name,
                f"the formula {_shown(raw)} has no saved result; open the file in Excel or "
                "LibreOffice, save it, and import it again",
            )
            continue
        if isinstance(raw, ErrorValue):
            bad(field_name, f"{raw.text!r}: an error value, not a balance: the formula behind it failed")
            continue
        try:
            if field_name in NUMBER_FIELDS:
                values[field_name] = parse_amount(raw, profile.number_format)
            elif field_name == "as_of_column":
                if file_date is None:
                    values[field_name] = parse_date(raw, profile.date_format)
            else:
                values[field_name] = _text_value(raw)
        except (CellValueError, CellDateError) as exc:
            bad(field_name, f"{_shown(raw)!r}: {exc}")
    required = ["asset", "price" if profile.kind == "prices" else "quantity"]
    if profile.kind != "prices" and not profile.account:
        required.append("account")
    if file_date is None:
        required.append("as_of_column")
    for field_name in required:
        if field_name in values and values[field_name] is None:
            bad(field_name, f"the {field_name.replace('_column', '').replace('_', '-')} is blank")
    if len(problems) > before:
        return None
    return ParsedLine(
        row=row.number,
        as_of=file_date or values["as_of_column"],  # type: ignore[arg-type]
        account=profile.account or values.get("account"),  # type: ignore[arg-type]
        reference=values.get("reference"),  # type: ignore[arg-type]
        asset=values["asset"],  # type: ignore[arg-type]
        quantity=values.get("quantity"),  # type: ignore[arg-type]
        price=values.get("price"),  # type: ignore[arg-type]
        value=values.get("value"),  # type: ignore[arg-type]
        equity=values.get("equity"),  # type: ignore[arg-type]
        initial_margin=values.get("initial_margin"),  # type: ignore[arg-type]
        maintenance_margin=values.get("maintenance_margin"),  # type: ignore[arg-type]
    )
