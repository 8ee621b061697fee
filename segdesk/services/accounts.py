"""Editing the chart one change at a time: sub-accounts, designations and mappings.

What the Accounts page calls. Each change is one transaction that writes the change and its audit
event together, with the same action names and payload keys as the chart workbook import
(``services.chart``), so the audit trail reads the same whichever way the chart was edited. Bad
input is refused whole with an ``InputError`` whose lines a person can act on; nothing is stored.

The chart is part of a reconciliation run's fingerprint: after any change here the day's run is
stale, and sign-off and export ask for a new reconciliation.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from segdesk.domain import model as m
from segdesk.domain.mapping import MappingTable
from segdesk.domain.problems import InputError
from segdesk.domain.valuation import PriceBook
from segdesk.ingest.statement import clean_code
from segdesk.services.identity import acting_person
from segdesk.services.importing import a_or_an
from segdesk.services.reconciling import (
    BASE_CURRENCY_SETTING,
    DEFAULT_BASE_CURRENCY,
    require_current,
)
from segdesk.store import chart_queries as q
from segdesk.store.audit import append_event
from segdesk.store.engine import Database
from segdesk.store.schema import DESIGNATIONS, SUB_ACCOUNT_KINDS, Mapping, SubAccount

HELD_KINDS = ("custodian", "exchange")  # sources whose accounts hold money and need a designation
CURRENCY = re.compile(r"^[A-Z0-9]{2,12}$")
LIMITS = {"code": 100, "name": 300, "client": 300, "reference": 200}

UNMAPPED = "unmapped"
NO_DESIGNATION = "no designation"


# --- what the page shows ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SubAccountRow:
    code: str
    name: str
    kind: str
    client: str | None = None
    base_currency: str | None = None


@dataclass(frozen=True)
class AccountRow:
    source: str
    source_kind: str
    account: str
    designation: str | None

    @property
    def external_account(self) -> str:
        return f"{self.source}:{self.account}"


@dataclass(frozen=True)
class MappingRow:
    id: int
    source: str
    account: str
    reference: str | None  # None: every line of the account
    sub_account: str
    valid_from: dt.date | None
    valid_to: dt.date | None

    @property
    def external_account(self) -> str:
        return f"{self.source}:{self.account}"

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class UnmappedItem:
    """Something on the as-of date that the chart does not place: lines of an account (one
    reference, or the lines without one) that map to no sub-account, or a custodian/exchange
    account with no designation."""

    problem: str  # UNMAPPED | NO_DESIGNATION
    source: str
    source_kind: str
    account: str
    designation: str | None
    reference: str | None
    lines: int
    amount: Decimal | None  # base value of those lines; None for ledger lines and lines with no price
    unpriced: bool  # some of the lines could not be valued (the amount leaves them out)
    assets: tuple[str, ...]
    statement_date: dt.date | None

    @property
    def external_account(self) -> str:
        return f"{self.source}:{self.account}"


@dataclass(frozen=True)
class ChartOverview:
    as_of: dt.date | None  # the day the Unmapped list is for (the newest statement day if none was asked)
    base_currency: str
    sub_accounts: tuple[SubAccountRow, ...]
    accounts: tuple[AccountRow, ...]
    mappings: tuple[MappingRow, ...]
    unmapped: tuple[UnmappedItem, ...]
    run_state: str  # "none": not reconciled yet; "current"; "stale": the chart or statements changed since


@dataclass(frozen=True)
class DesignationChange:
    source: str
    account: str
    old: str | None
    new: str | None


def chart_overview(db: Database, as_of: dt.date | None = None) -> ChartOverview:
    with db.reading() as session:
        base = q.setting(session, BASE_CURRENCY_SETTING) or DEFAULT_BASE_CURRENCY
        subs = tuple(SubAccountRow(*row) for row in q.sub_account_rows(session))
        accounts = tuple(AccountRow(*row) for row in q.external_account_rows(session))
        mappings = tuple(MappingRow(*row) for row in q.mapping_rows(session))
        day = as_of or q.latest_statement_day(session)
        unmapped: tuple[UnmappedItem, ...] = ()
        state = "none"
        if day is not None:
            unmapped = tuple(_unplaced(session, day, base, accounts))
            if q.has_run(session, day):
                try:
                    require_current(session, day)
                    state = "current"
                except InputError:
                    state = "stale"
        return ChartOverview(day, base, subs, accounts, mappings, unmapped, state)


def _unplaced(session, day: dt.date, base: str, accounts: tuple[AccountRow, ...]) -> list[UnmappedItem]:  # type: ignore[no-untyped-def]
    """What a reconciliation of ``day`` finds unmapped, per account and reference (the lines of each
    account's latest statement that no mapping valid on its date places), and the custodian and
    exchange accounts with no designation. Only those accounts' lines are read, to value them."""
    table = MappingTable([m.MappingRule(*row[1:]) for row in q.mapping_rows(session)])
    groups = q.references_in_use(session, day, (*HELD_KINDS, m.LEDGER))
    heads = {g[0]: g[1:6] for g in groups}  # account id -> (source, kind, account, designation, date)
    stray = [g for g in groups if table.sub_account_of(g[1], g[3], g[6], g[5]) is None]
    ids = {(a.source, a.account) for a in accounts if a.designation is None and a.source_kind in HELD_KINDS}
    undesignated = {i for i, (source, _k, account, _d, _day) in heads.items() if (source, account) in ids}
    wanted = sorted(undesignated | {g[0] for g in stray})
    lines: dict[tuple[int, str | None], list[tuple]] = {}  # type: ignore[type-arg]
    for row in q.lines_in_use(session, day, wanted):
        lines.setdefault((row[0], row[1]), []).append(row[2:])
    book = PriceBook.build([m.PricePoint(*row) for row in q.prices_until(session, day)], day, base)
    by_account = {(source, account): i for i, (source, _k, account, _d, _day) in heads.items()}
    items: list[UnmappedItem] = []
    for a in accounts:
        if a.designation is None and a.source_kind in HELD_KINDS:
            i = by_account.get((a.source, a.account))
            rows = [r for (k, _ref), held in lines.items() if k == i for r in held] if i is not None else []
            amount, unpriced = _worth(rows, book)
            items.append(UnmappedItem(NO_DESIGNATION, a.source, a.source_kind, a.account, None, None, len(rows),
                                      amount, unpriced, tuple(sorted({r[0] for r in rows})),
                                      heads[i][4] if i is not None else None))
    for i, source, kind, account, designation, date, reference, count in sorted(
            stray, key=lambda g: (g[1], g[3], g[6] is not None, g[6] or "")):
        rows = lines.get((i, reference), [])
        # Ledger lines are the firm's books, no money held: they have no amount (SPEC.md).
        amount, unpriced = (None, False) if kind == m.LEDGER else _worth(rows, book)
        items.append(UnmappedItem(UNMAPPED, source, kind, account, designation, reference, count, amount, unpriced,
                                  tuple(sorted({r[0] for r in rows})) if rows else (), date))
    return items


def _worth(rows: list[tuple], book: PriceBook) -> tuple[Decimal | None, bool]:  # type: ignore[type-arg]
    """The base value of lines (asset, quantity, price, value, equity) as SPEC.md values them, and
    whether some could not be valued (they are left out)."""
    total, unpriced, valued = Decimal(0), False, False
    for asset, quantity, price, value, equity in rows:
        if value is None:
            price = price if price is not None else book.price_of(asset)
            if price is None:
                unpriced = True
                continue
            value = (equity if equity is not None else quantity) * price
        total += value
        valued = True
    return (total if valued else None), unpriced


# --- sub-accounts ----------------------------------------------------------------------------------


def add_sub_account(db: Database, *, code: str, name: str, kind: str, client: str | None = None,
                    base_currency: str | None = None, user: str | None = None) -> SubAccountRow:
    row = _sub_account(code, name, kind, client, base_currency)
    actor = _actor(db, user)
    with db.transaction() as session:
        if q.sub_account_by_code(session, row.code) is not None:
            raise InputError(f"a sub-account with code {row.code!r} already exists; choose another code, or edit that one")
        new = {"name": row.name, "kind": row.kind, "client": row.client, "base_currency": row.base_currency}
        record = SubAccount(code=row.code, **new)
        session.add(record)
        session.flush()
        append_event(session, actor=actor, action="sub_account.create", entity="sub_account", entity_id=record.id,
                     payload={"code": row.code, **new, "file": None})
    return row


def update_sub_account(db: Database, code: str, *, name: str, kind: str, client: str | None = None,
                       base_currency: str | None = None, user: str | None = None) -> SubAccountRow:
    """Change a sub-account's name, kind, client or base currency. Its code stays: findings,
    runs and audit packs name it."""
    row = _sub_account(code, name, kind, client, base_currency)
    actor = _actor(db, user)
    with db.transaction() as session:
        record = q.sub_account_by_code(session, row.code)
        if record is None:
            raise InputError(f"there is no sub-account {row.code!r}")
        new = {"name": row.name, "kind": row.kind, "client": row.client, "base_currency": row.base_currency}
        old = {k: getattr(record, k) for k in new}
        if old != new:
            for k, v in new.items():
                setattr(record, k, v)
            append_event(session, actor=actor, action="sub_account.update", entity="sub_account",
                         entity_id=record.id, payload={"code": row.code, "old": old, "new": new, "file": None})
    return row


def _sub_account(code: str, name: str, kind: str, client: str | None, base_currency: str | None) -> SubAccountRow:
    problems = []
    code = clean_code(code or "")
    name = _words(name)
    client = _words(client) or None
    currency = clean_code(base_currency or "").upper() or None
    kind = (kind or "").strip().lower()
    if not code:
        problems.append("the code is required (e.g. C-ALPHA)")
    if not name:
        problems.append("the name is required")
    if kind not in SUB_ACCOUNT_KINDS:
        problems.append(f"kind {kind!r} is not one of {', '.join(SUB_ACCOUNT_KINDS)}" if kind else
                        f"the kind is required: {', '.join(SUB_ACCOUNT_KINDS)}")
    if currency is not None and not CURRENCY.match(currency):
        problems.append(f"base currency {currency!r} is not a currency code (e.g. USD); leave it blank for the firm's")
    for label, value in (("code", code), ("name", name), ("client", client)):
        if value and len(value) > LIMITS[label]:
            problems.append(f"the {label} is {len(value)} characters long; at most {LIMITS[label]} are kept")
    if problems:
        raise InputError(problems)
    return SubAccountRow(code, name, kind, client, currency)


# --- designations ----------------------------------------------------------------------------------


def designate(db: Database, source: str, account: str, designation: str | None, *, user: str | None = None,
              allow_none: bool = False) -> DesignationChange:
    """Set how an external account is titled at its source. Clearing the designation of a
    custodian or exchange account is refused (as the chart workbook refuses it) unless
    ``allow_none``: undoing the designation of an account that had none."""
    designation = (designation or "").strip().lower() or None
    if designation == "none":
        designation = None
    if designation is not None and designation not in DESIGNATIONS:
        raise InputError(f"designation {designation!r} is not one of {', '.join(DESIGNATIONS)}")
    actor = _actor(db, user)
    with db.transaction() as session:
        record = q.account_by_name(session, source, account)
        if record is None:
            raise InputError(f"there is no external account {source}:{account}")
        if designation is None and record.source.kind in HELD_KINDS and not allow_none:
            raise InputError(f"{source}:{account} is {a_or_an(record.source.kind)} account and needs a designation "
                             f"({', '.join(DESIGNATIONS)})")
        old = record.designation
        if old != designation:
            append_event(session, actor=actor, action="external_account.designate", entity="external_account",
                         entity_id=record.id, payload={"source": source, "account": account, "old": old,
                                                       "new": designation, "file": None})
            record.designation = designation
    return DesignationChange(source, account, old, designation)


# --- mappings --------------------------------------------------------------------------------------


def add_mapping(db: Database, *, source: str, account: str, reference: str | None, sub_account: str,
                valid_from: dt.date | None = None, valid_to: dt.date | None = None,
                user: str | None = None) -> MappingRow:
    """Map an external account (or only its lines printing ``reference``) to a sub-account."""
    reference = _reference(reference)
    _window(valid_from, valid_to)
    actor = _actor(db, user)
    with db.transaction() as session:
        return _add(session, actor, source, account, reference, sub_account, valid_from, valid_to, replacing=None)


def remove_mapping(db: Database, mapping_id: int, *, user: str | None = None) -> MappingRow:
    """Remove one mapping; what it was is returned (to undo with ``add_mapping``)."""
    return remove_mappings(db, [mapping_id], user=user)[0]


def remove_mappings(db: Database, mapping_ids: list[int], *, user: str | None = None) -> list[MappingRow]:
    """Remove these mappings, all or none; what they were is returned (``restore_mappings`` puts them back)."""
    actor = _actor(db, user)
    removed = []
    with db.transaction() as session:
        for mapping_id in mapping_ids:
            record = q.mapping_by_id(session, mapping_id)
            if record is None:
                raise _gone(session, mapping_id)
            removed.append(_row(record))
            append_event(session, actor=actor, action="mapping.remove", entity="mapping", entity_id=record.id,
                         payload=_payload(record))
            session.delete(record)
            session.flush()
    return removed


def restore_mappings(db: Database, rows: list[MappingRow], *, user: str | None = None) -> list[MappingRow]:
    """Add these mappings again (as new mappings, each audited), all or none: undoing a removal."""
    actor = _actor(db, user)
    with db.transaction() as session:
        return [_add(session, actor, r.source, r.account, r.reference, r.sub_account, r.valid_from, r.valid_to,
                     replacing=None) for r in rows]


def change_mapping(db: Database, mapping_id: int, *, reference: str | None, sub_account: str,
                   valid_from: dt.date | None = None, valid_to: dt.date | None = None,
                   user: str | None = None) -> tuple[MappingRow, MappingRow]:
    """Change a mapping's reference, sub-account or window: (what it was, what it is now).

    Recorded as the mapping removed and the new one added, in one transaction, as a chart import
    records the same edit; the new mapping has a new id."""
    reference = _reference(reference)
    _window(valid_from, valid_to)
    actor = _actor(db, user)
    with db.transaction() as session:
        record = q.mapping_by_id(session, mapping_id)
        if record is None:
            raise _gone(session, mapping_id)
        before = _row(record)
        if (before.reference, before.sub_account, before.valid_from, before.valid_to) == (
                reference, sub_account, valid_from, valid_to):
            return before, before
        after = _add(session, actor, before.source, before.account, reference, sub_account, valid_from, valid_to,
                     replacing=record)
    return before, after


def _add(session, actor: str, source: str, account: str, reference: str | None, sub_account: str,  # type: ignore[no-untyped-def]
         valid_from: dt.date | None, valid_to: dt.date | None, replacing: Mapping | None) -> MappingRow:
    problems = []
    target = q.account_by_name(session, source, account)
    if target is None:
        problems.append(f"there is no external account {source}:{account}")
    sub = q.sub_account_by_code(session, clean_code(sub_account or ""))
    if sub is None:
        known = ", ".join(q.sub_account_codes(session)) or "none yet"
        wrong = f"there is no sub-account {sub_account!r}" if sub_account else "choose a sub-account"
        problems.append(f"{wrong} (known: {known})")
    if problems:
        raise InputError(problems)
    what = f"{source}:{account} ({f'reference {reference}' if reference else 'every line'})"
    for other in q.mappings_of(session, target.id, reference):
        if replacing is not None and other.id == replacing.id:
            continue
        if _overlap(other.valid_from, other.valid_to, valid_from, valid_to):
            raise InputError(
                f"{what} is already mapped to {other.sub_account.code} {_span(other.valid_from, other.valid_to)}; "
                "a line must map to one sub-account. Change or remove that mapping, or choose dates that do not overlap"
            )
    if replacing is not None:
        append_event(session, actor=actor, action="mapping.remove", entity="mapping", entity_id=replacing.id,
                     payload=_payload(replacing))
        session.delete(replacing)
        session.flush()
    record = Mapping(external_account_id=target.id, reference=reference, sub_account_id=sub.id,
                     valid_from=valid_from, valid_to=valid_to)
    session.add(record)
    session.flush()
    append_event(session, actor=actor, action="mapping.add", entity="mapping", entity_id=record.id,
                 payload=_payload(record))
    return _row(record)


def _overlap(a_from: dt.date | None, a_to: dt.date | None, b_from: dt.date | None, b_to: dt.date | None) -> bool:
    return (a_from or dt.date.min) <= (b_to or dt.date.max) and (b_from or dt.date.min) <= (a_to or dt.date.max)


def _span(valid_from: dt.date | None, valid_to: dt.date | None) -> str:
    if valid_from is None and valid_to is None:
        return "with no end date"
    return f"from {valid_from or 'the start'} to {valid_to or 'no end date'}"


def _window(valid_from: dt.date | None, valid_to: dt.date | None) -> None:
    if valid_from is not None and valid_to is not None and valid_from > valid_to:
        raise InputError(f"valid from {valid_from} is after valid to {valid_to}")


def _reference(reference: str | None) -> str | None:
    cleaned = clean_code(reference or "") or None
    if cleaned and len(cleaned) > LIMITS["reference"]:
        raise InputError(f"the reference is {len(cleaned)} characters long; at most {LIMITS['reference']} are kept")
    return cleaned


def _row(record: Mapping) -> MappingRow:
    return MappingRow(record.id, record.external_account.source.name, record.external_account.account,
                      record.reference, record.sub_account.code, record.valid_from, record.valid_to)


def _payload(record: Mapping) -> dict[str, object]:
    """The keys ``services.chart`` writes for a mapping; no file, as no workbook was involved."""
    return {
        "source": record.external_account.source.name,
        "account": record.external_account.account,
        "reference": record.reference,
        "sub_account": record.sub_account.code,
        "valid_from": record.valid_from.isoformat() if record.valid_from else None,
        "valid_to": record.valid_to.isoformat() if record.valid_to else None,
        "file": None,
    }


# --- small things ----------------------------------------------------------------------------------


def _gone(session, mapping_id: int) -> InputError:  # type: ignore[no-untyped-def]
    """A mapping the person saw is not there any more: someone removed or changed it (a change
    makes a new mapping). Say who and when, from the audit trail, so nothing is overwritten blindly."""
    last = q.last_event_of(session, "mapping", mapping_id)
    if last is None:
        return InputError(f"mapping #{mapping_id} does not exist; reload the page")
    return InputError(f"mapping #{mapping_id} was removed or changed by {last.actor} at {last.at[:19].replace('T', ' ')} "
                      "UTC since you loaded the page; nothing was done: reload the page and look again")


def _actor(db: Database, user: str | None) -> str:
    return acting_person(db, user, may="chart")


def _words(text: str | None) -> str:
    return " ".join((text or "").split())
