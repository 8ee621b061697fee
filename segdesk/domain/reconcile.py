"""One reconciliation, start to finish: select, map, value, check. Pure: inputs in, results out."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, FloatOperation, Inexact, Rounded, localcontext
from functools import partial
from itertools import repeat
from operator import itemgetter
from typing import NamedTuple

import pyarrow as pa

from segdesk.domain import checks
from segdesk.domain.checks import (
    SegregationFigures,
    SubAccountFigures,
    Totals,
    VenueMargin,
    attach_evidence,
    client_requirement,
    find_balance_breaks,
    find_client_deficits,
    find_commingling,
    find_margin_breaches,
    find_missing_prices,
    find_segregation_shortfalls,
    find_stale_statements,
    find_unmapped_balances,
    margin_ratio,
    segregation,
    sub_account_equity,
    tally,
    undermargined,
    venue_margins,
)
from segdesk.domain.columnar import Figures, NotColumnar, Tallied, rows_of, tally_columns
from segdesk.domain.mapping import MappingTable, Resolved
from segdesk.domain.model import (
    SEVERITY_ORDER,
    LineRow,
    ZERO,
    Finding,
    ReconciliationInputs,
    Statement,
    SubAccount,
)
from segdesk.domain.selection import select_statements
from segdesk.domain.valuation import PriceBook


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
class Reconciliation:
    inputs: ReconciliationInputs
    used: tuple[Statement, ...]
    segregation: SegregationFigures
    by_currency: tuple[CurrencyFigures, ...]
    sub_accounts: Sequence[SubAccountFigures]  # a tuple, or columnar.Figures (made as they are read)
    margins: Sequence[VenueMargin]  # likewise
    findings: tuple[Finding, ...]


# Amounts have at most 20 + 18 digits, prices likewise: a product has at most 76, and sums add a
# few. Python's default 28 digits would silently round them; here every operation is exact, and
# one that could not be raises instead of rounding. A float that slipped in (a reader bug, a
# caller's mistake) raises too, the first time it meets a Decimal, instead of bringing its
# binary rounding into client money.
EXACT_DIGITS = 120


@dataclass(frozen=True)
class Preparation:
    """What a reconciliation works out before it reads a line (``prepare``)."""

    used: list[Statement]
    book: PriceBook
    kinds: dict[str, str]
    table: MappingTable
    rules: Resolved  # the mappings resolved for each statement used (MappingTable.resolved)


def prepare(inputs: ReconciliationInputs) -> Preparation:
    """The statements used, the price book, each sub-account's kind and the mappings resolved for
    each statement used: everything but the lines, which ``inputs`` need not hold yet. A caller
    whose lines are still being read does this meanwhile and hands it to ``reconcile``."""
    used = select_statements(inputs.statements, inputs.as_of)
    table = MappingTable(inputs.mappings)
    return Preparation(used, PriceBook.build(inputs.prices, inputs.as_of, inputs.base_currency),
                       {s.code: s.kind for s in inputs.sub_accounts}, table,
                       table.resolved([(s.source, s.account, s.as_of) for s in used]))


@contextmanager
def exact_arithmetic() -> Iterator[None]:
    """The decimal context every reconciliation runs in (see EXACT_DIGITS)."""
    with localcontext() as ctx:
        ctx.prec = EXACT_DIGITS
        ctx.traps[Inexact] = True
        ctx.traps[Rounded] = True
        ctx.traps[FloatOperation] = True
        yield


def reconcile(inputs: ReconciliationInputs, prepared: Preparation | None = None) -> Reconciliation:
    """``prepared``: ``prepare(inputs)``, if the caller made it already."""
    with exact_arithmetic():
        return _reconcile(inputs, prepared or prepare(inputs))


def _reconcile(inputs: ReconciliationInputs, prepared: Preparation) -> Reconciliation:
    lines = inputs.lines
    if isinstance(lines, pa.Table):  # columns (SQLite's lines, read by Arrow): worked on as columns
        try:
            return _reconcile_lines(inputs, prepared, lines)
        except NotColumnar:  # exactness could not be promised somewhere: line by line does it all
            lines = rows_of(lines)
    return _reconcile_lines(inputs, prepared, lines)


def _reconcile_lines(inputs: ReconciliationInputs, prepared: Preparation,
                     lines: Sequence[LineRow] | pa.Table) -> Reconciliation:
    as_of = inputs.as_of
    used, book, kinds, table = prepared.used, prepared.book, prepared.kinds, prepared.table
    tallied = tally_columns(used, lines, prepared.rules, book, kinds) if isinstance(lines, pa.Table) else None
    if tallied is None:
        totals = tally(used, lines, table, book, kinds)
        owned = checks.owned(totals)
        equity = sub_account_equity(owned, kinds)
        margins: Sequence[VenueMargin] = venue_margins(owned, totals)
        commingling = find_commingling(owned, totals.designations, kinds, as_of)
        requirement, short = client_requirement(equity, kinds), undermargined(margins, kinds)
        deficits, breaches = find_client_deficits(equity, kinds, as_of), find_margin_breaches(margins, kinds, as_of)
        schedule: Sequence[SubAccountFigures] = _schedule(inputs.sub_accounts, equity, _venue_sums(margins))
    else:
        totals = tallied.totals
        held = tallied.holdings(inputs.sub_accounts, kinds, as_of)
        margins, commingling, schedule = held.margins, held.commingling, held.schedule
        requirement, short = held.requirement, held.undermargined
        # the same checks, given only the sub-accounts in deficit and the margins in breach
        deficits = find_client_deficits(held.deficits, kinds, as_of)
        breaches = find_margin_breaches(held.breaches, kinds, as_of)
    figures = segregation(requirement, totals.segregated, short)
    findings = [
        *commingling,
        *find_unmapped_balances(totals.unmapped, as_of),
        *deficits,
        *breaches,
        *find_segregation_shortfalls(figures, as_of),
        *find_balance_breaks(totals.reported, totals.booked, totals.own_prices, book, inputs.tolerances, kinds, as_of),
        *find_stale_statements(used, as_of),
        *find_missing_prices(totals.unvalued, as_of, inputs.base_currency),
    ]
    if tallied is None:
        findings = attach_evidence(findings, used, lines, totals, book, kinds)
    else:
        findings = tallied.attach_evidence(findings)
    findings.sort(key=lambda f: (SEVERITY_ORDER[f.severity], f.kind, f.sub_account or "", f.external_account or "", f.asset or ""))
    return Reconciliation(
        inputs=inputs,
        used=tuple(used),
        segregation=figures,
        by_currency=tuple(_by_currency(totals)),
        sub_accounts=schedule if isinstance(schedule, Figures) else tuple(schedule),
        margins=margins if isinstance(margins, Figures) else tuple(margins),
        findings=tuple(findings),
    )


def _by_currency(totals: Totals) -> list[CurrencyFigures]:
    """Per asset: resources and buffer in segregation, and each client's positive equity in it.

    A client long one currency and short another needs only its net in base currency, so the
    per-currency requirements can add up to more than the base requirement; the base figure rules.
    """
    requirement = totals.client_requirement
    figures = []
    for asset in sorted(totals.assets):
        quantity, resources, buffer = totals.segregated.get(asset, (ZERO, ZERO, ZERO))
        needed = requirement.get(asset, ZERO)
        figures.append(CurrencyFigures(asset, quantity, resources, needed, resources - needed, buffer))
    return figures


VenueSums = tuple[dict[str, Decimal], dict[str, Decimal], dict[str, Decimal]]  # per sub-account: equity, IM, MM


def _venue_sums(margins: list[VenueMargin]) -> VenueSums:
    """Per sub-account: equity, initial and maintenance margin added up over its venues."""
    subs = list(map(itemgetter(0), margins))
    if len(set(subs)) == len(subs):  # one venue each, the usual case: its own figures are the sums
        return tuple(dict(zip(subs, map(itemgetter(i), margins))) for i in (2, 3, 4))  # type: ignore[return-value]
    equity: dict[str, Decimal] = {}
    im: dict[str, Decimal] = {}
    mm: dict[str, Decimal] = {}
    for m in margins:
        equity[m.sub_account] = equity.get(m.sub_account, ZERO) + m.equity
        im[m.sub_account] = im.get(m.sub_account, ZERO) + m.initial_margin
        mm[m.sub_account] = mm.get(m.sub_account, ZERO) + m.maintenance_margin
    return equity, im, mm


def _schedule(subs: tuple[SubAccount, ...], equity: dict[str, Decimal], venue_sums: VenueSums) -> list[SubAccountFigures]:
    """The schedule, a sub-account a line by code (made without a Python-level loop: a fund can
    have a hundred thousand sub-accounts)."""
    ordered = sorted(subs, key=itemgetter(0))
    codes = list(map(itemgetter(0), ordered))
    zeros = repeat(ZERO)
    return list(map(partial(tuple.__new__, SubAccountFigures), zip(
        codes, map(itemgetter(1), ordered), map(itemgetter(2), ordered), map(equity.get, codes, zeros),
        *(map(sums.get, codes, zeros) for sums in venue_sums),
    )))
