"""The text progress bar appears only for a person at a terminal."""

from __future__ import annotations

import io

from segdesk.cli import terminal_progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_bar_when_output_is_not_a_terminal():
    assert terminal_progress(io.StringIO()) is None


def test_bar_draws_each_percent_once_and_ends_the_line():
    screen = _Terminal()
    draw = terminal_progress(screen)
    for done in (0, 500, 500, 1000):
        draw(done, 1000, "Reading rows")
    frames = screen.getvalue().split("\r")[1:]
    assert [f.split("]")[1].split("%")[0].strip() for f in frames] == ["0", "50", "100"]
    assert frames[1].startswith("[############-------------]")
    assert screen.getvalue().endswith("\n")
