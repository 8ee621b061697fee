"""Import speed: rows per second for a 100k-row custodian xlsx and csv, end to end into SQLite.

Baselines measured in the same run on the same files, so the numbers compare on any machine:
  * xlsx: openpyxl read-only merely iterating every cell's value (no parsing, no storing);
  * csv:  Python's csv.reader merely splitting the lines.
SegDesk's figure includes reading, exact Decimal parsing of every amount, and the database write.

    .venv/bin/python benchmarks/import_speed.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook, load_workbook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from segdesk.ingest.profile import parse_profile  # noqa: E402
from segdesk.services.importing import import_statement  # noqa: E402
from segdesk.store.engine import open_database  # noqa: E402

PROFILE = """
source = "Bench Custody"
kind = "custodian"
as_of = "2026-11-20"
[columns]
account = "Account No."
reference = "Client Ref"
asset = "Asset"
quantity = "Quantity"
price = "Price"
"""
HEADER = ["Account No.", "Client Ref", "Asset", "Quantity", "Price"]


def rows(n: int) -> list[list[object]]:
    rnd = random.Random(20261120)
    assets = ["USD", "EUR", "BTC", "ETH", "SOL", "GBP"]
    out = []
    for i in range(n):
        qty = f"{rnd.randint(-10**6, 10**9)}.{rnd.randint(0, 10**8):08d}"
        out.append([f"{i % 5000:07d}-01", f"C{i % 997}", rnd.choice(assets), qty, f"{rnd.randint(1, 99999)}.25"])
    return out


def write_xlsx(path: Path, data: list[list[object]]) -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Holdings")
    ws.append(["Bench Custody — statement of holdings"])
    ws.append([])
    ws.append(HEADER)
    for r in data:
        ws.append([r[0], r[1], r[2], float(r[3]), float(r[4])])  # numbers as Excel stores them
    wb.save(path)


def write_csv(path: Path, data: list[list[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(data)


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    data = rows(args.rows)
    profile = parse_profile(PROFILE, name="bench.toml")
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        xlsx, csv_path = tmpdir / "bench.xlsx", tmpdir / "bench.csv"
        write_xlsx(xlsx, data)
        write_csv(csv_path, data)

        def openpyxl_baseline() -> None:
            wb = load_workbook(xlsx, read_only=True, data_only=True)
            for _ in wb["Holdings"].iter_rows(values_only=True):
                pass
            wb.close()

        def csv_baseline() -> None:
            with csv_path.open(newline="", encoding="utf-8") as fh:
                for _ in csv.reader(fh):
                    pass

        results = []
        for label, path, baseline_name, baseline in (
            ("xlsx", xlsx, "openpyxl read-only, cells only", openpyxl_baseline),
            ("csv", csv_path, "csv.reader, split only", csv_baseline),
        ):
            db = open_database(str(tmpdir / f"{label}.sqlite3"))
            base_s = timed(baseline)
            ours_s = timed(lambda: import_statement(db, path, profile, user="bench"))  # noqa: B023
            db.dispose()
            results.append((label, args.rows / ours_s, ours_s, baseline_name, args.rows / base_s, base_s))
    print(f"{'file':<6}{'SegDesk rows/s':>16}{'(s)':>8}   baseline")
    for label, ours, ours_s, bname, base, base_s in results:
        print(f"{label:<6}{ours:>16,.0f}{ours_s:>8.2f}   {bname}: {base:,.0f} rows/s ({base_s:.2f} s)")


if __name__ == "__main__":
    main()
