"""The pack's figures as an xlsx an auditor can work in (openpyxl).

Numbers are numbers (with formats), headers are frozen with filters on, widths are sensible.
Every text cell is written as text: a statement's "=HYPERLINK(...)" stays a string that Excel
shows and never evaluates, even after the cell is edited (quotePrefix).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from segdesk.pack.content import PackContent

AMOUNT_FORMAT = "#,##0.00##########;[Red](#,##0.00##########)"
RATIO_FORMAT = "0.00%"
WHEN_FORMAT = "yyyy-mm-dd hh:mm:ss"
DAY_FORMAT = "yyyy-mm-dd"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
HEADER_FILL = PatternFill("solid", fgColor="29496F")
HEADER_FONT = Font(bold=True, color="FFFFFF")


def _text(cell: Cell, value: str) -> None:
    cell.value = value
    cell.data_type = "s"  # never a formula, whatever it starts with
    if value.startswith(FORMULA_STARTS):
        cell.quotePrefix = True  # and Excel keeps it text when someone edits the cell


def _sheet(wb: Workbook, title: str, headers: Sequence[tuple[str, int, str | None]],
           rows: Iterable[Sequence[object]]) -> None:
    """One table per sheet: (header, width, number format) per column, then the rows."""
    ws = wb.create_sheet(title)
    for j, (header, width, _fmt) in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=j)
        _text(cell, header)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(vertical="center")
        ws.column_dimensions[get_column_letter(j)].width = width
    count = 0
    for i, row in enumerate(rows, start=2):
        count += 1
        for j, value in enumerate(row, start=1):
            cell = ws.cell(row=i, column=j)
            if value is None:
                continue
            if isinstance(value, str):
                _text(cell, value)
            elif isinstance(value, dt.datetime):
                cell.value = value.astimezone(dt.UTC).replace(tzinfo=None)
                cell.number_format = WHEN_FORMAT
            elif isinstance(value, dt.date):
                cell.value = value
                cell.number_format = DAY_FORMAT
            elif isinstance(value, int) and not isinstance(value, bool):
                cell.value = value
                fmt = headers[j - 1][2]
                cell.number_format = fmt if fmt and fmt != AMOUNT_FORMAT else "0"  # an id or a count
            else:
                cell.value = value
                fmt = headers[j - 1][2]
                if fmt:
                    cell.number_format = fmt
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"


def write_workbook(content: PackContent, path: Path) -> None:
    c = content
    base = c.base_currency
    wb = Workbook()
    wb.remove(wb.active)
    f = c.figures
    _sheet(wb, "Summary", [("Item", 34, None), ("Value", 60, AMOUNT_FORMAT)], [
        ("Entity", c.entity), ("As of", c.as_of), ("Run", c.run_id), ("Base currency", base),
        ("Verdict", c.verdict.title), ("Verdict detail", c.verdict.detail),
        ("Status", "DRAFT: not yet reviewed" if c.draft else "approved"),
        *((f"{role.capitalize()}", f"{s.user}, {s.at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"
           + (f": {s.comment}" if s.comment else "")) for role, s in sorted(c.signatures.items())),
        (f"Requirement ({base})", f.requirement), (f"Resources ({base})", f.resources),
        (f"of which buffer ({base})", f.buffer), (f"Excess ({base})", f.excess),
        (f"Undermargined ({base})", f.undermargined),
        ("Inputs fingerprint", c.fingerprint), ("Audit chain head", f"#{c.chain_head_seq} {c.chain_head}"),
        ("Exported by", c.exported_by), ("Exported at (UTC)", c.exported_at),
    ])
    amount = AMOUNT_FORMAT
    _sheet(wb, "Statement", [("Held", 12, None), ("Units held", 22, amount), (f"Resources ({base})", 22, amount),
                             (f"Requirement ({base})", 22, amount), (f"Excess ({base})", 22, amount),
                             (f"Buffer ({base})", 22, amount)],
           [*((r.asset, r.quantity, r.resources, r.requirement, r.excess, r.buffer) for r in c.by_currency),
            (f"Total ({base})", None, f.resources, f.requirement, f.excess, f.buffer)])
    _sheet(wb, "Findings", [("ID", 8, "0"), ("Severity", 11, None), ("Kind", 28, None), ("Sub-account", 16, None),
                            ("External account", 30, None), ("Asset", 9, None), (f"Amount ({base})", 20, amount),
                            ("Status", 13, None), ("Message", 80, None), ("Evidence rows", 13, "0"),
                            ("Last action", 40, None)],
           ((x.id, x.severity, x.kind, x.sub_account, x.external_account, x.asset, x.amount, x.status, x.message,
             len(x.evidence), _last_step(x.history)) for x in c.findings))
    _sheet(wb, "Evidence", [("Finding", 9, "0"), ("Kind", 28, None), ("File", 36, None), ("Sheet", 18, None),
                            ("Row", 8, "0")],
           ((x.id, x.kind, file, sheet, row) for x in c.findings for file, sheet, row in x.evidence))
    _sheet(wb, "History", [("Finding", 9, "0"), ("From", 13, None), ("To", 13, None), ("Who", 20, None),
                           ("When (UTC)", 20, None), ("Comment", 80, None)],
           ((x.id, s.from_status or "new", s.to_status, s.user, s.at, s.comment) for x in c.findings
            for s in x.history))
    _sheet(wb, "SubAccounts", [("Code", 14, None), ("Name", 30, None), ("Kind", 12, None), ("Client", 24, None),
                               (f"Equity ({base})", 20, amount), (f"Venue equity ({base})", 20, amount),
                               (f"Initial margin ({base})", 20, amount), (f"Maintenance margin ({base})", 20, amount),
                               ("Margin ratio", 13, RATIO_FORMAT)],
           ((s.code, s.name, s.kind, s.client, s.equity, s.venue_equity, s.initial_margin, s.maintenance_margin,
             s.margin_ratio) for s in c.sub_accounts))
    _sheet(wb, "Accounts", [("Source", 26, None), ("Source kind", 12, None), ("Account", 26, None),
                            ("Designation", 20, None)],
           ((a.source, a.source_kind, a.account, a.designation) for a in c.accounts))
    _sheet(wb, "Mappings", [("Source", 26, None), ("Account", 26, None), ("Reference", 20, None),
                            ("Sub-account", 16, None), ("Valid from", 12, DAY_FORMAT), ("Valid to", 12, DAY_FORMAT)],
           ((m.source, m.account, m.reference, m.sub_account, m.valid_from, m.valid_to) for m in c.mappings))
    _sheet(wb, "Sources", [("Batch", 8, "0"), ("File", 36, None), ("Sheet", 16, None), ("Source", 24, None),
                           ("Rows", 9, "#,##0"), ("SHA-256", 68, None), ("Imported by", 18, None),
                           ("Imported at (UTC)", 20, None), ("Attached as", 36, None)],
           ((s.batch_id, s.file_name, s.sheet, s.source, s.rows, s.sha256, s.imported_by, s.imported_at, s.attachment)
            for s in c.sources))
    _sheet(wb, "Audit", [("Seq", 8, "0"), ("When (UTC)", 28, None), ("Who", 18, None), ("Action", 22, None),
                         ("Entity", 14, None), ("Entity ID", 10, None), ("Detail", 60, None), ("Hash", 68, None)],
           [*((e.seq, _moment(e.at), e.actor, e.action, e.entity, e.entity_id, e.detail, e.hash) for e in c.audit),
            (c.chain_head_seq, None, None, "chain head", None, None, "the latest event when exported", c.chain_head)])
    wb.properties.title = f"Segregation reconciliation {c.as_of} — {c.entity}"
    wb.properties.creator = c.generator
    wb.save(path)


def _moment(text: str) -> dt.datetime | str:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return text


def _last_step(history: Sequence) -> str | None:  # type: ignore[type-arg]
    if not history:
        return None
    s = history[-1]
    return f"{s.to_status} by {s.user}" + (f": {s.comment}" if s.comment else "")
