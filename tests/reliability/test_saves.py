"""Saves killed at every step: a model is at DIR (or is put back there by the next load), and
what the killed save left is cleaned; ``--out`` that is a symbolic link is followed.

A kill is a forked child that saves with its file-system steps counted (``os.mkdir``,
``os.fsync``, ``os.rename``, the exchange of names, ``shutil.rmtree``) and leaves with
``os._exit`` just before step k, as SIGKILL would leave it: no handler, no cleanup. Every k
is tried, until the save runs to its end.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from attnseq.cli import main
from attnseq.core.errors import AttnseqError
from attnseq.experiments.converter import Converter
from attnseq.models.config_entry import model_config
from attnseq.tasks.vocab import Vocab
from attnseq.training import atomic, checkpoint

VOCAB = Vocab.from_texts(["0123456789-/ abc"])
KILLED = 137


def make(seed: int) -> Converter:
    config = model_config("attention", dict(wordvec_size=4, hidden_size=6, question_len=12,
                                            answer_len=10))
    return Converter.create(config, VOCAB, seed=seed)


def snapshot(directory: Path) -> dict:
    """Every file under ``directory`` (name -> bytes), read without any recovery."""
    if not directory.is_dir():
        return {}
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def killed_save(conv: Converter, target: Path, kill_at: int, exchange: bool) -> int:
    """Save ``conv`` at ``target`` in a child killed before its ``kill_at``-th file-system
    step (``exchange``: with the exchange of names, else the two-rename fallback); the
    child's exit status: KILLED, or 0 when the save ran to its end first."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        status = 1
        try:
            steps = [0]

            def counted(step):
                def run(*args, **kw):
                    steps[0] += 1
                    if steps[0] == kill_at:
                        os._exit(KILLED)
                    return step(*args, **kw)
                return run

            for module, name in ((os, "mkdir"), (os, "fsync"), (os, "rename"),
                                 (shutil, "rmtree")):
                setattr(module, name, counted(getattr(module, name)))
            atomic._exchange = counted(atomic._exchange if exchange else lambda a, b: False)
            conv.save(target)
            status = 0
        finally:
            os._exit(status)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def exchange_works(tmp_path: Path) -> bool:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    try:
        return atomic._exchange(tmp_path / "a", tmp_path / "b")
    finally:
        os.rmdir(tmp_path / "a")
        os.rmdir(tmp_path / "b")


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two-renames"])
def test_a_save_killed_at_any_step_leaves_a_model_at_dir(tmp_path, exchange):
    if exchange and not exchange_works(tmp_path):
        pytest.skip("this file system cannot exchange two names in one step")
    old, new = make(seed=1), make(seed=2)
    target = tmp_path / "m"
    old.save(target)
    old_files = snapshot(target)
    new.save(tmp_path / "reference")
    new_files = snapshot(tmp_path / "reference")
    shutil.rmtree(tmp_path / "reference")

    kills = 0
    for kill_at in range(1, 50):
        status = killed_save(new, target, kill_at, exchange)
        if status == 0:
            break
        assert status == KILLED
        kills += 1
        at_dir = snapshot(target)  # before any recovery
        if exchange:  # no moment without a model: the old one or the new one, whole
            assert at_dir in (old_files, new_files)
        else:  # one window, between the two renames: nothing at DIR until the next load
            assert at_dir in (old_files, new_files, {})
        loaded = Converter.load(target)  # recovers
        assert snapshot(target) in (old_files, new_files)
        expected = old if snapshot(target) == old_files else new
        assert np.array_equal(loaded.model.params[1], expected.model.params[1])
        assert os.listdir(tmp_path) == ["m"]  # the killed save's leftovers are gone
        old.save(target)  # start the next kill from the old model again
    # every step was a kill point: the parent's and the new directory's mkdir, two fsyncs,
    # then the exchange and the old one's rmtree, or the refused exchange, two renames and
    # the rmtree (the numbers of docs/reliability.md)
    assert kills == (6 if exchange else 8)
    assert snapshot(target) == new_files
    assert os.listdir(tmp_path) == ["m"]


def test_a_kill_between_the_two_renames_is_repaired_by_the_next_save_too(tmp_path):
    make(seed=1).save(tmp_path / "m")
    second = make(seed=2)
    for kill_at in range(1, 50):  # until the kill falls between the renames
        assert killed_save(second, tmp_path / "m", kill_at, exchange=False) == KILLED
        if not (tmp_path / "m").exists():
            break
    assert any(name.startswith(".m.old-") for name in os.listdir(tmp_path))
    third = make(seed=3)
    third.save(tmp_path / "m")
    assert os.listdir(tmp_path) == ["m"]
    assert np.array_equal(Converter.load(tmp_path / "m").model.params[1],
                          third.model.params[1])


def test_leftovers_of_a_live_process_are_left_alone(tmp_path):
    """Another save at work (this process' id stands for a live one): not ours to delete."""
    make(seed=1).save(tmp_path / "m")
    busy = tmp_path / f".m.saving-{os.getpid()}-0123abcd"
    busy.mkdir()
    Converter.load(tmp_path / "m")
    make(seed=2).save(tmp_path / "m")
    assert sorted(os.listdir(tmp_path)) == sorted([busy.name, "m"])


def test_leftovers_of_older_attnseq_versions_are_cleaned(tmp_path):
    """A killed run of an attnseq before this one left .m.old-* with no model at m."""
    make(seed=1).save(tmp_path / "m")
    dead = os.fork()
    if dead == 0:
        os._exit(0)
    os.waitpid(dead, 0)  # a process id that is surely gone now
    os.rename(tmp_path / "m", tmp_path / f".m.old-{dead}-89abcdef")
    (tmp_path / f".m.saving-{dead}-01234567").mkdir()
    Converter.load(tmp_path / "m")
    assert os.listdir(tmp_path) == ["m"]


# -- --out that is a symbolic link -----------------------------------------------------------

def test_a_save_through_a_symbolic_link_follows_it(tmp_path):
    make(seed=1).save(tmp_path / "real")
    os.symlink("real", tmp_path / "link")
    second = make(seed=2)
    second.save(tmp_path / "link")
    assert os.readlink(tmp_path / "link") == "real"  # the user's link stays as it was
    assert sorted(os.listdir(tmp_path)) == ["link", "real"]
    assert np.array_equal(Converter.load(tmp_path / "real").model.params[1],
                          second.model.params[1])


def test_a_dangling_link_is_followed_to_where_it_points(tmp_path):
    os.symlink("models/m", tmp_path / "link")
    make(seed=1).save(tmp_path / "link")
    assert checkpoint.is_model_dir(tmp_path / "models" / "m")
    assert os.readlink(tmp_path / "link") == "models/m"


def test_train_with_out_a_link_saves_every_epoch_through_it(tmp_path, capsys):
    """The issue's case: the second epoch's save used to fail on the link."""
    make(seed=1).save(tmp_path / "real")
    os.symlink(tmp_path / "real", tmp_path / "link")
    args = ["train", "--model", "baseline", "--samples", "60", "--epochs", "2",
            "--hidden-size", "4", "--wordvec-size", "3", "--no-progress",
            "--out", str(tmp_path / "link")]
    assert main(args) == 0
    assert capsys.readouterr().err == ""  # no "Cannot call rmtree on a symbolic link"
    assert sorted(os.listdir(tmp_path)) == ["link", "real"]
    assert Converter.load(tmp_path / "link").config.model == "baseline"
    assert len(Converter.load(tmp_path / "real").meta["history"]) == 2


def test_a_loop_of_links_as_out_is_refused_before_training(tmp_path, capsys):
    os.symlink("loop", tmp_path / "loop")
    assert main(["train", "--samples", "60", "--epochs", "1", "--out",
                 str(tmp_path / "loop")]) == 2
    assert capsys.readouterr().err == (f"attnseq train: error: --out {tmp_path / 'loop'}: a "
                                       "symbolic link that leads to no directory (Too many "
                                       "levels of symbolic links)\n")
    with pytest.raises(AttnseqError, match="is a loop of symbolic links"):
        make(seed=1).save(tmp_path / "loop")
    assert os.listdir(tmp_path) == ["loop"]
