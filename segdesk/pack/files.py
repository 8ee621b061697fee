"""Writing a finished file so that a reader never sees half of it: a temporary file beside it,
flushed to disk, then renamed over the name (atomic on the same file system)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, data: bytes, *, private: bool = False) -> None:
    """``private``: readable by its owner only (a signing key). Anything else gets the permissions
    a new file normally gets (the umask decides): a pack or a CA certificate is made to be shared."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if not private and hasattr(os, "umask"):
            mask = os.umask(0o022)
            os.umask(mask)
            os.chmod(tmp, 0o666 & ~mask)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
