"""Write the hostile-file corpus into tests/hostile/files/ (deterministic: same bytes every run).

    .venv/bin/python tests/hostile/make_corpus.py          # (re)write every file
    .venv/bin/python tests/hostile/make_corpus.py --check  # exit 1 if a file differs from its recipe

Each file is built for real, by openpyxl or byte by byte, and is refused by `segdesk import` with
the message that README.md lists. The bombs are small on disk (under 200 KB) and only large once
expanded: that is the point of them. Nothing random is random: a seeded generator and fixed zip
timestamps make every run write the same bytes, so the files can be committed and checked.
"""

from __future__ import annotations

import io
import random
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"

# The profile every case is imported with (bad_encoding.csv has its own, which names the encoding).
PROFILE = """\
source = "Hostile Custody"
kind = "custodian"
as_of = "2026-11-20"

[columns]
account = "Account"
asset = "Asset"
quantity = "Quantity"
"""
UTF8_PROFILE = PROFILE + '\n[format]\nencoding = "utf-8"\n'

_STAMP = (2026, 11, 20, 0, 0, 0)
_HEADER = ["Account", "Asset", "Quantity"]
_ROWS = [["001", "USD", 100], ["002", "BTC", 1.5], ["003", "ETH", 12], ["004", "EUR", 2500]]


# --------------------------------------------------------------------------------------------
# Containers built by hand
# --------------------------------------------------------------------------------------------


def _zip(parts: list[tuple[str, bytes]], *, stored: tuple[str, ...] = ()) -> bytes:
    """A zip of `parts` in order, with fixed timestamps (deterministic bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in parts:
            info = zipfile.ZipInfo(name, date_time=_STAMP)
            info.compress_type = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            info.create_system = 0
            zf.writestr(info, data, compresslevel=9)
    return buffer.getvalue()


_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_ODOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _xlsx(sheet_xml: bytes, shared_strings: bytes | None = None) -> list[tuple[str, bytes]]:
    """The parts of a minimal .xlsx with one sheet named Sheet1 (sheet part last: a bomb there
    is the last thing in the file)."""
    content_types = (
        f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{_CT}">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        + ('<Override PartName="/xl/sharedStrings.xml" '
           'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
           if shared_strings is not None else "")
        + "</Types>"
    )
    root_rels = (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_REL}">'
        f'<Relationship Id="rId1" Type="{_ODOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    workbook = (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_MAIN}" xmlns:r="{_ODOC}">'
        '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    workbook_rels = (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_REL}">'
        f'<Relationship Id="rId1" Type="{_ODOC}/worksheet" Target="worksheets/sheet1.xml"/>'
        + (f'<Relationship Id="rId2" Type="{_ODOC}/sharedStrings" Target="sharedStrings.xml"/>'
           if shared_strings is not None else "")
        + "</Relationships>"
    )
    parts = [
        ("[Content_Types].xml", content_types.encode()),
        ("_rels/.rels", root_rels.encode()),
        ("xl/workbook.xml", workbook.encode()),
        ("xl/_rels/workbook.xml.rels", workbook_rels.encode()),
    ]
    if shared_strings is not None:
        parts.append(("xl/sharedStrings.xml", shared_strings))
    parts.append(("xl/worksheets/sheet1.xml", sheet_xml))
    return parts


def _inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _sheet_xml(body_rows: str = "", *, dimension: str = "A1:C5", padding: bytes = b"") -> bytes:
    """A worksheet holding the header and four balances as inline strings and numbers; `padding`
    (whitespace) goes between the rows, where a reader must read through it."""
    rows = ["<row r=\"1\">" + "".join(_inline(f"{c}1", h) for c, h in zip("ABC", _HEADER)) + "</row>"]
    for n, (account, asset, qty) in enumerate(_ROWS, start=2):
        rows.append(f'<row r="{n}">{_inline(f"A{n}", account)}{_inline(f"B{n}", asset)}'
                    f'<c r="C{n}"><v>{qty}</v></c></row>')
    head = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_MAIN}">'
            f'<dimension ref="{dimension}"/><sheetData>').encode()
    return head + rows[0].encode() + padding + "".join(rows[1:]).encode() + body_rows.encode() + b"</sheetData></worksheet>"


_LAUGHS = (
    '<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n' for i in range(1, 10))
    + "]>\n"
)


def entity_bomb_shared_strings() -> bytes:
    strings = [*_HEADER, "&lol9;"]
    sst = (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + _LAUGHS
        + f'<sst xmlns="{_MAIN}" count="{len(strings)}" uniqueCount="{len(strings)}">'
        + "".join(f"<si><t>{s}</t></si>" for s in strings) + "</sst>"
    ).encode()
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_MAIN}"><sheetData>'
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>'
        '<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2" t="s"><v>3</v></c><c r="C2"><v>1</v></c></row>'
        "</sheetData></worksheet>"
    ).encode()
    return _zip(_xlsx(sheet, sst))


def entity_bomb_sheet() -> bytes:
    sheet = _sheet_xml(f'<row r="6">{_inline("A6", "&lol9;")}{_inline("B6", "&lol9;")}<c r="C6"><v>1</v></c></row>',
                       dimension="A1:C6")
    sheet = sheet.replace(b"?><worksheet", b"?>\n" + _LAUGHS.encode() + b"<worksheet", 1)
    return _zip(_xlsx(sheet))


_ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)
_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"


def _ods_cell(value: object) -> str:
    if isinstance(value, (int, float)):
        return f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>'
    return f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>'


def _ods_content(extra_row: list[object] | None = None, prolog: str = "") -> bytes:
    rows = [_HEADER, *_ROWS] + ([extra_row] if extra_row else [])
    body = "".join("<table:table-row>" + "".join(_ods_cell(v) for v in row) + "</table:table-row>" for row in rows)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + prolog
        + f'<office:document-content {_ODS_NS} office:version="1.2"><office:body><office:spreadsheet>'
        + f'<table:table table:name="Sheet1">{body}</table:table>'
        + "</office:spreadsheet></office:body></office:document-content>"
    ).encode()


def _ods_manifest(extra: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{_ODS_MIME.decode()}"/>'
        f'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"{extra}'
        "</manifest:manifest>"
    ).encode()


def statement_ods() -> bytes:
    """A valid .ods statement (the fuzz tests' seed)."""
    return _zip([("mimetype", _ODS_MIME), ("META-INF/manifest.xml", _ods_manifest("/>")), ("content.xml", _ods_content())],
                stored=("mimetype",))


def entity_bomb_ods() -> bytes:
    content = _ods_content(["&lol9;", "&lol9;", 1], prolog=_LAUGHS)
    return _zip([("mimetype", _ODS_MIME), ("META-INF/manifest.xml", _ods_manifest("/>")), ("content.xml", content)],
                stored=("mimetype",))


# A worksheet whose rows are separated by ~150 MB of spaces: valid XML, a deflate ratio of ~1000.
_BOMB_PADDING = 150 * 1024 * 1024


def zip_bomb_ratio() -> bytes:
    return _zip(_xlsx(_sheet_xml(padding=b" " * _BOMB_PADDING)))


def zip_bomb_overlap() -> bytes:
    """400 directory entries that all point at the one ~150 MB worksheet stream: 60 GB declared in
    under 200 KB (the "overlapping files" zip bomb). Only the central directory is repeated."""
    data = zip_bomb_ratio()
    eocd = data.rindex(b"PK\x05\x06")
    count, cd_size, cd_offset = struct.unpack("<HII", data[eocd + 10:eocd + 20])
    directory = data[cd_offset:cd_offset + cd_size]
    sheet_entry = directory[directory.index(b"PK\x01\x02", directory.index(b"xl/_rels/workbook.xml.rels")):]
    name_len = struct.unpack("<H", sheet_entry[28:30])[0]
    fixed = sheet_entry[:46]
    clones = b"".join(
        fixed[:28] + struct.pack("<H", len(name)) + fixed[30:] + name
        for name in (f"xl/media/image{i:03}.bin".encode() for i in range(400))
    )
    assert len(sheet_entry) == 46 + name_len  # no extra field or comment to carry along
    new_directory = directory + clones
    end = data[eocd:eocd + 22]
    end = end[:8] + struct.pack("<HHII", count + 400, count + 400, len(new_directory), cd_offset) + end[20:]
    return data[:cd_offset] + new_directory + end


def zip_bomb_lying_header() -> bytes:
    """The worksheet's headers (local and central) say it is 2,000 bytes; its deflate stream holds
    ~150 MB. A reader that trusts the header's size is in for a surprise."""
    data = bytearray(zip_bomb_ratio())
    name = b"xl/worksheets/sheet1.xml"
    local = data.index(name) - 30  # the sheet's local header: its name follows the 30 fixed bytes
    central = data.rindex(name) - 46  # its central directory entry: the name follows 46 fixed bytes
    assert data[local:local + 4] == b"PK\x03\x04" and data[central:central + 4] == b"PK\x01\x02"
    struct.pack_into("<I", data, local + 22, 2000)  # uncompressed size
    struct.pack_into("<I", data, central + 24, 2000)
    return bytes(data)


def dimension_claims_million_rows() -> bytes:
    return _zip(_xlsx(_sheet_xml(dimension="A1:XFD1048576")))


def cell_at_grid_end() -> bytes:
    """Five real rows and one cell in the very last row and column (XFD1048576)."""
    return _zip(_xlsx(_sheet_xml('<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>', dimension="A1:XFD1048576")))


def formula_without_value() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(_HEADER)
    for row in _ROWS[:3]:
        ws.append(row)
    ws.append(["004", "EUR", "=C2*25"])  # C5: openpyxl saves the formula with no cached value
    return _openpyxl_bytes(wb)


def _openpyxl_bytes(wb: object) -> bytes:
    """openpyxl's output with its timestamps fixed (it stamps docProps/core.xml with now)."""
    buffer = io.BytesIO()
    wb.save(buffer)  # type: ignore[attr-defined]
    with zipfile.ZipFile(buffer) as zf:
        parts = [(info.filename, zf.read(info)) for info in zf.infolist()]
    fixed = []
    for name, data in parts:
        if name == "docProps/core.xml":
            import re

            data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2026-11-20T00:00:00Z", data)
        fixed.append((name, data))
    return _zip(fixed)


def statement_xlsx() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(_HEADER)
    for row in _ROWS:
        ws.append(row)
    return _openpyxl_bytes(wb)


# --- OLE compound files (CFB v3), byte by byte --------------------------------------------------

_FREE, _END, _FATSECT, _NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def _cfb(streams: list[tuple[str, bytes]]) -> bytes:
    """A compound file holding `streams` under the root storage. Streams are padded to 4 KB so
    that they live in regular sectors (no mini stream needed); at most 3 streams, one FAT sector."""
    assert len(streams) <= 3
    sector = 512
    data_sectors: list[bytes] = []
    fat = [_FATSECT, _END]  # sector 0: the FAT, sector 1: the directory
    starts = []
    for _, payload in streams:
        payload = payload.ljust(max(4096, -(-len(payload) // sector) * sector), b"\x00")
        n = len(payload) // sector
        first = 2 + len(data_sectors)
        starts.append((first, len(payload)))
        fat.extend(list(range(first + 1, first + n)) + [_END])
        data_sectors.extend(payload[i * sector:(i + 1) * sector] for i in range(n))
    assert len(fat) <= 128
    fat_sector = b"".join(struct.pack("<I", v) for v in fat + [_FREE] * (128 - len(fat)))

    def entry(name: str, kind: int, child: int, right: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\x00\x00"
        return (raw.ljust(64, b"\x00") + struct.pack("<HBB", len(raw), kind, 1)
                + struct.pack("<III", _NOSTREAM, right, child) + b"\x00" * 16 + b"\x00" * 4
                + b"\x00" * 16 + struct.pack("<IQ", start, size))[:128].ljust(128, b"\x00")

    entries = [entry("Root Entry", 5, 1, _NOSTREAM, _END, 0)]
    for i, ((name, _), (start, size)) in enumerate(zip(streams, starts), start=1):
        entries.append(entry(name, 2, _NOSTREAM, i + 1 if i < len(streams) else _NOSTREAM, start, size))
    directory = b"".join(entries).ljust(sector, b"\x00")
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\x00" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, _END, 0, _END, 0)
        + struct.pack("<I", 0) + struct.pack("<I", _FREE) * 108
    )
    assert len(header) == sector
    return header + fat_sector + directory + b"".join(data_sectors)


def password_protected_xlsx() -> bytes:
    """What Excel writes for a workbook with a password to open: an OLE container holding the
    encryption parameters and the encrypted package (here: agile-encryption header, noise)."""
    rng = random.Random(20261120)
    info = struct.pack("<HHI", 4, 4, 0x40) + (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
        b'<encryption xmlns="http://schemas.microsoft.com/office/2006/encryption"><keyData saltSize="16" '
        b'blockSize="16" keyBits="256" hashSize="64" cipherAlgorithm="AES" cipherChaining="ChainingModeCBC" '
        b'hashAlgorithm="SHA512"/></encryption>'
    )
    package = struct.pack("<Q", 6000) + rng.randbytes(6000)
    return _cfb([("EncryptionInfo", info), ("EncryptedPackage", package)])


def password_protected_ods() -> bytes:
    """What LibreOffice writes for a spreadsheet with a password: content.xml encrypted, the
    manifest saying how (manifest:encryption-data)."""
    rng = random.Random(20261121)
    encryption = (
        ' manifest:size="2048"><manifest:encryption-data manifest:checksum-type="urn:oasis:names:tc:opendocument:'
        'xmlns:manifest:1.0#sha256-1k" manifest:checksum="AAAA"><manifest:algorithm manifest:algorithm-name='
        '"http://www.w3.org/2001/04/xmlenc#aes256-cbc" manifest:initialisation-vector="AAAA"/>'
        '<manifest:key-derivation manifest:key-derivation-name="PBKDF2" manifest:key-size="32" '
        'manifest:iteration-count="100000" manifest:salt="AAAA"/></manifest:encryption-data></manifest:file-entry>'
    )
    return _zip([("mimetype", _ODS_MIME), ("META-INF/manifest.xml", _ods_manifest(encryption)),
                 ("content.xml", rng.randbytes(2048))], stored=("mimetype", "content.xml"))


def old_xls() -> bytes:
    """An Excel 97-2003 (.xls, BIFF8) container: a Workbook stream opening with its BOF record."""
    bof = struct.pack("<HHHHHHII", 0x0809, 16, 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0x0206)
    eof = struct.pack("<HH", 0x000A, 0)
    return _cfb([("Workbook", bof + eof)])


def pdf() -> bytes:
    return (
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
        b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>\nendobj\n"
        b"4 0 obj\n<< /Length 44 /Filter /FlateDecode >>\nstream\n"
        + zlib.compress(b"BT /F1 12 Tf 72 770 Td (Statement) Tj ET", 9)
        + b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )


def random_bytes() -> bytes:
    return random.Random(42).randbytes(4096)


def statement_csv() -> bytes:
    lines = [",".join(_HEADER)] + [",".join(str(v) for v in row) for row in _ROWS]
    return ("\r\n".join(lines) + "\r\n").encode()


def truncated_xlsx() -> bytes:
    whole = statement_xlsx()
    return whole[: len(whole) // 2]


def truncated_csv() -> bytes:
    whole = statement_csv()
    return whole[: whole.index(b"EUR") + 1]  # ends in "004,E": the last line cut in its asset


def missing_column_csv() -> bytes:
    return b"Account,Asset,Qty\r\n001,USD,100\r\n002,BTC,1.5\r\n"


def missing_column_xlsx() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["Account", "Instrument", "Quantity"])
    for row in _ROWS:
        ws.append(row)
    return _openpyxl_bytes(wb)


def too_many_decimals_csv() -> bytes:
    return b"Account,Asset,Quantity\r\n001,USD,100\r\n002,ETH,0.1234567890123456789\r\n"


def too_many_decimals_xlsx() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(_HEADER)
    ws.append(["001", "USD", 100])
    ws.append(["002", "ETH", "1.0000000000000000001"])  # text: a float could not even hold it
    return _openpyxl_bytes(wb)


def bad_encoding_csv() -> bytes:
    # The profile says UTF-8; line 3 holds "Zürich" saved in cp1252 (0xFC), not valid UTF-8.
    return "Account,Asset,Quantity\r\n001,USD,100\r\n".encode() + "Zürich-7,CHF,5\r\n".encode("cp1252")


# name -> (builder, profile file). The order is README.md's.
CASES: dict[str, tuple[Callable[[], bytes], str]] = {
    "entity_bomb_shared_strings.xlsx": (entity_bomb_shared_strings, "hostile.toml"),
    "entity_bomb_sheet.xlsx": (entity_bomb_sheet, "hostile.toml"),
    "entity_bomb_content.ods": (entity_bomb_ods, "hostile.toml"),
    "zip_bomb_ratio.xlsx": (zip_bomb_ratio, "hostile.toml"),
    "zip_bomb_overlap.xlsx": (zip_bomb_overlap, "hostile.toml"),
    "zip_bomb_lying_header.xlsx": (zip_bomb_lying_header, "hostile.toml"),
    "dimension_million_rows.xlsx": (dimension_claims_million_rows, "hostile.toml"),
    "cell_at_grid_end.xlsx": (cell_at_grid_end, "hostile.toml"),
    "formula_without_value.xlsx": (formula_without_value, "hostile.toml"),
    "password_protected.xlsx": (password_protected_xlsx, "hostile.toml"),
    "password_protected.ods": (password_protected_ods, "hostile.toml"),
    "pdf_renamed.xlsx": (pdf, "hostile.toml"),
    "pdf_renamed.csv": (pdf, "hostile.toml"),
    "old_xls_renamed.csv": (old_xls, "hostile.toml"),
    "random_bytes.xlsx": (random_bytes, "hostile.toml"),
    "random_bytes.csv": (random_bytes, "hostile.toml"),
    "truncated_half.xlsx": (truncated_xlsx, "hostile.toml"),
    "truncated_mid_line.csv": (truncated_csv, "hostile.toml"),
    "empty.xlsx": (lambda: b"", "hostile.toml"),
    "empty.csv": (lambda: b"", "hostile.toml"),
    "missing_column.csv": (missing_column_csv, "hostile.toml"),
    "missing_column.xlsx": (missing_column_xlsx, "hostile.toml"),
    "too_many_decimals.csv": (too_many_decimals_csv, "hostile.toml"),
    "too_many_decimals.xlsx": (too_many_decimals_xlsx, "hostile.toml"),
    "bad_encoding.csv": (bad_encoding_csv, "utf8.toml"),
}
PROFILES = {"hostile.toml": PROFILE, "utf8.toml": UTF8_PROFILE}
MAX_FILE_BYTES = 200 * 1024


def build() -> dict[str, bytes]:
    out = {name: text.encode() for name, text in PROFILES.items()}
    for name, (make, _) in CASES.items():
        out[name] = make()
        assert len(out[name]) < MAX_FILE_BYTES, (name, len(out[name]))
    return out


def same_file(a: bytes, b: bytes) -> bool:
    """Whether two builds of a file are the same file. Zips are compared by their directories
    (part names, sizes and checksums of the expanded data), which another zlib version leaves
    alone while it may compress the same data into other bytes."""
    if a == b:
        return True
    try:
        with zipfile.ZipFile(io.BytesIO(a)) as za, zipfile.ZipFile(io.BytesIO(b)) as zb:
            def directory(zf: zipfile.ZipFile) -> list[tuple[str, int, int]]:
                return [(i.filename, i.file_size, i.CRC) for i in zf.infolist()]

            return directory(za) == directory(zb)
    except zipfile.BadZipFile:
        return False


def main(argv: list[str]) -> int:
    files = build()
    if "--check" in argv:
        stale = [n for n, data in files.items()
                 if not (FILES / n).is_file() or not same_file((FILES / n).read_bytes(), data)]
        for name in stale:
            print(f"{name}: differs from make_corpus.py's recipe", file=sys.stderr)
        return 1 if stale else 0
    FILES.mkdir(exist_ok=True)
    for name, data in files.items():
        (FILES / name).write_bytes(data)
        print(f"{name:36} {len(data):>8,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
