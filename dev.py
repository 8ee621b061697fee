#!/usr/bin/env python3
"""Set up and run SegDesk from a clean clone, with nothing but Python 3.11+ installed.

    python3 dev.py run     create .venv, install pinned dependencies, launch the app on the demo fund
                           (extra arguments go to `segdesk`, e.g. `dev.py run --db my.sqlite3`)
    python3 dev.py test    the same set-up, then the import contracts and the whole test suite
    python3 dev.py bench   the same set-up, then every benchmark (benchmarks/README.md gets the results)
    python3 dev.py package build the self-contained app folder (dist/segdesk) with PyInstaller;
                           `--smoke` then runs the whole demo flow from a copy of it, as a user would
    python3 dev.py lock    re-pin requirements/constraints.txt from what .venv has now

Only the standard library is used here, so this file runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
CONSTRAINTS = ROOT / "requirements" / "constraints.txt"
STAMP = VENV / ".segdesk-installed"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def say(text: str) -> None:
    print(f"[dev] {text}", flush=True)


def run(*cmd: str | Path, env: dict[str, str] | None = None) -> None:
    completed = subprocess.run([str(c) for c in cmd], cwd=ROOT, env=env)
    if completed.returncode != 0:
        raise SystemExit(completed.returncode)


def fingerprint() -> str:
    digest = hashlib.sha256()
    for path in (ROOT / "pyproject.toml", CONSTRAINTS):
        digest.update(path.read_bytes())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def ensure_venv() -> None:
    if sys.version_info < (3, 11):
        raise SystemExit(f"SegDesk needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not PYTHON.exists():
        say(f"creating a virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    want = fingerprint()
    if STAMP.exists() and STAMP.read_text() == want:
        return
    say("installing pinned dependencies (first run only; a few minutes)")
    pip = (PYTHON, "-m", "pip", "--disable-pip-version-check", "-q")
    run(*pip, "install", "--upgrade", "pip", "setuptools>=77", "wheel")
    run(*pip, "install", "-c", CONSTRAINTS, "-e", ".[test,bench,package]")
    STAMP.write_text(want)


def cmd_run(args: list[str]) -> int:
    ensure_venv()
    if args:  # `dev.py run --db X ...`: straight to segdesk with the person's arguments
        return subprocess.call([str(PYTHON), "-m", "segdesk", *args], cwd=ROOT)
    # With no arguments: a demo database beside the default one, so a newcomer sees a fund
    # to explore and a real database of theirs is never touched.
    demo_db = subprocess.run(
        [str(PYTHON), "-c", "from segdesk.store.engine import default_location as d; print(d().with_name('demo.sqlite3'))"],
        capture_output=True, text=True, check=True, cwd=ROOT,
    ).stdout.strip()
    run(PYTHON, "-m", "segdesk", "--db", demo_db, "demo")
    say(f"launching SegDesk on the demo database {demo_db}")
    return subprocess.call([str(PYTHON), "-m", "segdesk", "--db", demo_db], cwd=ROOT)


def cmd_test(args: list[str]) -> int:
    ensure_venv()
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    say("checking the architecture's import contracts")
    run(BIN / "lint-imports", "--no-cache", env=env)
    say("running the test suite")
    return subprocess.call([str(PYTHON), "-m", "pytest", *args], cwd=ROOT, env=env)


def cmd_bench(args: list[str]) -> int:
    ensure_venv()
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    return subprocess.call([str(PYTHON), str(ROOT / "benchmarks" / "run_all.py"), *args], cwd=ROOT, env=env)


def cmd_lock(_args: list[str]) -> int:
    ensure_venv()
    frozen = subprocess.run(
        [str(PYTHON), "-m", "pip", "freeze", "--exclude-editable"], capture_output=True, text=True, check=True
    ).stdout
    header = "# Exact versions SegDesk is tested with (pip constraints file).\n# Regenerate with: python dev.py lock\n"
    CONSTRAINTS.write_text(header + frozen)
    say(f"wrote {CONSTRAINTS}")
    return 0


def cmd_package(args: list[str]) -> int:
    ensure_venv()
    say("building the app folder with PyInstaller (a few minutes)")
    run(PYTHON, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
        "--distpath", ROOT / "dist", "--workpath", ROOT / "build" / "pyinstaller", ROOT / "packaging" / "segdesk.spec")
    say(f"built {ROOT / 'dist' / 'segdesk'}")
    if "--smoke" in args:
        return subprocess.call([str(PYTHON), str(ROOT / "packaging" / "smoke.py"), str(ROOT / "dist" / "segdesk")],
                               cwd=ROOT)
    return 0


COMMANDS = {"run": cmd_run, "test": cmd_test, "bench": cmd_bench, "package": cmd_package, "lock": cmd_lock}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__)
        raise SystemExit(2)
    raise SystemExit(COMMANDS[sys.argv[1]](sys.argv[2:]))
