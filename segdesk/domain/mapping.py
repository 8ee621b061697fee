"""Which sub-account a line belongs to (SPEC.md, "Mappings")."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from segdesk.domain.model import MappingRule


class MappingTable:
    """Rules indexed by (source, account, reference): an omnibus account can carry thousands of
    client references, and each must find its own without scanning the others."""

    def __init__(self, rules: tuple[MappingRule, ...] | list[MappingRule]) -> None:
        self._rules: dict[tuple[str, str, str | None], list[MappingRule]] = defaultdict(list)
        for rule in rules:
            self._rules[(rule.source, rule.account, rule.reference)].append(rule)

    def _valid(self, source: str, account: str, reference: str | None, day: dt.date) -> str | None:
        for rule in self._rules.get((source, account, reference), ()):
            if rule.valid_on(day):
                return rule.sub_account
        return None

    def sub_account_of(self, source: str, account: str, reference: str | None, day: dt.date) -> str | None:
        """A mapping whose reference equals the line's wins over a blank-reference mapping of the
        same account; windows are inclusive and judged on the statement's date."""
        if reference is not None:
            found = self._valid(source, account, reference, day)
            if found is not None:
                return found
        return self._valid(source, account, None, day)
