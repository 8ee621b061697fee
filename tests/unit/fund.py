"""A tiny fund written inline for domain tests: a chart, a few statement lines, prices."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pyarrow as pa

from segdesk.domain.columnar import LINE_COLUMNS, MONEY_COLUMNS
from segdesk.domain.money import plain

from segdesk.domain.model import (
    Evidence,
    Line,
    MappingRule,
    PricePoint,
    ReconciliationInputs,
    SubAccount,
)
from segdesk.domain.lines import statements_of
from segdesk.domain.reconcile import Reconciliation, _reconcile_lines, exact_arithmetic, prepare, reconcile

D = dt.date(2026, 11, 20)

SUBS = (
    SubAccount("C-ALPHA", "Alpha Capital", "client"),
    SubAccount("C-BETA", "Beta Partners", "client"),
    SubAccount("P-HOUSE", "House", "proprietary"),
    SubAccount("B-BUF", "Buffer", "buffer"),
)
DESIGNATIONS = {
    ("Bank", "OMNI"): "omnibus_client",
    ("Bank", "SEG-A"): "client_segregated",
    ("Bank", "PROP"): "proprietary",
    ("Venue", "alpha-sub"): "client_segregated",
    ("Venue", "house-sub"): "proprietary",
    ("Ledger", "GL"): None,
}
KINDS = {"Bank": "custodian", "Venue": "exchange", "Ledger": "ledger"}
MAPPINGS = (
    MappingRule("Bank", "OMNI", "ALPHA", "C-ALPHA"),
    MappingRule("Bank", "OMNI", "BETA", "C-BETA"),
    MappingRule("Bank", "OMNI", "BUF", "B-BUF"),
    MappingRule("Bank", "OMNI", "HOUSE", "P-HOUSE"),
    MappingRule("Bank", "SEG-A", None, "C-ALPHA"),
    MappingRule("Bank", "PROP", None, "P-HOUSE"),
    MappingRule("Venue", "alpha-sub", None, "C-ALPHA"),
    MappingRule("Venue", "house-sub", None, "P-HOUSE"),
    MappingRule("Ledger", "GL", "ALPHA", "C-ALPHA"),
    MappingRule("Ledger", "GL", "BETA", "C-BETA"),
)
PRICES = (PricePoint("BTC", D, Decimal("50000")), PricePoint("EUR", D, Decimal("1.1")))


def line(source: str, account: str, asset: str, quantity: str, *, ref: str | None = None, row: int = 1,
         file: str | None = None, on: dt.date = D, **amounts: str) -> Line:
    return Line(
        source=source,
        source_kind=KINDS[source],
        account=account,
        designation=DESIGNATIONS.get((source, account)),
        statement_date=on,
        asset=asset,
        quantity=Decimal(quantity),
        reference=ref,
        evidence=Evidence(file or f"{source.lower()}.csv", None, row),
        **{k: Decimal(v) for k, v in amounts.items()},
    )


def run(*lines: Line, subs=SUBS, mappings=MAPPINGS, prices=PRICES, tolerances=None, as_of=D) -> Reconciliation:  # type: ignore[no-untyped-def]
    """The reconciliation of these lines, made both ways: line by line (the reference) and on
    columns, as SQLite's lines are; every figure, finding and evidence row must agree."""
    statements, rows = statements_of(lines)
    inputs = ReconciliationInputs(
        as_of=as_of,
        base_currency="USD",
        sub_accounts=tuple(subs),
        statements=statements,
        mappings=tuple(mappings),
        prices=tuple(prices),
        tolerances=dict(tolerances or {}),
        lines=rows,
    )
    by_line = reconcile(inputs)
    columns = as_columns(inputs)
    # Worked on columns from end to end: a refusal anywhere (which reconcile() would hand to the
    # per-line path) raises here.
    with exact_arithmetic():
        by_column = _reconcile_lines(columns, prepare(columns), columns.lines)
    for name in ("segregation", "by_currency", "sub_accounts", "margins", "findings"):
        assert getattr(by_column, name) == getattr(by_line, name), f"{name} differs on columns"
    # the statements used, but for the keys that tie lines to them (ints on columns)
    assert ([s._replace(files=list(s.files.values())) for s in by_column.used]
            == [s._replace(files=list(s.files.values())) for s in by_line.used])
    return by_line


def as_columns(inputs: ReconciliationInputs) -> ReconciliationInputs:
    """The same inputs with the lines as an Arrow table of text amounts and integer statement keys,
    as ``store.columns`` reads them from SQLite."""
    keys: dict = {}  # type: ignore[type-arg]
    statements = tuple(
        s._replace(files={keys.setdefault(part, len(keys)): file for part, file in s.files.items()})
        for s in inputs.statements
    )
    rows = inputs.lines
    text = {name: [None if r[i] is None else plain(r[i]) for r in rows]
            for i, name in enumerate(LINE_COLUMNS) if name in MONEY_COLUMNS}
    table = pa.table({
        "part": pa.array([keys[r[0]] for r in rows], pa.int64()),
        "reference": pa.array([r[1] for r in rows], pa.string()),
        "asset": pa.array([r[2] for r in rows], pa.string()),
        "sheet": pa.array([r[3] for r in rows], pa.string()),
        **{name: pa.array(text[name], pa.string()) for name in MONEY_COLUMNS},
        "row": pa.array([r[10] for r in rows], pa.int64()),
    }).select(list(LINE_COLUMNS))
    return dataclasses.replace(inputs, statements=statements, lines=table)


def kinds(result: Reconciliation) -> list[str]:
    return [f.kind for f in result.findings]


def only(result: Reconciliation, kind: str):  # type: ignore[no-untyped-def]
    found = [f for f in result.findings if f.kind == kind]
    assert len(found) == 1, f"expected one {kind}, got {found}"
    return found[0]
