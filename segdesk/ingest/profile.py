"""Import profiles: how to read one statement layout (TOML, as SPEC.md describes)."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from segdesk.domain.problems import InputError
from segdesk.ingest.dates import CellDateError, parse_iso_date
from segdesk.ingest.numbers import NumberFormat

KINDS = ("custodian", "exchange", "ledger", "prices")
NUMBER_FIELDS = ("quantity", "price", "value", "equity", "initial_margin", "maintenance_margin")
TEXT_FIELDS = ("account", "reference", "asset")
COLUMN_FIELDS = (*TEXT_FIELDS, *NUMBER_FIELDS, "as_of_column")
TOP_LEVEL = ("source", "kind", "sheet", "header_row", "as_of", "account", "columns", "format")
FORMAT_KEYS = ("decimal", "thousands", "encoding", "delimiter", "date", "skip_rows_matching", "table_ends_at")
DELIMITERS = {",": ",", ";": ";", "\t": "\t", "tab": "\t", "|": "|"}


@dataclass(frozen=True)
class Profile:
    source: str
    kind: str
    columns: dict[str, str]
    sheet: str | None = None
    header_row: int | None = None
    as_of: dt.date | None = None
    account: str | None = None
    number_format: NumberFormat = NumberFormat()
    encoding: str | None = None
    delimiter: str | None = None
    date_format: str | None = None
    skip_rows_matching: re.Pattern[str] | None = None
    table_ends_at: re.Pattern[str] | None = None
    name: str = "profile"
    text: str = field(default="", repr=False)

    def required_fields(self) -> tuple[str, ...]:
        if self.kind == "prices":
            return ("asset", "price")
        return ("asset", "quantity") if self.account else ("account", "asset", "quantity")


def load_profile(path: Path) -> Profile:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: profile not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read profile ({exc})") from None
    return parse_profile(text, name=path.name)


def parse_profile(text: str, *, name: str = "profile") -> Profile:
    """Validate every key; all problems are reported together."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{name}: not valid TOML ({exc})") from None
    problems: list[str] = []

    def bad(msg: str) -> None:
        problems.append(f"{name}: {msg}")

    for key in data:
        if key not in TOP_LEVEL:
            bad(f"unknown key '{key}' (expected one of: {', '.join(TOP_LEVEL)})")

    source = data.get("source")
    if not isinstance(source, str) or not source.strip():
        bad("'source' is required: the name of who sent the statement")
        source = ""
    kind = data.get("kind")
    if kind not in KINDS:
        bad(f"'kind' must be one of {', '.join(KINDS)}, found {kind!r}")

    sheet = data.get("sheet")
    if sheet is not None and not isinstance(sheet, str):
        bad("'sheet' must be text (the sheet's name)")
        sheet = None
    header_row = data.get("header_row")
    if header_row is not None and (not isinstance(header_row, int) or isinstance(header_row, bool) or header_row < 1):
        bad(f"'header_row' must be a row number (1, 2, ...), found {header_row!r}")
        header_row = None
    as_of = None
    if "as_of" in data:
        raw = data["as_of"]
        if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
            as_of = raw
        elif isinstance(raw, str):
            try:
                as_of = parse_iso_date(raw)
            except CellDateError as exc:
                bad(f"'as_of': {exc}")
        else:
            bad(f"'as_of' must be a date YYYY-MM-DD, found {raw!r}")
    account = data.get("account")
    if account is not None and (not isinstance(account, str) or not account.strip()):
        bad("top-level 'account' must be the account's text, e.g. account = \"0012345-01\"")
        account = None

    columns_raw = data.get("columns", {})
    columns: dict[str, str] = {}
    if not isinstance(columns_raw, dict):
        bad("[columns] must be a table of field = \"Header text\"")
        columns_raw = {}
    for field_name, header in columns_raw.items():
        if field_name not in COLUMN_FIELDS:
            bad(f"[columns] unknown field '{field_name}' (expected: {', '.join(COLUMN_FIELDS)})")
        elif not isinstance(header, str) or not header.strip():
            bad(f"[columns] {field_name} must be the header text as in the file")
        else:
            columns[field_name] = header
    if account and "account" in columns:
        bad("give the account either as a column ([columns] account) or at top level, not both")
    if kind in KINDS:
        required = ("asset", "price") if kind == "prices" else ("asset", "quantity")
        for field_name in required:
            if field_name not in columns:
                bad(f"[columns] {field_name} is required for a {kind} statement")
        if kind != "prices" and "account" not in columns and not account:
            bad("the account is required: a [columns] account header, or account = \"...\" at top level")

    fmt_raw = data.get("format", {})
    if not isinstance(fmt_raw, dict):
        bad("[format] must be a table")
        fmt_raw = {}
    for key in fmt_raw:
        if key not in FORMAT_KEYS:
            bad(f"[format] unknown key '{key}' (expected: {', '.join(FORMAT_KEYS)})")
    decimal = fmt_raw.get("decimal", ".")
    if decimal not in (".", ","):
        bad(f"[format] decimal must be \".\" or \",\", found {decimal!r}")
        decimal = "."
    thousands = fmt_raw.get("thousands", "," if decimal == "." else ".")
    if thousands not in (",", ".", " ", "'", ""):
        bad(f"[format] thousands must be one of , . ' or a space, found {thousands!r}")
        thousands = ","
    if thousands == decimal:
        bad("[format] thousands and decimal separators must differ")
    encoding = fmt_raw.get("encoding")
    if encoding is not None:
        import codecs

        try:
            codecs.lookup(encoding)
        except (LookupError, TypeError):
            bad(f"[format] unknown encoding {encoding!r}")
            encoding = None
    delimiter = fmt_raw.get("delimiter")
    if delimiter is not None:
        if delimiter not in DELIMITERS:
            bad("[format] delimiter must be one of \",\" \";\" \"|\" or \"\\t\" (tab)")
            delimiter = None
        else:
            delimiter = DELIMITERS[delimiter]
    date_format = fmt_raw.get("date")
    if date_format is not None:
        try:
            dt.datetime.strptime(dt.date(2026, 11, 20).strftime(date_format), date_format)
        except (ValueError, TypeError):
            bad(f"[format] date {date_format!r} is not a usable date format such as \"%d.%m.%Y\"")
            date_format = None
    patterns: dict[str, re.Pattern[str] | None] = {"skip_rows_matching": None, "table_ends_at": None}
    for key in patterns:
        if key in fmt_raw:
            try:
                patterns[key] = re.compile(fmt_raw[key])
            except (re.error, TypeError) as exc:
                bad(f"[format] {key} is not a valid pattern ({exc})")

    if problems:
        raise InputError(problems)
    return Profile(
        source=source.strip(),
        kind=kind,
        columns=columns,
        sheet=sheet,
        header_row=header_row,
        as_of=as_of,
        account=account.strip() if account else None,
        number_format=NumberFormat(decimal=decimal, thousands=thousands),
        encoding=encoding,
        delimiter=delimiter,
        date_format=date_format,
        skip_rows_matching=patterns["skip_rows_matching"],
        table_ends_at=patterns["table_ends_at"],
        name=name,
        text=text,
    )
