"""Every benchmark in one go, each in its own process, with the machine it ran on and each
process's peak memory; the report is printed and, unless --quick, written into
benchmarks/README.md between the "latest run" markers.

    python3 dev.py bench            # the documented way: sets up .venv, then runs this
    .venv/bin/python benchmarks/run_all.py [--quick] [--only import reconcile ...]

--quick runs every script at toy sizes: a check that they all still work, not a measurement.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"
START, END = "<!-- latest run: start -->", "<!-- latest run: end -->"

# name -> (script, full arguments, quick arguments)
BENCHMARKS: dict[str, tuple[str, list[str], list[str]]] = {
    "import": ("import_speed.py", [], ["--xlsx-rows", "300", "--csv-rows", "1000", "--repeats", "1"]),
    "reconcile": ("reconcile_speed.py", [], ["--sizes", "1000", "--repeats", "1"]),
    "pack": ("pack_speed.py", [], ["--subs", "20", "--findings", "30", "--repeat", "1"]),
    "gui-tables": ("gui_tables.py", [], ["--rows", "2000", "--repeat", "1"]),
    "gui-responsiveness": ("gui_responsiveness.py", [], ["--xlsx-rows", "500", "--lines", "3000"]),
}


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages * size / 2**30:.0f} GiB RAM"
    except (ValueError, OSError, AttributeError):
        pass
    return (f"{cpu}, {os.cpu_count()} cores{memory}; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}")


def run(name: str, quick: bool) -> tuple[str, float, float, int]:
    """The script's output, wall time, peak RSS in MB, exit status."""
    script, full, small = BENCHMARKS[name]
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(HERE / script), *(small if quick else full)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    assert proc.stdout is not None
    out = proc.stdout.read()
    # Reaped here rather than by Popen, to get this one child's own peak memory.
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    took = time.perf_counter() - started
    return out, took, usage.ru_maxrss / 1024, proc.returncode  # ru_maxrss is in KiB on Linux


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="toy sizes; nothing is written")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), help="run only these")
    args = parser.parse_args()
    names = args.only or list(BENCHMARKS)
    lines = [f"Run {dt.date.today().isoformat()} on {machine()}.", ""]
    failed = 0
    for name in names:
        print(f"[bench] {name} …", flush=True)
        out, took, peak, code = run(name, args.quick)
        print(out, flush=True)
        failed += code != 0
        lines += [f"### {name} ({BENCHMARKS[name][0]}): {took:.0f} s, peak memory of the whole process "
                  f"{peak:,.0f} MB{'' if code == 0 else f', FAILED (exit {code})'}", "", "```", out.rstrip(), "```", ""]
    report = "\n".join(lines)
    print("[bench] summary: " + "; ".join(line[4:].split(" (")[0] + ":" + line.split("):", 1)[1].split(",")[0]
                                         for line in lines if line.startswith("### ")), flush=True)
    if not args.quick and not args.only:
        text = README.read_text(encoding="utf-8")
        block = f"{START}\n{report}\n{END}"
        if START in text and END in text:
            text = text[: text.index(START)] + block + text[text.index(END) + len(END):]
        else:
            text = text.rstrip() + "\n\n## Latest full run (`python3 dev.py bench`)\n\n" + block + "\n"
        README.write_text(text, encoding="utf-8")
        print(f"[bench] wrote the report into {README}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
