"""The checks of SPEC.md, one small function per concern, each returning findings as values.

A reconciliation first sums the lines of the statements it uses in one pass (``tally``) into
the few tables the checks read; each check is then a small function over those sums. Which lines
caused a finding is looked up afterwards, only for the findings there are (``attach_evidence``).
None of this reads a database or touches a screen.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import NamedTuple
from itertools import repeat
from operator import itemgetter

from segdesk.domain.mapping import MappingTable
from segdesk.domain.model import (
    BUFFER,
    CLIENT,
    CRITICAL,
    HIGH,
    LEDGER,
    MEDIUM,
    PROPRIETARY,
    SEGREGATED_DESIGNATIONS,
    ZERO,
    Evidence,
    Finding,
    LineRow,
    Statement,
)
from segdesk.domain.valuation import PriceBook


def margin_ratio(venue_equity: Decimal, maintenance_margin: Decimal) -> Decimal | None:
    """Venue equity over maintenance margin; None where no margin is required. (A ratio for
    reading, at 28 significant digits; amounts are never divided.)"""
    return None if maintenance_margin == 0 else venue_equity / maintenance_margin


class VenueMargin(NamedTuple):
    """A sub-account's margin at one venue. (A named tuple: a run makes one per sub-account and
    venue, 100,000 at a time, and a tuple costs a fifth of a frozen dataclass to make.)"""

    sub_account: str
    external_account: str
    equity: Decimal
    initial_margin: Decimal
    maintenance_margin: Decimal

    @property
    def shortfall(self) -> Decimal:
        return max(self.maintenance_margin - self.equity, ZERO)

    @property
    def margin_ratio(self) -> Decimal | None:
        return margin_ratio(self.equity, self.maintenance_margin)


class SubAccountFigures(NamedTuple):
    """One line of the sub-account schedule (a named tuple: a run makes one per sub-account)."""

    code: str
    name: str
    kind: str
    equity: Decimal
    venue_equity: Decimal  # equity at the venues that carry margin
    initial_margin: Decimal
    maintenance_margin: Decimal

    @property
    def margin_ratio(self) -> Decimal | None:
        return margin_ratio(self.venue_equity, self.maintenance_margin)


def fmt(amount: Decimal) -> str:
    """An amount for a message: thousands separators, the exact digits, no exponent."""
    text = format(amount, ",f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# --- one pass over the lines ------------------------------------------------------------------


@dataclass
class Unmapped:
    """Lines of one (external account, asset) that map to no sub-account."""

    amount: Decimal = ZERO  # base value; ledger lines are no money held and add nothing
    references: set[str] = field(default_factory=set)
    ledger: bool = False


@dataclass
class Totals:
    """The sums the checks read, made in one pass over the lines (``tally``). Base values count
    an unpriced line as nothing: it carries its own missing_price finding."""

    # account: reference -> what its lines add to, the sub-account first (see ``_owner``)
    owners: dict[str, dict[str | None, list]] = field(default_factory=dict)  # type: ignore[type-arg]
    held_in: dict[str, dict[str, Decimal]] = field(default_factory=dict)  # account: sub -> base value there
    designations: dict[str, str | None] = field(default_factory=dict)  # external account -> designation
    # Venue equity is the lines' base value, except that a line printing equity counts its equity
    # (at its price) instead: per (sub, account), that difference and the valued IM and MM.
    margin_lines: dict[tuple[str, str], list[Decimal]] = field(default_factory=dict)  # [equity - value, IM, MM]
    venues: set[str] = field(default_factory=set)  # external accounts where a line carries margin fields
    unmapped: dict[tuple[str, str], Unmapped] = field(default_factory=dict)  # (account, asset)
    unvalued: set[tuple[str | None, str, str]] = field(default_factory=set)  # (sub, account, asset)
    assets: set[str] = field(default_factory=set)  # every asset held (ledger lines hold nothing)
    segregated: dict[str, list[Decimal]] = field(default_factory=dict)  # asset -> [quantity, value, buffer]
    # asset -> what clients need in it: each client's positive base value of the asset, added up
    client_requirement: dict[str, Decimal] = field(default_factory=dict)
    reported: dict[tuple[str, str], Decimal] = field(default_factory=dict)  # (sub, asset) -> custodian/exchange qty
    booked: dict[tuple[str, str], Decimal] = field(default_factory=dict)  # (sub, asset) -> ledger quantity
    own_prices: dict[tuple[str, str], tuple[int, int, Decimal]] = field(default_factory=dict)  # the first printed


def tally(statements: list[Statement], lines: Iterable[LineRow], table: MappingTable, book: PriceBook,
          kinds: dict[str, str]) -> Totals:
    """Map and value every line of the statements used, once, and add it to each sum it belongs to.

    Valuation (SPEC.md): ``value``; else (``equity`` if present, else ``quantity``) x price, the
    price being the line's own, else the book's. Ledger lines only feed balance_break (and are
    named when unmapped): no part of equity, resources, commingling or prices. With no ledger at
    all, quantities are not compared. Lines of statements not used (an older date) are skipped.

    A million lines pass through here, so each does as few look-ups as it can: what a reference
    of an account leads to (its sub-account, that sub-account's sums) and what an asset of a
    statement leads to (its book price, the segregated sums) are worked out at their first line.
    """
    totals = Totals()
    parts = {part: (index, s) for index, s in enumerate(statements) for part in s.files}
    compare = any(s.source_kind == LEDGER for s in statements)
    money, zero = Decimal, ZERO
    client_assets: dict[str, dict[str, Decimal]] = {}  # client sub -> asset -> base value
    reported: dict[str, dict[str, Decimal]] = {}  # sub -> asset -> quantity (once a ledger is in use)
    booked, margin_lines, unvalued = totals.booked, totals.margin_lines, totals.unvalued
    # segregated account? -> asset -> (book price, segregated sums or None): see ``_asset_sums``
    asset_sums: dict[bool, dict[str, tuple]] = {True: {}, False: {}}  # type: ignore[type-arg]
    current: object = _NOTHING
    used = False
    for part, reference, asset, _, own_price, quantity, value, equity, im, mm, row in lines:
        if part != current:  # the lines of one statement mostly come together: set it up once
            current = part
            used = part in parts
            if not used:
                continue
            index, s = parts[part]
            account = s.external_account
            owners = totals.owners.setdefault(account, {})
            held_here = totals.held_in.setdefault(account, {})
            totals.designations[account] = s.designation
            ledger = s.source_kind == LEDGER
            per_asset = asset_sums[s.designation in SEGREGATED_DESIGNATIONS]
        elif not used:
            continue
        owner = owners.get(reference)
        if owner is None:
            sub = table.sub_account_of(s.source, s.account, reference, s.as_of)
            owner = owners[reference] = _owner(sub, ledger, held_here, kinds, client_assets,
                                               reported if compare else None)
        sub = owner[0]
        quantity = money(quantity)
        if ledger:
            if sub is None:
                _unmapped(totals, account, asset, reference).ledger = True
                continue
            key = (sub, asset)
            booked[key] = booked.get(key, zero) + quantity
            if own_price is not None:
                _own_price(totals, index, sub, asset, row, money(own_price))
            continue
        sums = per_asset.get(asset)
        if sums is None:
            sums = per_asset[asset] = _asset_sums(totals, asset, book, per_asset is asset_sums[True])
        price = sums[0] if own_price is None else money(own_price)
        margined = equity is not None or im is not None or mm is not None
        printed = value is not None
        if equity is not None:
            equity = money(equity)
        if printed:
            worth = value = money(value)
        elif price is None:
            worth = zero
        else:
            worth = value = (quantity if equity is None else equity) * price
        if value is None or (price is None and margined):
            unvalued.add((sub, account, asset))
        segregated = sums[1]
        if segregated is not None:
            segregated[0] += quantity
            segregated[1] += worth
            if owner[2]:  # buffer money
                segregated[2] += worth
        if sub is None:
            _unmapped(totals, account, asset, reference).amount += worth
            continue
        owner[1][0] += worth
        assets = owner[3]
        if assets is not None:  # a client's
            assets[asset] = assets.get(asset, zero) + worth
        if compare:
            quantities = owner[4]
            quantities[asset] = quantities.get(asset, zero) + quantity
            if own_price is not None:
                _own_price(totals, index, sub, asset, row, price)  # type: ignore[arg-type]
        if margined:
            # What cannot be priced counts as nothing: it carries its own missing_price finding.
            margin = owner[5]
            if margin is None:
                totals.venues.add(account)
                margin = owner[5] = margin_lines.setdefault((sub, account), [zero, zero, zero])
            if price is not None:
                if equity is not None and printed:  # else its equity is what it is worth
                    margin[0] += equity * price - worth
                if im is not None:
                    margin[1] += money(im) * price
                if mm is not None:
                    margin[2] += money(mm) * price
            elif equity is not None:
                margin[0] -= worth
    for account, here in totals.held_in.items():
        for sub, held in here.items():
            here[sub] = held[0]
    needed = totals.client_requirement
    for held in client_assets.values():
        for asset, value in held.items():
            if value > zero:
                needed[asset] = needed.get(asset, zero) + value
    totals.reported = {(sub, asset): q for sub, held in reported.items() for asset, q in held.items()}
    return totals


def _owner(sub: str | None, ledger: bool, held_here: dict, kinds: dict[str, str],  # type: ignore[type-arg]
           client_assets: dict, reported: dict | None) -> list:  # type: ignore[type-arg]
    """What the lines of one reference in one account add to: [sub-account, its [base value in the
    account], buffer?, its per-asset client sums or None, its per-asset quantities or None, its
    margin sums in the account (made at the first margin line)]."""
    if sub is None or ledger:
        return [sub, None, False, None, None, None]
    kind = kinds.get(sub)
    return [
        sub,
        held_here.setdefault(sub, [ZERO]),
        kind == BUFFER,
        client_assets.setdefault(sub, {}) if kind == CLIENT else None,
        None if reported is None else reported.setdefault(sub, {}),
        None,
    ]


def _asset_sums(totals: Totals, asset: str, book: PriceBook, segregated: bool) -> tuple:  # type: ignore[type-arg]
    """For the lines of one asset: (the book's price, [quantity, value, of which buffer] in
    segregated accounts, or None elsewhere)."""
    totals.assets.add(asset)
    return book.price_of(asset), totals.segregated.setdefault(asset, [ZERO, ZERO, ZERO]) if segregated else None


_NOTHING = object()


def owned(totals: Totals) -> dict[tuple[str, str], Decimal]:
    """Per (sub-account, external account): the base value of the sub-account's money there, in
    key order (the checks that read it in order then sort an already sorted list, which is cheap)."""
    pairs = [((sub, account), amount) for account, here in totals.held_in.items() for sub, amount in here.items()]
    pairs.sort(key=itemgetter(0))
    return dict(pairs)


def _unmapped(totals: Totals, account: str, asset: str, reference: str | None) -> Unmapped:
    found = totals.unmapped.get((account, asset))
    if found is None:
        found = totals.unmapped[(account, asset)] = Unmapped()
    if reference:
        found.references.add(reference)
    return found


def _own_price(totals: Totals, index: int, sub: str, asset: str, row: int, price: Decimal) -> None:
    """The first price a statement printed for (sub-account, asset): statements in the order used,
    lines in row order. balance_break falls back on it when the prices file has none."""
    held = totals.own_prices.get((sub, asset))
    if held is None or (index, row) < held[:2]:
        totals.own_prices[(sub, asset)] = (index, row, price)


# --- statements and valuation ----------------------------------------------------------------


def find_stale_statements(statements: list[Statement], as_of: dt.date) -> list[Finding]:
    return [
        Finding(
            kind="stale_statement",
            severity=MEDIUM,
            as_of=as_of,
            amount=ZERO,
            external_account=s.external_account,
            message=f"{s.source}:{s.account} has no statement for {as_of}; the latest, dated {s.as_of}, is used",
        )
        for s in statements
        if s.as_of < as_of
    ]


def find_missing_prices(unvalued: set[tuple[str | None, str, str]], as_of: dt.date, base_currency: str) -> list[Finding]:
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
        )
        for sub, account, asset in sorted(unvalued, key=lambda k: (k[1], k[2], k[0] or ""))
    ]


# --- ownership ---------------------------------------------------------------------------------


def find_unmapped_balances(unmapped: dict[tuple[str, str], Unmapped], as_of: dt.date) -> list[Finding]:
    """Lines nobody owns. A ledger line that maps nowhere is raised too (amount 0: ledger lines
    are no money held), since it cannot be compared with what custodians report."""
    findings = []
    for (account, asset), found in sorted(unmapped.items()):
        refs = sorted(found.references)
        which = f" (reference {', '.join(refs)})" if refs else ""
        findings.append(
            Finding(
                kind="unmapped_balance",
                severity=HIGH,
                as_of=as_of,
                amount=ZERO if found.ledger else found.amount,
                external_account=account,
                asset=asset,
                message=(
                    f"ledger {asset} in {account}{which} maps to no sub-account: it cannot be compared with statements"
                    if found.ledger else
                    f"{asset} in {account}{which} maps to no sub-account: its owner is unknown, so it cannot be segregated"
                ),
            )
        )
    return findings


def find_commingling(
    owned: dict[tuple[str, str], Decimal], designations: dict[str, str | None], kinds: dict[str, str], as_of: dt.date
) -> list[Finding]:
    """All three rules of SPEC.md; buffer money is allowed in client accounts and counts on neither side."""
    findings: list[Finding] = []
    client_side: dict[str, Decimal] = {}
    prop_side: dict[str, Decimal] = {}
    for (sub, account), amount in sorted(owned.items()):
        designation = designations[account]
        kind = kinds.get(sub)
        if kind == CLIENT:
            client_side[account] = client_side.get(account, ZERO) + amount
        elif kind == PROPRIETARY:
            prop_side[account] = prop_side.get(account, ZERO) + amount
        if (kind == CLIENT and designation == PROPRIETARY) or (kind == PROPRIETARY and designation in SEGREGATED_DESIGNATIONS):
            findings.append(misplaced_money(sub, kind, account, designation, amount, as_of))
    for account in sorted(client_side.keys() & prop_side.keys()):
        findings.append(both_kinds_of_money(account, client_side[account], prop_side[account], as_of))
    return findings


def misplaced_money(sub: str, kind: str, account: str, designation: str | None, amount: Decimal,
                    as_of: dt.date) -> Finding:
    """Commingling, rules 1 and 2: a client's money in a proprietary account, or the firm's own
    money in a client account."""
    if kind == CLIENT:
        return Finding(
            kind="commingling", severity=CRITICAL, as_of=as_of, amount=amount, sub_account=sub, external_account=account,
            message=f"client money of {sub} ({fmt(amount)}) sits in the proprietary account {account}",
        )
    return Finding(
        kind="commingling", severity=HIGH, as_of=as_of, amount=amount, sub_account=sub, external_account=account,
        message=f"the firm's own money of {sub} ({fmt(amount)}) sits in the client account {account} ({designation})",
    )


def both_kinds_of_money(account: str, client: Decimal, firm: Decimal, as_of: dt.date) -> Finding:
    """Commingling, rule 3: one account holding client and proprietary money."""
    return Finding(
        kind="commingling", severity=CRITICAL, as_of=as_of, amount=min(abs(client), abs(firm)), external_account=account,
        message=f"{account} holds both client money ({fmt(client)}) and proprietary money ({fmt(firm)}) on {as_of}",
    )


# --- clients and margin ------------------------------------------------------------------------


def sub_account_equity(owned: dict[tuple[str, str], Decimal], codes: Iterable[str]) -> dict[str, Decimal]:
    equity = {code: ZERO for code in codes}
    for (sub, _), amount in owned.items():
        equity[sub] = equity.get(sub, ZERO) + amount
    return equity


def find_client_deficits(equity: dict[str, Decimal], kinds: dict[str, str], as_of: dt.date) -> list[Finding]:
    return [
        Finding(
            kind="client_deficit", severity=HIGH, as_of=as_of, amount=-amount, sub_account=code,
            message=f"{code} is in deficit by {fmt(-amount)}: left alone, other clients' money covers it",
        )
        for code, amount in sorted(equity.items())
        if kinds.get(code) == CLIENT and amount < 0
    ]


def venue_margins(owned: dict[tuple[str, str], Decimal], totals: Totals) -> list[VenueMargin]:
    """Per (sub-account, external account carrying margin fields): base-valued equity, IM and MM."""
    margins = []
    for pair, value in sorted(owned.items()):
        sub, account = pair
        if account in totals.venues:
            equity_over_value, im, mm = totals.margin_lines.get(pair, (ZERO, ZERO, ZERO))
            margins.append(VenueMargin(sub, account, value + equity_over_value, im, mm))
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
            ))
        elif m.equity < m.initial_margin:
            call = m.initial_margin - m.equity
            findings.append(Finding(
                kind="margin_call", severity=MEDIUM, as_of=as_of, amount=call, sub_account=m.sub_account,
                external_account=m.external_account,
                message=(f"{m.sub_account} at {m.external_account}: equity {fmt(m.equity)} is below initial margin "
                         f"{fmt(m.initial_margin)}; a call of {fmt(call)}"),
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


def client_requirement(equity: dict[str, Decimal], kinds: dict[str, str]) -> Decimal:
    """What clients are owed: each client's positive equity, added up (a deficit nets nothing)."""
    return sum((max(e, ZERO) for code, e in equity.items() if kinds.get(code) == CLIENT), ZERO)


def undermargined(margins: list[VenueMargin], kinds: dict[str, str]) -> Decimal:
    """Clients' margin shortfalls at their venues, added up."""
    return sum((m.shortfall for m in margins if kinds.get(m.sub_account) == CLIENT), ZERO)


def segregation(requirement: Decimal, segregated: dict[str, list[Decimal]], undermargined: Decimal) -> SegregationFigures:
    """``segregated``: per asset, [quantity, base value, of which buffer] in segregated accounts."""
    resources = sum((value for _, value, _ in segregated.values()), ZERO)
    buffer = sum((buffer for _, _, buffer in segregated.values()), ZERO)
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
    reported: dict[tuple[str, str], Decimal], booked: dict[tuple[str, str], Decimal],
    own_prices: dict[tuple[str, str], tuple[int, int, Decimal]], book: PriceBook, tolerances: dict[str, Decimal],
    kinds: dict[str, str], as_of: dt.date,
) -> list[Finding]:
    """Custodian/exchange quantity against the ledger's, per (sub-account, asset).

    With no ledger at all there is nothing to compare. Once a ledger is in use, every client
    sub-account is compared (a client the ledger leaves out books as zero); proprietary and buffer
    sub-accounts only where the ledger speaks of them, since many firms keep a client-money ledger.
    """
    in_ledger = {sub for sub, _ in booked}
    if not in_ledger:
        return []
    in_ledger |= {code for code, kind in kinds.items() if kind == CLIENT}
    findings = []
    for key in sorted(reported.keys() | booked.keys()):
        sub, asset = key
        statements, ledger = reported.get(key, ZERO), booked.get(key, ZERO)
        if sub not in in_ledger or abs(statements - ledger) <= tolerances.get(asset, ZERO):
            continue
        difference = statements - ledger
        price = book.price_of(asset)
        if price is None and key in own_prices:  # the statement's own price, if it printed one
            price = own_prices[key][2]
        findings.append(Finding(
            kind="balance_break", severity=HIGH, as_of=as_of,
            amount=abs(difference) * price if price is not None else ZERO,
            sub_account=sub, asset=asset,
            message=(f"{sub} {asset}: statements report {fmt(statements)}, the ledger {fmt(ledger)}; "
                     f"difference {fmt(difference)}" + ("" if price is not None else " (no price to value it)")),
        ))
    return findings


# --- evidence ----------------------------------------------------------------------------------


_ROW_ORDER = itemgetter(0, 1, 2)  # row, file, sheet
_evidence = partial(tuple.__new__, Evidence)  # Evidence((file, sheet, row)) without a Python-level call


Bag = dict[tuple[str, str | None], list[int]]  # (file, sheet) -> rows


def _bag_evidence(bag: Bag) -> tuple[Evidence, ...]:
    """The lines of a bag once each, by file, sheet and row."""
    if len(bag) == 1:
        ((file, sheet), rows), = bag.items()
        return tuple(map(_evidence, zip(repeat(file), repeat(sheet), sorted(set(rows)))))
    found = {Evidence(file, sheet, row) for (file, sheet), rows in bag.items() for row in rows}
    return tuple(sorted(found, key=lambda e: (e.file, e.sheet or "", e.row)))


def claim_of(f: Finding) -> tuple | None:  # type: ignore[type-arg]
    """Which lines are a finding's evidence, as a key that ``attach_evidence`` matches."""
    if f.kind == "stale_statement":
        return ("statement", f.external_account)  # every line of the statement, in row order
    if f.kind == "commingling" and f.sub_account is None:
        return ("both sides", f.external_account)  # client and proprietary money in the account
    if f.kind in ("commingling", "margin_shortfall", "margin_call"):
        return ("owned", f.sub_account, f.external_account)  # the sub-account's money in the account
    if f.kind == "client_deficit":
        return ("sub-account", f.sub_account)  # all the sub-account's money
    if f.kind == "balance_break":
        return ("asset", f.sub_account, f.asset)  # the sub-account's quantities, ledger too
    if f.kind == "unmapped_balance":
        return ("unmapped", f.external_account, f.asset)
    if f.kind == "missing_price":
        return ("unvalued", f.sub_account, f.external_account, f.asset)
    return None  # the segregation figures name no line


def attach_evidence(findings: list[Finding], statements: list[Statement], lines: Iterable[LineRow],
                    totals: Totals, book: PriceBook, kinds: dict[str, str]) -> list[Finding]:
    """The findings with the statement lines (file, sheet, row) that caused them, gathered in one
    more pass over the lines of the statements a finding can name."""
    bags: dict[tuple, Bag] = {claim: {} for f in findings if (claim := claim_of(f)) is not None}  # type: ignore[type-arg]
    if not bags:
        return findings
    in_order: dict[str, list[tuple[int, str, str, str | None]]] = {
        claim[1]: [] for claim in bags if claim[0] == "statement"}
    # Worth visiting: the statements of an account a claim names, or all when a claim names a
    # sub-account wherever its money is.
    accounts = {claim[1] for claim in bags if claim[0] in ("statement", "both sides", "unmapped")}
    accounts |= {claim[2] for claim in bags if claim[0] in ("owned", "unvalued")}
    everywhere = any(claim[0] in ("sub-account", "asset") for claim in bags)
    # The sub-accounts a claim names: most lines belong to none of them and are passed over at once.
    named = {claim[1] for claim in bags if claim[0] in ("owned", "unvalued", "sub-account", "asset")}
    any_unvalued = any(claim[0] == "unvalued" for claim in bags)
    any_asset = any(claim[0] == "asset" for claim in bags)
    parts = {part: s for s in statements for part in s.files}
    current: object = _NOTHING
    wanted = False
    for part, reference, asset, sheet, own_price, _, value, equity, im, mm, row in lines:
        if part != current:
            current = part
            s = parts.get(part)  # type: ignore[assignment]
            account = s.external_account if s is not None else ""
            wanted = s is not None and (account in accounts or everywhere)
            if not wanted:
                continue
            file = s.files[part]
            held = s.source_kind != LEDGER
            owners = totals.owners[account]
            sides = bags.get(("both sides", account)) if held else None
            every = in_order.get(account)
            targets_of: dict[tuple, list[list[int]]] = {}  # type: ignore[type-arg]  # (sub, asset, sheet) -> row lists
        elif not wanted:
            continue
        if every is not None:
            every.append((row, file, sheet or "", sheet))
        sub = owners[reference][0]
        if sides is None and sub is not None and sub not in named:
            continue
        if sub is None:
            bag = bags.get(("unmapped", account, asset))
            if bag is not None:
                bag.setdefault((file, sheet), []).append(row)
        else:
            targets = targets_of.get((sub, sheet))
            if targets is None:
                targets = targets_of[(sub, sheet)] = _targets(bags, sub, account, file, sheet, held, sides, kinds)
            for rows in targets:
                rows.append(row)
            if any_asset:
                bag = bags.get(("asset", sub, asset))
                if bag is not None:
                    bag.setdefault((file, sheet), []).append(row)
        if any_unvalued and held and ("unvalued", sub, account, asset) in bags:
            price = book.price_of(asset) if own_price is None else own_price
            if price is None and (value is None or equity is not None or im is not None or mm is not None):
                bags[("unvalued", sub, account, asset)].setdefault((file, sheet), []).append(row)
    return [f if (claim := claim_of(f)) is None else dataclasses.replace(f, evidence=_evidence_of(claim, bags, in_order))
            for f in findings]


def _targets(bags: dict[tuple, Bag], sub: str, account: str, file: str, sheet: str | None, held: bool,  # type: ignore[type-arg]
             sides: Bag | None, kinds: dict[str, str]) -> list[list[int]]:
    """The row lists a line of a sub-account in (file, sheet) of an account belongs in, one per
    claim on its money there (balance breaks and missing prices depend on the line's asset and
    fields, and are matched line by line)."""
    if not held:
        return []
    found = [bags.get(("owned", sub, account)), bags.get(("sub-account", sub))]
    if sides is not None and kinds.get(sub) in (CLIENT, PROPRIETARY):
        found.append(sides)
    return [bag.setdefault((file, sheet), []) for bag in found if bag is not None]


def _evidence_of(claim: tuple, bags: dict[tuple, Bag], in_order: dict) -> tuple[Evidence, ...]:  # type: ignore[type-arg]
    if claim[0] == "statement":
        return tuple(Evidence(file, sheet, row) for row, file, _, sheet in sorted(in_order[claim[1]], key=_ROW_ORDER))
    return _bag_evidence(bags[claim])
