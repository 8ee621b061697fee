"""The chart workbook: sub-accounts, external accounts with designations, and mappings.

``chart import`` is all or nothing. Sub-accounts and external accounts are created or updated by
their keys and never deleted (statements and findings refer to them); the workbook's Mappings
sheet *is* the mapping table afterwards, so a mapping removed from the sheet is removed from the
database. Every change is written to the audit trail in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from segdesk.domain.problems import InputError
from segdesk.ingest.dates import CellDateError, parse_date
from segdesk.ingest.readers import ReadError, Row, read_table, sheet_names
from segdesk.ingest.statement import clean_code, column_letter
from segdesk.services.identity import acting_person
from segdesk.services.importing import a_or_an
from segdesk.store import repositories as repo
from segdesk.store.audit import append_event
from segdesk.store.engine import Database
from segdesk.store.schema import DESIGNATIONS, SUB_ACCOUNT_KINDS, Mapping, SubAccount

SHEETS: dict[str, tuple[str, ...]] = {
    "SubAccounts": ("code", "name", "kind", "client", "base_currency"),
    "ExternalAccounts": ("source", "source_kind", "account", "designation"),
    "Mappings": ("source", "account", "reference", "sub_account", "valid_from", "valid_to"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "SubAccounts": ("code", "name", "kind"),
    "ExternalAccounts": ("source", "source_kind", "account"),
    "Mappings": ("source", "account", "sub_account"),
}
CHART_SOURCE_KINDS = ("custodian", "exchange", "ledger")


@dataclass(frozen=True)
class ChartSubAccount:
    code: str
    name: str
    kind: str
    client: str | None
    base_currency: str | None


@dataclass(frozen=True)
class ChartAccount:
    source: str
    source_kind: str
    account: str
    designation: str | None


@dataclass(frozen=True)
class ChartMapping:
    source: str
    account: str
    reference: str | None
    sub_account: str
    valid_from: dt.date | None
    valid_to: dt.date | None


@dataclass
class Chart:
    sub_accounts: list[ChartSubAccount] = field(default_factory=list)
    accounts: list[ChartAccount] = field(default_factory=list)
    mappings: list[ChartMapping] = field(default_factory=list)


@dataclass(frozen=True)
class ChartImportResult:
    sub_accounts_created: int
    sub_accounts_updated: int
    accounts_created: int
    accounts_updated: int
    mappings_added: int
    mappings_removed: int


# --- writing ---------------------------------------------------------------------------------


def write_chart(chart: Chart, path: Path) -> None:
    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDE6F0")
    lists = {
        ("SubAccounts", "kind"): SUB_ACCOUNT_KINDS,
        ("ExternalAccounts", "source_kind"): CHART_SOURCE_KINDS,
        ("ExternalAccounts", "designation"): DESIGNATIONS,
    }
    rows = {
        "SubAccounts": [(s.code, s.name, s.kind, s.client, s.base_currency) for s in chart.sub_accounts],
        "ExternalAccounts": [(a.source, a.source_kind, a.account, a.designation) for a in chart.accounts],
        "Mappings": [
            (m.source, m.account, m.reference, m.sub_account, m.valid_from, m.valid_to) for m in chart.mappings
        ],
    }
    for name, headers in SHEETS.items():
        ws = wb.create_sheet(name)
        ws.append(list(headers))
        for cell in ws[1]:
            cell.font = bold
            cell.fill = fill
        for values in rows[name]:
            ws.append(list(values))
        for idx, header in enumerate(headers):
            letter = column_letter(idx)
            ws.column_dimensions[letter].width = max(14, len(header) + 4)
            # Account numbers are text: "0012345-01" must never become a number in Excel.
            for cell in ws[letter][1:]:
                if isinstance(cell.value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
                else:
                    cell.number_format = "@"
            choices = lists.get((name, header))
            if choices:
                dv = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True)
                dv.add(f"{letter}2:{letter}5000")
                ws.add_data_validation(dv)
        ws.freeze_panes = "A2"
    wb.save(path)


def write_template(path: Path) -> None:
    write_chart(Chart(), path)


def export_chart(db: Database, path: Path) -> Chart:
    with db.reading() as session:
        chart = Chart(
            sub_accounts=[
                ChartSubAccount(s.code, s.name, s.kind, s.client, s.base_currency) for s in repo.sub_accounts(session)
            ],
            accounts=[
                ChartAccount(a.source.name, a.source.kind, a.account, a.designation)
                for a in repo.external_accounts(session)
                if a.source.kind in CHART_SOURCE_KINDS
            ],
            mappings=[
                ChartMapping(
                    m.external_account.source.name,
                    m.external_account.account,
                    m.reference,
                    m.sub_account.code,
                    m.valid_from,
                    m.valid_to,
                )
                for m in repo.mappings(session)
            ],
        )
    write_chart(chart, path)
    return chart


# --- reading ---------------------------------------------------------------------------------


def read_chart(path: Path) -> Chart:
    """Parse and validate the workbook; every problem is listed, naming sheet, row and column."""
    name = path.name
    try:
        present = sheet_names(path)
    except ReadError as exc:
        raise InputError(str(exc)) from None
    problems: list[str] = []
    missing = [s for s in SHEETS if s not in present]
    if missing:
        raise InputError(
            f"{name}: the chart workbook lacks sheet(s) {', '.join(missing)} "
            f"(it has: {', '.join(present) or 'none'}); start from `segdesk chart template`"
        )
    chart = Chart()
    for sheet, headers in SHEETS.items():
        try:
            table = read_table(path, sheet=sheet)
        except ReadError as exc:
            raise InputError(str(exc)) from None
        header_row = next((r for r in table.rows if r.number == 1), None)
        found = {}
        if header_row is not None:
            for idx, cell in enumerate(header_row.cells):
                if isinstance(cell, str) and cell.strip():
                    found.setdefault(cell.strip().lower(), idx)
        absent = [h for h in REQUIRED[sheet] if h not in found]
        if absent:
            problems.append(f"{name}, sheet '{sheet}', row 1: missing column(s) {', '.join(absent)}")
            continue
        for row in table.rows:
            if row.number == 1 or all(_blank(c) for c in row.cells):
                continue
            _read_row(name, sheet, headers, found, row, chart, problems)
    problems.extend(_cross_check(name, chart))
    if problems:
        raise InputError(problems)
    return chart


def _blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _read_row(
    name: str, sheet: str, headers: tuple[str, ...], found: dict[str, int], row: Row, chart: Chart, problems: list[str]
) -> None:
    values: dict[str, object] = {}
    ok = True
    for header in headers:
        pos = found.get(header)
        raw = row.cells[pos] if pos is not None and pos < len(row.cells) else None
        where = f"{name}, sheet '{sheet}', row {row.number}, column {column_letter(pos or 0)} ({header})"
        if header in ("valid_from", "valid_to"):
            try:
                values[header] = parse_date(raw)
            except CellDateError as exc:
                problems.append(f"{where}: {exc}")
                ok = False
            continue
        if _blank(raw):
            values[header] = None
        elif isinstance(raw, float) and raw.is_integer():
            values[header] = str(int(raw))  # an account number Excel stored as a number
        elif isinstance(raw, (str, int)) and not isinstance(raw, bool):
            values[header] = clean_code(str(raw))  # spelled as statements spell it
        else:
            problems.append(f"{where}: expected text, found {raw!r}")
            ok = False
            continue
        if values[header] is None and header in REQUIRED[sheet]:
            problems.append(f"{where}: {header} is required")
            ok = False
    if not ok:
        return

    def check(header: str, allowed: tuple[str, ...], required: bool = True) -> bool:
        value = values[header]
        if value is None and not required:
            return True
        if value not in allowed:
            pos = found.get(header, 0)
            problems.append(
                f"{name}, sheet '{sheet}', row {row.number}, column {column_letter(pos)} ({header}): "
                f"{value!r} is not one of {', '.join(allowed)}"
            )
            return False
        return True

    if sheet == "SubAccounts":
        if check("kind", SUB_ACCOUNT_KINDS):
            chart.sub_accounts.append(ChartSubAccount(**{h: values[h] for h in headers}))  # type: ignore[arg-type]
    elif sheet == "ExternalAccounts":
        kind_ok = check("source_kind", CHART_SOURCE_KINDS)
        # Blank is checked against the database later: a custodian or exchange account needs a
        # designation, except one that arrived on a statement and has none yet (chart export
        # writes those, so export -> import must work).
        designation_ok = check("designation", DESIGNATIONS, required=False)
        if kind_ok and designation_ok:
            chart.accounts.append(ChartAccount(**{h: values[h] for h in headers}))  # type: ignore[arg-type]
    else:
        vf, vt = values["valid_from"], values["valid_to"]
        if vf and vt and vf > vt:  # type: ignore[operator]
            problems.append(f"{name}, sheet 'Mappings', row {row.number}: valid_from {vf} is after valid_to {vt}")
            return
        chart.mappings.append(ChartMapping(**{h: values[h] for h in headers}))  # type: ignore[arg-type]


def _cross_check(name: str, chart: Chart) -> list[str]:
    problems = []
    codes: dict[str, int] = defaultdict(int)
    for s in chart.sub_accounts:
        codes[s.code] += 1
    problems += [f"{name}, sheet 'SubAccounts': code {c!r} appears {n} times" for c, n in codes.items() if n > 1]
    keys: dict[tuple[str, str], int] = defaultdict(int)
    kinds: dict[str, set[str]] = defaultdict(set)
    for a in chart.accounts:
        keys[(a.source, a.account)] += 1
        kinds[a.source].add(a.source_kind)
    problems += [
        f"{name}, sheet 'ExternalAccounts': account {a!r} of {s!r} appears {n} times"
        for (s, a), n in keys.items()
        if n > 1
    ]
    problems += [
        f"{name}, sheet 'ExternalAccounts': source {s!r} is given kinds {', '.join(sorted(k))}; one source has one kind"
        for s, k in kinds.items()
        if len(k) > 1
    ]
    windows: dict[tuple[str, str, str | None], list[ChartMapping]] = defaultdict(list)
    for m in chart.mappings:
        windows[(m.source, m.account, m.reference)].append(m)
    for (s, a, ref), ms in windows.items():
        ms.sort(key=lambda m: m.valid_from or dt.date.min)
        for first, second in zip(ms, ms[1:], strict=False):
            if (first.valid_to or dt.date.max) >= (second.valid_from or dt.date.min):
                what = f"reference {ref!r}" if ref else "all lines"
                problems.append(
                    f"{name}, sheet 'Mappings': {s}:{a} ({what}) has overlapping mappings to "
                    f"{first.sub_account} and {second.sub_account}; a line must map to one sub-account"
                )
    return problems


def import_chart(db: Database, path: Path, *, user: str | None = None) -> ChartImportResult:
    chart = read_chart(path)
    user = acting_person(db, user, may="chart")
    with db.transaction() as session:
        return _apply(session, path.name, chart, user)


def _apply(session, file_name: str, chart: Chart, user: str) -> ChartImportResult:  # type: ignore[no-untyped-def]
    problems: list[str] = []
    created_sa = updated_sa = created_acc = updated_acc = 0
    subs = {s.code: s for s in repo.sub_accounts(session)}
    for s in chart.sub_accounts:
        existing = subs.get(s.code)
        new = {"name": s.name, "kind": s.kind, "client": s.client, "base_currency": s.base_currency}
        if existing is None:
            existing = SubAccount(code=s.code, **new)
            session.add(existing)
            session.flush()
            subs[s.code] = existing
            created_sa += 1
            append_event(session, actor=user, action="sub_account.create", entity="sub_account",
                         entity_id=existing.id, payload={"code": s.code, **new, "file": file_name})
        else:
            old = {k: getattr(existing, k) for k in new}
            if old != new:
                for k, v in new.items():
                    setattr(existing, k, v)
                updated_sa += 1
                append_event(session, actor=user, action="sub_account.update", entity="sub_account",
                             entity_id=existing.id, payload={"code": s.code, "old": old, "new": new, "file": file_name})
    accounts: dict[tuple[str, str], object] = {
        (a.source.name, a.account): a for a in repo.external_accounts(session)
    }
    for a in chart.accounts:
        source, created = repo.get_or_create_source(session, a.source, a.source_kind)
        if created:
            append_event(session, actor=user, action="source.create", entity="source", entity_id=source.id,
                         payload={"name": a.source, "kind": a.source_kind, "file": file_name})
        elif source.kind != a.source_kind:
            problems.append(
                f"{file_name}, sheet 'ExternalAccounts': source {a.source!r} is already known as "
                f"{a_or_an(source.kind)}, not {a_or_an(a.source_kind)}"
            )
            continue
        account, created = repo.get_or_create_account(session, source, a.account)
        accounts[(a.source, a.account)] = account
        if a.designation is None and a.source_kind != "ledger" and (created or account.designation is not None):
            problems.append(
                f"{file_name}, sheet 'ExternalAccounts': {a.source}:{a.account} needs a designation "
                f"({', '.join(DESIGNATIONS)})"
            )
            continue
        if created:
            account.designation = a.designation
            created_acc += 1
            append_event(session, actor=user, action="external_account.create", entity="external_account",
                         entity_id=account.id, payload={"source": a.source, "account": a.account,
                                                        "designation": a.designation, "file": file_name})
        elif account.designation != a.designation:
            append_event(session, actor=user, action="external_account.designate", entity="external_account",
                         entity_id=account.id, payload={"source": a.source, "account": a.account,
                                                        "old": account.designation, "new": a.designation,
                                                        "file": file_name})
            account.designation = a.designation
            updated_acc += 1
    wanted: set[tuple[int, str | None, int, dt.date | None, dt.date | None]] = set()
    for m in chart.mappings:
        account = accounts.get((m.source, m.account))
        sub = subs.get(m.sub_account)
        if account is None:
            problems.append(
                f"{file_name}, sheet 'Mappings': account {m.source}:{m.account} is neither in ExternalAccounts "
                "nor already known"
            )
        if sub is None:
            problems.append(f"{file_name}, sheet 'Mappings': sub-account {m.sub_account!r} is not in SubAccounts")
        if account is not None and sub is not None:
            wanted.add((account.id, m.reference, sub.id, m.valid_from, m.valid_to))  # type: ignore[attr-defined]
    if problems:
        raise InputError(problems)  # rolls the whole transaction back
    existing_maps = {
        (m.external_account_id, m.reference, m.sub_account_id, m.valid_from, m.valid_to): m
        for m in repo.mappings(session)
    }
    if existing_maps and not wanted:
        # Almost always the wrong file (an empty template): one import would unmap every balance.
        raise InputError(
            f"{file_name}: its Mappings sheet is empty, so importing it would remove all {len(existing_maps)} "
            "mappings in force; nothing was changed. Start from `segdesk chart export` to edit the chart"
        )
    removed = 0
    for key, mapping in existing_maps.items():
        if key not in wanted:
            append_event(session, actor=user, action="mapping.remove", entity="mapping", entity_id=mapping.id,
                         payload=_mapping_payload(mapping, file_name))
            session.delete(mapping)
            removed += 1
    session.flush()
    added = 0
    for key in sorted(wanted - existing_maps.keys(), key=str):
        mapping = Mapping(external_account_id=key[0], reference=key[1], sub_account_id=key[2],
                          valid_from=key[3], valid_to=key[4])
        session.add(mapping)
        session.flush()
        append_event(session, actor=user, action="mapping.add", entity="mapping", entity_id=mapping.id,
                     payload=_mapping_payload(mapping, file_name))
        added += 1
    return ChartImportResult(created_sa, updated_sa, created_acc, updated_acc, added, removed)


def _mapping_payload(m: Mapping, file_name: str) -> dict[str, object]:
    return {
        "source": m.external_account.source.name,
        "account": m.external_account.account,
        "reference": m.reference,
        "sub_account": m.sub_account.code,
        "valid_from": m.valid_from.isoformat() if m.valid_from else None,
        "valid_to": m.valid_to.isoformat() if m.valid_to else None,
        "file": file_name,
    }
