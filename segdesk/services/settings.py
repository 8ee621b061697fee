"""The firm's settings a reconciliation depends on: the base currency everything is valued in, and
how far custodian and ledger quantities of an asset may differ before a balance_break.

Both are part of a run's basis: changing either makes the day's run out of date, so the next
reconcile makes a new run (an approved run stays as it was). Every change is audited and needs
the chart role once roles are in use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from segdesk.domain.money import plain
from segdesk.domain.problems import InputError
from segdesk.ingest.numbers import CellValueError, parse_amount
from segdesk.ingest.statement import clean_code
from segdesk.services.exporting import ENTITY_SETTING
from segdesk.services.identity import acting_person
from segdesk.services.reconciling import BASE_CURRENCY_SETTING, DEFAULT_BASE_CURRENCY
from segdesk.store import records
from segdesk.store import repositories as repo
from segdesk.store.audit import append_event
from segdesk.store.engine import Database
from segdesk.store.schema import AssetTolerance

_CURRENCY = re.compile(r"[A-Z][A-Z0-9]{1,11}")


@dataclass(frozen=True)
class FirmSettings:
    entity: str | None
    base_currency: str
    tolerances: dict[str, Decimal]  # asset -> tolerance; an asset not listed has none (0)


def firm_settings(db: Database) -> FirmSettings:
    with db.reading() as session:
        return FirmSettings(
            records.get_text_setting(session, ENTITY_SETTING),
            repo.get_setting(session, BASE_CURRENCY_SETTING, DEFAULT_BASE_CURRENCY),
            {t.asset: t.tolerance for t in sorted(repo.tolerances(session), key=lambda t: t.asset)},
        )


def set_base_currency(db: Database, code: str, *, user: str | None = None) -> str:
    """Value everything in ``code`` from the next run on (prices must then be quoted in it)."""
    cleaned = clean_code(code).upper()
    if not _CURRENCY.fullmatch(cleaned):
        raise InputError(f"{code!r} is not a currency code: use the code your prices are quoted in, such as USD, "
                         "EUR or GBP")
    actor = acting_person(db, user, may="chart")
    with db.transaction() as session:
        before = repo.get_setting(session, BASE_CURRENCY_SETTING, DEFAULT_BASE_CURRENCY)
        if before != cleaned:
            records.set_text_setting(session, BASE_CURRENCY_SETTING, cleaned)
            append_event(session, actor=actor, action="setting.base_currency", entity="setting",
                         entity_id=BASE_CURRENCY_SETTING, payload={"from": before, "to": cleaned})
    return cleaned


def set_tolerance(db: Database, asset: str, tolerance: str | Decimal, *, user: str | None = None) -> Decimal:
    """Let custodian and ledger quantities of ``asset`` differ by up to ``tolerance`` (in units of
    the asset) without a balance_break; 0 removes the tolerance."""
    name = clean_code(asset)
    if not name:
        raise InputError("the asset is required, e.g. BTC")
    amount = _amount(tolerance)
    actor = acting_person(db, user, may="chart")
    with db.transaction() as session:
        row = session.get(AssetTolerance, name)
        before = None if row is None else row.tolerance
        if before == amount or (before is None and amount == 0):
            return amount
        if amount == 0:
            session.delete(row)
        elif row is None:
            session.add(AssetTolerance(asset=name, tolerance=amount))
        else:
            row.tolerance = amount
        session.flush()
        append_event(session, actor=actor, action="tolerance.set", entity="asset_tolerance", entity_id=name,
                     payload={"asset": name, "from": None if before is None else plain(before), "to": plain(amount)})
    return amount


def _amount(tolerance: str | Decimal) -> Decimal:
    """The tolerance as an exact amount, read by the same rules as a statement's amounts (digit
    groups checked, at most 18 places and 20 digits before the point), and not negative."""
    try:
        amount = parse_amount(tolerance.strip() if isinstance(tolerance, str) else tolerance)
    except CellValueError as exc:
        reason = str(exc).split(";")[0]  # (a hint about import profiles does not apply here)
        if reason != "not a number":
            raise InputError(f"the tolerance {tolerance!r}: {reason}") from None
        amount = None
    if amount is None:
        raise InputError(f"the tolerance {tolerance!r} is not a number; give it in units of the asset, e.g. 0.0001")
    if amount < 0:
        raise InputError(f"the tolerance {tolerance!r} must be zero or more")
    return amount
