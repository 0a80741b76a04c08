"""``compare``: what it writes, that the curves are what the runs measured, and the table."""

import csv
import json

import matplotlib.image
import pytest

from attnseq.core.errors import AttnseqError
from attnseq.experiments.compare import (
    CSV_FIELDS,
    NEVER,
    check_compare_dir,
    compare,
    curves_csv,
    epochs_to,
    load_curves,
    parse_model_names,
    results_table,
)
from attnseq.experiments.converter import Converter
from attnseq.experiments.run import Task
from attnseq.training.trainer import TrainConfig

MODELS = ("baseline", "attention")


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """Two tiny models, two epochs each, on 300 generated dates."""
    out = tmp_path_factory.mktemp("compare") / "runs"
    task = Task.dates(300, seed=5)
    lines = []
    histories = compare(task, MODELS, {"wordvec_size": 8, "hidden_size": 16},
                        TrainConfig(epochs=2, batch_size=32, seed=1), out, progress=False,
                        report=lines.append)
    return task, out, histories, lines


def test_writes_every_output(compared):
    task, out, histories, lines = compared
    assert list(histories) == list(MODELS)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["accuracy.png", "curves.csv", "curves.json", "table.md", *MODELS])
    for name in MODELS:
        assert (out / name / "config.json").is_file() and (out / name / "weights.npz").is_file()
    assert lines[0] == "[1/2] baseline" and "[2/2] attention" in lines
    pixels = matplotlib.image.imread(out / "accuracy.png")
    assert pixels.shape[:2] == (450, 1200) and pixels[..., :3].var() > 0.001


def test_curves_hold_what_the_runs_measured(compared):
    task, out, histories, _ = compared
    doc = json.loads((out / "curves.json").read_text())
    assert doc["data"] == task.source and doc["train"]["seed"] == 1
    for name in MODELS:
        records = doc["models"][name]["records"]
        assert records == histories[name].records
        assert [r["epoch"] for r in records] == [1, 2]
        for key in ("accuracy", "loss", "seconds", "wall_seconds"):
            assert all(isinstance(r[key], float) for r in records)
        assert doc["models"][name]["config"]["model"] == name
        assert doc["models"][name]["config"]["hidden_size"] == 16
    assert {n: h.records for n, h in load_curves(out).items()} == {
        n: h.records for n, h in histories.items()}

    with open(out / "curves.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == CSV_FIELDS and len(rows) == 4
    for row in rows:
        record = histories[row["model"]][int(row["epoch"]) - 1]
        for key in ("accuracy", "loss", "seconds", "eval_seconds", "wall_seconds"):
            assert float(row[key]) == record[key]  # written in full, read back exactly


def test_last_accuracy_is_the_saved_models(compared):
    task, out, histories, _ = compared
    for name in MODELS:
        conv = Converter.load(out / name)
        assert conv.config.model == name
        assert conv.accuracy(task.test) == histories[name][-1]["accuracy"]


def test_table_file_matches_results_table(compared):
    _, out, histories, _ = compared
    table = (out / "table.md").read_text()
    assert table == results_table(histories) + "\n"
    lines = table.splitlines()
    assert lines[0].split("|")[1].strip() == "model"
    assert [line.split("|")[1].strip() for line in lines[2:4]] == list(MODELS)


def test_results_table_columns():
    histories = {
        "fast": [{"epoch": 1, "accuracy": 0.5, "seconds": 2.0},
                 {"epoch": 2, "accuracy": 0.995, "seconds": 4.0},
                 {"epoch": 3, "accuracy": 1.0, "seconds": 3.0}],
        "slow": [{"epoch": 1, "accuracy": 0.1, "seconds": 0.25}],
    }
    lines = results_table(histories).splitlines()
    cells = [[c.strip() for c in line.split("|")[1:-1]] for line in lines[:4]]
    assert cells[0] == ["model", "epoch 1", "epoch 2", "epoch 3", "s/epoch", "epochs to 99%"]
    assert cells[2] == ["fast", "50.00", "99.50", "100.00", "3.0", "2"]
    assert cells[3] == ["slow", "10.00", NEVER, NEVER, "0.250", NEVER]
    assert len({len(line) for line in lines[:4]}) == 1  # padded: the columns line up
    assert "accuracy (%)" in lines[-1]
    assert epochs_to(histories["fast"]) == 2
    assert epochs_to(histories["fast"], target=1.0) == 3
    assert epochs_to(histories["slow"]) is None


def test_curves_csv_ignores_extra_keys():
    text = curves_csv({"m": [{"epoch": 1, "accuracy": 0.5, "loss": 1.0, "seconds": 1.0,
                              "something_else": 3}]})
    assert text.splitlines()[1] == "m,1,0.5,1.0,1.0,,,,,"


def test_parse_model_names():
    assert parse_model_names("baseline, peeky,attention") == ("baseline", "peeky", "attention")
    assert parse_model_names(["attention"]) == ("attention",)
    with pytest.raises(AttnseqError, match="unknown model 'bogus'"):
        parse_model_names("baseline,bogus")
    with pytest.raises(AttnseqError, match="twice"):
        parse_model_names("peeky,peeky")
    with pytest.raises(AttnseqError, match="no models"):
        parse_model_names(" , ")


def test_refuses_to_overwrite_what_is_not_a_comparison(tmp_path):
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / "curves.json").write_text(json.dumps({"format": "attnseq-compare"}))
    check_compare_dir(earlier, MODELS)  # an earlier comparison may be overwritten
    check_compare_dir(tmp_path / "new", MODELS)
    (tmp_path / "notes.json").write_text("{}")
    with pytest.raises(AttnseqError, match="refusing to overwrite"):
        check_compare_dir(tmp_path, MODELS)
    with pytest.raises(AttnseqError, match="not a directory"):
        check_compare_dir(tmp_path / "notes.json", MODELS)
    (earlier / "peeky").mkdir()
    (earlier / "peeky" / "data.txt").write_text("mine")
    with pytest.raises(AttnseqError, match="refusing to overwrite"):
        check_compare_dir(earlier, ["peeky"])
    task = Task.dates(20, seed=0)
    with pytest.raises(AttnseqError, match="refusing to overwrite"):  # before any training
        compare(task, ["peeky"], {"hidden_size": 4}, TrainConfig(epochs=1), earlier,
                progress=False, report=lambda line: pytest.fail("trained anyway"))
    assert sorted(p.name for p in earlier.iterdir()) == ["curves.json", "peeky"]
    with pytest.raises(AttnseqError, match="not an attnseq comparison"):
        load_curves(tmp_path / "notes.json")
    with pytest.raises(AttnseqError, match="cannot read"):
        load_curves(tmp_path / "new")
    (tmp_path / "half.json").write_text(json.dumps({"format": "attnseq-compare"}))
    with pytest.raises(AttnseqError, match="corrupt"):
        load_curves(tmp_path / "half.json")
