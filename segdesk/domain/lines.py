"""``Line`` values as a reconciliation reads them: statements, and their lines as plain rows."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable

from segdesk.domain.model import Line, LineRow, Statement


def statements_of(lines: Iterable[Line]) -> tuple[tuple[Statement, ...], list[LineRow]]:
    """One statement per (source, account, date), as imports make them, and every line as a row.
    Lines of one statement may come from more than one file: each file is a part of it."""
    heads: dict[tuple[str, str, dt.date], Line] = {}
    counts: Counter[tuple[str, str, dt.date]] = Counter()
    files: dict[tuple[str, str, dt.date], dict[tuple, str]] = {}  # type: ignore[type-arg]
    rows = []
    for line in lines:
        head = (line.source, line.account, line.statement_date)
        heads.setdefault(head, line)
        counts[head] += 1
        part = (*head, line.evidence.file)
        files.setdefault(head, {})[part] = line.evidence.file
        rows.append((part, line.reference, line.asset, line.evidence.sheet, line.price, line.quantity,
                     line.value, line.equity, line.initial_margin, line.maintenance_margin, line.evidence.row))
    statements = tuple(
        Statement(line.source, line.source_kind, line.account, line.designation, line.statement_date, files[head],
                  counts[head])
        for head, line in heads.items()
    )
    return statements, rows
