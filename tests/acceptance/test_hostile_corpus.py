"""The hostile-file corpus (tests/hostile/files) through the real `segdesk import`.

Each file is refused with exit 2 and one line that names the file and the particular problem
(the part, the cell, the byte offset), within the test's time limit, with the importing process
held to 1.5 GB of address space, and with the database file unchanged to the byte. The messages
checked here are the ones docs/reliability.md quotes.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from segdesk.ingest.containers import zip_contents_problem, zip_directory_problem
from segdesk.ingest.readers import read_table
from tests.conftest import settled_bytes
from tests.hostile import make_corpus

FILES = Path(make_corpus.__file__).resolve().parent / "files"
MEMORY_LIMIT = 1536 << 20  # RLIMIT_AS of the importing process; its reader process inherits it

# file -> what its one line of stderr must hold (besides starting with "segdesk: error: FILE").
REFUSED: dict[str, list[str]] = {
    "entity_bomb_shared_strings.xlsx": [
        "not a readable spreadsheet (the part xl/sharedStrings.xml declares XML entities (<!ENTITY>)",
        "entity-expansion ('billion laughs') bomb",
    ],
    "entity_bomb_sheet.xlsx": ["the part xl/worksheets/sheet1.xml declares XML entities (<!ENTITY>)", "bomb"],
    "entity_bomb_content.ods": ["the part content.xml declares XML entities (<!ENTITY>)", "bomb"],
    "zip_bomb_ratio.xlsx": [
        "a zip bomb: the part xl/worksheets/sheet1.xml would expand 1,026 times, from 149.7 KB to 150 MB",
    ],
    "zip_bomb_overlap.xlsx": ["a zip bomb: its 405 parts would expand to 58.7 GB"],
    "zip_bomb_lying_header.xlsx": [
        "a zip bomb, or a damaged file: the part xl/worksheets/sheet1.xml holds more data than the 2,000 bytes "
        "its header declares",
    ],
    "cell_at_grid_end.xlsx": [
        "not a readable spreadsheet (reading it needs more memory than allowed: its cells reach XFD1048576, "
        "a grid of 1,048,576 rows x 16,384 columns",
    ],
    "formula_without_value.xlsx": [
        "formula_without_value.xlsx, sheet 'Sheet1', row 5, column C (Quantity): the formula =C2*25 has no saved result",
    ],
    "password_protected.xlsx": ["the workbook is password-protected"],
    "password_protected.ods": ["the workbook is password-protected"],
    "pdf_renamed.xlsx": ["this is a PDF document, not an .xlsx workbook"],
    "pdf_renamed.csv": ["not a CSV/text file: this is a PDF document, not CSV text"],
    "old_xls_renamed.csv": ["this is an Excel 97-2003 workbook (.xls), not CSV text; rename it to .xls"],
    "random_bytes.xlsx": ["not a readable spreadsheet (unrecognised or damaged content)"],
    "random_bytes.csv": ["not a CSV/text file: this is binary data, not text (389 of its first 4,096 bytes"],
    "truncated_half.xlsx": ["damaged zip container", "the file looks cut short"],
    "truncated_mid_line.csv": [
        "truncated_mid_line.csv, line 5: the file ends in the middle of this line (2 of 3 values",
        "it looks cut short",
    ],
    "empty.xlsx": ["empty.xlsx: the file is empty (0 bytes)"],
    "empty.csv": ["empty.csv: the file is empty (0 bytes)"],
    "missing_column.csv": ["no header row has every column hostile.toml requires", "lacks 'Quantity'"],
    "missing_column.xlsx": ["sheet 'Sheet1': no header row has every column hostile.toml requires", "lacks 'Asset'"],
    "too_many_decimals.csv": [
        "too_many_decimals.csv, line 3, column C (Quantity): '0.1234567890123456789': more than 18 decimal places",
    ],
    "too_many_decimals.xlsx": [
        "too_many_decimals.xlsx, sheet 'Sheet1', row 3, column C (Quantity): '1.0000000000000000001': "
        "more than 18 decimal places",
    ],
    "bad_encoding.csv": ["cannot decode the text as utf-8: byte 0xFC at offset 38 (line 3) is not valid"],
}
# Read as it is, safely: the dimension element is a hint, the cells are the sheet.
ACCEPTED = {"dimension_million_rows.xlsx": "Imported dimension_million_rows.xlsx: 4 balance rows"}


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _import(db_path: Path, name: str) -> subprocess.CompletedProcess[str]:
    profile = make_corpus.CASES[name][1]
    return subprocess.run(
        [sys.executable, "-m", "segdesk", "--db", str(db_path), "import", name, "--profile", profile],
        cwd=FILES, capture_output=True, text=True, timeout=120, preexec_fn=_limit_memory,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )


def test_every_case_of_the_corpus_is_checked_here():
    assert set(make_corpus.CASES) == set(REFUSED) | set(ACCEPTED)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", list(REFUSED))
def test_a_hostile_file_is_refused_by_name_in_bounded_memory_and_nothing_is_stored(db, db_path, name):
    before = settled_bytes(db, db_path)
    done = _import(db_path, name)
    assert done.returncode == 2, (done.returncode, done.stderr)  # not a crash, a signal or a MemoryError
    lines = done.stderr.splitlines()
    errors = [line for line in lines if line.startswith("segdesk: error: ")]
    assert len(errors) == 1 and errors[0].startswith(f"segdesk: error: {name}"), lines
    for part in REFUSED[name]:
        assert part in errors[0], errors[0]
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr
    assert done.stdout == ""
    assert settled_bytes(db, db_path) == before


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", list(ACCEPTED))
def test_a_sheet_claiming_a_million_rows_is_read_for_the_rows_it_has(db_path, name):
    done = _import(db_path, name)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(ACCEPTED[name])


@pytest.mark.timeout(120)
def test_the_committed_files_are_what_make_corpus_writes():
    built = make_corpus.build()
    for name, data in built.items():
        assert make_corpus.same_file((FILES / name).read_bytes(), data), f"{name}: run tests/hostile/make_corpus.py"
        assert len(data) < 200 * 1024


def test_the_bomb_checks_pass_an_honest_sheet_of_identical_rows(tmp_path):
    # 30 MB of one .ods row repeated compresses about 258 times: as well as honest XML ever does.
    row = ('<table:table-row><table:table-cell office:value-type="string"><text:p>001</text:p></table:table-cell>'
           '<table:table-cell office:value-type="float" office:value="0"><text:p>0</text:p></table:table-cell>'
           "</table:table-row>")
    content = make_corpus._ods_content().replace(b"</table:table>", row.encode() * 140_000 + b"</table:table>")
    path = tmp_path / "identical.ods"
    path.write_bytes(make_corpus._zip([("mimetype", make_corpus._ODS_MIME),
                                       ("META-INF/manifest.xml", make_corpus._ods_manifest("/>")),
                                       ("content.xml", content)], stored=("mimetype",)))
    with path.open("rb") as fh, zipfile.ZipFile(fh) as zf:
        (part,) = [i for i in zf.infolist() if i.filename == "content.xml"]
        assert part.file_size > 16 << 20 and part.file_size / part.compress_size > 200
        assert zip_directory_problem(zf.infolist(), path.stat().st_size) is None
        assert zip_contents_problem(fh, zf.infolist()) is None
    assert len(read_table(path).rows) == 5 + 140_000
