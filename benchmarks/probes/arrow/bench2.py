"""Optimised variants: no re-sort, small lookups via index_in+take, optional decimal128 narrowing."""
import statistics, sys, time
from decimal import Decimal
from pathlib import Path
import pyarrow as pa, pyarrow.compute as pc
import bench
from bench import read_adbc, read_sqlite3, MONEY, Refused, D, DB, pandas_figures

TIMES = {}
def tick(name, t0):
    TIMES[name] = TIMES.get(name, 0.0) + time.perf_counter() - t0
    return time.perf_counter()

def lookup(keys, table, key_col, val_col):
    """order-preserving left lookup into a small table with unique keys"""
    idx = pc.index_in(keys, value_set=table[key_col])
    return table[val_col].take(idx)

def max_abs(col):
    mm = pc.min_max(col).as_py()
    return max(abs(mm["min"] or 0), abs(mm["max"] or 0))

def fit_type(strings, wide):
    """Smallest exact decimal type for a column of decimal strings; the safe cast proves it."""
    if strings.null_count == len(strings):
        return pa.nulls(len(strings), pa.decimal128(1, 0))
    if wide:
        return pc.cast(strings, pa.decimal256(38, 18))
    dot = pc.find_substring(strings, ".")
    ln = pc.utf8_length(strings)
    frac = pc.if_else(pc.less(dot, 0), 0, pc.subtract(pc.subtract(ln, dot), 1))
    scale = min(pc.max(frac).as_py() or 0, 18)
    intlen = pc.if_else(pc.less(dot, 0), ln, dot)
    idig = max((pc.max(intlen).as_py() or 1), 1)  # includes a sign char: harmless over-estimate
    return pc.cast(strings, pa.decimal128(min(idig + scale, 38), scale))   # errors if the guess was wrong -> refuse

def bound(col, n, maxprec):
    if max_abs(col) * max(n, 1) >= Decimal(10) ** (maxprec - col.type.scale):
        raise Refused("sum could overflow")

def arrow_figures2(path, reader=read_adbc, wide=False, per_asset=True):
    t = time.perf_counter()
    lines, subs, maps, prices = reader(path)
    t = tick("read", t)
    held = lines.filter(pc.not_equal(lines["source_kind"], "ledger"))
    by_ref = maps.filter(pc.is_valid(maps["reference"]))
    blank = maps.filter(pc.is_null(maps["reference"])).drop_columns(["reference"]).rename_columns(["account_id", "blank_sub"])
    j = held.join(by_ref, keys=["account_id", "reference"], join_type="left outer")  # carries all columns, order irrelevant
    if j.num_rows != held.num_rows:
        raise Refused("ambiguous mapping")
    sub = pc.coalesce(j["sub_account_id"], lookup(j["account_id"], blank, "account_id", "blank_sub"))
    kind = lookup(sub, subs, "sub_account_id", "kind")
    t = tick("join", t)
    c = {m: fit_type(j[m], wide) for m in MONEY}
    bp = fit_type(prices["book_price"], wide)
    t = tick("cast", t)
    book = pa.table({"asset": prices["asset"], "bp": bp})
    book_price = lookup(j["asset"], book, "asset", "bp")
    book_price = pc.if_else(pc.equal(j["asset"], "USD"), pa.scalar(Decimal(1), book_price.type), book_price)
    price = pc.coalesce(c["price"].cast(pa.decimal256(38, 18)) if wide else c["price"], book_price) if c["price"].null_count < len(c["price"]) else book_price
    def mul(a, b):
        if wide:
            b = pc.cast(b, pa.decimal256(max(len(str(int(max_abs(b)))), 1) + 18, 18))
            if b.type.precision > 37:
                raise Refused("price too large")
        return pc.multiply(a, b)   # type resolution errors (refuse) if the exact product can't fit
    qtys = pc.coalesce(c["equity"], c["quantity"]) if not wide else pc.coalesce(c["equity"], c["quantity"])
    if not wide:  # coalesce needs one type: widen both to a common exact type
        s = max(c["equity"].type.scale, c["quantity"].type.scale)
        ip = max(c["equity"].type.precision - c["equity"].type.scale, c["quantity"].type.precision - c["quantity"].type.scale)
        ct = pa.decimal128(ip + s, s)
        qtys = pc.coalesce(pc.cast(c["equity"], ct), pc.cast(c["quantity"], ct))
    prod = mul(qtys, price)
    RT = pa.decimal256(76, 36) if wide else prod.type
    base = pc.coalesce(pc.cast(c["value"], RT), pc.cast(prod, RT)) if c["value"].null_count < len(c["value"]) else prod
    mmv = mul(c["maintenance_margin"], price)
    t = tick("value", t)
    n = j.num_rows
    SUMP = 76 if wide else 38
    bound(base, n, SUMP); bound(mmv, n, SUMP)
    tb = pa.table({"sub": sub, "acct": j["account_id"], "asset": j["asset"], "base": base, "mm": mmv,
                   "margin": pc.or_(pc.or_(pc.is_valid(c["equity"]), pc.is_valid(c["initial_margin"])), pc.is_valid(c["maintenance_margin"]))})
    eq = tb.group_by("sub").aggregate([("base", "sum")])
    ek = lookup(eq["sub"], subs, "sub_account_id", "kind")
    ce = eq["base_sum"].filter(pc.equal(ek, "client"))
    zero = pa.scalar(Decimal(0), ce.type)
    requirement = pc.sum(pc.max_element_wise(ce, zero), min_count=0)
    resources = pc.sum(base.filter(pc.is_in(j["designation"], pa.array(["client_segregated", "omnibus_client"]))), min_count=0)
    margin_accounts = pc.unique(tb["acct"].filter(tb["margin"]))
    venue = tb.filter(pc.and_(pc.is_in(tb["acct"], margin_accounts), pc.equal(kind, "client")))
    pv = venue.group_by(["sub", "acct"]).aggregate([("base", "sum"), ("mm", "sum")])
    a, b = pv["mm_sum"], pv["base_sum"]
    tgt = pa.decimal256(75, 36) if wide else pa.decimal128(37, a.type.scale)
    diff = pc.subtract(pc.cast(a, tgt), pc.cast(b, tgt))
    under = pc.sum(pc.max_element_wise(diff, pa.scalar(Decimal(0), diff.type)), min_count=0)
    out = {"requirement": requirement.as_py(), "resources": resources.as_py(), "undermargined": under.as_py()}
    t = tick("aggregate", t)
    if per_asset:
        out["per_asset"] = tb.group_by(["sub", "acct", "asset"]).aggregate([("base", "sum")])
        t = tick("groupby3", t)
    out["types"] = (str(base.type), str(mmv.type))
    return out

if __name__ == "__main__":
    if sys.argv[1] == "exact":
        ref, per_asset = bench.decimal_reference(DB)
        for wide in (False, True):
            out = arrow_figures2(DB, read_adbc, wide=wide)
            print("wide" if wide else "narrow128", out["types"], {k: str(out[k]) for k in ("requirement", "resources", "undermargined")})
            assert all(out[k] == ref[k] for k in ("requirement", "resources", "undermargined"))
            per = out["per_asset"]
            got = {(s, a, x): v for s, a, x, v in zip(per["sub"].to_pylist(), per["acct"].to_pylist(), per["asset"].to_pylist(), per["base_sum"].to_pylist())}
            assert set(got) == set(per_asset)
            print("  mismatching groups:", sum(got[k] != per_asset[k] for k in per_asset), "of", len(per_asset))
    else:
        reps = int(sys.argv[2])
        res = {"pandas": [], "adbc_dec128": [], "adbc_dec256": [], "sqlite3_dec128": []}
        cfg = {"adbc_dec128": (read_adbc, False), "adbc_dec256": (read_adbc, True), "sqlite3_dec128": (read_sqlite3, False)}
        ph = {k: [] for k in cfg}
        for i in range(reps):
            t0 = time.perf_counter(); pandas_figures(Path(DB)); res["pandas"].append(time.perf_counter() - t0)
            for name, (rd, wide) in cfg.items():
                TIMES.clear(); t0 = time.perf_counter(); arrow_figures2(DB, rd, wide=wide); res[name].append(time.perf_counter() - t0)
                ph[name].append(dict(TIMES))
            print(f"rep {i}: " + "  ".join(f"{k} {v[-1]:.2f}s" for k, v in res.items()), flush=True)
        med = {k: statistics.median(v) for k, v in res.items()}
        print("medians:", {k: round(v, 3) for k, v in med.items()})
        print("ratio vs pandas:", {k: round(v / med["pandas"], 2) for k, v in med.items()})
        for name, p in ph.items():
            print(name, "phase medians:", {k: round(statistics.median(x[k] for x in p), 3) for k in p[0]})
