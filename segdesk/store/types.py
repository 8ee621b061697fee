"""Column types that keep money exact on every database SegDesk supports."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Numeric, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from segdesk.domain.money import plain

MONEY_PLACES = 18
MONEY_INTEGER_DIGITS = 20  # NUMERIC(38,18)
# A computed amount: a 20+18-digit quantity times an 18-place price, summed.
COMPUTED_PLACES, COMPUTED_INTEGER_DIGITS = 36, 42


class Money(TypeDecorator[Decimal]):
    """An exact Decimal: by default up to 18 decimal places and 20 digits before the point.

    SQLite has no exact decimal type (its NUMERIC affinity silently turns values into binary
    floats), so the value is stored as text there; PostgreSQL gets NUMERIC(38,18). Either way
    what comes back equals what went in, digit for digit. Computed amounts (a quantity with 18
    places times a price with 18) need twice that: ``Money(places=36, integer_digits=42)``.
    """

    impl = String(60)
    cache_ok = True

    def __init__(self, places: int = MONEY_PLACES, integer_digits: int = MONEY_INTEGER_DIGITS) -> None:
        super().__init__(length=places + integer_digits + 3)
        self.places = places
        self.integer_digits = integer_digits

    def __repr__(self) -> str:  # how Alembic writes the type into migrations
        return f"Money(places={self.places}, integer_digits={self.integer_digits})"

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[object]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(self.places + self.integer_digits, self.places, asdecimal=True))
        return dialect.type_descriptor(String(self.places + self.integer_digits + 3))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> object:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            # A float here is a bug upstream: refuse rather than store binary noise.
            raise TypeError(f"money must be a Decimal, got {type(value).__name__}")
        if not value.is_finite():
            raise ValueError(f"money must be finite, got {value}")
        text = plain(value)  # exact text: no Decimal arithmetic, which would round at 28 digits
        whole, _, fraction = text.lstrip("-").partition(".")
        if len(fraction) > self.places:
            raise ValueError(f"{value} has more than {self.places} decimal places")
        if len(whole.lstrip("0")) > self.integer_digits:
            raise ValueError(f"{value} has more than {self.integer_digits} digits before the decimal point")
        if dialect.name == "postgresql":
            return value
        return text

    def process_result_value(self, value: object, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, str):  # SQLite: our own plain text, already canonical
            return Decimal(value)
        return Decimal(plain(Decimal(str(value))))  # PostgreSQL: NUMERIC's 18 trailing places dropped
