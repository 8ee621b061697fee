"""Fuzzing the statement readers: whatever the bytes, an import ends in a result or an InputError.

Random bytes; valid statements (an .xlsx written by openpyxl, one with a formula, an .ods, a CSV,
a small .xls from the calamine corpus when it is there) with bytes flipped, inserted, deleted,
overwritten or cut off; and zip workbooks with one XML part edited and the archive rebuilt (so the
damage reaches the XML readers instead of stopping at a checksum) are imported under each suffix
SegDesk reads, through `import_statement`: the path the command line and the window take, reader
process and write transaction included (hence a database, one for the module). Any exception
other than SegDesk's own InputError, a crash or a hang is a bug in the readers.

Examples are drawn reproducibly (derandomize) so CI sees the same files every run, 60 per suffix:
about 15 s on two cores. To fuzz longer, set SEGDESK_FUZZ_EXAMPLES (and, for new examples, edit
derandomize locally). Inputs the fuzzing found are kept below, in REGRESSIONS, as built bytes.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segdesk.domain.problems import InputError
from segdesk.ingest.profile import parse_profile
from segdesk.services.importing import import_statement
from segdesk.store.engine import open_database
from tests.hostile import make_corpus

PROFILE = parse_profile(make_corpus.PROFILE, name="fuzz.toml")
XLS_SEED = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "calamine" / "date_1904.xls"
SEEDS = [
    make_corpus.statement_xlsx(),
    make_corpus.formula_without_value(),
    make_corpus.statement_ods(),
    make_corpus.statement_csv(),
    make_corpus.too_many_decimals_csv(),
] + ([XLS_SEED.read_bytes()] if XLS_SEED.is_file() else [])
SUFFIXES = [".xlsx", ".xlsm", ".xls", ".ods", ".csv"]

FUZZ = settings(
    max_examples=int(os.environ.get("SEGDESK_FUZZ_EXAMPLES", "60")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A seed with a few bytes flipped, inserted or deleted, or cut off."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "overwrite"]))
        pos = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif op == "delete":
            del data[pos:pos + draw(st.integers(1, 64))]
        elif op == "truncate":
            del data[pos:]
        else:  # an interesting value where a size, count or offset may be
            value = draw(st.sampled_from([b"\x00", b"\xff", b"\xff\xff\xff\xff", b"\x00\x00\x00\x80", b"\x7f"]))
            data[pos:pos + len(value)] = value
    return bytes(data)


ZIP_SEEDS = [seed for seed in SEEDS if seed.startswith(b"PK")]
XML_TOKENS = [b"<", b">", b"/>", b'"', b"&amp;", b"&#0;", b"&#xD800;", b"<![CDATA[", b"]]>", b" r=\"XFD1048576\"",
              b" r=\"A0\"", b" r=\"\"", b' t="e"', b' t="s"', b' t="b"', b' t="d"', b' t="str"', b"<f>", b"</f>",
              b"<v>", b"</v>", b"<v></v>", b"<f t=\"shared\" si=\"0\"/>", b"-1", b"99999999999", b"1e400",
              b'table:number-rows-repeated="1048576"', b'table:number-columns-repeated="16384"',
              b'table:formula="of:=1"', b'calcext:value-type="error"', b'office:value="x"', b"\xff\xfe", b"\x00"]


@st.composite
def mutated_part(draw: st.DrawFn) -> bytes:
    """A zip workbook with one part's XML changed (and the archive rebuilt, so that the change
    reaches the XML readers instead of stopping at a checksum)."""
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(draw(st.sampled_from(ZIP_SEEDS)))) as zf:
        parts = [(info.filename, zf.read(info)) for info in zf.infolist()]
    index = draw(st.integers(0, len(parts) - 1))
    name, data = parts[index]
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 6))):
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        op = draw(st.sampled_from(["token", "token", "delete", "flip"]))
        if op == "token":
            data[pos:pos] = draw(st.sampled_from(XML_TOKENS))
        elif op == "delete":
            del data[pos:pos + draw(st.integers(1, 32))]
        elif data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
    parts[index] = (name, bytes(data))
    return make_corpus._zip(parts, stored=("mimetype",))


CONTENT = st.one_of(st.binary(max_size=2048), mutated(), mutated_part())


@pytest.fixture(scope="module")
def fuzz_db(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    database = open_database(str(tmp_path_factory.mktemp("fuzz") / "fuzz.sqlite3"))
    yield database
    database.dispose()


def import_or_refuse(db, content: bytes, suffix: str) -> None:  # type: ignore[no-untyped-def]
    """Import `content` as a file with `suffix`: a result or an InputError, nothing else."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzzed{suffix}"
        path.write_bytes(content)
        try:
            result = import_statement(db, path, PROFILE, as_of=dt.date(2026, 11, 20), user="fuzz")
        except InputError as exc:
            assert exc.problems, "an InputError must say what is wrong"
            for line in exc.problems:
                assert line and "\n" not in line and "Traceback" not in line, line
        else:
            assert result.rows >= 1


@pytest.mark.timeout(120)
@pytest.mark.parametrize("suffix", SUFFIXES)
@FUZZ
@given(content=CONTENT)
def test_any_bytes_under_any_suffix_give_a_result_or_an_input_error(fuzz_db, suffix: str, content: bytes) -> None:
    import_or_refuse(fuzz_db, content, suffix)


def ods_with_a_damaged_manifest() -> bytes:
    """Found by the fuzzing: an .ods (named anything) whose META-INF/manifest.xml does not
    inflate. Reading the manifest, to look for encryption, let zlib.error escape the reader."""
    data = bytearray(make_corpus.statement_ods())
    name = b"META-INF/manifest.xml"
    start = data.index(name) + len(name)  # the local header's extra field is empty
    data[start] = 0xFF  # a deflate block of the reserved type 3: "invalid block type"
    return bytes(data)


# Inputs the fuzzing found, each a bug fixed in the readers: (suffix, content, the refusal).
REGRESSIONS = [
    (".xlsm", ods_with_a_damaged_manifest(), "invalid block type"),
    (".ods", ods_with_a_damaged_manifest(), "invalid block type"),
]


@pytest.mark.parametrize(("suffix", "content", "reason"), REGRESSIONS)
def test_inputs_the_fuzzing_found(fuzz_db, suffix: str, content: bytes, reason: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"found{suffix}"
        path.write_bytes(content)
        with pytest.raises(InputError) as caught:
            import_statement(fuzz_db, path, PROFILE, user="fuzz")
    (line,) = caught.value.problems
    assert line.startswith(f"found{suffix}: not a readable spreadsheet (damaged zip container") and reason in line
