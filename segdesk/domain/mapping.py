"""Which sub-account a line belongs to (SPEC.md, "Mappings")."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from segdesk.domain.model import MappingRule


# Per statement (by its place): the sub-account of a blank reference; per (place, reference): that
# of each reference a valid rule names (``MappingTable.resolved``).
Resolved = tuple[list[str | None], dict[tuple[int, str], str]]


class MappingTable:
    """Rules indexed by (source, account, reference): an omnibus account can carry thousands of
    client references, and each must find its own without scanning the others."""

    def __init__(self, rules: tuple[MappingRule, ...] | list[MappingRule]) -> None:
        self._all = rules
        self._by_key: dict[tuple[str, str, str | None], list[MappingRule]] | None = None

    @property
    def _rules(self) -> dict[tuple[str, str, str | None], list[MappingRule]]:
        # Made at its first use: a reconciliation on columns resolves the rules in one pass instead
        # (``resolved``), and needs no index by reference.
        if self._by_key is None:
            self._by_key = defaultdict(list)
            for rule in self._all:
                self._by_key[(rule.source, rule.account, rule.reference)].append(rule)
        return self._by_key

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

    def resolved(self, accounts: list[tuple[str, str, dt.date]]) -> Resolved:
        """What ``sub_account_of`` answers for every line of each (source, account, statement date),
        worked out in one pass over the rules: per account (by its place in ``accounts``) the
        sub-account of a blank reference, and per (place, reference) that of each reference a valid
        rule names. The first valid rule wins, as in ``sub_account_of``; each account once."""
        place = {(source, account): i for i, (source, account, _) in enumerate(accounts)}
        blank: list[str | None] = [None] * len(accounts)
        named: dict[tuple[int, str], str] = {}
        for source, account, reference, sub, valid_from, valid_to in self._all:
            i = place.get((source, account))
            if i is None:
                continue
            day = accounts[i][2]
            if (valid_from is not None and day < valid_from) or (valid_to is not None and valid_to < day):
                continue
            if reference is None:
                if blank[i] is None:
                    blank[i] = sub
            else:
                named.setdefault((i, reference), sub)
        return blank, named
