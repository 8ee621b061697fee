"""Which sub-account a line belongs to (SPEC.md, "Mappings")."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from segdesk.domain.model import MappingRule


class MappingTable:
    """Rules indexed by (source, account, reference): an omnibus account can carry thousands of
    client references, and each must find its own without scanning the others."""

    def __init__(self, rules: tuple[MappingRule, ...] | list[MappingRule]) -> None:
        self._all = rules
        self._by_key: dict[tuple[str, str, str | None], list[MappingRule]] | None = None
        self._by_account: dict[tuple[str, str], list[MappingRule]] | None = None

    @property
    def _rules(self) -> dict[tuple[str, str, str | None], list[MappingRule]]:
        # Each index is made at its first use: a reconciliation on columns needs only the other.
        if self._by_key is None:
            self._by_key = defaultdict(list)
            for rule in self._all:
                self._by_key[(rule.source, rule.account, rule.reference)].append(rule)
        return self._by_key

    @property
    def _of_account(self) -> dict[tuple[str, str], list[MappingRule]]:
        if self._by_account is None:
            self._by_account = defaultdict(list)
            for rule in self._all:
                self._by_account[(rule.source, rule.account)].append(rule)
        return self._by_account

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

    def resolved(self, source: str, account: str, day: dt.date) -> tuple[dict[str, str], str | None]:
        """What ``sub_account_of`` answers for every line of one account on ``day``, worked out
        once: the sub-account of each reference a valid rule names, and that of a blank one (or None)."""
        by_reference: dict[str, str] = {}
        blank = None
        for rule in self._of_account.get((source, account), ()):
            if not rule.valid_on(day):
                continue
            if rule.reference is None:
                if blank is None:
                    blank = rule.sub_account
            else:
                by_reference.setdefault(rule.reference, rule.sub_account)
        return by_reference, blank
