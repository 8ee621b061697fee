"""Synthetic but realistic statements at any size, for benchmarks and for trying SegDesk on volume.

* a custodian's xlsx: title lines above the header, thousands separators and parentheses in some
  amounts, a total row and a footnote under the table (what real custody statements look like);
* an exchange's CSV: one row per sub-account and asset with equity and margins, UTF-8;
* the firm's ledger as CSV: one balance per sub-account and asset;
each with the import profile that reads it.

    .venv/bin/python benchmarks/generate.py custodian-xlsx 100000 out/custody.xlsx
    .venv/bin/python benchmarks/generate.py exchange-csv 1000000 out/exchange.csv
    .venv/bin/python benchmarks/generate.py ledger-csv 50000 out/ledger.csv

The profile is written beside the file (same name, .toml). Rows are reproducible (seeded).
"""

from __future__ import annotations

import argparse
import csv
import random
from collections.abc import Iterator
from pathlib import Path

AS_OF = "2026-11-20"
ASSETS = [("USD", "1"), ("EUR", "1.0825"), ("GBP", "1.2710"), ("BTC", "97250.50"), ("ETH", "3120.75"),
          ("SOL", "212.40"), ("USDT", "1")]

CUSTODIAN_PROFILE = f'''source = "Generated Custody"
kind = "custodian"
sheet = "Holdings"
as_of = "{AS_OF}"
[columns]
account = "Account No."
reference = "Client Ref"
asset = "Asset"
quantity = "Quantity"
price = "Price"
[format]
skip_rows_matching = "^(Total|\\\\*)"
'''

EXCHANGE_PROFILE = f'''source = "Generated Exchange"
kind = "exchange"
as_of = "{AS_OF}"
[columns]
account = "Sub-account"
asset = "Asset"
quantity = "Balance"
equity = "Equity (USD)"
initial_margin = "Initial Margin (USD)"
maintenance_margin = "Maintenance Margin (USD)"
'''

LEDGER_PROFILE = f'''source = "Generated Ledger"
kind = "ledger"
as_of = "{AS_OF}"
[columns]
account = "Ledger Account"
reference = "Client"
asset = "Asset"
quantity = "Balance"
'''


def _amount(rnd: random.Random, *, places: int = 2, negative_share: float = 0.03) -> tuple[str, bool]:
    whole = rnd.randint(0, 10**rnd.randint(1, 9))
    fraction = rnd.randint(0, 10**places - 1)
    return f"{whole}.{fraction:0{places}d}", rnd.random() < negative_share


def custodian_rows(n: int, seed: int = 20261120) -> Iterator[list[str]]:
    """[account, client ref, asset, quantity text, price text] per holding."""
    rnd = random.Random(seed)
    for i in range(n):
        asset, price = ASSETS[i % len(ASSETS)]
        places = 8 if asset in ("BTC", "ETH", "SOL") else 2
        value, negative = _amount(rnd, places=places)
        whole, _, fraction = value.partition(".")
        shown = f"{int(whole):,}.{fraction}"
        yield [f"{i // 40:07d}-01", f"C{i // 7:06d}", asset, f"({shown})" if negative else shown, price]


def custodian_xlsx(path: Path, rows: int, seed: int = 20261120) -> Path:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Holdings")
    ws.append(["Generated Custody Services — Statement of Holdings"])
    ws.append([f"Statement date: {AS_OF}"])
    ws.append([])
    ws.append(["Account No.", "Client Ref", "Asset", "Quantity", "Price"])
    for row in custodian_rows(rows, seed):
        ws.append(row)
    ws.append([])
    ws.append(["Total (all assets, units)", None, None, None, None])
    ws.append(["* Balances unaudited; subject to the custody agreement."])
    wb.save(path)
    path.with_suffix(".toml").write_text(CUSTODIAN_PROFILE, encoding="utf-8")
    return path


def exchange_csv(path: Path, rows: int, seed: int = 20261121) -> Path:
    rnd = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["Sub-account", "Asset", "Balance", "Equity (USD)", "Initial Margin (USD)",
                         "Maintenance Margin (USD)"])
        for i in range(rows):
            asset, _price = ASSETS[i % len(ASSETS)]
            balance, negative = _amount(rnd, places=8 if asset in ("BTC", "ETH", "SOL") else 2)
            equity, _ = _amount(rnd)
            im = rnd.randint(0, 10**6)
            writer.writerow([f"sub-{i // 4:07d}", asset, ("-" if negative else "") + balance, equity, f"{im}.00",
                             f"{im // 2}.00"])
    path.with_suffix(".toml").write_text(EXCHANGE_PROFILE, encoding="utf-8")
    return path


def ledger_csv(path: Path, rows: int, seed: int = 20261122) -> Path:
    rnd = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["Ledger Account", "Client", "Asset", "Balance"])
        for i in range(rows):
            asset, _price = ASSETS[i % len(ASSETS)]
            balance, negative = _amount(rnd)
            writer.writerow([f"{i // 40:07d}-01", f"C{i // 7:06d}", asset, ("-" if negative else "") + balance])
    path.with_suffix(".toml").write_text(LEDGER_PROFILE, encoding="utf-8")
    return path


KINDS = {"custodian-xlsx": custodian_xlsx, "exchange-csv": exchange_csv, "ledger-csv": ledger_csv}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=sorted(KINDS))
    parser.add_argument("rows", type=int)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    KINDS[args.kind](args.out, args.rows)
    print(f"wrote {args.out} ({args.rows:,} rows) and its profile {args.out.with_suffix('.toml')}")


if __name__ == "__main__":
    main()
