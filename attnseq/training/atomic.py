"""Putting a finished directory at a path in one step, and cleaning up after a killed save.

A save writes the new model complete under a hidden sibling name, ``.NAME.saving-PID-HEX``
(beside NAME, so on the same file system), and then ``put_in_place`` makes it NAME:

- where the kernel can swap two names in one step (Linux's ``renameat2`` with
  ``RENAME_EXCHANGE``, on the file systems that support it), the new directory and the old
  one trade names: at every moment NAME holds a whole model, the old one or the new one. The
  old one, now under the hidden name, is then deleted;
- elsewhere, two renames: NAME to ``.NAME.old-PID-HEX``, then the new one to NAME. A kill
  between them leaves no model at NAME; the next ``recover(NAME)``, which every load and save
  runs first, renames the old one back.

``recover`` also deletes the hidden directories that a killed process left (a half-written
``.saving-*``; an ``.old-*`` beside a model that is in place). It never touches those of a
process that is still running: they are another save at work.

A NAME that is a symbolic link is followed (``resolved``): the save goes where the link points
and the link stays as it is; a link that points in a loop is refused in one line.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import secrets
import shutil
import sys
from pathlib import Path

from attnseq.core.errors import AttnseqError

SAVING = "saving"  # a new directory being written, or, after a swap, the old one going away
OLD = "old"  # the previous model during a two-rename swap
RENAME_EXCHANGE = 2  # <linux/fs.h>
AT_FDCWD = -100  # <fcntl.h>: relative paths are read from the working directory


def resolved(path) -> Path:
    """``path`` with every symbolic link followed (it need not exist); a loop of links, or a
    path the system refuses to look up (too long, not searchable), is an ``AttnseqError``."""
    p = Path(path)
    try:
        os.stat(p)
    except (FileNotFoundError, NotADirectoryError):
        pass  # nothing there yet (or a file on the way, which check_writable names)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise AttnseqError(f"{p} is a loop of symbolic links") from None
        raise AttnseqError(f"cannot use the path {p}: {exc.strerror}") from None
    return Path(os.path.realpath(p))


def sibling(target: Path, what: str) -> Path:
    """A fresh hidden name beside ``target``, marked with ``what`` and this process' id."""
    return target.parent / f".{target.name}.{what}-{os.getpid()}-{secrets.token_hex(4)}"


def _alive(pid: int) -> bool:
    """Is process ``pid`` running? (Ours is; one we may not signal is someone else's.)"""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:
        return True
    return True


def leftovers(target: Path) -> list[tuple[Path, str, int]]:
    """The hidden directories of saves to ``target`` (resolved): (path, SAVING or OLD, pid);
    links too (earlier versions moved a user's link at DIR aside as ``.DIR.old-*``)."""
    pattern = re.compile(rf"\.{re.escape(target.name)}\.({SAVING}|{OLD})-(\d+)-[0-9a-f]{{8}}")
    try:
        entries = list(target.parent.iterdir())
    except OSError:  # no parent yet, or one we cannot list: nothing of ours is there
        return []
    found = []
    for entry in sorted(entries):
        match = pattern.fullmatch(entry.name)
        if match and (entry.is_symlink() or entry.is_dir()):
            found.append((entry, match.group(1), int(match.group(2))))
    return found


def recover(path) -> None:
    """Put back the model that a save killed between its two renames left at
    ``.NAME.old-*``, and delete the hidden directories of saves whose process is gone."""
    target = resolved(path)
    dead = [(p, kind) for p, kind, pid in leftovers(target) if not _alive(pid)]
    olds = sorted((p for p, kind in dead if kind == OLD), key=lambda p: p.lstat().st_mtime)
    if olds and not os.path.lexists(target):
        try:
            os.rename(olds[-1], target)  # the newest previous model, back at its name
        except OSError as exc:
            raise AttnseqError(f"an interrupted save left the model {target} at "
                               f"{olds[-1].name}, and it cannot be put back: "
                               f"{exc.strerror}") from None
    for p, _ in dead:
        if p.is_symlink():
            with contextlib.suppress(OSError):
                p.unlink()  # the link only, never what it points to
        else:
            shutil.rmtree(p, ignore_errors=True)  # gone already when just renamed back


def _exchange(a: Path, b: Path) -> bool:
    """Swap the names ``a`` and ``b`` in one step; False (nothing done) where the system or
    the file system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:  # a C library older than glibc 2.28
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    if renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def put_in_place(new: Path, target: Path) -> None:
    """Make the finished directory ``new`` (a ``sibling`` of ``target``) appear at
    ``target`` (resolved), replacing what is there; see the module docstring."""
    if not os.path.lexists(target):
        os.rename(new, target)
        return
    if _exchange(new, target):
        shutil.rmtree(new, ignore_errors=True)  # the previous model, under the hidden name
        return
    old = sibling(target, OLD)
    os.rename(target, old)
    try:
        os.rename(new, target)
    except BaseException:
        os.rename(old, target)  # the previous model back where it was
        raise
    shutil.rmtree(old, ignore_errors=True)
