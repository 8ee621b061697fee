"""Valuation: prices on the as-of date (SPEC.md, "Valuation"); ``checks.tally`` values each line."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from segdesk.domain.model import PricePoint


@dataclass(frozen=True)
class PriceBook:
    """The latest price on or before the as-of date for each asset; the base currency is 1."""

    base_currency: str
    latest: dict[str, Decimal]

    @classmethod
    def build(cls, prices: tuple[PricePoint, ...] | list[PricePoint], as_of: dt.date, base_currency: str) -> PriceBook:
        best: dict[str, PricePoint] = {}
        for point in prices:
            if point.as_of > as_of:
                continue  # a price from after the as-of date is not known on it
            held = best.get(point.asset)
            if held is None or point.as_of > held.as_of:
                best[point.asset] = point
        return cls(base_currency, {asset: p.price for asset, p in best.items()})

    def price_of(self, asset: str) -> Decimal | None:
        if asset == self.base_currency:
            return Decimal(1)
        return self.latest.get(asset)


def valued(amount: Decimal | None, price: Decimal | None) -> Decimal | None:
    """A field in the line's asset units (equity, margins) at the line's price; None when unpriced."""
    if amount is None or price is None:
        return None
    return amount * price
