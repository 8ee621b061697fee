"""Writes the example statement files and the chart workbook that docs/profiles.md imports.

    .venv/bin/python docs/examples/make_examples.py

The CSV files are written here too, so that their encodings (UTF-8, Windows-1252) are exactly
what the profiles say. Everything lands next to this script.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent


def chart() -> None:
    wb = Workbook()
    wb.remove(wb.active)
    sheets = {
        "SubAccounts": [
            ("code", "name", "kind", "client", "base_currency"),
            ("C-ORCA", "Orca Partners", "client", "Orca Partners LP", None),
            ("C-PIKE", "Pike Capital", "client", "Pike Capital Ltd", None),
            ("C-SWAN", "Swan Family Office", "client", "Swan Family Office SA", None),
            ("P-FIRM", "Firm trading book", "proprietary", None, None),
            ("B-RESID", "Residual interest", "buffer", None, None),
        ],
        "ExternalAccounts": [
            ("source", "source_kind", "account", "designation"),
            ("Harbour Bank", "custodian", "44-0001", "omnibus_client"),
            ("Harbour Bank", "custodian", "44-0009", "proprietary"),
            ("Rheinland Privatbank", "custodian", "004200", "client_segregated"),
            ("Cold Vault Custody", "custodian", "VAULT-7", "client_segregated"),
            ("Vega Derivatives", "exchange", "orca-1", "client_segregated"),
            ("Vega Derivatives", "exchange", "pike-1", "client_segregated"),
            ("Vega Derivatives", "exchange", "firm-1", "proprietary"),
            ("Fund Ledger", "ledger", "CLIENT-MONEY", None),
        ],
        "Mappings": [
            ("source", "account", "reference", "sub_account", "valid_from", "valid_to"),
            ("Harbour Bank", "44-0001", "ORCA", "C-ORCA", None, None),
            ("Harbour Bank", "44-0001", "PIKE", "C-PIKE", None, None),
            ("Harbour Bank", "44-0001", "RES", "B-RESID", None, None),
            ("Harbour Bank", "44-0009", None, "P-FIRM", None, None),
            # The account passed from Orca to Swan on 1 July 2026: two windows, no overlap.
            ("Rheinland Privatbank", "004200", None, "C-ORCA", None, dt.date(2026, 6, 30)),
            ("Rheinland Privatbank", "004200", None, "C-SWAN", dt.date(2026, 7, 1), None),
            ("Cold Vault Custody", "VAULT-7", None, "C-PIKE", None, None),
            ("Vega Derivatives", "orca-1", None, "C-ORCA", None, None),
            ("Vega Derivatives", "pike-1", None, "C-PIKE", None, None),
            ("Vega Derivatives", "firm-1", None, "P-FIRM", None, None),
            ("Fund Ledger", "CLIENT-MONEY", "ORCA", "C-ORCA", None, None),
            ("Fund Ledger", "CLIENT-MONEY", "PIKE", "C-PIKE", None, None),
            ("Fund Ledger", "CLIENT-MONEY", "SWAN", "C-SWAN", None, None),
        ],
    }
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(list(row))
        for cells in ws.iter_rows(min_row=2):
            for cell in cells:
                # Account numbers are text ("004200" must keep its zeros); dates are dates.
                cell.number_format = "yyyy-mm-dd" if isinstance(cell.value, dt.date) else "@"
    wb.save(HERE / "example-chart.xlsx")


def harbour_bank() -> None:
    """A bank's workbook: five title lines, the header on row 7, a subtotal, a total, a footnote."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Positions"
    rows = [
        ("Harbour Bank plc — Client Money Positions",),
        ("Customer: Example Fund Services Ltd",),
        ("Position date: 20/11/2026",),
        ("All balances in the currency of the account line",),
        ("Page 1 of 1",),
        (),
        ("Account", "Client reference", "Currency", "Balance", "Value (USD)"),
        ("44-0001", "ORCA", "USD", 1200000, 1200000),
        ("44-0001", "ORCA", "EUR", 500000, 542500),
        ("44-0001", "PIKE", "USD", 300000, 300000),
        ("44-0001", "RES", "USD", 100000, 100000),
        ("Subtotal 44-0001", None, None, None, 2142500),
        ("44-0009", None, "USD", 2000000, 2000000),
        (),
        ("Total", None, None, None, 4142500),
        (),
        ("Values at Harbour Bank's 17:00 London rates.",),
    ]
    for row in rows:
        ws.append(list(row))
    for row in ws.iter_rows(min_row=8, max_row=13):
        row[3].number_format = "#,##0.00"
        row[4].number_format = "#,##0.00"
    wb.save(HERE / "harbour-bank_2026-11-20.xlsx")


def csv_files() -> None:
    # Rheinland Privatbank: semicolons, decimal commas, German headers, Windows-1252.
    (HERE / "rheinland_2026-11-20.csv").write_bytes(
        "Rheinland Privatbank AG;Depotauszug\r\n"
        "Kunde;Example Fund Services Ltd\r\n"
        "\r\n"
        "Buchungsdatum;Konto;Währung;Bestand;Kurs USD\r\n"
        "20.11.2026;004200;EUR;250.000,00;1,0850\r\n"
        "20.11.2026;004200;CHF;-1.250,50;1,1300\r\n"
        "Summe;;;248.749,50;\r\n".encode("cp1252")
    )
    # Vega Derivatives: one line per sub-account and asset, with the exchange's margin figures.
    (HERE / "vega_2026-11-20.csv").write_text(
        "Sub-account,Asset,Balance,Mark price,Equity,Initial margin,Maintenance margin\n"
        "orca-1,USDT,80000.00,0.9998,80000.00,20000.00,10000.00\n"
        "orca-1,BTC,0.25000000,97250.50,0.25000000,0,0\n"
        "pike-1,USDT,15000.00,0.9998,15000.00,16000.00,8000.00\n"
        "firm-1,USDT,250000.00,0.9998,250000.00,50000.00,25000.00\n",
        encoding="utf-8",
    )
    # Cold Vault Custody: one wallet per file, no account column.
    (HERE / "coldvault_2026-11-20.csv").write_text(
        "Asset,Units\n"
        "BTC,1.50000000\n"
        "ETH,12.5\n",
        encoding="utf-8",
    )
    # The firm's own books: what each client should have, by client reference.
    (HERE / "ledger_2026-11-20.csv").write_text(
        "gl_account,client,ccy,amount\n"
        "CLIENT-MONEY,ORCA,USD,1200000.00\n"
        "CLIENT-MONEY,ORCA,EUR,500000.00\n"
        "CLIENT-MONEY,ORCA,USDT,80000.00\n"
        "CLIENT-MONEY,ORCA,BTC,0.25\n"
        "CLIENT-MONEY,PIKE,USD,300000.00\n"
        "CLIENT-MONEY,PIKE,USDT,15000.00\n"
        "CLIENT-MONEY,PIKE,BTC,1.5\n"
        "CLIENT-MONEY,PIKE,ETH,12.5\n"
        "CLIENT-MONEY,SWAN,EUR,250000.00\n"
        "CLIENT-MONEY,SWAN,CHF,-1250.50\n",
        encoding="utf-8",
    )
    # End-of-day prices in USD for several days, one file.
    (HERE / "prices_2026-11-20.csv").write_text(
        "date,asset,price_usd\n"
        "2026-11-19,EUR,1.0838\n"
        "2026-11-20,EUR,1.0850\n"
        "2026-11-20,CHF,1.1300\n"
        "2026-11-20,BTC,97250.50\n"
        "2026-11-20,ETH,3120.75\n"
        "2026-11-20,USDT,0.9998\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    chart()
    harbour_bank()
    csv_files()
    print(f"wrote the example files to {HERE}")
