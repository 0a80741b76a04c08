"""Where a training command writes (``--out DIR``), checked before any work starts.

``train``, ``compare`` and ``ntm train`` save their model directories only after minutes of
training: an ``--out`` that cannot be written must be refused before the first epoch, not found
after the last one. ``output_dir`` does three things, in this order:

- a DIR that is a symbolic link is **followed**: the model is written to the directory the
  link leads to, and the link stays (a save replaces a directory by renaming, which would
  otherwise replace the link itself); a link that leads nowhere, or into a loop, is refused;
- what is at DIR must be a model directory, an empty directory or nothing (the checkpoint
  module's ``check_writable``: nothing else is ever overwritten);
- the directory that will hold DIR (its nearest existing ancestor, when DIR's parents are yet
  to be made) is probed by creating and removing a file in it: permissions, a read-only or
  full file system, ``/proc`` and ``/sys`` all show there.

Each failure is an ``AttnseqError`` of one line (exit 2).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from attnseq.core.errors import AttnseqError


def output_dir(path: str) -> str:
    """``path`` as the directory to write a model to: the target of a link, checked and
    probed (see the module docstring); returns the path to pass to the save."""
    from attnseq.training.checkpoint import check_writable

    target = Path(path)
    if target.is_symlink():
        try:
            target = Path(os.path.realpath(target, strict=True))
        except OSError as exc:  # a dangling link, or a loop of links
            raise AttnseqError(f"--out {path}: a symbolic link that leads to no directory "
                               f"({exc.strerror or exc})") from None
        if not target.is_dir():
            raise AttnseqError(f"--out {path}: a symbolic link to {target}, which is not a "
                               "directory")
    check_writable(target)
    _probe(_nearest_existing(target.absolute().parent))
    return str(target)


def _nearest_existing(directory: Path) -> Path:
    """``directory`` or its nearest ancestor that exists (the save makes the others)."""
    for candidate in (directory, *directory.parents):
        if candidate.exists():
            return candidate
    return directory  # the root exists; kept for type checkers


def _probe(directory: Path) -> None:
    """Create and remove a hidden file in ``directory``, or refuse in one line."""
    try:
        handle, name = tempfile.mkstemp(prefix=".attnseq-probe-", dir=directory)
        os.close(handle)
        os.unlink(name)
    except OSError as exc:
        raise AttnseqError(f"cannot write in {directory}: {exc.strerror or exc}") from None
