"""The benchmark scripts still run (at toy sizes). Nothing here is timed: speed targets are measured
by `python3 dev.py bench`, never asserted in tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_benchmark_runs_at_toy_sizes():
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run_all.py"), "--quick"], capture_output=True,
                          text=True, timeout=600, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for name in ("import", "reconcile", "pack", "gui-tables", "gui-responsiveness"):
        assert f"[bench] {name} …" in done.stdout
    assert "FAILED" not in done.stdout and "Traceback" not in done.stdout


def test_generated_statements_import_with_their_profiles(tmp_path):
    for kind, name in (("custodian-xlsx", "c.xlsx"), ("exchange-csv", "e.csv"), ("ledger-csv", "l.csv")):
        made = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), kind, "500",
                               str(tmp_path / name)], capture_output=True, text=True, timeout=120, check=False)
        assert made.returncode == 0, made.stderr
        imported = subprocess.run([sys.executable, "-m", "segdesk", "--db", str(tmp_path / "g.sqlite3"), "import",
                                   str(tmp_path / name), "--profile", str((tmp_path / name).with_suffix(".toml"))],
                                  capture_output=True, text=True, timeout=120, check=False)
        assert imported.returncode == 0, imported.stderr
        assert "500 balance rows" in imported.stdout
