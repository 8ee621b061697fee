"""Writing exact amounts as text: one place, used by the database, the CLI, the GUI and the pack."""

from __future__ import annotations

from decimal import Decimal


def plain(d: Decimal) -> str:
    """``d`` as an exact plain decimal string: no exponent, no trailing zeros after the point.

    "f" formatting is exact and never uses an exponent, so this is also the fast path for the
    millions of amounts a run writes.
    """
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def grouped(text: str) -> str:
    """An exact amount string (as ``plain`` writes it) with thousands separators; negatives in
    parentheses, as accountants write them."""
    negative = text.startswith("-")
    whole, _, fraction = text.lstrip("-").partition(".")
    shown = f"{int(whole):,}" + (f".{fraction}" if fraction else "")
    return f"({shown})" if negative else shown
