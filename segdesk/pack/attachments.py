"""Files carried inside the pack: every source statement, and pack.json (the pack's key facts, for
machines). They are attached before signing, so the signature covers them too."""

from __future__ import annotations

import datetime as dt
import mimetypes
from collections.abc import Iterable
from dataclasses import dataclass
from io import BytesIO

PACK_FACTS = "pack.json"


@dataclass(frozen=True)
class Attachment:
    name: str
    data: bytes
    description: str


def attachment_name(batch_id: int, file_name: str, taken: set[str]) -> str:
    """A unique attachment name: the file's own name, prefixed with its batch when two collide."""
    name = file_name.replace("/", "_").replace("\\", "_") or f"batch-{batch_id}"
    if name in taken or name == PACK_FACTS:
        name = f"batch-{batch_id}-{name}"
    taken.add(name)
    return name


def attach(pdf: bytes, files: Iterable[Attachment]) -> bytes:
    """``pdf`` rewritten as one revision with ``files`` in its EmbeddedFiles (what readers list
    as attachments)."""
    from pyhanko.pdf_utils import embed
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.pdf_utils.writer import copy_into_new_writer

    writer = copy_into_new_writer(PdfFileReader(BytesIO(pdf)))
    now = dt.datetime.now(dt.UTC)
    for item in files:
        mime = mimetypes.guess_type(item.name)[0] or "application/octet-stream"
        data = embed.EmbeddedFileObject.from_file_data(
            writer, data=item.data, mime_type=mime,
            params=embed.EmbeddedFileParams(embed_size=True, embed_checksum=True, creation_date=now,
                                            modification_date=now),
        )
        embed.embed_file(writer, embed.FileSpec(file_spec_string=item.name, file_name=item.name, embedded_data=data,
                                                description=item.description))
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
