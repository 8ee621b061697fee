import pyarrow as pa, pyarrow.compute as pc
from decimal import Decimal
def tryit(label, f):
    try:
        r = f(); print(f"{label}: OK -> {r!r}")
    except Exception as e:
        print(f"{label}: {type(e).__name__}: {e}")
print([f for f in pc.list_functions() if "sum" in f or "checked" in f and "mult" in f])
t38 = pa.decimal128(38, 0)
x = pa.array([Decimal("9" + "0"*37), Decimal("5" + "0"*37)], t38)
s = pc.sum(x)
tryit("sum 9e37+5e37 in dec128(38,0) (1.4e38 < 2^127)", lambda: (str(s.type), str(s.as_py()), len(str(s.as_py()))))
tryit("  validate(full) of that result in array", lambda: pa.array([s.as_py()], pa.decimal128(38,0)))
tryit("  pa.Array.from buffers validate", lambda: pa.concat_arrays([pa.array([s]) if False else pa.array([Decimal(0)], t38)]).validate(full=True))
arr = pa.table({"k":["a","a"], "v": x}).group_by("k").aggregate([("v","sum")])["v_sum"]
tryit("  group_by result validate(full)", lambda: (arr.validate(full=True), arr.to_pylist()))
tryit("  cast that dec128 sum -> decimal256(76,0)", lambda: pc.cast(arr, pa.decimal256(76,0)).to_pylist())
tryit("  cast that dec128 sum -> decimal128(38,0) safe (same type)", lambda: pc.cast(arr, pa.decimal128(38,0)).to_pylist())
tryit("  cast that dec128 sum -> decimal256(38,0) safe", lambda: pc.cast(arr, pa.decimal256(38,0)).to_pylist())
tryit("  cast that dec128 sum -> decimal128(39..)?", lambda: pc.cast(arr, pa.decimal256(39,0)).to_pylist())
d256 = pa.array([Decimal("1" + "0"*45)], pa.decimal256(76, 0))
tryit("cast dec256 1e45 -> dec128(38,0) safe", lambda: pc.cast(d256, pa.decimal128(38, 0)).to_pylist())
tryit("cast dec256 1e45 -> dec256(40,0) safe", lambda: pc.cast(d256, pa.decimal256(40, 0)).to_pylist())
tryit("cast dec256(76,36) with 1e-36 -> dec256(76,18) safe", lambda: pc.cast(pa.array([Decimal("1E-36")], pa.decimal256(76,36)), pa.decimal256(76,18)).to_pylist())
tryit("multiply dec256(38,18)*dec256(37,18)", lambda: pc.multiply(pa.array([Decimal("99999999999999999999.999999999999999999")], pa.decimal256(38,18)), pa.array([Decimal("9999999999999999999.999999999999999999")], pa.decimal256(37,18))).to_pylist())
tryit("exact python", lambda: str(Decimal("99999999999999999999.999999999999999999")*Decimal("9999999999999999999.999999999999999999")))
tryit("multiply type dec256(38,18)*dec256(37,18)", lambda: str(pc.multiply(pa.array([Decimal(1)], pa.decimal256(38,18)), pa.array([Decimal(1)], pa.decimal256(37,18))).type))
tryit("subtract dec256(75,36)-dec256(75,36) type", lambda: str(pc.subtract(pa.array([Decimal(1)], pa.decimal256(75,36)), pa.array([Decimal(1)], pa.decimal256(75,36))).type))
tryit("add dec128(24,4)+dec128(37,18) type", lambda: str(pc.add(pa.array([Decimal(1)], pa.decimal128(24,4)), pa.array([Decimal(1)], pa.decimal128(37,18))).type))
tryit("multiply dec128(24,4)*dec128(10,4) type", lambda: str(pc.multiply(pa.array([Decimal(1)], pa.decimal128(24,4)), pa.array([Decimal(1)], pa.decimal128(10,4))).type))
tryit("coalesce dec256(76,18) with dec256(76,36)", lambda: str(pc.coalesce(pa.array([None], pa.decimal256(76,18)), pa.array([Decimal(1)], pa.decimal256(76,36))).type))
tryit("compare dec128(38,18) < dec128(38,2)", lambda: pc.less(pa.array([Decimal("1.001")], pa.decimal128(38,18)), pa.array([Decimal("1.01")], pa.decimal128(38,2))).to_pylist())
tryit("min_max dec256", lambda: pc.min_max(pa.array([Decimal("-3"), Decimal("2")], pa.decimal256(76,18))).as_py())
tryit("abs dec256", lambda: pc.abs(pa.array([Decimal("-3")], pa.decimal256(76,18))).to_pylist())
# pandas interplay
import pandas as pd
tryit("to_pandas dec128", lambda: pa.array([Decimal("1.5")], pa.decimal128(38,18)).to_pandas().dtype)
