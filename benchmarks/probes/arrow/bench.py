"""Arrow exact reconcile probe vs pandas_figures (copied verbatim from reconcile_speed.py via ast)."""
import ast, statistics, sqlite3, sys, time, json
from decimal import Decimal, localcontext, Inexact, Overflow, InvalidOperation
from pathlib import Path
import pyarrow as pa, pyarrow.compute as pc
import adbc_driver_sqlite.dbapi as ad

SRC = Path("/work/main/benchmarks/reconcile_speed.py").read_text()
mod = ast.parse(SRC)
keep = [n for n in mod.body if (isinstance(n, ast.Assign) and n.targets[0].id in ("D", "PANDAS_SQL"))
        or (isinstance(n, ast.FunctionDef) and n.name == "pandas_figures")]
ns = {"__name__": "x"}
exec("from __future__ import annotations\nimport datetime as dt\nfrom pathlib import Path\n", ns)
exec(compile(ast.Module(body=keep, type_ignores=[]), "reconcile_speed.py", "exec"), ns)
pandas_figures, PANDAS_SQL, D = ns["pandas_figures"], ns["PANDAS_SQL"], ns["D"]
DB = "/tmp/arrowprobe/bench.sqlite3"
SQL_Q = PANDAS_SQL.replace(":d", "?")
MONEY = ("quantity", "price", "value", "equity", "initial_margin", "maintenance_margin")
T18 = pa.decimal256(38, 18)       # input amounts: <=20 integer + 18 fraction digits, exact or refused
TIMES = {}

class Refused(Exception):
    pass

def tick(name, t0):
    TIMES[name] = TIMES.get(name, 0.0) + time.perf_counter() - t0
    return time.perf_counter()

# ---------- reading ----------
def read_adbc(path):
    conn = ad.connect(path)
    cur = conn.cursor()
    # inference of column types looks at the first batch: make the batch the whole result
    cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(1 << 24)})
    def q(sql, params=None):
        cur.execute(sql, parameters=params) if params else cur.execute(sql)
        return cur.fetch_arrow_table()
    lines = q(SQL_Q, (D.isoformat(),))
    subs = q("SELECT id AS sub_account_id, kind FROM sub_accounts")
    maps = q("SELECT external_account_id AS account_id, reference, sub_account_id FROM mappings")
    prices = q("SELECT asset, price AS book_price FROM prices")
    cur.close(); conn.close()
    return lines, subs, maps, prices

def read_sqlite3(path):
    conn = sqlite3.connect(path)
    def q(sql, params=(), types=None):
        cur = conn.execute(sql, params)
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
        cols = list(zip(*rows)) if rows else [[] for _ in names]
        return pa.table({n: pa.array(c, type=(types or {}).get(n)) for n, c in zip(names, cols)})
    st = {c: pa.string() for c in MONEY + ("reference", "asset", "designation", "source_kind", "book_price", "kind")}
    lines = q(SQL_Q, (D.isoformat(),), st)
    subs = q("SELECT id AS sub_account_id, kind FROM sub_accounts", types=st)
    maps = q("SELECT external_account_id AS account_id, reference, sub_account_id FROM mappings", types=st)
    prices = q("SELECT asset, price AS book_price FROM prices", types=st)
    conn.close()
    return lines, subs, maps, prices

# ---------- exact helpers ----------
def to_dec(col):
    """string -> decimal256(38,18): raises on >18 fraction digits or >20 integer digits (cast is 'safe')."""
    if pa.types.is_null(col.type) or (col.null_count == len(col)):
        return pa.nulls(len(col), T18)
    return pc.cast(col, T18)

def narrow(col, scale):
    """Cast a decimal256 column to the smallest precision holding its actual values (exact: safe cast)."""
    mm = pc.min_max(col).as_py()
    big = max(abs(mm["min"] or 0), abs(mm["max"] or 0))
    digits = max(len(str(int(big))), 1) + scale
    return pc.cast(col, pa.decimal256(digits, scale))

def checked_sum(col, n_rows):
    """pc.sum wraps silently on int256 overflow and can exceed the declared precision: bound it first."""
    t = col.type
    mm = pc.min_max(col).as_py()
    big = max(abs(mm["min"] or 0), abs(mm["max"] or 0))
    if big * max(n_rows, 1) >= Decimal(10) ** (76 - t.scale):
        raise Refused(f"sum of {n_rows} values up to {big} might overflow decimal256(76,{t.scale})")
    return pc.sum(col, min_count=0)

def bounded_for_sum(col, n_rows):
    mm = pc.min_max(col).as_py()
    big = max(abs(mm["min"] or 0), abs(mm["max"] or 0))
    if big * max(n_rows, 1) >= Decimal(10) ** (76 - col.type.scale):
        raise Refused("group sums might overflow")

def arrow_figures(path, reader=read_adbc, per_asset=True):
    t = time.perf_counter()
    lines, subs, maps, prices = reader(path)
    t = tick("read", t)
    # sanity (exact or refused): every money value must have been stored as text
    cols = {c: to_dec(lines[c]) for c in MONEY}
    book = prices.set_column(1, "book_price", to_dec(prices["book_price"]))
    t = tick("cast", t)
    # resolve mappings: a reference mapping wins over the account's blank one
    by_ref = maps.filter(pc.is_valid(maps["reference"]))
    blank = maps.filter(pc.is_null(maps["reference"])).drop_columns(["reference"]).rename_columns(["account_id", "blank_sub"])
    base_tbl = lines.drop_columns(list(MONEY)).append_column("rn", pa.array(range(lines.num_rows), pa.int64()))
    j = base_tbl.join(by_ref, keys=["account_id", "reference"], join_type="left outer", use_threads=True)
    j = j.join(blank, keys="account_id", join_type="left outer")
    j = j.join(book, keys="asset", join_type="left outer")
    j = j.sort_by("rn")   # joins reorder rows: restore line order to re-attach the money columns
    if j.num_rows != lines.num_rows:
        raise Refused("a line matched more than one mapping")
    sub = pc.coalesce(j["sub_account_id"], j["blank_sub"])
    j = j.set_column(j.schema.get_field_index("sub_account_id"), "sub_account_id", sub)
    j = j.join(subs, keys="sub_account_id", join_type="left outer").sort_by("rn")
    t = tick("join", t)
    # valuation, exact: qty(38,18) * price(p<=37,18) -> decimal256(<=76, 36)
    one = pa.scalar(Decimal(1), T18)
    book_price = pc.if_else(pc.equal(j["asset"], "USD"), one, pc.cast(j["book_price"], T18))
    price = pc.coalesce(cols["price"], book_price)
    price = narrow(price, 18)
    if price.type.precision > 37:
        raise Refused("price too large for an exact 76-digit product")
    qty = pc.coalesce(cols["equity"], cols["quantity"])
    prod = pc.multiply(qty, price)                            # decimal256(38+p+1, 36), exact
    P36 = pa.decimal256(76, 36)
    base = pc.coalesce(pc.cast(cols["value"], P36), pc.cast(prod, P36))
    mm_ = pc.cast(pc.multiply(cols["maintenance_margin"], price), P36)
    t = tick("value", t)
    held_mask = pc.not_equal(j["source_kind"], "ledger")
    tb = pa.table({"sub": j["sub_account_id"], "acct": j["account_id"], "asset": j["asset"],
                   "designation": j["designation"], "kind": j["kind"], "base": base, "mm": mm_,
                   "margin": pc.or_(pc.or_(pc.is_valid(cols["equity"]), pc.is_valid(cols["initial_margin"])),
                                    pc.is_valid(cols["maintenance_margin"]))})
    held = tb.filter(held_mask)
    n = held.num_rows
    bounded_for_sum(held["base"], n); bounded_for_sum(held["mm"], n)
    equity = held.group_by("sub").aggregate([("base", "sum")])
    equity = equity.join(subs.rename_columns(["sub", "kind"]), keys="sub", join_type="left outer")
    ce = equity.filter(pc.equal(equity["kind"], "client"))["base_sum"]
    requirement = checked_sum(pc.max_element_wise(ce, pa.scalar(Decimal(0), P36)), len(ce))
    res_mask = pc.is_in(held["designation"], pa.array(["client_segregated", "omnibus_client"]))
    resources = checked_sum(held.filter(res_mask)["base"], n)
    margin_accounts = pc.unique(held.filter(held["margin"])["acct"])
    venue = held.filter(pc.and_(pc.is_in(held["acct"], margin_accounts), pc.equal(held["kind"], "client")))
    pv = venue.group_by(["sub", "acct"]).aggregate([("base", "sum"), ("mm", "sum")])
    P75 = pa.decimal256(75, 36)   # a-b of two (76,36) would need 77 digits: narrow first (safe cast refuses if it doesn't fit)
    diff = pc.subtract(pc.cast(pv["mm_sum"], P75), pc.cast(pv["base_sum"], P75))
    under = checked_sum(pc.max_element_wise(diff, pa.scalar(Decimal(0), diff.type)), len(diff))
    out = {"requirement": requirement.as_py(), "resources": resources.as_py(), "undermargined": under.as_py()}
    if per_asset:
        per = held.group_by(["sub", "acct", "asset"]).aggregate([("base", "sum")])
        out["per_asset"] = per
    t = tick("aggregate", t)
    return out

# ---------- Python Decimal reference (exact, high precision context) ----------
def decimal_reference(path):
    with localcontext() as ctx:
        ctx.prec = 200; ctx.traps[Inexact] = True; ctx.traps[Overflow] = True
        conn = sqlite3.connect(path)
        rows = conn.execute(SQL_Q, (D.isoformat(),)).fetchall()
        kinds = dict(conn.execute("SELECT id, kind FROM sub_accounts"))
        maps = conn.execute("SELECT external_account_id, reference, sub_account_id FROM mappings").fetchall()
        prices = {a: Decimal(p) for a, p in conn.execute("SELECT asset, price FROM prices")}
        conn.close()
        by_ref = {(a, r): s for a, r, s in maps if r is not None}
        blank = {a: s for a, r, s in maps if r is None}
        equity, per_venue, per_asset = {}, {}, {}
        resources = Decimal(0)
        held = []
        margin_accounts = set()
        for ref, asset, q, p, v, e, im, mm, acct, desig, skind in rows:
            if skind == "ledger":
                continue
            sub = by_ref.get((acct, ref), blank.get(acct))
            price = Decimal(p) if p is not None else (Decimal(1) if asset == "USD" else prices.get(asset))
            base = Decimal(v) if v is not None else (Decimal(e if e is not None else q) * price)
            mmv = Decimal(mm) * price if mm is not None else None
            equity[sub] = equity.get(sub, 0) + base
            per_asset[(sub, acct, asset)] = per_asset.get((sub, acct, asset), 0) + base
            if desig in ("client_segregated", "omnibus_client"):
                resources += base
            if e is not None or im is not None or mm is not None:
                margin_accounts.add(acct)
            held.append((sub, acct, base, mmv))
        for sub, acct, base, mmv in held:
            if acct in margin_accounts and kinds.get(sub) == "client":
                b, m = per_venue.get((sub, acct), (Decimal(0), Decimal(0)))
                per_venue[(sub, acct)] = (b + base, m + (mmv if mmv is not None else 0))
        requirement = sum((max(v, 0) for s, v in equity.items() if kinds.get(s) == "client"), Decimal(0))
        under = sum((max(m - b, 0) for b, m in per_venue.values()), Decimal(0))
        return {"requirement": requirement, "resources": resources, "undermargined": under}, per_asset

if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "exact":
        t0 = time.perf_counter()
        ref, per_asset = decimal_reference(DB)
        print(f"python Decimal reference {time.perf_counter()-t0:.2f}s", {k: str(v) for k, v in ref.items()})
        for reader in (read_adbc, read_sqlite3):
            out = arrow_figures(DB, reader)
            print(reader.__name__, {k: str(out[k]) for k in ("requirement", "resources", "undermargined")})
            for k in ref:
                assert out[k] == ref[k] and str(out[k].normalize()) == str(ref[k].normalize()), (k, out[k], ref[k])
            per = out["per_asset"]
            got = {(s, a, x): v for s, a, x, v in zip(per["sub"].to_pylist(), per["acct"].to_pylist(), per["asset"].to_pylist(), per["base_sum"].to_pylist())}
            assert set(got) == set(per_asset), "group keys differ"
            bad = [k for k in per_asset if got[k] != per_asset[k]]
            print(f"  per (sub,account,asset) groups: {len(got)}, mismatches vs Decimal: {len(bad)}")
            import random
            for k in random.Random(1).sample(sorted(per_asset, key=str), 4):
                print("   ", k, "arrow", got[k], "| decimal", per_asset[k])
        pf = pandas_figures(Path(DB))
        print("pandas float:", {k: repr(float(v)) for k, v in pf.items()})
        print("pandas - exact:", {k: float(Decimal(float(pf[k])) - ref[k]) for k in ref})
    else:
        reps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
        res = {"pandas": [], "arrow_adbc": [], "arrow_sqlite3": []}
        phases = {"arrow_adbc": [], "arrow_sqlite3": []}
        for i in range(reps):
            t0 = time.perf_counter(); pandas_figures(Path(DB)); res["pandas"].append(time.perf_counter() - t0)
            for name, reader in (("arrow_adbc", read_adbc), ("arrow_sqlite3", read_sqlite3)):
                TIMES.clear()
                t0 = time.perf_counter(); arrow_figures(DB, reader); res[name].append(time.perf_counter() - t0)
                phases[name].append(dict(TIMES))
            print(f"rep {i}: " + "  ".join(f"{k} {v[-1]:.2f}s" for k, v in res.items()), flush=True)
        med = {k: statistics.median(v) for k, v in res.items()}
        print("medians:", {k: round(v, 3) for k, v in med.items()})
        print("ratio vs pandas:", {k: round(v / med["pandas"], 2) for k, v in med.items()})
        for name, ph in phases.items():
            print(name, "phase medians:", {k: round(statistics.median(p[k] for p in ph), 3) for k in ph[0]})
