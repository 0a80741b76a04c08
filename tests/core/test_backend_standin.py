"""Every model on the stand-in device: training steps, greedy and beam decoding and the
gradient checks (``standin_steps.py``, run in a subprocess with ``ATTNSEQ_BACKEND=standin``,
since the backend is chosen once, at import), beam search with every setting, and the command
line's train, eval and convert. A stray NumPy call on a device array anywhere on those paths
fails them; where a result is compared, the stand-in's equals NumPy's."""

import json
import os
import subprocess
import sys
from pathlib import Path

import attnseq
from attnseq.models import MODELS

STEPS = Path(__file__).with_name("standin_steps.py")
ROOT = str(Path(attnseq.__file__).parent.parent)  # the subprocess runs the code tested here


def _run(*args: str, backend: str = "standin") -> subprocess.CompletedProcess:
    env = {**os.environ, "ATTNSEQ_BACKEND": backend, "PYTHONPATH": ROOT}
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True,
                          timeout=300, check=False)


def test_every_model_trains_decodes_and_passes_its_gradient_check_on_the_standin():
    run = _run(str(STEPS))
    assert run.returncode == 0, run.stderr
    for name in MODELS:
        for impl in ("book", "fast"):
            assert f"trained and decoded: {name} {impl}\n" in run.stdout
        assert f"gradient check: {name} " in run.stdout


def test_penalised_beam_search_with_n_best_finds_on_the_standin_what_it_finds_on_numpy():
    runs = [_run(str(STEPS), "beam", backend=backend) for backend in ("standin", "numpy")]
    for run in runs:
        assert run.returncode == 0, run.stderr
    on_standin, on_numpy = (json.loads(run.stdout) for run in runs)
    assert (on_standin.pop("backend"), on_numpy.pop("backend")) == ("attnseq.core.standin",
                                                                    "numpy")
    assert [len(on_standin[impl]) for impl in ("book", "fast")] == [4, 4]
    assert on_standin == on_numpy


def test_the_command_line_trains_evaluates_and_converts_on_the_standin(tmp_path):
    out = tmp_path / "model"
    train = _run("-m", "attnseq", "train", "--samples", "200", "--epochs", "1",
                 "--hidden-size", "8", "--wordvec-size", "4", "--no-progress",
                 "--out", str(out))
    assert train.returncode == 0, train.stderr
    evaluate = _run("-m", "attnseq", "eval", str(out))
    assert evaluate.returncode == 0, evaluate.stderr
    convert = _run("-m", "attnseq", "convert", str(out), "Jan 3, 2001", "--beam", "2")
    assert convert.returncode == 0, convert.stderr
    assert len(convert.stdout.splitlines()) == 1
    # the M best with both penalties, and the date normaliser over the hypotheses: as on NumPy
    outputs = []
    for options in (("--beam", "3", "--n-best", "2", "--alpha", "0.6", "--beta", "0.2"),
                    ("--dates", "--beam", "3", "--on-error", "empty")):
        args = ("-m", "attnseq", "convert", str(out), "Jan 3, 2001", "May 9, 1999", *options)
        on_standin, on_numpy = _run(*args), _run(*args, backend="numpy")
        assert on_standin.returncode == 0, on_standin.stderr
        assert on_standin.stdout == on_numpy.stdout and on_standin.stderr == ""
        outputs.append(on_standin.stdout.splitlines())
    n_best, dates = outputs
    assert [line.split("\t")[:2] for line in n_best] == [["1", "1"], ["1", "2"],
                                                           ["2", "1"], ["2", "2"]]
    assert len(dates) == 2
