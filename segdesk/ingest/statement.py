"""From a read table and a profile to exact statement lines, or every problem found.

A file is taken whole or not at all: this collects every bad cell, so the person can fix the
file in one go, and the caller stores nothing unless the list of problems is empty.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from segdesk.domain.progress import Progress
from segdesk.ingest.dates import CellDateError, parse_date
from segdesk.ingest.numbers import PLAIN_AMOUNT, CellValueError, amount_reader, format_amount, parse_amount
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
# What a total's first text (ASCII, stripped) starts with, for TOTAL_ROW to match it.
_TOTAL_INITIALS = "gGsStT"
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


_MISSING = object()


def _never(text: str) -> None:
    return None


class _SlowPath(Exception):
    """A row the fast way cannot take whole: `_parse_row` reads it (and words its problems)."""


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _where(table: Table | StatementParser, row: int | None = None, col: int | None = None, header: str | None = None) -> str:
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
    # str.isspace() knows the same spaces as the \s of _SPACES (NBSP, narrow NBSP, thin space too)
    return cell is None or (isinstance(cell, str) and (not cell or cell.isspace()))


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
                f"{_where(table, row.number)}: header row lacks column {m!r}, which {profile.name} requires "
                f"(found {found})" for m in missing
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
            f"{where}: none of the headers of {profile.name} ({', '.join(map(repr, profile.columns.values()))}) "
            f"appear in the first {HEADER_SEARCH_ROWS} rows; is this the right file, sheet and profile?"
        ]
    return [
        f"{where}: no header row has every column {profile.name} requires (in the first {HEADER_SEARCH_ROWS} "
        f"rows); closest is row {best[0]}, which lacks {', '.join(map(repr, best[1]))}"
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
    parser = StatementParser(table.file_name, table.sheet, profile, as_of, progress)
    lines = [
        parser.parsed_line(record)
        for chunk in parser.lines(((r.number, r.cells, None) for r in table.rows), len(table.rows))
        for record in chunk
    ]
    return ParsedStatement(table.file_name, table.sheet, parser.header_row, lines, parser.problems, parser.skipped_rows)


LINE_CHUNK = PROGRESS_EVERY


class StatementParser:
    """Reads one statement's rows as they come (see `readers.RowStream`), a chunk of lines at a time.

    A line is a list: ``[(account, as_of), row, ...]``, the values named by ``fields`` in that
    order: "row", "reference" (if the profile has the column), "asset", then the
    amounts the profile has columns for, as exact plain text (``format_amount`` of the Decimal). It
    is a list so that a caller can put its own key in place of the first item. Lines keep coming
    after a problem is found (``problems`` is then not empty): all of a file's problems are
    reported together, and a file with any is refused whole.
    """

    def __init__(
        self,
        file_name: str,
        sheet: str | None,
        profile: Profile,
        as_of: dt.date | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.file_name = file_name
        self.sheet = sheet
        self.profile = profile
        self.as_of = as_of
        self.progress = progress or Progress()
        self.header_row = 0  # 0 until the header is found
        self.problems: list[str] = []
        self.skipped_rows: list[int] = []
        self.line_count = 0
        self._last_balance_row: int | None = None  # the file's last row, if it was read as a balance
        self.dates: set[dt.date] = set()
        # Prices: the first row of each (asset, date), to refuse a second price for it.
        self.price_rows: dict[tuple[str, dt.date], int] = {}
        self._price_problems: list[str] = []
        optional = [f for f in ("reference",) if f in profile.columns]
        amounts = [f for f in NUMBER_FIELDS if f in profile.columns]
        self.fields: tuple[str, ...] = ("row", *optional, "asset", *amounts)

    def lines(self, rows: Iterable[tuple[int, Sequence[object], Sequence[str | None] | None]], total: int = 0
              ) -> Iterator[list[list[object]]]:
        """The balance lines of ``rows`` (the whole sheet or file, in order: (number, cells, texts)
        as `readers.RowStream` gives them), in chunks."""
        source, rows = rows, iter(rows)
        found = self._header(rows)
        if found is None:
            return
        header, positions, body = found
        profile = self.profile
        date_for_file = self.as_of or profile.as_of
        if date_for_file is None and "as_of_column" not in positions:
            self.problems.append(
                f"{_where(self)}: no statement date: give as_of or [columns] as_of_column in "
                f"{profile.name}, or --as-of"
            )
            return
        yield from self._body(header, positions, body, date_for_file, total)
        cut = getattr(source, "cut_short", None)  # a CSV's RowStream: see readers.RowStream.cut_short
        if cut is not None and cut[0] == self._last_balance_row:
            self._refuse_cut_line(*cut)
        if not self.line_count and not self.problems:
            self.problems.append(f"{_where(self)}: no balances found under the header on row {self.header_row}")

    def _header(self, rows: Iterator[tuple[int, Sequence[object], Any]]) -> tuple[Row, dict[str, int], Iterator[Any]] | None:
        """The header row, the columns of the profile's fields, and the rows below the header."""
        profile = self.profile
        head: list[tuple[int, Sequence[object], Any]] = []
        if profile.header_row is not None:
            for row in rows:
                if row[0] >= profile.header_row:
                    head.append(row)
                    break
            if head and head[0][0] > profile.header_row:
                rows = itertools.chain([head.pop()], rows)
        else:
            head.extend(itertools.islice(rows, HEADER_SEARCH_ROWS))
        table = Table(self.file_name, self.sheet, [Row(number, tuple(cells)) for number, cells, _ in head])
        found = _find_header(table, profile)
        if isinstance(found, list):
            self.problems.extend(found)
            return None
        self.header_row, positions = found
        index = next(i for i, r in enumerate(table.rows) if r.number == self.header_row)
        return table.rows[index], positions, itertools.chain(head[index + 1:], rows)

    def _body(  # noqa: C901 - one loop over every row of a file: kept flat, for speed
        self,
        header: Row,
        positions: dict[str, int],
        body: Iterator[tuple[int, Sequence[object], Sequence[str | None] | None]],
        date_for_file: dt.date | None,
        total: int,
    ) -> Iterator[list[list[object]]]:
        profile = self.profile
        problems = self.problems
        skipped = self.skipped_rows
        report = self.progress.report
        # The profile's own pattern replaces the default one: a fund whose account is called
        # "Total Return Fund" can say skip_rows_matching = "^Total$".
        skip = profile.skip_rows_matching or TOTAL_ROW
        default_skip = skip is TOTAL_ROW
        ends = profile.table_ends_at
        asset_pos = positions["asset"]
        numeric_positions = [positions[f] for f in NUMBER_FIELDS if f in positions]
        filled = [i for i, c in enumerate(header.cells) if not _blank(c)]
        width = filled[-1] + 1 if filled else 0
        after_total: int | None = None  # the row of a (grand) total that should close the table
        questioned_total = None  # the latest row that looks like a total but has an asset

        # The fast way through a row: every cell read by a cache or a fast path. A row it cannot
        # take whole (a bad or blank required cell, a formula or error cell) is read again by
        # `_parse_row`, which words every problem exactly.
        date_cache: dict[str, dt.date | None] = {}
        amount = amount_reader(profile.number_format)
        account_pos = None if profile.account else positions.get("account")
        fixed_account = profile.account
        date_pos = positions.get("as_of_column") if date_for_file is None else None
        reference_pos = positions.get("reference")
        amount_positions = [positions[f] for f in NUMBER_FIELDS if f in positions]
        required_amount = positions["price" if profile.kind == "prices" else "quantity"]
        is_prices = profile.kind == "prices"
        # A date column the file's date overrides is not read, but a formula or error cell there
        # is still refused.
        unread_date_pos = positions.get("as_of_column") if date_for_file is not None else None
        marks = (FormulaWithoutValue, ErrorValue)

        # Codes repeat (a few accounts, assets and references over many rows): each distinct
        # text is cleaned once. Only str keys go in, so 1, 1.0 and True never share an entry.
        text_cache: dict[object, str | None] = {None: None}
        cached = text_cache.get
        missing = _MISSING

        def code(raw: object) -> str | None:
            if raw.__class__ is str:
                if len(text_cache) > 100_000:
                    text_cache.clear()
                    text_cache[None] = None
                value = text_cache[raw] = _text_value(raw)
                return value
            if isinstance(raw, marks):
                raise _SlowPath
            return _text_value(raw)

        # Amounts already written the way the database keeps them are kept as they are.
        canonical = PLAIN_AMOUNT.fullmatch if profile.number_format.decimal == "." else _never

        if date_for_file is not None:
            self.dates.add(date_for_file)
        chunk: list[list[object]] = []
        index = -1
        count = 0  # lines
        for index, (number, cells, texts) in enumerate(body):  # noqa: B007 - index is read after the loop
            if index % PROGRESS_EVERY == 0:
                self.line_count = count
                report(index, max(total, index), "Reading rows")
                if chunk:
                    yield chunk
                    chunk = []
            # The first non-blank cell, and its text (stripped) if it is text.
            first_text = ""
            for first in cells:
                if first is None:
                    continue
                if isinstance(first, str):
                    first_text = first.strip()
                    if not first_text:
                        continue
                break
            else:
                continue  # a blank row
            if ends is not None and ends.search(first_text):
                skipped.append(number)
                break  # the profile says: the table ends here; what follows is not balances
            size = len(cells)
            asset_raw = cells[asset_pos] if asset_pos < size else None
            asset_present = asset_raw is not None and (
                asset_raw.__class__ is not str or not (not asset_raw or asset_raw.isspace())  # type: ignore[attr-defined]
            )
            # A total's first text starts with a letter of "Grand", "Sub" or "Total"; the regular
            # expression is not tried on other (ASCII) text.
            if not default_skip or not (first_text.isascii() and first_text[:1] not in _TOTAL_INITIALS):
                if skip.search(first_text):
                    has_balance = asset_present or any(not _blank(cells[p]) for p in numeric_positions if p < size)
                    if has_balance and asset_present and default_skip:
                        problems.append(
                            f"{_where(self, number)}: {first_text!r} looks like a total but has an asset; if it is "
                            f"a total, set skip_rows_matching in {profile.name}; if it is a balance, set "
                            "skip_rows_matching to a pattern that does not match it"
                        )
                        questioned_total = number
                        continue
                    skipped.append(number)
                    if TABLE_END.match(first_text):
                        after_total = number
                    continue
            # Notes, sub-headings and footnotes carry no asset and no amount: not balances.
            if not asset_present and not any(not _blank(cells[p]) for p in numeric_positions if p < size):
                skipped.append(number)
                continue
            if after_total is not None:
                problems.append(
                    f"{_where(self, number)}: a balance after the total on {_row_word(self)} {after_total}; if the "
                    f"table ends at the total, set table_ends_at = \"^Total\" under [format] in {profile.name}"
                )
                continue
            if size > width:
                extra = [i for i in range(width, size) if not _blank(cells[i])]
                if extra:
                    problems.append(
                        f"{_where(self, number)}: {width + len(extra)} or more values but the header has {width} "
                        f"columns (extra in column {column_letter(extra[0])}: {_shown(cells[extra[0]])!r}); "
                        "an unquoted thousands separator in a CSV? Quote the number or remove the separators"
                    )
                    continue
            try:
                if account_pos is None:
                    account = fixed_account
                else:
                    raw = cells[account_pos] if account_pos < size else None
                    account = cached(raw, missing)  # type: ignore[arg-type]
                    if account is missing:
                        account = code(raw)
                    if account is None:
                        raise _SlowPath
                if date_pos is None:
                    as_of = date_for_file
                else:
                    raw_date = cells[date_pos] if date_pos < size else None
                    if raw_date.__class__ is str and raw_date in date_cache:
                        as_of = date_cache[raw_date]  # type: ignore[index]
                    elif isinstance(raw_date, marks):
                        raise _SlowPath
                    else:
                        as_of = parse_date(raw_date, profile.date_format)
                        if raw_date.__class__ is str:
                            date_cache[raw_date] = as_of  # type: ignore[index]
                    if as_of is None:
                        raise _SlowPath
                line: list[object] = [(account, as_of), number]
                if reference_pos is not None:
                    raw = cells[reference_pos] if reference_pos < size else None
                    value = cached(raw, missing)  # type: ignore[arg-type]
                    line.append(code(raw) if value is missing else value)
                asset = cached(asset_raw, missing)  # type: ignore[arg-type]
                if asset is missing:
                    asset = code(asset_raw)
                if asset is None:
                    raise _SlowPath
                line.append(asset)
                for pos in amount_positions:
                    raw = cells[pos] if pos < size else None
                    if raw.__class__ is str and canonical(raw):  # type: ignore[arg-type]
                        line.append(raw)
                        continue
                    if texts is not None and raw.__class__ is float:
                        value = texts[pos]  # the reader's float_text, which amount() would give
                        if value is not None:
                            line.append(value)
                            continue
                    # A formula or error cell is no amount: CellValueError, and the slow way.
                    value = amount(raw)
                    if value is None and pos == required_amount:
                        raise _SlowPath
                    line.append(value)
                if unread_date_pos is not None and unread_date_pos < size and isinstance(cells[unread_date_pos], marks):
                    raise _SlowPath
            except (_SlowPath, CellValueError, CellDateError):
                parsed = _parse_row(self, profile, positions, Row(number, tuple(cells)), date_for_file, problems)
                if parsed is None:
                    continue
                line = self._record(parsed)
                as_of, asset = parsed.as_of, parsed.asset
            count += 1
            if date_pos is not None:
                self.dates.add(as_of)  # type: ignore[arg-type]
            if is_prices:
                key = (asset, as_of)
                first_row = self.price_rows.setdefault(key, number)  # type: ignore[arg-type]
                if first_row != number:
                    self._price_problems.append(
                        f"{_where(self, number, asset_pos, profile.columns['asset'])}: {asset} is priced twice for "
                        f"{as_of.isoformat()} (also on {_row_word(self)} {first_row})"  # type: ignore[union-attr]
                    )
            chunk.append(line)
        else:
            # The rows ran out (no table_ends_at stop): was the last one taken for a balance, read
            # or refused? A file cut short damages that one (see `lines`).
            if index >= 0 and (not skipped or skipped[-1] != number) and questioned_total != number:
                self._last_balance_row = number
        self.line_count = count
        done = index + 1
        report(done, max(total, done), "Reading rows")
        if chunk:
            yield chunk
        problems.extend(self._price_problems)

    def _refuse_cut_line(self, number: int, values: int, values_before: int) -> None:
        """The last balance line of a file that ends in the middle of it: what is left of it
        (a shorter number, a missing column) is not the balance the sender wrote. Its other
        problems (a blank quantity...) follow from the cut, so this one line replaces them."""
        where = _where(self, number)
        self.problems[:] = [p for p in self.problems if not p.startswith((where + ",", where + ":"))]
        self.problems.append(
            f"{where}: the file ends in the middle of this line ({values} of {values_before} values, no line "
            "break at the end): it looks cut short; export or copy it again"
        )

    def parsed_line(self, line: list[object]) -> ParsedLine:
        """A line as `lines` gives it, as a ParsedLine (amounts as Decimals)."""
        values: dict[str, object] = {"reference": None, "quantity": None}
        for name, value in zip(self.fields, line[1:]):
            values[name] = Decimal(value) if name in NUMBER_FIELDS and value is not None else value  # type: ignore[arg-type]
        account, as_of = line[0]  # type: ignore[misc]
        return ParsedLine(as_of=as_of, account=account, **values)  # type: ignore[arg-type]

    def _record(self, parsed: ParsedLine) -> list[object]:
        """A line read the slow way, in the layout `lines` gives."""
        line: list[object] = [(parsed.account, parsed.as_of)]
        for name in self.fields:
            value = getattr(parsed, name)
            line.append(format_amount(value) if isinstance(value, Decimal) else value)
        return line


def _row_word(table: Table | StatementParser) -> str:
    return "row" if table.sheet is not None else "line"


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
    table: Table | StatementParser,
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
            reason = str(exc)
            said = f"{_shown(raw)!r} is "  # a date's reason repeats the text the line already shows
            bad(field_name, f"{_shown(raw)!r}: {reason.removeprefix(said)}")
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
