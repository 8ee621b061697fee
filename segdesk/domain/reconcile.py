"""One reconciliation, start to finish: select, map, value, check. Pure: inputs in, results out."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, Inexact, Rounded, localcontext

from segdesk.domain.checks import (
    Placed,
    SegregationFigures,
    VenueMargin,
    find_balance_breaks,
    find_client_deficits,
    find_commingling,
    find_margin_breaches,
    find_missing_prices,
    find_segregation_shortfalls,
    find_stale_statements,
    find_unmapped_balances,
    segregation,
    sub_account_equity,
    venue_margins,
)
from segdesk.domain.mapping import MappingTable
from segdesk.domain.model import (
    BUFFER,
    CLIENT,
    LEDGER,
    SEGREGATED_DESIGNATIONS,
    SEVERITY_ORDER,
    ZERO,
    Finding,
    ReconciliationInputs,
    Statement,
    SubAccount,
)
from segdesk.domain.selection import select_statements
from segdesk.domain.valuation import PriceBook, base_value, line_price


@dataclass(frozen=True)
class CurrencyFigures:
    """The segregation statement for one currency (asset) held, in its own units and in base."""

    asset: str
    quantity: Decimal  # units held in segregated accounts
    resources: Decimal
    requirement: Decimal
    excess: Decimal
    buffer: Decimal


@dataclass(frozen=True)
class SubAccountFigures:
    code: str
    name: str
    kind: str
    equity: Decimal
    venue_equity: Decimal  # equity at the venues that carry margin
    initial_margin: Decimal
    maintenance_margin: Decimal

    @property
    def margin_ratio(self) -> Decimal | None:
        """Venue equity over maintenance margin; None where no margin is required. (A ratio for
        reading, at 28 significant digits; amounts are never divided.)"""
        return None if self.maintenance_margin == 0 else self.venue_equity / self.maintenance_margin


@dataclass(frozen=True)
class Reconciliation:
    inputs: ReconciliationInputs
    used: tuple[Statement, ...]
    segregation: SegregationFigures
    by_currency: tuple[CurrencyFigures, ...]
    sub_accounts: tuple[SubAccountFigures, ...]
    margins: tuple[VenueMargin, ...]
    findings: tuple[Finding, ...]


# Amounts have at most 20 + 18 digits, prices likewise: a product has at most 76, and sums add a
# few. Python's default 28 digits would silently round them; here every operation is exact, and
# one that could not be raises instead of rounding.
EXACT_DIGITS = 120


def reconcile(inputs: ReconciliationInputs) -> Reconciliation:
    with localcontext() as ctx:
        ctx.prec = EXACT_DIGITS
        ctx.traps[Inexact] = True
        ctx.traps[Rounded] = True
        return _reconcile(inputs)


def _reconcile(inputs: ReconciliationInputs) -> Reconciliation:
    as_of = inputs.as_of
    used = select_statements(inputs.statements, as_of)
    book = PriceBook.build(inputs.prices, as_of, inputs.base_currency)
    table = MappingTable(inputs.mappings)
    placed = []
    for statement in used:
        for line in statement.lines:
            price = line_price(line, book)
            placed.append(Placed(line, table.sub_account_of(line), base_value(line, price), price))
    # Ledger lines only feed balance_break (and are named when unmapped): no part of equity,
    # resources, commingling or prices.
    held = [p for p in placed if p.line.source_kind != LEDGER]
    ledger = [p for p in placed if p.line.source_kind == LEDGER]
    kinds = {s.code: s.kind for s in inputs.sub_accounts}
    equity = sub_account_equity(held, kinds)
    margins = venue_margins(held)
    figures = segregation(held, equity, margins, kinds)
    findings = [
        *find_commingling(held, kinds, as_of),
        *find_unmapped_balances(held, as_of),
        *find_unmapped_balances(ledger, as_of),
        *find_client_deficits(equity, kinds, held, as_of),
        *find_margin_breaches(margins, kinds, as_of),
        *find_segregation_shortfalls(figures, as_of),
        *find_balance_breaks(placed, book, inputs.tolerances, kinds, as_of),
        *find_stale_statements(used, as_of),
        *find_missing_prices(held, as_of, inputs.base_currency),
    ]
    findings.sort(key=lambda f: (SEVERITY_ORDER[f.severity], f.kind, f.sub_account or "", f.external_account or "", f.asset or ""))
    return Reconciliation(
        inputs=inputs,
        used=tuple(used),
        segregation=figures,
        by_currency=tuple(_by_currency(held, kinds)),
        sub_accounts=tuple(_schedule(inputs.sub_accounts, equity, margins)),
        margins=tuple(margins),
        findings=tuple(findings),
    )


def _by_currency(held: list[Placed], kinds: dict[str, str]) -> list[CurrencyFigures]:
    """Per asset: resources and buffer in segregation, and each client's positive equity in it.

    A client long one currency and short another needs only its net in base currency, so the
    per-currency requirements can add up to more than the base requirement; the base figure rules.
    """
    quantity: dict[str, Decimal] = defaultdict(lambda: ZERO)
    resources: dict[str, Decimal] = defaultdict(lambda: ZERO)
    buffer: dict[str, Decimal] = defaultdict(lambda: ZERO)
    client_equity: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    assets: set[str] = set()
    for p in held:
        asset = p.line.asset
        assets.add(asset)
        if p.line.designation in SEGREGATED_DESIGNATIONS:
            quantity[asset] += p.line.quantity
            resources[asset] += p.worth
            if kinds.get(p.sub_account or "") == BUFFER:
                buffer[asset] += p.worth
        if kinds.get(p.sub_account or "") == CLIENT:
            client_equity[(p.sub_account, asset)] += p.worth  # type: ignore[index]
    requirement: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for (_, asset), amount in client_equity.items():
        requirement[asset] += max(amount, ZERO)
    return [
        CurrencyFigures(a, quantity[a], resources[a], requirement[a], resources[a] - requirement[a], buffer[a])
        for a in sorted(assets)
    ]


def _schedule(
    subs: tuple[SubAccount, ...], equity: dict[str, Decimal], margins: list[VenueMargin]
) -> list[SubAccountFigures]:
    venue: dict[str, Decimal] = defaultdict(lambda: ZERO)
    im: dict[str, Decimal] = defaultdict(lambda: ZERO)
    mm: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for m in margins:
        venue[m.sub_account] += m.equity
        im[m.sub_account] += m.initial_margin
        mm[m.sub_account] += m.maintenance_margin
    return [
        SubAccountFigures(s.code, s.name, s.kind, equity.get(s.code, ZERO), venue[s.code], im[s.code], mm[s.code])
        for s in sorted(subs, key=lambda s: s.code)
    ]
