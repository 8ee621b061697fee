"""Amounts in the terminal table: exact digits, thousands separators, decimal points lined up."""

from __future__ import annotations

from segdesk.cli import _aligned
from segdesk.domain.money import grouped


def test_grouped_puts_in_thousands_and_puts_negatives_in_parentheses():
    assert grouped("4721104.7845") == "4,721,104.7845"
    assert grouped("-45000.1") == "(45,000.1)"
    assert grouped("0.000000000000000001") == "0.000000000000000001"


def test_decimal_points_line_up_when_right_aligned_and_nothing_is_rounded():
    column = [f"{a:>16}" for a in _aligned(["4721104.7845", "-45000.1", "12", "0.5"])]
    assert len({c.index(".") for c in column if "." in c}) == 1  # one column for every point
    assert [c.strip() for c in column] == ["4,721,104.7845", "(45,000.1)", "12", "0.5"]
    assert column[2].rstrip().endswith("12") and column[2].index("12") + 2 == column[0].index(".")
