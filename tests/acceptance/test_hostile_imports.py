"""Hostile and broken real-world files through the whole import: a clear refusal, nothing stored."""

from __future__ import annotations

import pytest

from segdesk.domain.problems import InputError
from segdesk.ingest.profile import parse_profile
from segdesk.services.importing import import_statement
from tests.conftest import SHARED, settled_bytes

CORPUS = SHARED / "corpus" / "calamine"
HOSTILE = [
    "OOM_alloc.xls",
    "OOM_alloc2.xls",
    "issue_594_dos.ods",
    "pass_protected.xlsx",
    "pass_protected.ods",
    "pass_protected.xlsb",
    "too_small.xls",
    "ptgexp-truncated-operand.xls",
    "malformed_format.xls",
    "single-empty.ods",
]
PROFILE = parse_profile(
    'source = "Unknown"\nkind = "custodian"\nas_of = "2026-11-20"\n'
    '[columns]\naccount = "Account"\nasset = "Asset"\nquantity = "Quantity"\n',
    name="generic.toml",
)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_file_is_refused_in_one_clear_line_and_nothing_is_stored(db, db_path, name):
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"corpus not present at {CORPUS}")
    before = settled_bytes(db, db_path)
    with pytest.raises(InputError) as caught:
        import_statement(db, path, PROFILE, user="jane")
    assert all(line.startswith(name) for line in caught.value.problems)
    assert all("\n" not in line and "Traceback" not in line for line in caught.value.problems)
    assert settled_bytes(db, db_path) == before
