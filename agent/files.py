"""Files written whole or not at all: the local model's assembled file and its marker, the
`jsolve serve` state file, the saved prompt prefix's record.

A file is written under a new name in the folder of its target and renamed over the target only
once complete, so a reader never sees half a file, and a crash leaves the old file (or none).
The new file is created by `tempfile.mkstemp`: readable and writable by this user only (mode
0600: the state file holds an API key), and created anew (`O_EXCL`), so a symbolic link or FIFO
planted under its name is never followed. The rename replaces whatever entry holds the target's
name (a planted symbolic link is replaced, not written through).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = ["replacing", "write_whole"]


@contextlib.contextmanager
def replacing(target: Path, *, durable: bool = False) -> Iterator[BinaryIO]:
    """A new private file, open for writing in binary, that replaces `target` when the block
    ends; an exception in the block (a check of what was written that fails, too) removes it and
    leaves `target` as it was. `durable` flushes it to the disk before the rename, for a file that
    costs a lot to write again."""
    fd, scratch = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as file:
            yield file
            if durable:
                file.flush()
                os.fsync(file.fileno())
        os.replace(scratch, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(scratch)
        raise


def write_whole(target: Path, data: str | bytes) -> None:
    """Write `data` (text as UTF-8) to `target` through `replacing`: whole, private, atomically."""
    with replacing(target) as file:
        file.write(data.encode() if isinstance(data, str) else data)
