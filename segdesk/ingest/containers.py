"""What a file really is, and whether a zip container is safe to hand to a spreadsheet reader.

Everything here runs in SegDesk's own process before any reader parses the file, so it must be
cheap and bounded whatever the bytes: it reads a zip's directory, streams each part through zlib
in pieces of a megabyte (never holding more than that), and looks at the first bytes of a file.
Each check returns a reason for a person (without the file name), or None when all is well;
`readers` words the refusal.

The zip checks exist because .xlsx and .ods files are zip archives, and a zip archive can claim
or hold far more than it looks: a part that expands a thousand times (deflate's limit is about
1032:1), many directory entries sharing one compressed stream (the "overlapping files" bomb), or
a header that understates a part's size to slip past size checks. And the XML inside can declare
entities that expand exponentially ("billion laughs"), which no spreadsheet program ever writes.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from typing import BinaryIO

__all__ = [
    "MAX_PARTS",
    "zip_count_problem",
    "MAX_RATIO",
    "MAX_UNZIPPED_BYTES",
    "binary_kind",
    "looks_binary",
    "zip_contents_problem",
    "zip_directory_problem",
]

MAX_PARTS = 10_000
"""A workbook is a few dozen parts; an archive of more is built to wear readers out."""

MAX_UNZIPPED_BYTES = 4 << 30
"""All parts together, expanded. A 20-million-cell sheet (the import limit) is about 1 GB of XML."""

MAX_RATIO = 500
"""How many times a large part may expand. Spreadsheet XML compresses 8 to 20 times (measured on
the calamine corpus and openpyxl files), and even 30 MB of one row repeated stays under the limit
(an .ods row of 217 bytes: 258 times; a bare `<table:table-cell/>`, 19 bytes: 412 times). Only runs
of one or two bytes come near deflate's ceiling of about 1032, which is what a bomb is made of."""

RATIO_FLOOR = 16 << 20
"""Parts that expand to less than this are harmless however well they compress."""

_CHUNK = 1 << 20
_PROLOG_BYTES = 1 << 20
_ROOT_START = re.compile(rb"<[A-Za-z_]")
_ENTITY_MARKS = (b"<!ENTITY", "<!ENTITY".encode("utf-16-le"), "<!ENTITY".encode("utf-16-be"))
_DOCTYPE_MARKS = (b"<!DOCTYPE", "<!DOCTYPE".encode("utf-16-le"), "<!DOCTYPE".encode("utf-16-be"))


def size_text(n: int) -> str:
    """1,536 -> "1.5 KB"; sizes a person reads at a glance (powers of 1024)."""
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if n < 1024 or unit == "PB":
            return f"{n:,} bytes" if unit == "bytes" else f"{n:,.1f} {unit}".replace(".0 ", " ")
        n /= 1024  # type: ignore[assignment]
    raise AssertionError("unreachable")


def zip_count_problem(fh: BinaryIO) -> str | None:
    """Too many parts, read from the archive's end record before Python's zipfile builds an
    object for every one of them (a few hundred bytes each: ten million parts would be gigabytes).
    None also when there is no end record to read; zipfile then says what is wrong."""
    size = fh.seek(0, 2)
    tail_size = min(size, 22 + 65535)  # the end record, and a comment of at most 64 KB
    fh.seek(size - tail_size)
    tail = fh.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return None
    count = struct.unpack("<H", tail[at + 10:at + 12])[0]
    if count == 0xFFFF and at >= 20 and tail[at - 20:at - 16] == b"PK\x06\x07":
        # Zip64: the locator just before the end record points at the zip64 end record.
        (offset,) = struct.unpack("<Q", tail[at - 12:at - 4])
        fh.seek(offset)
        record = fh.read(56)
        if len(record) == 56 and record[:4] == b"PK\x06\x06":
            (count,) = struct.unpack("<Q", record[32:40])
    if count > MAX_PARTS:
        return f"a zip archive of {count:,} parts, where a workbook has a few dozen; it is built to wear readers out"
    return None


def zip_directory_problem(infos: list[zipfile.ZipInfo], archive_size: int) -> str | None:
    """A zip bomb seen in the directory alone: the sizes the parts declare, and where they lie.
    `archive_size`: the size of the whole file, in bytes."""
    if len(infos) > MAX_PARTS:
        return (f"a zip archive of {len(infos):,} parts, where a workbook has a few dozen; "
                "it is built to wear readers out")
    total = sum(info.file_size for info in infos)
    if total > MAX_UNZIPPED_BYTES:
        return (f"a zip bomb: its {len(infos):,} parts would expand to {size_text(total)}, from a file of "
                f"{size_text(archive_size)}; a statement is never near {size_text(MAX_UNZIPPED_BYTES)}")
    for info in infos:
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            return (f"a zip bomb: the part {info.filename} would expand {ratio:,.0f} times, from "
                    f"{size_text(info.compress_size)} to {size_text(info.file_size)}; no spreadsheet "
                    "program compresses that much")
    # Parts never share bytes in an honest archive. The local header takes at least 30 bytes and
    # the name (at least a byte per character, whatever its encoding), so this bound is never too
    # strict.
    ordered = sorted(infos, key=lambda info: info.header_offset)
    for first, second in zip(ordered, ordered[1:]):
        end = first.header_offset + 30 + len(first.orig_filename) + first.compress_size
        if second.header_offset < end:
            return (f"a zip bomb: the parts {first.filename} and {second.filename} overlap (they share "
                    "compressed data, to multiply what a reader expands)")
    return None


def zip_contents_problem(fh: BinaryIO, infos: list[zipfile.ZipInfo]) -> str | None:
    """Stream every part, counting what it expands to: a part that holds more than its header
    declares, one that is damaged or cut short, or an XML part that declares entities.

    Costs one pass of zlib over the archive (about 1 ms per MB expanded) and a megabyte of memory.
    Parts compressed other than by deflate (which no spreadsheet program uses) and encrypted ones
    are left to the reader, whose process has a memory cap.
    """
    for info in infos:
        if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            continue
        problem = _part_problem(fh, info)
        if problem is not None:
            return problem
    return None


def _part_problem(fh: BinaryIO, info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    fh.seek(info.header_offset)
    header = fh.read(30)
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        return f"damaged zip container: the part {name} is missing (the file is damaged or cut short)"
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    fh.seek(info.header_offset + 30 + name_len + extra_len)
    left = info.compress_size
    produced = 0
    prolog = b""
    inflate = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    while left > 0:
        packed = fh.read(min(left, _CHUNK))
        if not packed:
            return (f"damaged zip container: the part {name} ends early; the file looks cut short "
                    "(copy or download it again)")
        left -= len(packed)
        while packed:
            if inflate is None:
                out, packed = packed, b""
            else:
                try:
                    # At most a megabyte out per call, whatever the ratio: the rest stays in
                    # unconsumed_tail until asked for.
                    out = inflate.decompress(packed, _CHUNK)
                except zlib.error as exc:
                    return f"damaged zip container: the part {name} cannot be decompressed ({exc})"
                packed = inflate.unconsumed_tail
            produced += len(out)
            if produced > info.file_size:
                return (f"a zip bomb, or a damaged file: the part {name} holds more data than the "
                        f"{info.file_size:,} bytes its header declares")
            if len(prolog) < _PROLOG_BYTES and out:
                prolog += out[: _PROLOG_BYTES - len(prolog)]
                problem = _prolog_problem(name, prolog, final=len(prolog) >= _PROLOG_BYTES)
                if problem is not None:
                    return problem
            if inflate is not None and inflate.eof:
                break
    if prolog:
        return _prolog_problem(name, prolog, final=True)
    return None


def _prolog_problem(name: str, prolog: bytes, *, final: bool) -> str | None:
    """Entity declarations before an XML part's root element (where a DTD must be)."""
    head = prolog.lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n\x00")
    if not head.startswith((b"<", b"\x00<")):
        return None  # not XML (an image, a binary part)
    prolog = _without_comments(prolog)  # a "<a" in a comment is no root element
    root = _ROOT_START.search(prolog)
    before = prolog if root is None else prolog[: root.start()]
    if any(mark in before for mark in _ENTITY_MARKS):
        return (f"the part {name} declares XML entities (<!ENTITY>), which no spreadsheet program writes: "
                "an entity-expansion ('billion laughs') bomb")
    if root is None and final and any(mark in before for mark in _DOCTYPE_MARKS):
        return (f"the part {name} opens with a document type declaration of over "
                f"{size_text(_PROLOG_BYTES)}, which no spreadsheet program writes")
    return None


def _without_comments(xml: bytes) -> bytes:
    """`xml` less its <!-- comments --> (an unclosed one runs to the end), in linear time: a
    regular expression would retry every "<!--" of a hostile megabyte to its end."""
    kept: list[bytes] = []
    pos = 0
    while (start := xml.find(b"<!--", pos)) >= 0:
        kept.append(xml[pos:start])
        end = xml.find(b"-->", start + 4)
        if end < 0:
            return b"".join(kept)
        pos = end + 3
    kept.append(xml[pos:])
    return b"".join(kept)


# --------------------------------------------------------------------------------------------
# What a file is, by its first bytes
# --------------------------------------------------------------------------------------------

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Signatures no text begins with (a CSV's first cell could be "MZ-01" or "GIF8", so not those).
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF document"),
    (b"\x1f\x8b\x08", "a gzip archive"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x7fELF", "a program (ELF executable)"),
)


def binary_kind(head: bytes) -> str | None:
    """What a file that is not text is, from its first bytes (a few KB): "a PDF document", "an
    Excel 97-2003 workbook (.xls)" ... or None when no signature is known."""
    for magic, what in _SIGNATURES:
        if head.startswith(magic):
            return what
    if head.startswith(_OLE_MAGIC):
        if "EncryptedPackage".encode("utf-16-le") in head:
            return "a password-protected Excel workbook"
        if any(stream.encode("utf-16-le") + b"\x00\x00" in head for stream in ("Workbook", "Book")):
            return "an Excel 97-2003 workbook (.xls)"
        return "an old-style Office document (OLE compound file)"
    if head.startswith(b"PK\x03\x04"):
        if b"xl/" in head or b"[Content_Types].xml" in head:
            return "an Excel workbook (.xlsx)"
        if b"opendocument.spreadsheet" in head:
            return "an OpenDocument spreadsheet (.ods)"
        return "a zip archive"
    return None


# Bytes that never occur in a text file: C0 controls other than tab, line feed, vertical tab,
# form feed, carriage return and ^Z (the end-of-file mark old DOS programs append), and DEL.
_CONTROL = bytes(b for b in range(32) if b not in b"\t\n\x0b\x0c\r\x1a") + b"\x7f"


def looks_binary(data: bytes, head: bytes) -> int:
    """How many bytes of `head` (the start of `data`) no text file holds, if that is more than a
    stray one or two in a thousand and `data` is not valid UTF-8 either; else 0. For files read
    in a single-byte or UTF-8 encoding (not UTF-16/32). Valid UTF-8 is text, whatever control
    characters it holds: random bytes practically never are."""
    controls = len(head) - len(head.translate(None, _CONTROL))
    if controls <= max(2, len(head) // 500):
        return 0
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return controls
    return 0
