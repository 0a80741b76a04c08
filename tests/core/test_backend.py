"""The backend switch, the host/device crossings, and the stand-in device module itself:
its arrays refuse every way onto the host but ``asnumpy``, as CuPy's do."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import attnseq
from attnseq.core import backend, standin

PACKAGE = Path(attnseq.__file__).parent
ROOT = str(PACKAGE.parent)  # the subprocess runs the code tested here


def device(values, dtype=np.float64):
    return standin.asarray(np.asarray(values, dtype=dtype))


@pytest.mark.parametrize("stray", [
    lambda a: np.asarray(a),
    lambda a: np.array(a),
    lambda a: np.exp(a),
    lambda a: np.flatnonzero(a),
    lambda a: np.concatenate([a, a]),
    lambda a: np.zeros(3) + a,
    lambda a: a + np.zeros(3),
    lambda a: a * np.ones(3),
    lambda a: standin.concatenate([a, np.zeros(3)]),
    lambda a: standin.maximum(a, np.zeros(3)),
], ids=["asarray", "array", "ufunc", "function", "concatenate", "host+device",
        "device+host", "device*host", "device-function-of-host", "device-ufunc-of-host"])
def test_a_stray_numpy_call_on_a_standin_array_raises(stray):
    # NumPy's own message where it refuses a ufunc operand (__array_ufunc__ = None)
    with pytest.raises(TypeError, match="stand-in device|does not support ufuncs"):
        stray(device([1.0, 2.0, 3.0]))


def test_assigning_a_host_array_into_a_device_array_is_refused():
    a = device([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="stand-in device"):
        a[...] = np.zeros(3)
    a[...] = standin.asarray(np.zeros(3))  # across through asarray: allowed
    assert standin.asnumpy(a).tolist() == [0.0, 0.0, 0.0]


def test_asarray_and_asnumpy_are_the_way_across_and_copy():
    host = np.arange(6.0).reshape(2, 3)
    a = standin.asarray(host)
    assert isinstance(a, standin.ndarray) and a.shape == (2, 3) and a.dtype == np.float64
    host[0, 0] = 9.0  # the device holds a copy
    back = standin.asnumpy(a * 2)
    assert isinstance(back, np.ndarray) and back.tolist() == [[0, 2, 4], [6, 8, 10]]


def test_reductions_are_device_arrays_and_scalars_come_back_explicitly():
    s = device([1.0, 2.0, 3.0]).sum()
    assert isinstance(s, standin.ndarray) and s.shape == ()
    assert float(s) == 6.0 and s.item() == 6.0
    assert float((np.float64(2.0) * device([1.0])).sum()) == 2.0  # NumPy scalars pass


def test_add_at_accumulates_repeats_as_numpy_does_and_scatter_add_is_gone():
    idx = np.array([1, 0, 1, 3])
    rows = np.arange(8.0).reshape(4, 2)
    expected = np.zeros((5, 2))
    np.add.at(expected, idx, rows)
    got = standin.zeros((5, 2))
    standin.add.at(got, standin.asarray(idx), standin.asarray(rows))
    assert standin.asnumpy(got).tolist() == expected.tolist()
    with pytest.raises(AttributeError):
        standin.scatter_add  # noqa: B018 - CuPy moved it to cupyx; the book's GPU mode used it


def test_the_package_never_calls_cupys_removed_scatter_add():
    # np.add.at's CuPy spelling is xp.add.at (current CuPy's ufunc.at) or cupyx.scatter_add; the
    # book's cupy.scatter_add no longer exists
    calls = [str(p) for p in PACKAGE.rglob("*.py")
             if re.search(r"\.scatter_add\b", p.read_text(encoding="utf-8"))]
    assert calls == []


def test_standin_random_draws_are_device_arrays_and_seeded():
    a = standin.random.default_rng(3).standard_normal((2, 3))
    b = standin.random.default_rng(3).standard_normal((2, 3))
    assert isinstance(a, standin.ndarray)
    assert standin.asnumpy(a).tolist() == standin.asnumpy(b).tolist()


def test_on_numpy_the_crossings_copy_nothing_and_the_generator_is_the_hosts():
    assert backend.xp is np  # the suite runs on NumPy; the stand-in runs in a subprocess
    a = np.zeros(3, np.float32)
    assert backend.to_numpy(a) is a and backend.to_device(a) is a
    gen = np.random.default_rng(4)
    assert backend.random_generator(gen) is gen
    assert backend.random_generator(4).random() == np.random.default_rng(4).random()


def _attnseq(env_backend: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ATTNSEQ_BACKEND": env_backend, "PYTHONPATH": ROOT}
    return subprocess.run([sys.executable, "-m", "attnseq", *args], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_a_missing_cupy_is_one_line_and_exit_2():
    try:
        import cupy  # noqa: F401, PLC0415
    except ImportError:
        pass
    else:
        pytest.skip("CuPy is installed here")
    run = _attnseq("cupy", "gradcheck")
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr == ("attnseq: error: ATTNSEQ_BACKEND=cupy needs CuPy, which is not "
                          "installed (pip install cupy-cuda12x)\n")


def test_an_unknown_backend_is_one_line_and_exit_2():
    run = _attnseq("gpu", "--help")
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr == ("attnseq: error: ATTNSEQ_BACKEND must be one of numpy, cupy, "
                          "standin, got 'gpu'\n")
