"""Run the whole demo flow from a built app folder, as a person would on a clean machine.

    python packaging/smoke.py dist/segdesk

The folder is first copied to a fresh temporary directory, and every step runs the copy's own
`segdesk` program with an environment that holds no Python at all: no PYTHONPATH, no virtualenv,
a throwaway HOME (so the database lands in that user's data folder, as on a first run), and the
source tree nowhere on the path. Steps: --version, init, demo, reconcile --json, keys create,
export (PDF + xlsx), verify, audit verify, a spreadsheet import (the reader runs in a worker
process that the packaged program starts from itself), and the window opened offscreen for a
moment. Each step's exit code and a fact from its output are checked; the first failure stops it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXE = "segdesk.exe" if os.name == "nt" else "segdesk"
PASSPHRASE = "smoke-test-passphrase"


def main() -> int:
    built = Path(sys.argv[1]).resolve()
    size = sum(f.lstat().st_size for f in built.rglob("*") if f.is_file() and not f.is_symlink())
    print(f"[smoke] bundle {built}: {size / 1e6:.0f} MB in {sum(1 for _ in built.rglob('*'))} files")
    with tempfile.TemporaryDirectory(prefix="segdesk-smoke-") as tmp:
        root = Path(tmp)
        app = root / "apps" / "segdesk"
        shutil.copytree(built, app, symlinks=True)
        home = root / "home"
        work = root / "work"
        home.mkdir()
        work.mkdir()
        env = {
            "PATH": os.pathsep.join(p for p in ("/usr/bin", "/bin") if Path(p).exists()) or os.defpath,
            "HOME": str(home),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "QT_QPA_PLATFORM": "offscreen",
            "SEGDESK_KEY_PASSPHRASE": PASSPHRASE,
            "LANG": "C.UTF-8",
            # every reconcile must read its lines as columns: proves ADBC's driver is in the bundle
            "SEGDESK_COLUMNS": "require",
        }
        if os.name == "nt":
            env.update({"USERPROFILE": str(home), "APPDATA": str(home / "AppData" / "Roaming"),
                        "LOCALAPPDATA": str(home / "AppData" / "Local"), "SYSTEMROOT": os.environ.get("SYSTEMROOT", "")})

        def step(name: str, *args: str, expect: int = 0, contains: str = "", extra: dict | None = None) -> str:
            start = time.perf_counter()
            done = subprocess.run([str(app / EXE), *args], cwd=work, env={**env, **(extra or {})},
                                  capture_output=True, text=True, timeout=300)
            took = time.perf_counter() - start
            output = done.stdout + done.stderr
            if done.returncode != expect or contains not in output:
                print(f"[smoke] FAILED: {name} (exit {done.returncode}, expected {expect}; wanted {contains!r})\n"
                      f"{output[-3000:]}", file=sys.stderr)
                raise SystemExit(1)
            print(f"[smoke] ok  {name:<34} {took:5.1f} s")
            return done.stdout

        version = step("--version", "--version", contains="segdesk ")
        step("init (the user's data folder)", "init", "--entity", "Smoke Test Fund")
        data = list(home.rglob("segdesk.sqlite3"))
        if not data:
            print("[smoke] FAILED: init made no database in the user's data folder", file=sys.stderr)
            return 1
        step("demo fund", "demo", contains="")
        report = json.loads(step("reconcile --json", "reconcile", "--as-of", "2026-11-20", "--json", expect=1))
        if not report["findings"] or "requirement" not in report["segregation"]:
            print("[smoke] FAILED: the reconciliation has no findings or figures", file=sys.stderr)
            return 1
        step("sign-off preparer", "sign-off", "--as-of", "2026-11-20", "--role", "preparer", "--user", "ann")
        step("sign-off reviewer", "sign-off", "--as-of", "2026-11-20", "--role", "reviewer", "--user", "bob")
        step("keys create", "keys", "create", "--out", str(work / "key.p12"), "--name", "Sam Smoke, Smoke Test Fund")
        step("export pack + xlsx", "export", "--as-of", "2026-11-20", "--out", str(work / "pack.pdf"), "--key",
             str(work / "key.p12"), "--xlsx", str(work / "pack.xlsx"), "--user", "erin")
        step("verify pack", "verify", str(work / "pack.pdf"), "--cert", str(work / "key-ca.crt"), contains="Smoke Test Fund")
        step("audit verify", "audit", "verify", contains="intact")
        _write_statement(work)
        step("import an xlsx (reader worker)", "import", str(work / "late.xlsx"), "--profile", str(work / "late.toml"),
             contains="Imported late.xlsx")
        step("refuse a PDF renamed .xlsx", "import", str(work / "pack-copy.xlsx"), "--profile", str(work / "late.toml"),
             expect=2, contains="pack-copy.xlsx")
        step("the window (offscreen, 3 s)", extra={"SEGDESK_QUIT_AFTER_MS": "3000"}, contains="window shown")
        print(f"[smoke] all steps passed from {app} ({version.strip()}, {size / 1e6:.0f} MB)")
    return 0


def _write_statement(work: Path) -> None:
    """A one-line custody statement written as a real xlsx (a zip of XML, byte for byte), without
    openpyxl: this script may run where only the standard library is installed."""
    import zipfile

    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             'spreadsheetml/2006/main"><sheetData>'
             '<row r="1"><c r="A1" t="inlineStr"><is><t>Account</t></is></c><c r="B1" t="inlineStr"><is><t>Asset'
             '</t></is></c><c r="C1" t="inlineStr"><is><t>Quantity</t></is></c></row>'
             '<row r="2"><c r="A2" t="inlineStr"><is><t>LATE-01</t></is></c><c r="B2" t="inlineStr"><is><t>USD'
             '</t></is></c><c r="C2"><v>1250.5</v></c></row></sheetData></worksheet>')
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
        'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
        'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Holdings" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.'
        'org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": sheet,
    }
    with zipfile.ZipFile(work / "late.xlsx", "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(name, text)
    (work / "late.toml").write_text('source = "Late Custody"\nkind = "custodian"\nas_of = "2026-11-20"\n'
                                    '[columns]\naccount = "Account"\nasset = "Asset"\nquantity = "Quantity"\n',
                                    encoding="utf-8")
    shutil.copyfile(work / "pack.pdf", work / "pack-copy.xlsx")


if __name__ == "__main__":
    raise SystemExit(main())
