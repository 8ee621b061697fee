"""Statement files as custodians send them, written for real by openpyxl and by hand."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

NORTHBRIDGE_PROFILE = """
source = "Northbridge Custody"
kind = "custodian"
sheet = "Holdings"
header_row = 7
as_of = "2026-11-20"

[columns]
account = "Account No."
reference = "Client Ref"
asset = "Asset"
quantity = "Quantity"
price = "Price"
"""


def write_northbridge_statement(path: Path, *, extra_rows: list[list[object]] | None = None) -> Path:
    """A custody statement laid out as a bank sends it.

    Title rows with a merged title cell, the header on row 7, leading-zero account numbers,
    ``(45,000.10)`` negatives as text, a float-noise cell, a total row and a footnote.
    """
    wb = Workbook()
    ws = wb.active
    ws.title = "Holdings"
    ws["A1"] = "Northbridge Custody Services — Statement of Holdings"
    ws.merge_cells("A1:F1")
    ws["A2"] = "Client: Acme Fund Services Ltd"
    ws["A3"] = "Statement date: 20 November 2026"
    ws["A5"] = "All quantities in units of the asset"
    ws.append([])  # row 6 stays blank
    ws["A7"], ws["B7"], ws["C7"], ws["D7"], ws["E7"], ws["F7"] = (
        "Account No.", "Client Ref", "Asset", "Quantity", "Price", "Comment",
    )
    rows = [
        ["0012345-01", "ALPHA", "USD", "1,250,000.00", 1, None],
        ["0012345-01", "BETA", "EUR", "(45,000.10)", "1.0842", "overdrawn"],
        ["0012345-02", None, "BTC", 0.1 + 0.2, "97,250.5", None],                   # float noise
        ["0012345-02", None, "ETH", "12.123456789012345678", "3,050.25", None],      # 18 places, text
        ["0099000-07", "GAMMA", "USD", "-1.5", None, None],
    ]
    for offset, values in enumerate(rows + (extra_rows or [])):
        for col, value in enumerate(values):
            ws.cell(row=8 + offset, column=col + 1, value=value)
    last = 8 + len(rows) + len(extra_rows or [])
    ws.cell(row=last, column=1, value="Total")
    ws.cell(row=last, column=4, value="1,205,000.52")
    ws.cell(row=last + 2, column=1, value="* Balances are unaudited and subject to the custody agreement.")
    wb.save(path)
    return path


def write_profile(path: Path, text: str = NORTHBRIDGE_PROFILE) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def stored_lines(db, batch_id: int, *fields: str) -> list[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    """The stored lines of one import, as tuples of ``fields`` ("account" is the external account)."""
    from segdesk.store import repositories as repo

    def value(line, field):  # type: ignore[no-untyped-def]
        return line.statement.external_account.account if field == "account" else getattr(line, field)

    with db.reading() as session:
        return [tuple(value(line, f) for f in fields) for line in repo.statement_lines(session, batch_id)]
