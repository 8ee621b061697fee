"""Writing exact amounts as text: one place, used by the database, the CLI, the GUI and the pack."""

from __future__ import annotations

from decimal import Decimal


def plain(d: Decimal) -> str:
    """``d`` as an exact plain decimal string: no exponent, no trailing zeros after the point.

    ``str`` is exact and already plain for most amounts, so it is tried first (a run writes
    millions of amounts); "f" formatting, exact and never with an exponent, does the rest.
    """
    text = str(d)  # exact; plain already unless it has an exponent or trailing zeros after a point
    if "E" not in text and (text[-1] != "0" or "." not in text):
        return "0" if text == "-0" else text
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
