"""The evaluation commands: ``attnseq compare``, ``attnseq attention`` and ``eval``'s per-format
breakdown. Tiny models only: these test the plumbing, not the learning (see test_viz.py).
"""

import json
import struct

import pytest

from attnseq.cli import main
from attnseq.experiments.viz import DPI, PANEL_INCHES
from attnseq.tasks import save_pairs_tsv

TINY = ["--hidden-size", "8", "--wordvec-size", "8", "--batch-size", "32", "--no-progress"]


def png_size(path) -> tuple[int, int]:
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def one_error_line(capsys, code):
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "error:" in err, err
    return err


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """An attention and a baseline date model, trained one epoch on 200 dates."""
    root = tmp_path_factory.mktemp("models")
    for name in ("attention", "baseline"):
        assert main(["train", "--model", name, "--samples", "200", "--epochs", "1",
                     "--out", str(root / name), *TINY]) == 0
    return root


def test_compare_writes_chart_curves_table_and_models(tmp_path, capsys):
    out = tmp_path / "cmp"
    code = main(["compare", "--models", "baseline,attention", "--samples", "200",
                 "--epochs", "2", "--out", str(out), *TINY])
    printed = capsys.readouterr().out
    assert code == 0
    for name in ("accuracy.png", "curves.json", "curves.csv", "table.md"):
        assert (out / name).is_file(), name
    assert png_size(out / "accuracy.png") == (1200, 450)
    assert (out / "table.md").read_text().strip() in printed
    doc = json.loads((out / "curves.json").read_text())
    assert list(doc["models"]) == ["baseline", "attention"]
    assert all(len(m["records"]) == 2 for m in doc["models"].values())
    assert doc["train"]["epochs"] == 2 and doc["data"]["samples"] == 200
    for name in ("baseline", "attention"):
        assert json.loads((out / name / "config.json").read_text())["model"]["model"] == name


def test_compare_rejects_bad_models_and_directories(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["compare", "--models", "baseline,bogus"])
    assert exc.value.code == 2
    assert "unknown model 'bogus'" in capsys.readouterr().err
    (tmp_path / "mine.txt").write_text("keep me")
    err = one_error_line(capsys, main(["compare", "--models", "peeky", "--samples", "50",
                                       "--epochs", "1", "--out", str(tmp_path), *TINY]))
    assert "refusing to overwrite" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.txt"]


def test_attention_writes_a_grid_of_heatmaps(models, tmp_path, capsys):
    out = tmp_path / "figs" / "attention.png"
    texts = ["TUESDAY, SEPTEMBER 25, 1984", "9/8/97", "jun 17, 2013"]
    assert main(["attention", str(models / "attention"), *texts, "--out", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert [line.split(" -> ")[0] for line in printed[:3]] == texts
    assert printed[-1] == f"wrote {out}"
    # Three panels, two per row: 2 x 2 cells of PANEL_INCHES at DPI.
    assert png_size(out) == (round(2 * PANEL_INCHES[0] * DPI), round(2 * PANEL_INCHES[1] * DPI))


def test_attention_errors_are_one_line(models, tmp_path, capsys):
    out = tmp_path / "a.png"
    err = one_error_line(capsys, main(["attention", str(models / "baseline"), "9/8/97",
                                       "--out", str(out)]))
    assert "no attention" in err
    err = one_error_line(capsys, main(["attention", str(models / "attention"), "9/8/97",
                                       "9/8/9\u00e9", "--out", str(out)]))
    assert "unknown character" in err
    err = one_error_line(capsys, main(["attention", str(models / "attention"), "9/8/97",
                                       "--out", str(tmp_path / "a.xyz")]))
    assert "suffix" in err
    err = one_error_line(capsys, main(["attention", str(tmp_path / "nowhere"), "9/8/97",
                                       "--out", str(out)]))
    assert "no model directory" in err
    assert not any(tmp_path.iterdir())  # nothing written
    with pytest.raises(SystemExit) as exc:
        main(["attention", str(models / "attention"), "9/8/97"])  # --out is required
    assert exc.value.code == 2


def test_eval_breaks_date_models_down_by_format(models, capsys):
    assert main(["eval", str(models / "attention")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("exact match on its test split: ")
    assert lines[1] == "per date format, worst first:"
    rows = [line.split() for line in lines[3:] if not line.startswith("      ")]
    assert rows and all(row[-1].endswith("%") for row in rows)
    accuracies = [float(row[-1].rstrip("%")) for row in rows]
    assert accuracies == sorted(accuracies)
    assert sum(int(row[1].split("/")[1]) for row in rows) == 20  # every test pair, once
    examples = [line for line in lines if line.startswith("      ")]
    assert examples and all("(expected '" in line for line in examples)


def test_eval_on_a_file_has_no_breakdown(models, tmp_path, capsys):
    data = tmp_path / "pairs.tsv"
    save_pairs_tsv([("9/8/97", "1997-09-08"), ("jun 17, 2013", "2013-06-17")], data)
    assert main(["eval", str(models / "attention"), "--data", str(data)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"exact match on {data}: ")
