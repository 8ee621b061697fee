"""Which sub-account a line belongs to (SPEC.md, "Mappings")."""

from __future__ import annotations

from collections import defaultdict

from segdesk.domain.model import Line, MappingRule


class MappingTable:
    def __init__(self, rules: tuple[MappingRule, ...] | list[MappingRule]) -> None:
        self._by_account: dict[tuple[str, str], list[MappingRule]] = defaultdict(list)
        for rule in rules:
            self._by_account[(rule.source, rule.account)].append(rule)

    def sub_account_of(self, line: Line) -> str | None:
        """A mapping whose reference equals the line's wins over a blank-reference mapping of the
        same account; windows are inclusive and judged on the statement's date."""
        valid = [r for r in self._by_account.get((line.source, line.account), []) if r.valid_on(line.statement_date)]
        if line.reference is not None:
            for rule in valid:
                if rule.reference == line.reference:
                    return rule.sub_account
        for rule in valid:
            if rule.reference is None:
                return rule.sub_account
        return None
