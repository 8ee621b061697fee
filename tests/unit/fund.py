"""A tiny fund written inline for domain tests: a chart, a few statement lines, prices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from segdesk.domain.model import (
    Evidence,
    Line,
    MappingRule,
    PricePoint,
    ReconciliationInputs,
    SubAccount,
)
from segdesk.domain.lines import statements_of
from segdesk.domain.reconcile import Reconciliation, reconcile

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
    statements, rows = statements_of(lines)
    return reconcile(
        ReconciliationInputs(
            as_of=as_of,
            base_currency="USD",
            sub_accounts=tuple(subs),
            statements=statements,
            mappings=tuple(mappings),
            prices=tuple(prices),
            tolerances=dict(tolerances or {}),
            lines=rows,
        )
    )


def kinds(result: Reconciliation) -> list[str]:
    return [f.kind for f in result.findings]


def only(result: Reconciliation, kind: str):  # type: ignore[no-untyped-def]
    found = [f for f in result.findings if f.kind == kind]
    assert len(found) == 1, f"expected one {kind}, got {found}"
    return found[0]
