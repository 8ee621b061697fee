"""CSV statements in every encoding administrators receive, and the European number format."""

from __future__ import annotations

from decimal import Decimal

import pytest

from segdesk.services.importing import import_statement
from segdesk.store import repositories as repo
from tests.statements import stored_lines, write_profile

EXCHANGE_PROFILE = """
source = "Helix Exchange"
kind = "exchange"
as_of = "2026-11-20"

[columns]
account = "Sub-account"
asset = "Coin"
quantity = "Balance"
equity = "Equity"
initial_margin = "IM"
maintenance_margin = "MM"
"""

ROWS = (
    "Sub-account,Coin,Balance,Equity,IM,MM\n"
    "alpha-sub,BTC,1.500000000000000001,1.4,0.2,0.1\n"
    "gamma-sub,USDT,\"-2,500.75\",\"(2,500.75)\",100,50\n"
    "beta-sub,ETH,0.000000000000000001,,,\n"
)
FIELDS = ("account", "asset", "quantity", "equity", "initial_margin", "maintenance_margin", "row")
EXPECTED = [
    ("alpha-sub", "BTC", Decimal("1.500000000000000001"), Decimal("1.4"), Decimal("0.2"), Decimal("0.1"), 2),
    ("gamma-sub", "USDT", Decimal("-2500.75"), Decimal("-2500.75"), Decimal("100"), Decimal("50"), 3),
    ("beta-sub", "ETH", Decimal("0.000000000000000001"), None, None, None, 4),
]


@pytest.mark.parametrize(
    "encoding, bom",
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"), ("cp1252", b"")],
)
def test_exchange_csv_in_each_encoding(db, tmp_path, encoding, bom):
    path = tmp_path / f"helix_{encoding}.csv"
    path.write_bytes(bom + ROWS.replace("\n", "\r\n").encode(encoding))
    result = import_statement(db, path, write_profile(tmp_path / "helix.toml", EXCHANGE_PROFILE), user="jane")
    assert stored_lines(db, result.batch_id, *FIELDS) == EXPECTED


def test_cp1252_text_keeps_its_accents_and_euro_sign(db, tmp_path):
    profile = write_profile(tmp_path / "p.toml", EXCHANGE_PROFILE.replace('"Coin"', '"Währung"'))
    path = tmp_path / "helix.csv"
    path.write_bytes("Sub-account,Währung,Balance,Equity,IM,MM\nclient-é,EUR,€ 1234,,,\n".encode("cp1252"))
    result = import_statement(db, path, profile, user="jane")
    assert stored_lines(db, result.batch_id, *FIELDS) == [("client-é", "EUR", Decimal("1234"), None, None, None, 2)]


EUROPEAN_PROFILE = """
source = "Bankhaus Adler"
kind = "custodian"
as_of = "2026-11-20"

[columns]
account = "Konto"
asset = "Währung"
quantity = "Bestand"

[format]
decimal = ","
thousands = "."
"""


def test_european_semicolon_csv_with_decimal_comma(db, tmp_path):
    path = tmp_path / "adler.csv"
    path.write_bytes(
        "Konto;Währung;Bestand\n"
        "000123;EUR;1.234.567,89\n"
        "000123;CHF;(45.000,10)\n"
        "000124;USD;1234,5-\n"
        "000124;USD;\u00a0-0,000000000000000001\n".encode("utf-8")
    )
    result = import_statement(db, path, write_profile(tmp_path / "adler.toml", EUROPEAN_PROFILE), user="jane")
    with db.reading() as session:
        got = [(l.statement.external_account.account, l.asset, l.quantity) for l in repo.statement_lines(session, result.batch_id)]
    assert got == [
        ("000123", "EUR", Decimal("1234567.89")),
        ("000123", "CHF", Decimal("-45000.10")),
        ("000124", "USD", Decimal("-1234.5")),
        ("000124", "USD", Decimal("-0.000000000000000001")),
    ]


def test_header_detected_when_the_profile_does_not_give_it(db, tmp_path):
    path = tmp_path / "adler.csv"
    path.write_text("Bankhaus Adler AG\nKontoauszug 20.11.2026\n\nKonto;Währung;Bestand\n000123;EUR;10,5\n", encoding="utf-8")
    result = import_statement(db, path, write_profile(tmp_path / "adler.toml", EUROPEAN_PROFILE), user="jane")
    with db.reading() as session:
        (line,) = repo.statement_lines(session, result.batch_id)
    assert (line.row, line.quantity, line.sheet) == (5, Decimal("10.5"), None)


def test_more_than_18_decimal_places_is_refused_never_rounded(db, tmp_path):
    from segdesk.domain.problems import InputError

    path = tmp_path / "helix.csv"
    path.write_text("Sub-account,Coin,Balance,Equity,IM,MM\nalpha-sub,ETH,0.0000000000000000001,,,\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        import_statement(db, path, write_profile(tmp_path / "h.toml", EXCHANGE_PROFILE), user="jane")
    assert caught.value.problems == [
        "helix.csv, line 2, column C (Balance): '0.0000000000000000001': more than 18 decimal places"
    ]
