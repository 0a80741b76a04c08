"""benchmarks/ntm.py at toy size: both machines train, save as they go, and are reported."""

import json

from benchmarks import ntm
from benchmarks.ntm import converged_at


def test_train_then_report(tmp_path, capsys):
    for name in ntm.MACHINES:
        ntm.train(name, tmp_path, sequences=32, seed=0, progress=False)
    table = ntm.report(tmp_path, (2, 3))
    results = json.loads((tmp_path / "results.json").read_text())
    assert list(results) == ["ntm", "lstm"]
    assert results["ntm"]["trained_sequences"] == 32
    assert set(results["lstm"]["lengths"]) == {"2", "3"}
    lines = table.splitlines()
    assert lines[0].startswith("| machine | L=2 | L=3 |") and len(lines) == 4
    assert lines[2].count("not within the run") == 2
    assert "not within the run" in table  # 32 sequences are too few to converge
    assert (tmp_path / "curve.png").stat().st_size > 0


def test_speed_times_both_machines_at_two_lengths():
    lines = ntm.speed(repeats=1).splitlines()
    assert [line.split("|")[1:4] for line in lines[2:]] == [
        [" ntm ", " 10 ", " 21 "], [" ntm ", " 20 ", " 41 "],
        [" lstm ", " 10 ", " 21 "], [" lstm ", " 20 ", " 41 "]]
    assert all(float(line.split("|")[4]) > 0 for line in lines[2:])


def test_converged_for_good_waits_out_a_relapse():
    history = [{"bit_errors": e} for e in (9.0, 0.05, 4.0, 0.02, 0.01)]
    assert converged_at(history) is history[1]
    assert converged_at(history, for_good=True) is history[3]
    assert converged_at(history[:3], for_good=True) is None
    assert converged_at(history, threshold=0.01) is None
