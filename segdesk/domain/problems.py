"""Bad input is reported as a list of problems, one clear line each, never a traceback."""

from __future__ import annotations


class InputError(Exception):
    """Input that SegDesk refuses whole. ``problems`` holds one line per problem for a person."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))
