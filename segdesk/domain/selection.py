"""Which statements a reconciliation uses: for each (source, account), the latest on or before D."""

from __future__ import annotations

import datetime as dt

from segdesk.domain.model import Statement


def select_statements(statements: tuple[Statement, ...] | list[Statement], as_of: dt.date) -> list[Statement]:
    latest: dict[tuple[str, str], Statement] = {}
    for statement in statements:
        if statement.as_of > as_of:
            continue  # statements after D are ignored
        key = (statement.source, statement.account)
        held = latest.get(key)
        if held is None or statement.as_of > held.as_of:
            latest[key] = statement
        elif statement.as_of == held.as_of:
            # The store supersedes an earlier import for the same date; two live ones would be a bug.
            raise ValueError(f"two live statements for {statement.source}:{statement.account} on {statement.as_of}")
    return sorted(latest.values(), key=lambda s: (s.source, s.account))
