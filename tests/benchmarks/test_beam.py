"""Smoke test of ``python -m benchmarks.beam``: tiny sizes, seconds; the numbers it writes are
present and consistent with each other (the speed target itself needs full sizes)."""

import json

import pytest

from benchmarks.beam import main


def test_quick_run_writes_consistent_numbers(tmp_path, capsys):
    out = tmp_path / "beam.json"
    assert main(["--quick", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    rows = {r["decoder"]: r for r in result["rows"]}
    assert list(rows) == ["greedy", "beam 1", "beam 1, alpha 0.6, beta 0.2", "beam 2",
                          "beam 2, alpha 0.6, beta 0.2"]
    assert rows["greedy"]["time_per_pair_vs_greedy"] == 1.0
    for r in result["rows"]:
        assert r["seconds"] > 0 and 0.0 <= r["accuracy"] <= 1.0
        assert r["per_second"] == pytest.approx(result["pairs"] / r["seconds"])
        assert r["time_per_pair_vs_greedy"] == pytest.approx(
            r["seconds"] / rows["greedy"]["seconds"])
        assert r["cpu_seconds"] > 0
        assert r["cpu_per_pair_vs_greedy"] == pytest.approx(
            r["cpu_seconds"] / rows["greedy"]["cpu_seconds"])
    assert rows["beam 1"]["accuracy"] == rows["greedy"]["accuracy"]
    assert result["target"]["ratio"] is None  # no beam 5 in a quick run
    assert result["target"]["cpu_ratio"] is None
    printed = capsys.readouterr().out
    assert printed.count("\n| ") == 1 + len(rows)  # the header and one line per decoder


def test_bad_beam_list_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--beams", "5,0"])
    assert info.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "python -m benchmarks.beam: error: argument --beams: expected comma-separated "
        "positive integers, got '5,0'")
