"""Import speed and memory: the three targets of the "Performance" issue, each against a baseline
measured in the same run on the same file.

  1. xlsx (default 100k rows): SegDesk's import, from the file to stored lines in SQLite, against
     python-calamine merely parsing the file (open the workbook, read the sheet's values into
     Python, nothing else). Target: ratio <= 2.0.
  2. csv (default 1M rows): SegDesk's import against pandas ``read_csv`` + ``to_sql`` into a fresh
     SQLite file (default settings, ``if_exists="append"``, the same columns). Target: <= 1.0.
  3. Peak memory (the child process's RSS high-water mark, ru_maxrss) of importing the csv.
     Target: <= 500 MB.

Every timing runs in a fresh child process (so no run warms the next one's caches), SegDesk and
its baseline alternately, ``--repeats`` times (default 3); medians are reported. SegDesk's time
covers the import call only (the database is created and migrated before the clock starts).

    .venv/bin/python benchmarks/import_speed.py [--xlsx-rows 100000] [--csv-rows 1000000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

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

# What each child process runs: argv = kind, file, work folder; prints one JSON line.
CHILD = r"""
import json, resource, sys, time
from pathlib import Path
kind, path, work = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
sys.path.insert(0, sys.argv[4])
if kind == "calamine":
    import python_calamine
    start = time.perf_counter()
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    values = book.get_sheet_by_name(book.sheet_names[0]).to_python()
    seconds = time.perf_counter() - start
elif kind == "pandas":
    import pandas
    from sqlalchemy import create_engine
    engine = create_engine(f"sqlite:///{work / 'pandas.sqlite3'}")
    start = time.perf_counter()
    frame = pandas.read_csv(path)
    frame.to_sql("statement_lines", engine, if_exists="append")
    engine.dispose()
    seconds = time.perf_counter() - start
else:
    from segdesk.ingest.profile import parse_profile
    from segdesk.services.importing import import_statement
    from segdesk.store.engine import open_database
    db = open_database(str(work / "segdesk.sqlite3"))
    profile = parse_profile((work / "bench.toml").read_text(), name="bench.toml")
    start = time.perf_counter()
    result = import_statement(db, path, profile, user="bench")
    seconds = time.perf_counter() - start
    db.dispose()
    assert result.rows > 0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
print(json.dumps({"seconds": seconds, "peak_mb": peak / 1024}))
"""


def rows(n: int) -> list[list[object]]:
    rnd = random.Random(20261120)
    assets = ["USD", "EUR", "BTC", "ETH", "SOL", "GBP"]
    out = []
    for i in range(n):
        qty = f"{rnd.randint(-10**6, 10**9)}.{rnd.randint(0, 10**8):08d}"
        out.append([f"{i % 5000:07d}-01", f"C{i % 997}", rnd.choice(assets), qty, f"{rnd.randint(1, 99999)}.25"])
    return out


def write_xlsx(path: Path, data: list[list[object]]) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Holdings")
    ws.append(["Bench Custody — statement of holdings"])
    ws.append([])
    ws.append(HEADER)
    for r in data:
        ws.append([r[0], r[1], r[2], float(r[3]), float(r[4])])  # type: ignore[arg-type]  # numbers as Excel stores them
    wb.save(path)


def write_csv(path: Path, data: list[list[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(data)


def run_child(kind: str, path: Path, tmp: Path) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(dir=tmp))
    (work / "bench.toml").write_text(PROFILE, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", CHILD, kind, str(path), str(work), str(ROOT)],
        capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{kind} run failed:\n{done.stderr}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    for leftover in work.iterdir():  # keep the disk from filling up over the repeats
        leftover.unlink()
    return result


def alternate(ours: str, baseline: str, path: Path, tmp: Path, repeats: int) -> tuple[list[dict], list[dict]]:  # type: ignore[type-arg]
    mine, theirs = [], []
    for i in range(repeats):
        # Alternate which goes first, so neither always runs on a warmer (or hotter) machine.
        order = [(ours, mine), (baseline, theirs)] if i % 2 == 0 else [(baseline, theirs), (ours, mine)]
        for kind, into in order:
            into.append(run_child(kind, path, tmp))
    return mine, theirs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--csv-rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        xlsx, csv_path = tmp / "bench.xlsx", tmp / "bench.csv"
        write_xlsx(xlsx, rows(args.xlsx_rows))
        write_csv(csv_path, rows(args.csv_rows))

        ours_x, base_x = alternate("segdesk", "calamine", xlsx, tmp, args.repeats)
        ours_c, base_c = alternate("segdesk", "pandas", csv_path, tmp, args.repeats)

    def median(runs: list[dict], key: str = "seconds") -> float:  # type: ignore[type-arg]
        return statistics.median(r[key] for r in runs)

    x_ours, x_base = median(ours_x), median(base_x)
    c_ours, c_base = median(ours_c), median(base_c)
    peak = median(ours_c, "peak_mb")
    print(f"medians of {args.repeats} alternating runs, each in a fresh process")
    print(f"1. xlsx {args.xlsx_rows:,} rows: SegDesk import {x_ours:.2f} s; python-calamine parse only "
          f"{x_base:.2f} s; ratio {x_ours / x_base:.2f}x (target <= 2.0x)")
    print(f"2. csv {args.csv_rows:,} rows: SegDesk import {c_ours:.2f} s; pandas read_csv + to_sql "
          f"{c_base:.2f} s; ratio {c_ours / c_base:.2f}x (target <= 1.0x)")
    print(f"3. peak RSS importing the csv: {peak:.0f} MB (target <= 500 MB; pandas: {median(base_c, 'peak_mb'):.0f} MB)")
    print("   every run, s:", "xlsx", [round(r["seconds"], 2) for r in ours_x], [round(r["seconds"], 2) for r in base_x],
          "csv", [round(r["seconds"], 2) for r in ours_c], [round(r["seconds"], 2) for r in base_c])


if __name__ == "__main__":
    main()
