"""Money goes into the database and comes back digit for digit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from segdesk.store.schema import AssetTolerance


def _store_and_load(db, value: Decimal) -> Decimal:
    with db.transaction() as session:
        session.merge(AssetTolerance(asset="X", tolerance=value))
    with db.reading() as session:
        return session.scalars(select(AssetTolerance.tolerance).where(AssetTolerance.asset == "X")).one()


@pytest.mark.parametrize(
    "text",
    [
        "0.1",
        "0.30000000000000004",  # no float anywhere: this is not 0.3
        "123456789012345678.123456789012345678",
        "-45000.10",
        "0.000000000000000001",
        "1E+3",
        "0",
    ],
)
def test_exact_values_round_trip(db, text):
    assert _store_and_load(db, Decimal(text)) == Decimal(text)


def test_a_float_is_refused_not_stored(db):
    from sqlalchemy.exc import StatementError

    with pytest.raises(StatementError, match="must be a Decimal"), db.transaction() as session:
        session.add(AssetTolerance(asset="F", tolerance=0.1))


def test_more_than_20_digits_before_the_point_is_refused_as_postgresql_would(db):
    from sqlalchemy.exc import StatementError

    with pytest.raises(StatementError, match="more than 20 digits"), db.transaction() as session:
        session.add(AssetTolerance(asset="F", tolerance=Decimal("100000000000000000000")))


def test_more_than_18_places_is_refused(db):
    from sqlalchemy.exc import StatementError

    with pytest.raises(StatementError, match="more than 18"), db.transaction() as session:
        session.add(AssetTolerance(asset="F", tolerance=Decimal("0.0000000000000000001")))


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    st.decimals(
        min_value=Decimal("-99999999999999999999.999999999999999999"),
        max_value=Decimal("99999999999999999999.999999999999999999"),
        places=18, allow_nan=False, allow_infinity=False
    )
)
def test_any_decimal_with_up_to_18_places_round_trips(db, value):
    assert _store_and_load(db, value) == value
