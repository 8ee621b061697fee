"""Run the real ``segdesk`` program, as a person or a script would."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Outcome:
    code: int
    out: str
    err: str


def segdesk(*args: str | Path, db: Path | str | None = None, env: dict[str, str] | None = None) -> Outcome:
    argv = [sys.executable, "-m", "segdesk"]
    if db is not None:
        argv += ["--db", str(db)]
    argv += [str(a) for a in args]
    full_env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})}
    done = subprocess.run(argv, capture_output=True, text=True, env=full_env, timeout=120)
    return Outcome(done.returncode, done.stdout, done.stderr)
