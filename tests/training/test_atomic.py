"""atomic: links followed, directories put in place by exchange or two renames, and what
killed saves leave recovered or deleted (whole saves killed mid-way: tests/reliability)."""

from __future__ import annotations

import os
import time

import pytest

from attnseq.core.errors import AttnseqError
from attnseq.training import atomic


def directory(path, text: str):
    path.mkdir()
    (path / "file").write_text(text)
    return path


def dead_pid() -> int:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def test_resolved_follows_links_and_refuses_loops(tmp_path):
    directory(tmp_path / "real", "x")
    os.symlink("real", tmp_path / "link")
    os.symlink("nowhere/yet", tmp_path / "dangling")
    assert atomic.resolved(tmp_path / "link") == tmp_path / "real"
    assert atomic.resolved(tmp_path / "dangling") == tmp_path / "nowhere" / "yet"
    os.symlink("b", tmp_path / "a")
    os.symlink("a", tmp_path / "b")
    with pytest.raises(AttnseqError) as info:
        atomic.resolved(tmp_path / "a" / "m")
    assert str(info.value) == f"{tmp_path / 'a' / 'm'} is a loop of symbolic links"


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two-renames"])
def test_put_in_place_replaces_and_leaves_nothing_else(tmp_path, monkeypatch, exchange):
    if not exchange:
        monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    target = directory(tmp_path / "m", "old")
    new = directory(atomic.sibling(target, atomic.SAVING), "new")
    atomic.put_in_place(new, target)
    assert (target / "file").read_text() == "new"
    assert os.listdir(tmp_path) == ["m"]


def test_the_exchange_swaps_two_directories(tmp_path):
    a, b = directory(tmp_path / "a", "A"), directory(tmp_path / "b", "B")
    if not atomic._exchange(a, b):
        pytest.skip("this file system cannot exchange two names in one step")
    assert (a / "file").read_text() == "B" and (b / "file").read_text() == "A"


def test_recover_puts_the_newest_old_model_back_and_deletes_the_rest(tmp_path):
    pid = dead_pid()
    older = directory(tmp_path / f".m.old-{pid}-00000000", "older")
    newer = directory(tmp_path / f".m.old-{pid}-11111111", "newer")
    stamp = time.time()
    os.utime(older, (stamp - 60, stamp - 60))
    os.utime(newer, (stamp, stamp))
    directory(tmp_path / f".m.saving-{pid}-22222222", "half")
    directory(tmp_path / ".other.old-1-33333333", "not ours")
    atomic.recover(tmp_path / "m")
    assert (tmp_path / "m" / "file").read_text() == "newer"
    assert sorted(os.listdir(tmp_path)) == [".other.old-1-33333333", "m"]


def test_recover_keeps_a_model_in_place_and_a_live_process_work(tmp_path):
    directory(tmp_path / "m", "current")
    directory(tmp_path / f".m.old-{dead_pid()}-00000000", "stale")
    live = directory(tmp_path / f".m.saving-{os.getpid()}-44444444", "at work")
    atomic.recover(tmp_path / "m")
    assert (tmp_path / "m" / "file").read_text() == "current"
    assert sorted(os.listdir(tmp_path)) == [live.name, "m"]


def test_recover_removes_a_leftover_link_without_following_it(tmp_path):
    """Earlier versions moved a user's link at DIR aside as .DIR.old-*: the link goes, what
    it points to stays."""
    directory(tmp_path / "m", "current")
    keep = directory(tmp_path / "keep", "precious")
    os.symlink(keep, tmp_path / f".m.old-{dead_pid()}-55555555")
    atomic.recover(tmp_path / "m")
    assert (keep / "file").read_text() == "precious"
    assert sorted(os.listdir(tmp_path)) == ["keep", "m"]
