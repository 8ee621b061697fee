"""Which sub-account a line belongs to (SPEC.md, "Mappings")."""

from __future__ import annotations

from collections import defaultdict

from segdesk.domain.model import Line, MappingRule


class MappingTable:
    """Rules indexed by (source, account, reference): an omnibus account can carry thousands of
    client references, and each line must find its own without scanning the others."""

    def __init__(self, rules: tuple[MappingRule, ...] | list[MappingRule]) -> None:
        self._rules: dict[tuple[str, str, str | None], list[MappingRule]] = defaultdict(list)
        for rule in rules:
            self._rules[(rule.source, rule.account, rule.reference)].append(rule)
        # Lines of one statement share account, date and mostly reference: answer each once.
        self._answers: dict[tuple, str | None] = {}  # type: ignore[type-arg]

    def _valid(self, source: str, account: str, reference: str | None, day) -> str | None:  # type: ignore[no-untyped-def]
        for rule in self._rules.get((source, account, reference), ()):
            if rule.valid_on(day):
                return rule.sub_account
        return None

    def sub_account_of(self, line: Line) -> str | None:
        """A mapping whose reference equals the line's wins over a blank-reference mapping of the
        same account; windows are inclusive and judged on the statement's date."""
        key = (line.source, line.account, line.reference, line.statement_date)
        if key not in self._answers:
            self._answers[key] = self._resolve(line)
        return self._answers[key]

    def _resolve(self, line: Line) -> str | None:
        if line.reference is not None:
            found = self._valid(line.source, line.account, line.reference, line.statement_date)
            if found is not None:
                return found
        return self._valid(line.source, line.account, None, line.statement_date)
