"""The checks of SPEC.md, one small function per concern, each returning findings as values.

Every function takes placed lines (a statement line with the sub-account it maps to and its base
value) and plain context; none reads a database or touches a screen.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple
from decimal import Decimal

from segdesk.domain.model import (
    BUFFER,
    CLIENT,
    CRITICAL,
    HIGH,
    MEDIUM,
    PROPRIETARY,
    SEGREGATED_DESIGNATIONS,
    ZERO,
    Evidence,
    Finding,
    Line,
    Statement,
)
from segdesk.domain.valuation import PriceBook, valued


class Placed(NamedTuple):
    """A line, the sub-account it maps to (None: unmapped) and its base value (None: unpriced)."""

    line: Line
    sub_account: str | None
    value: Decimal | None
    price: Decimal | None = None  # the line's own price, else the book's; None: no price

    @property
    def unvalued(self) -> bool:
        """Something on this line needs a price it does not have: its base value, or (equity and
        margins are in asset units) a margin field."""
        return self.value is None or (self.price is None and self.line.has_margin)

    @property
    def worth(self) -> Decimal:
        """The base value, counting an unpriced line as nothing (it has its own missing_price finding)."""
        return self.value if self.value is not None else ZERO


@dataclass(frozen=True)
class VenueMargin:
    sub_account: str
    external_account: str
    equity: Decimal
    initial_margin: Decimal
    maintenance_margin: Decimal
    evidence: tuple[Evidence, ...]

    @property
    def shortfall(self) -> Decimal:
        return max(self.maintenance_margin - self.equity, ZERO)


def fmt(amount: Decimal) -> str:
    """An amount for a message: thousands separators, the exact digits, no exponent."""
    text = format(amount, ",f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _evidence(placed: Iterable[Placed]) -> tuple[Evidence, ...]:
    return tuple(sorted({p.line.evidence for p in placed}, key=lambda e: (e.file, e.sheet or "", e.row)))


# --- statements and valuation ----------------------------------------------------------------


def find_stale_statements(statements: list[Statement], as_of: dt.date) -> list[Finding]:
    return [
        Finding(
            kind="stale_statement",
            severity=MEDIUM,
            as_of=as_of,
            amount=ZERO,
            external_account=f"{s.source}:{s.account}",
            message=f"{s.source}:{s.account} has no statement for {as_of}; the latest, dated {s.as_of}, is used",
            evidence=tuple(line.evidence for line in s.lines),
        )
        for s in statements
        if s.as_of < as_of
    ]


def find_missing_prices(placed: list[Placed], as_of: dt.date, base_currency: str) -> list[Finding]:
    groups: dict[tuple[str | None, str, str], list[Placed]] = defaultdict(list)
    for p in placed:
        if p.unvalued:
            groups[(p.sub_account, p.line.external_account, p.line.asset)].append(p)
    return [
        Finding(
            kind="missing_price",
            severity=HIGH,
            as_of=as_of,
            amount=ZERO,
            sub_account=sub,
            external_account=account,
            asset=asset,
            message=(f"no {asset} price on or before {as_of} to value {account} in {base_currency}; "
                     "what needs it is left out"),
            evidence=_evidence(items),
        )
        for (sub, account, asset), items in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][2], kv[0][0] or ""))
    ]


# --- ownership ---------------------------------------------------------------------------------


def find_unmapped_balances(placed: list[Placed], as_of: dt.date) -> list[Finding]:
    """Lines nobody owns. A ledger line that maps nowhere is raised too (amount 0: ledger lines are
    no money held), since it cannot be compared with what custodians report."""
    groups: dict[tuple[str, str], list[Placed]] = defaultdict(list)
    for p in placed:
        if p.sub_account is None:
            groups[(p.line.external_account, p.line.asset)].append(p)
    findings = []
    for (account, asset), items in sorted(groups.items()):
        refs = sorted({p.line.reference for p in items if p.line.reference})
        which = f" (reference {', '.join(refs)})" if refs else ""
        ledger = items[0].line.source_kind == "ledger"
        findings.append(
            Finding(
                kind="unmapped_balance",
                severity=HIGH,
                as_of=as_of,
                amount=ZERO if ledger else sum((p.worth for p in items), ZERO),
                external_account=account,
                asset=asset,
                message=(
                    f"ledger {asset} in {account}{which} maps to no sub-account: it cannot be compared with statements"
                    if ledger else
                    f"{asset} in {account}{which} maps to no sub-account: its owner is unknown, so it cannot be segregated"
                ),
                evidence=_evidence(items),
            )
        )
    return findings


def find_commingling(placed: list[Placed], kinds: dict[str, str], as_of: dt.date) -> list[Finding]:
    """All three rules of SPEC.md; buffer money is allowed in client accounts and counts on neither side."""
    findings: list[Finding] = []
    by_pair: dict[tuple[str, str], list[Placed]] = defaultdict(list)
    by_account: dict[str, list[Placed]] = defaultdict(list)
    for p in placed:
        if p.sub_account is None:
            continue
        by_pair[(p.sub_account, p.line.external_account)].append(p)
        by_account[p.line.external_account].append(p)
    for (sub, account), items in sorted(by_pair.items()):
        designation = items[0].line.designation
        kind = kinds.get(sub)
        amount = sum((p.worth for p in items), ZERO)
        if kind == CLIENT and designation == PROPRIETARY:
            findings.append(Finding(
                kind="commingling", severity=CRITICAL, as_of=as_of, amount=amount, sub_account=sub,
                external_account=account,
                message=f"client money of {sub} ({fmt(amount)}) sits in the proprietary account {account}",
                evidence=_evidence(items),
            ))
        elif kind == PROPRIETARY and designation in SEGREGATED_DESIGNATIONS:
            findings.append(Finding(
                kind="commingling", severity=HIGH, as_of=as_of, amount=amount, sub_account=sub,
                external_account=account,
                message=f"the firm's own money of {sub} ({fmt(amount)}) sits in the client account {account} ({designation})",
                evidence=_evidence(items),
            ))
    for account, items in sorted(by_account.items()):
        client = [p for p in items if kinds.get(p.sub_account or "") == CLIENT]
        prop = [p for p in items if kinds.get(p.sub_account or "") == PROPRIETARY]
        if client and prop:
            client_side = sum((p.worth for p in client), ZERO)
            prop_side = sum((p.worth for p in prop), ZERO)
            amount = min(abs(client_side), abs(prop_side))
            findings.append(Finding(
                kind="commingling", severity=CRITICAL, as_of=as_of, amount=amount, external_account=account,
                message=(f"{account} holds both client money ({fmt(client_side)}) and proprietary money "
                         f"({fmt(prop_side)}) on {as_of}"),
                evidence=_evidence(client + prop),
            ))
    return findings


# --- clients and margin ------------------------------------------------------------------------


def sub_account_equity(placed: list[Placed], codes: Iterable[str]) -> dict[str, Decimal]:
    equity = {code: ZERO for code in codes}
    for p in placed:
        if p.sub_account is not None:
            equity[p.sub_account] = equity.get(p.sub_account, ZERO) + p.worth
    return equity


def find_client_deficits(
    equity: dict[str, Decimal], kinds: dict[str, str], placed: list[Placed], as_of: dt.date
) -> list[Finding]:
    findings = []
    for code, amount in sorted(equity.items()):
        if kinds.get(code) == CLIENT and amount < 0:
            findings.append(Finding(
                kind="client_deficit", severity=HIGH, as_of=as_of, amount=-amount, sub_account=code,
                message=f"{code} is in deficit by {fmt(-amount)}: left alone, other clients' money covers it",
                evidence=_evidence(p for p in placed if p.sub_account == code),
            ))
    return findings


def venue_margins(placed: list[Placed]) -> list[VenueMargin]:
    """Per (sub-account, external account carrying margin fields): base-valued equity, IM and MM."""
    margin_accounts = {p.line.external_account for p in placed if p.line.has_margin}
    groups: dict[tuple[str, str], list[Placed]] = defaultdict(list)
    for p in placed:
        if p.sub_account is not None and p.line.external_account in margin_accounts:
            groups[(p.sub_account, p.line.external_account)].append(p)
    margins = []
    for (sub, account), items in sorted(groups.items()):
        equity = im = mm = ZERO
        for p in items:
            line = p.line
            # Base-valued equity, else the line's value (SPEC.md); margins at the line's price.
            # What cannot be priced counts as nothing here: it carries its own missing_price finding.
            if line.equity is not None:
                equity += valued(line.equity, p.price) or ZERO
            else:
                equity += p.worth
            im += valued(line.initial_margin, p.price) or ZERO
            mm += valued(line.maintenance_margin, p.price) or ZERO
        margins.append(VenueMargin(sub, account, equity, im, mm, _evidence(items)))
    return margins


def find_margin_breaches(margins: list[VenueMargin], kinds: dict[str, str], as_of: dt.date) -> list[Finding]:
    findings = []
    for m in margins:
        if m.equity < m.maintenance_margin:
            short = m.maintenance_margin - m.equity
            findings.append(Finding(
                kind="margin_shortfall", severity=CRITICAL if kinds.get(m.sub_account) == CLIENT else HIGH,
                as_of=as_of, amount=short, sub_account=m.sub_account, external_account=m.external_account,
                message=(f"{m.sub_account} at {m.external_account}: equity {fmt(m.equity)} is below maintenance "
                         f"margin {fmt(m.maintenance_margin)}, short {fmt(short)}"),
                evidence=m.evidence,
            ))
        elif m.equity < m.initial_margin:
            call = m.initial_margin - m.equity
            findings.append(Finding(
                kind="margin_call", severity=MEDIUM, as_of=as_of, amount=call, sub_account=m.sub_account,
                external_account=m.external_account,
                message=(f"{m.sub_account} at {m.external_account}: equity {fmt(m.equity)} is below initial margin "
                         f"{fmt(m.initial_margin)}; a call of {fmt(call)}"),
                evidence=m.evidence,
            ))
    return findings


# --- segregation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SegregationFigures:
    requirement: Decimal
    resources: Decimal
    excess: Decimal
    undermargined: Decimal
    buffer: Decimal  # the firm's buffer money that is part of the resources


def segregation(
    placed: list[Placed], equity: dict[str, Decimal], margins: list[VenueMargin], kinds: dict[str, str]
) -> SegregationFigures:
    requirement = sum((max(e, ZERO) for code, e in equity.items() if kinds.get(code) == CLIENT), ZERO)
    in_segregation = [p for p in placed if p.line.designation in SEGREGATED_DESIGNATIONS]
    resources = sum((p.worth for p in in_segregation), ZERO)
    buffer = sum((p.worth for p in in_segregation if kinds.get(p.sub_account or "") == BUFFER), ZERO)
    undermargined = sum((m.shortfall for m in margins if kinds.get(m.sub_account) == CLIENT), ZERO)
    return SegregationFigures(requirement, resources, resources - requirement, undermargined, buffer)


def find_segregation_shortfalls(figures: SegregationFigures, as_of: dt.date) -> list[Finding]:
    if figures.excess < 0:
        short = figures.requirement - figures.resources
        return [Finding(
            kind="segregation_shortfall", severity=CRITICAL, as_of=as_of, amount=short,
            message=(f"segregated resources {fmt(figures.resources)} fall short of the requirement "
                     f"{fmt(figures.requirement)} by {fmt(short)}"),
        )]
    if figures.excess < figures.undermargined:
        short = figures.undermargined - figures.excess
        return [Finding(
            kind="residual_interest_shortfall", severity=HIGH, as_of=as_of, amount=short,
            message=(f"excess {fmt(figures.excess)} does not cover clients' undermargined amounts "
                     f"{fmt(figures.undermargined)}: the firm must add {fmt(short)} of its own money"),
        )]
    return []


# --- the ledger --------------------------------------------------------------------------------


def find_balance_breaks(
    placed: list[Placed], book: PriceBook, tolerances: dict[str, Decimal], kinds: dict[str, str], as_of: dt.date
) -> list[Finding]:
    """Custodian/exchange quantity against the ledger's, per (sub-account, asset).

    With no ledger at all there is nothing to compare. Once a ledger is in use, every client
    sub-account is compared (a client the ledger leaves out books as zero); proprietary and buffer
    sub-accounts only where the ledger speaks of them, since many firms keep a client-money ledger.
    """
    reported: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    booked: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    in_ledger: set[str] = set()
    for p in placed:
        if p.sub_account is None:
            continue
        key = (p.sub_account, p.line.asset)
        if p.line.source_kind == "ledger":
            booked[key] += p.line.quantity
            in_ledger.add(p.sub_account)
        else:
            reported[key] += p.line.quantity
    if not in_ledger:
        return []
    in_ledger |= {code for code, kind in kinds.items() if kind == CLIENT}
    breaks = []
    for key in sorted(set(reported) | set(booked)):
        sub, asset = key
        if sub in in_ledger and abs(reported[key] - booked[key]) > tolerances.get(asset, ZERO):
            breaks.append(key)
    # Evidence only for what broke: gathering it for every line costs more than the check.
    evidence: dict[tuple[str, str], list[Placed]] = {key: [] for key in breaks}
    for p in placed:
        if p.sub_account is not None and (p.sub_account, p.line.asset) in evidence:
            evidence[(p.sub_account, p.line.asset)].append(p)
    findings = []
    for key in breaks:
        sub, asset = key
        difference = reported[key] - booked[key]
        price = book.price_of(asset)
        if price is None:  # the statement's own price, if it printed one
            price = next((p.line.price for p in evidence[key] if p.line.price is not None), None)
        findings.append(Finding(
            kind="balance_break", severity=HIGH, as_of=as_of,
            amount=abs(difference) * price if price is not None else ZERO,
            sub_account=sub, asset=asset,
            message=(f"{sub} {asset}: statements report {fmt(reported[key])}, the ledger {fmt(booked[key])}; "
                     f"difference {fmt(difference)}" + ("" if price is not None else " (no price to value it)")),
            evidence=_evidence(evidence[key]),
        ))
    return findings
