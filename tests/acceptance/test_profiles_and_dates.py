"""Profiles for ledgers, prices and files whose dates come from a column."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from segdesk.domain.problems import InputError
from segdesk.services.importing import import_statement
from segdesk.store.schema import Price, Statement
from tests.statements import write_profile

DATED = """
source = "Helix Exchange"
kind = "exchange"
account = "alpha-sub"

[columns]
as_of_column = "Date"
asset = "Coin"
quantity = "Qty"

[format]
date = "%d/%m/%Y"
"""


def test_dates_from_a_column_make_one_statement_per_date(db, tmp_path):
    path = tmp_path / "history.csv"
    path.write_text("Date,Coin,Qty\n19/11/2026,BTC,1\n20/11/2026,BTC,2\n20/11/2026,ETH,3\n", encoding="utf-8")
    result = import_statement(db, path, write_profile(tmp_path / "p.toml", DATED), user="jane")
    assert result.statements == 2 and result.as_of is None
    with db.reading() as session:
        got = sorted((s.as_of, s.external_account.account) for s in session.query(Statement))
    assert got == [(dt.date(2026, 11, 19), "alpha-sub"), (dt.date(2026, 11, 20), "alpha-sub")]


def test_as_of_on_the_command_line_overrides_the_date_column(db, tmp_path):
    path = tmp_path / "history.csv"
    path.write_text("Date,Coin,Qty\n19/11/2026,BTC,1\nnot a date,BTC,2\n", encoding="utf-8")
    result = import_statement(db, path, write_profile(tmp_path / "p.toml", DATED), as_of=dt.date(2026, 11, 21),
                              user="jane")
    assert result.as_of == dt.date(2026, 11, 21)


def test_a_bad_date_cell_is_named(db, tmp_path):
    path = tmp_path / "history.csv"
    path.write_text("Date,Coin,Qty\n2026-11-31,BTC,1\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        import_statement(db, path, write_profile(tmp_path / "p.toml", DATED), user="jane")
    (problem,) = caught.value.problems
    assert problem.startswith("history.csv, line 2, column A (Date): '2026-11-31': not a date: expected ")
    assert problem.count("2026-11-31") == 1  # the text is shown once, then why it is no date


def test_a_statement_without_any_date_is_refused(db, tmp_path):
    path = tmp_path / "undated.csv"
    path.write_text("Coin,Qty\nBTC,1\n", encoding="utf-8")
    profile = write_profile(tmp_path / "p.toml", 'source = "S"\nkind = "exchange"\naccount = "a"\n'
                                                 '[columns]\nasset = "Coin"\nquantity = "Qty"\n')
    with pytest.raises(InputError, match=r"no statement date: give as_of or \[columns\] as_of_column in p.toml, or --as-of"):
        import_statement(db, path, profile, user="jane")


def test_prices_are_stored_with_their_date(db, tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text("Asset,Close\nBTC,\"97,250.50\"\nETH,3050.25\n", encoding="utf-8")
    profile = write_profile(tmp_path / "p.toml", 'source = "Prices"\nkind = "prices"\nas_of = "2026-11-20"\n'
                                                 '[columns]\nasset = "Asset"\nprice = "Close"\n')
    import_statement(db, path, profile, user="jane")
    with db.reading() as session:
        got = [(p.asset, p.as_of, p.price, p.row) for p in session.query(Price).order_by(Price.row)]
    assert got == [("BTC", dt.date(2026, 11, 20), Decimal("97250.50"), 2), ("ETH", dt.date(2026, 11, 20), Decimal("3050.25"), 3)]


def test_a_source_keeps_its_kind(db, tmp_path):
    a = tmp_path / "a.csv"
    a.write_text("Coin,Qty\nBTC,1\n", encoding="utf-8")
    b = tmp_path / "b.csv"
    b.write_text("Coin,Qty\nBTC,2\n", encoding="utf-8")
    base = 'source = "Helix"\naccount = "x"\nas_of = "2026-11-20"\n[columns]\nasset = "Coin"\nquantity = "Qty"\n'
    import_statement(db, a, write_profile(tmp_path / "p1.toml", 'kind = "exchange"\n' + base), user="jane")
    with pytest.raises(InputError, match="'Helix' is a custodian, but it is already known as an exchange"):
        import_statement(db, b, write_profile(tmp_path / "p2.toml", 'kind = "custodian"\n' + base), user="jane")
