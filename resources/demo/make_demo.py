"""Writes the demo fund's files: a chart workbook, statements in their senders' own layouts, and
the import profiles that read them. The files are committed; re-run this after changing it.

    .venv/bin/python resources/demo/make_demo.py

The demo is a small fund administered by "Acme Fund Services": four clients, the firm's house
account and its buffer, held at a bank custodian, a European bank and a crypto exchange.
Its numbers are chosen so that a reconciliation has something to say: a client's money in a
proprietary account, house money in an omnibus client account, a client in deficit, a margin
shortfall at the exchange, an unmapped client reference, a stale statement, an asset with no
price, and a quantity that disagrees with the firm's ledger.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

HERE = Path(__file__).resolve().parent
AS_OF = dt.date(2026, 11, 20)


def chart() -> None:
    wb = Workbook()
    wb.remove(wb.active)
    sheets = {
        "SubAccounts": (
            ["code", "name", "kind", "client", "base_currency"],
            [
                ["C-ALPHA", "Alpha Capital LP", "client", "Alpha Capital LP", None],
                ["C-BETA", "Beta Partners", "client", "Beta Partners LLC", None],
                ["C-GAMMA", "Gamma Trading", "client", "Gamma Trading Ltd", None],
                ["C-DELTA", "Délta Fonds", "client", "Délta Fonds SA", None],
                ["P-HOUSE", "House trading", "proprietary", None, None],
                ["B-BUFFER", "Residual interest buffer", "buffer", None, None],
            ],
        ),
        "ExternalAccounts": (
            ["source", "source_kind", "account", "designation"],
            [
                ["Northbridge Custody", "custodian", "0012345-01", "omnibus_client"],
                ["Northbridge Custody", "custodian", "0012345-02", "client_segregated"],
                ["Northbridge Custody", "custodian", "0077001-00", "proprietary"],
                ["Bankhaus Adler", "custodian", "000123", "client_segregated"],
                ["Helix Exchange", "exchange", "alpha-sub", "client_segregated"],
                ["Helix Exchange", "exchange", "gamma-sub", "client_segregated"],
                ["Helix Exchange", "exchange", "house-sub", "proprietary"],
                ["Acme Ledger", "ledger", "GL-CLIENT", None],
            ],
        ),
        "Mappings": (
            ["source", "account", "reference", "sub_account", "valid_from", "valid_to"],
            [
                ["Northbridge Custody", "0012345-01", "ALPHA", "C-ALPHA", None, None],
                ["Northbridge Custody", "0012345-01", "BETA", "C-BETA", None, None],
                ["Northbridge Custody", "0012345-01", "BUF", "B-BUFFER", None, None],
                ["Northbridge Custody", "0012345-01", "HOUSE", "P-HOUSE", None, None],
                ["Northbridge Custody", "0012345-02", None, "C-GAMMA", dt.date(2026, 1, 1), None],
                ["Northbridge Custody", "0077001-00", None, "P-HOUSE", None, None],
                ["Northbridge Custody", "0077001-00", "ALPHA", "C-ALPHA", None, None],
                ["Bankhaus Adler", "000123", None, "C-DELTA", None, None],
                ["Helix Exchange", "alpha-sub", None, "C-ALPHA", None, None],
                ["Helix Exchange", "gamma-sub", None, "C-GAMMA", None, None],
                ["Helix Exchange", "house-sub", None, "P-HOUSE", None, None],
                ["Acme Ledger", "GL-CLIENT", "ALPHA", "C-ALPHA", None, None],
                ["Acme Ledger", "GL-CLIENT", "BETA", "C-BETA", None, None],
                ["Acme Ledger", "GL-CLIENT", "GAMMA", "C-GAMMA", None, None],
                ["Acme Ledger", "GL-CLIENT", "DELTA", "C-DELTA", None, None],
            ],
        ),
    }
    for name, (header, rows) in sheets.items():
        ws = wb.create_sheet(name)
        ws.append(header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append(row)
        for col in "ABCDEF":
            ws.column_dimensions[col].width = 22
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if not isinstance(cell.value, dt.date):
                    cell.number_format = "@"
                else:
                    cell.number_format = "yyyy-mm-dd"
    wb.save(HERE / "chart.xlsx")


def northbridge() -> None:
    """A bank's holdings statement: title block, header on row 7, negatives in parentheses, totals."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Holdings"
    ws["A1"] = "Northbridge Custody Services — Statement of Holdings"
    ws["A1"].font = Font(bold=True, size=14)
    ws.merge_cells("A1:F1")
    ws["A1"].alignment = Alignment(horizontal="center")
    ws["A2"] = "Account holder: Acme Fund Services Ltd"
    ws["A3"] = "Statement date: 20 November 2026"
    ws["A4"] = "Currency amounts in units of the asset"
    headers = ["Account No.", "Client Ref", "Asset", "Quantity", "Price (USD)", "Market value (USD)"]
    for col, text in enumerate(headers, start=1):
        ws.cell(row=7, column=col, value=text).font = Font(bold=True)
    rows = [
        ["0012345-01", "ALPHA", "USD", "2,500,000.00", "1.00"],
        ["0012345-01", "ALPHA", "BTC", "2.40000000", "97,250.50"],
        ["0012345-01", "BETA", "USD", "(45,000.10)", "1.00"],
        ["0012345-01", "BUF", "USD", "250,000.00", "1.00"],
        ["0012345-01", "HOUSE", "USD", "75,000.00", "1.00"],
        ["0012345-01", "ZETA", "USD", "12,000.00", "1.00"],
        ["0012345-02", "GAMMA", "USD", "400,000.00", "1.00"],
        ["0012345-02", "GAMMA", "SOL", "1,500.000000000", None],
        ["0077001-00", None, "USD", "1,000,000.00", "1.00"],
        ["0077001-00", "ALPHA", "USD", "30,000.00", "1.00"],
    ]
    for offset, (account, ref, asset, qty, price) in enumerate(rows):
        r = 8 + offset
        for col, value in enumerate([account, ref, asset, qty, price], start=1):
            ws.cell(row=r, column=col, value=value)
    total_row = 8 + len(rows) + 1
    ws.cell(row=total_row, column=1, value="Total USD equivalent")
    ws.cell(row=total_row, column=6, value="4,488,401.10")
    ws.cell(row=total_row + 2, column=1, value="* Balances unaudited; subject to the custody agreement of 1 March 2024.")
    for col, width in zip("ABCDEF", (16, 12, 8, 20, 14, 22), strict=True):
        ws.column_dimensions[col].width = width
    wb.save(HERE / "northbridge_2026-11-20.xlsx")


def texts() -> None:
    (HERE / "helix_2026-11-20.csv").write_text(
        "account,asset,balance,equity,initial_margin,maintenance_margin\n"
        "alpha-sub,USDT,150000.00,150000.00,40000.00,20000.00\n"
        "alpha-sub,BTC,0.50000000,0.50000000,0,0\n"
        "gamma-sub,USDT,18000.00,18000.00,60000.00,30000.00\n"
        "house-sub,USDT,500000.00,500000.00,100000.00,50000.00\n",
        encoding="utf-8",
    )
    # A European bank: semicolons, decimal commas, cp1252, a statement one day old.
    (HERE / "adler_2026-11-19.csv").write_bytes(
        (
            "Bankhaus Adler AG;Kontoauszug\r\n"
            "Stichtag;19.11.2026\r\n"
            "\r\n"
            "Konto;Währung;Bestand;Kurs\r\n"
            "000123;EUR;1.250.000,00;1,0842\r\n"
            "000123;CHF;(12.500,50);1,1310\r\n"
            "\r\n"
            "Summe;;1.237.499,50;\r\n"
        ).encode("cp1252")
    )
    (HERE / "ledger_2026-11-20.csv").write_text(
        "account,client_ref,asset,quantity\n"
        "GL-CLIENT,ALPHA,USD,2530000.00\n"
        "GL-CLIENT,ALPHA,USDT,150000.00\n"
        "GL-CLIENT,ALPHA,BTC,3.00000000\n"  # custody 2.4 + exchange 0.5: a 0.1 BTC break
        "GL-CLIENT,BETA,USD,-45000.10\n"
        "GL-CLIENT,GAMMA,USD,400000.00\n"
        "GL-CLIENT,GAMMA,SOL,1500\n"
        "GL-CLIENT,GAMMA,USDT,18000.00\n"
        "GL-CLIENT,DELTA,EUR,1250000.00\n"
        "GL-CLIENT,DELTA,CHF,-12500.50\n",
        encoding="utf-8",
    )
    (HERE / "prices_2026-11-20.csv").write_text(
        "asset,price_usd\nBTC,97250.50\nUSDT,0.9998\nEUR,1.0842\nCHF,1.1310\n", encoding="utf-8"
    )


PROFILES = {
    "northbridge.toml": """# Northbridge Custody's daily holdings workbook.
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
price = "Price (USD)"
""",
    "helix.toml": """# Helix Exchange's sub-account balances export (CSV).
source = "Helix Exchange"
kind = "exchange"
as_of = "2026-11-20"

[columns]
account = "account"
asset = "asset"
quantity = "balance"
equity = "equity"
initial_margin = "initial_margin"
maintenance_margin = "maintenance_margin"
""",
    "adler.toml": """# Bankhaus Adler's Kontoauszug: semicolons, decimal commas, Windows-1252.
source = "Bankhaus Adler"
kind = "custodian"
as_of = "2026-11-19"

[columns]
account = "Konto"
asset = "Währung"
quantity = "Bestand"
price = "Kurs"

[format]
decimal = ","
thousands = "."
skip_rows_matching = "^Summe"
""",
    "ledger.toml": """# The firm's own books: client balances by reference.
source = "Acme Ledger"
kind = "ledger"
as_of = "2026-11-20"

[columns]
account = "account"
reference = "client_ref"
asset = "asset"
quantity = "quantity"
""",
    "prices.toml": """# End-of-day prices in USD.
source = "Acme Prices"
kind = "prices"
as_of = "2026-11-20"

[columns]
asset = "asset"
price = "price_usd"
""",
}

def main() -> None:
    chart()
    northbridge()
    texts()
    profiles = HERE / "profiles"
    profiles.mkdir(exist_ok=True)
    for name, text in PROFILES.items():
        (profiles / name).write_text(text, encoding="utf-8")
    print(f"demo files written to {HERE}")


if __name__ == "__main__":
    main()
