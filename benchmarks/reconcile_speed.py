"""Reconcile speed at 10k, 100k and 1M statement lines, against a pandas script on the same database.

The fund: lines / 10 sub-accounts (90% clients, 5% proprietary, 5% buffer). Each sub-account has
six custody lines in one omnibus account (mapped by client reference) and four lines at its own
exchange sub-account carrying equity and margins; prices for three of the four assets.

Baseline, measured in the same run on the same SQLite file: a pandas script that reads the lines
with one SQL join, resolves mappings, values lines, and computes the same requirement, resources and
undermargined figures (in float64, as pandas does). SegDesk's time is `services.reconcile` end to
end: loading, every check of SPEC.md, exact Decimal arithmetic, and storing the run and findings.

    .venv/bin/python benchmarks/reconcile_speed.py [--sizes 10000 100000 1000000] [--repeats 3]

Each size is built once; pandas and SegDesk then run alternately ``--repeats`` times (SegDesk on a
fresh copy of the file each time) and the medians are reported.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from segdesk.services.reconciling import reconcile  # noqa: E402
from segdesk.store.engine import Database, open_database  # noqa: E402
from segdesk.store.schema import (  # noqa: E402
    ExternalAccount,
    ImportBatch,
    Mapping,
    Price,
    Source,
    Statement,
    StatementLine,
    SubAccount,
)

D = dt.date(2026, 11, 20)
ASSETS = ["USD", "EUR", "BTC", "ETH"]
PRICES = {"EUR": Decimal("1.0842"), "BTC": Decimal("97250.5"), "ETH": Decimal("3050.25")}


def build(db: Database, lines: int) -> None:
    """Write the fund straight into the tables (the import path has its own benchmark)."""
    rnd = random.Random(lines)
    n_subs = max(lines // 10, 1)
    now = dt.datetime.now(dt.UTC)
    with db.transaction() as s:
        custody = Source(name="Bench Custody", kind="custodian")
        venue = Source(name="Bench Exchange", kind="exchange")
        prices_src = Source(name="Bench Prices", kind="prices")
        s.add_all([custody, venue, prices_src])
        s.flush()
        batch = ImportBatch(file_name="bench.csv", sha256="0" * 64, size=0, content=b"", source_id=custody.id, sheet="",
                            profile="", as_of=D, row_count=lines, imported_by="bench", imported_at=now)
        s.add(batch)
        s.flush()
        kinds = ["client"] * 18 + ["proprietary", "buffer"]
        s.execute(insert(SubAccount), [
            {"code": f"S{i:07d}", "name": f"Sub {i}", "kind": kinds[i % 20], "client": None} for i in range(n_subs)
        ])
        omnibus = ExternalAccount(source_id=custody.id, account="OMNI", designation="omnibus_client")
        s.add(omnibus)
        s.flush()
        s.execute(insert(ExternalAccount), [
            {"source_id": venue.id, "account": f"v-{i:07d}", "designation": "client_segregated"} for i in range(n_subs)
        ])
        sub_ids = dict(s.execute(SubAccount.__table__.select().with_only_columns(SubAccount.code, SubAccount.id)).all())
        acc_ids = dict(s.execute(ExternalAccount.__table__.select().with_only_columns(
            ExternalAccount.account, ExternalAccount.id)).all())
        s.execute(insert(Mapping), [
            {"external_account_id": omnibus.id, "reference": f"S{i:07d}", "sub_account_id": sub_ids[f"S{i:07d}"]}
            for i in range(n_subs)
        ] + [
            {"external_account_id": acc_ids[f"v-{i:07d}"], "reference": None, "sub_account_id": sub_ids[f"S{i:07d}"]}
            for i in range(n_subs)
        ])
        s.execute(insert(Statement), [{"batch_id": batch.id, "external_account_id": omnibus.id, "as_of": D}] + [
            {"batch_id": batch.id, "external_account_id": acc_ids[f"v-{i:07d}"], "as_of": D} for i in range(n_subs)
        ])
        st_ids = dict(s.execute(Statement.__table__.select().with_only_columns(
            Statement.external_account_id, Statement.id)).all())
        rows = []
        row = 0
        for i in range(n_subs):
            for _ in range(6):
                row += 1
                qty = Decimal(rnd.randint(-10**6, 10**9)) / 100
                rows.append({"statement_id": st_ids[omnibus.id], "sheet": None, "row": row, "reference": f"S{i:07d}",
                             "asset": ASSETS[row % 4], "quantity": qty, "price": None, "value": None, "equity": None,
                             "initial_margin": None, "maintenance_margin": None})
            for _ in range(4):
                row += 1
                qty = Decimal(rnd.randint(0, 10**8)) / 10**4
                rows.append({"statement_id": st_ids[acc_ids[f"v-{i:07d}"]], "sheet": None, "row": row,
                             "reference": None, "asset": ASSETS[row % 3], "quantity": qty, "price": None,
                             "value": None, "equity": qty, "initial_margin": qty / 4, "maintenance_margin": qty / 2})
        for start in range(0, len(rows), 50_000):
            s.execute(insert(StatementLine), rows[start:start + 50_000])
        s.execute(insert(Price), [{"batch_id": batch.id, "asset": a, "as_of": D, "price": p, "sheet": None, "row": 1}
                                  for a, p in PRICES.items()])


PANDAS_SQL = """
SELECT sl.reference, sl.asset, sl.quantity, sl.price, sl.value, sl.equity, sl.initial_margin,
       sl.maintenance_margin, ea.id AS account_id, ea.designation, src.kind AS source_kind
FROM statement_lines sl
JOIN statements st ON st.id = sl.statement_id AND st.superseded_by_id IS NULL AND st.as_of <= :d
JOIN external_accounts ea ON ea.id = st.external_account_id
JOIN sources src ON src.id = ea.source_id
"""


def pandas_figures(path: Path) -> dict[str, float]:
    import sqlite3

    import pandas as pd

    conn = sqlite3.connect(path)
    lines = pd.read_sql(PANDAS_SQL, conn, params={"d": D.isoformat()})
    subs = pd.read_sql("SELECT id AS sub_account_id, kind FROM sub_accounts", conn)
    maps = pd.read_sql("SELECT external_account_id AS account_id, reference, sub_account_id FROM mappings", conn)
    prices = pd.read_sql("SELECT asset, price AS book_price FROM prices", conn)
    conn.close()
    for col in ("quantity", "price", "value", "equity", "initial_margin", "maintenance_margin"):
        lines[col] = pd.to_numeric(lines[col])
    prices["book_price"] = pd.to_numeric(prices["book_price"])
    # A reference mapping wins over the account's blank one (validity windows: none in this fund).
    by_ref = maps[maps["reference"].notna()]
    blank = maps[maps["reference"].isna()].drop(columns="reference").rename(columns={"sub_account_id": "blank_sub"})
    lines = lines.merge(by_ref, on=["account_id", "reference"], how="left").merge(blank, on="account_id", how="left")
    lines["sub_account_id"] = lines["sub_account_id"].fillna(lines["blank_sub"])
    lines = lines.merge(prices, on="asset", how="left").merge(subs, on="sub_account_id", how="left")
    lines.loc[lines["asset"] == "USD", "book_price"] = 1.0
    price = lines["price"].fillna(lines["book_price"])
    lines["base"] = lines["value"].fillna(lines["equity"].fillna(lines["quantity"]) * price)
    lines["im"] = lines["initial_margin"] * price
    lines["mm"] = lines["maintenance_margin"] * price
    held = lines[lines["source_kind"] != "ledger"]
    equity = held.groupby("sub_account_id")["base"].sum()
    kinds = subs.set_index("sub_account_id")["kind"]
    client_equity = equity[kinds.reindex(equity.index) == "client"]
    requirement = client_equity.clip(lower=0).sum()
    resources = held.loc[held["designation"].isin(["client_segregated", "omnibus_client"]), "base"].sum()
    margin_accounts = held.loc[held[["equity", "initial_margin", "maintenance_margin"]].notna().any(axis=1),
                               "account_id"].unique()
    venue = held[held["account_id"].isin(margin_accounts) & (held["kind"] == "client")]
    per_venue = venue.groupby(["sub_account_id", "account_id"])[["base", "mm"]].sum()
    undermargined = (per_venue["mm"] - per_venue["base"]).clip(lower=0).sum()
    return {"requirement": requirement, "resources": resources, "undermargined": undermargined}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3,
                        help="alternating runs of each side per size; the medians are reported")
    args = parser.parse_args()
    print(f"{'lines':>10} {'SegDesk s':>10} {'pandas s':>10} {'ratio':>7}   figures agree")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            built = Path(tmp) / "bench.sqlite3"
            db = open_database(str(built))
            build(db, size)
            db.dispose()
            ours, theirs = [], []
            for attempt in range(args.repeats):
                start = time.perf_counter()
                figures = pandas_figures(built)
                theirs.append(time.perf_counter() - start)
                # Each SegDesk run gets a fresh copy: a second run on the same file would only
                # find the first run's result unchanged and reuse it.
                path = Path(tmp) / f"run{attempt}.sqlite3"
                shutil.copyfile(built, path)
                db = open_database(str(path))
                start = time.perf_counter()
                view = reconcile(db, D, user="bench")
                ours.append(time.perf_counter() - start)
                db.dispose()
                path.unlink()
            ours_s, pandas_s = statistics.median(ours), statistics.median(theirs)
            seg = view.results["segregation"]
            agree = all(
                abs(Decimal(seg[k]) - Decimal(float(figures[k]))) <= Decimal("1e-6") * max(1, abs(Decimal(seg[k])))
                for k in figures
            )
            print(f"{size:>10,} {ours_s:>10.2f} {pandas_s:>10.2f} {ours_s / pandas_s:>6.2f}x   {agree} "
                  f"(requirement {seg['requirement']} vs {float(figures['requirement'])!r})")


if __name__ == "__main__":
    main()
