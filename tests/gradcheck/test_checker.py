"""Every layer's and model's backward against central differences, and the checker itself."""

import numpy as np
import pytest

from attnseq import cli
from attnseq import fast as F
from attnseq import layers as L
from attnseq.gradcheck import checker as gradcheck
from attnseq.gradcheck.cases import MODEL_ROWS, LayerRow, all_cases, case, layer_cases, model_cases
from attnseq.gradcheck.checker import check, numerical_gradient, relative_error, spread
from attnseq.models import MODELS
from attnseq.ntm import addressing, memory

CASES = {case.name: case for case in all_cases()}

# The float inputs each layer's backward returns a gradient for: the cases must check them all.
EXPECTED_INPUTS = {
    "Embedding": set(),
    "TimeEmbedding": set(),
    "Affine": {"x"},
    "TimeAffine": {"x"},
    "Softmax": {"x"},
    "TimeSoftmaxWithLoss": {"xs"},
    "LSTM": {"x", "h_prev", "c_prev"},
    "FastLSTM": {"x", "h_prev", "c_prev"},
    "TimeLSTM": {"xs", "h0", "c0"},
    "FastTimeLSTM": {"xs", "h0", "c0"},
    "EmbeddingLSTM": set(),
    "EmbeddingLSTM[state]": {"h0", "c0"},
    "AttentionWeight": {"hs", "h"},
    "WeightSum": {"hs", "a"},
    "Attention": {"hs", "h"},
    "TimeAttention": {"hs_enc", "hs_dec"},
}


def test_case_names_are_unique():
    assert len(CASES) == len(all_cases())


def test_every_layer_and_model_has_a_case():
    layer_classes = {name for module in (L, F, addressing, memory) for name in dir(module)
                     if isinstance(getattr(module, name), type)
                     and issubclass(getattr(module, name), L.Layer) and name != "Layer"}
    assert {name.split("[")[0] for name in EXPECTED_INPUTS} <= layer_classes
    missing = (layer_classes | set(MODELS)) - set(CASES)
    assert not missing, f"no gradient check for {sorted(missing)}"


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_gradient_check(case):
    errors = check(case)
    expected_keys = {f"param{k}" for k in range(len(case.params))} | set(case.inputs)
    assert set(errors) == expected_keys
    assert len(errors) == len(case.params) + len(case.inputs)
    if case.name in EXPECTED_INPUTS:
        assert set(case.inputs) == EXPECTED_INPUTS[case.name]
    elif case.name in MODELS:  # every parameter of the model is checked
        assert len(case.params) > 0
    for x in list(case.params) + list(case.inputs.values()):
        assert x.dtype == np.float64
    worst = max(errors.values())
    assert worst < 1e-6, errors


def test_a_row_must_check_every_float_input():
    with pytest.raises(ValueError, match=r"gradient row Affine: inputs \['h', 'x'\] must be "
                                         r"split between wrt \('x',\) and state \(\)"):
        LayerRow("Affine", lambda r: None, {"x": (2, 3), "h": (2, 3)}, ("x",))
    with pytest.raises(ValueError, match="gradient row LSTM"):
        LayerRow("LSTM", lambda r: None, {"x": (2, 3)}, ("x", "h"))


def test_a_backward_returning_fewer_gradients_than_the_row_names_fails(monkeypatch):
    row = LayerRow("Attention", lambda r: L.Attention(), {"hs": (3, 5, 4), "h": (3, 4)},
                   ("hs", "h"))
    original = L.Attention.backward
    monkeypatch.setattr(L.Attention, "backward", lambda self, dc: original(self, dc)[:1])
    with pytest.raises(ValueError, match="zip"):
        check(case(row))


def test_model_cases_cover_all_model_params():
    for row, model_case in zip(MODEL_ROWS, model_cases(), strict=True):
        model = row.build()
        assert len(model_case.params) == len(model_case.grads) == len(model.params)


def test_another_seed_passes_too():
    for layer_case in layer_cases(seed=1):
        assert max(check(layer_case).values(), default=0.0) < 1e-6, layer_case.name


# --------------------------------------------------------------------------- the checker


def test_numerical_gradient_of_cube_sum():
    x = np.random.default_rng(0).standard_normal((3, 4))
    before = x.copy()
    grad = numerical_gradient(lambda: float((x ** 3).sum()), x)
    np.testing.assert_allclose(grad, 3 * before ** 2, rtol=1e-8, atol=1e-9)
    assert np.array_equal(x, before), "x must be restored exactly"
    assert grad.shape == x.shape


def test_numerical_gradient_sees_each_element_separately():
    x = np.array([1.0, 2.0, 3.0])
    weights = np.array([5.0, -1.0, 0.25])
    grad = numerical_gradient(lambda: float(weights @ x), x)
    np.testing.assert_allclose(grad, weights, rtol=1e-9)


def test_numerical_gradient_at_indices_differences_only_those():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    weights = np.array([5.0, -1.0, 0.25, 2.0])
    grad = numerical_gradient(lambda: float(weights @ x), x, indices=[0, 3])
    np.testing.assert_allclose(grad, [5.0, 0.0, 0.0, 2.0], rtol=1e-9)


def test_spread_picks_evenly_spaced_elements_or_all():
    assert spread(10, 4) == [0, 3, 6, 9]
    assert spread(3, 4) is None and spread(3, None) is None


def test_a_check_over_a_few_elements_still_catches_a_wrong_gradient(monkeypatch):
    original = L.TimeLSTM.backward

    def wrong(self, dhs):
        dxs = original(self, dhs)
        self.grads[1] *= 1.01  # dWh
        return dxs

    assert max(check(_case("TimeLSTM"), elements=3).values()) < 1e-6
    monkeypatch.setattr(L.TimeLSTM, "backward", wrong)
    errors = check(_case("TimeLSTM"), elements=3)
    assert errors["param1"] > 1e-3 and errors["param0"] < 1e-6


def test_relative_error_basics():
    a = np.array([1.0, -2.0, 3.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(a, -a) == pytest.approx(1.0)
    assert relative_error(a, np.zeros(3)) == pytest.approx(1.0)
    assert relative_error(a, 2 * a) == pytest.approx(1 / 3)
    assert relative_error(a, 2 * a) == pytest.approx(relative_error(2 * a, a))
    assert relative_error(1e-9 * a, 1e-9 * 1.01 * a) == pytest.approx(relative_error(a, 1.01 * a))
    assert isinstance(relative_error(a, a), float)


def _case(name):
    return {case.name: case for case in all_cases()}[name]


def test_checker_catches_wrong_input_gradient(monkeypatch):
    original = L.Affine.backward
    monkeypatch.setattr(L.Affine, "backward", lambda self, dout: original(self, dout) * 1.01)
    errors = check(_case("Affine"))
    assert errors["x"] > 1e-3
    assert errors["param0"] < 1e-6  # only the input gradient is wrong


def test_checker_catches_wrong_parameter_gradient(monkeypatch):
    original = L.TimeLSTM.backward

    def wrong(self, dhs):
        dxs = original(self, dhs)
        self.grads[1] *= 1.01  # dWh
        return dxs

    monkeypatch.setattr(L.TimeLSTM, "backward", wrong)
    errors = check(_case("TimeLSTM"))
    assert errors["param1"] > 1e-3
    assert errors["param0"] < 1e-6 and errors["xs"] < 1e-6


@pytest.mark.parametrize("name", list(MODELS))
def test_checker_catches_wrong_model_backward(monkeypatch, name):
    # the decoders' output layer (the fast Transformer's is a FastAffine); encoders have none
    for cls in (L.TimeAffine, F.FastAffine):
        monkeypatch.setattr(cls, "backward",
                            lambda self, d, original=cls.backward: original(self, d) * 1.01)
    errors = check(_case(name))
    assert max(errors.values()) > 1e-3


def test_checker_catches_a_small_error_deep_inside_a_model(monkeypatch):
    original = L.TimeAttention.backward

    def wrong(self, dC):
        denc, ddec = original(self, dC)
        return denc, ddec * 1.01

    monkeypatch.setattr(L.TimeAttention, "backward", wrong)
    # Only a part of each gradient flows through this path, so the error is diluted, but it
    # still stands far above the pass threshold of 1e-6.
    assert max(check(_case("attention")).values()) > 1e-5
    # the baseline has no attention: its check is unaffected
    assert max(check(_case("baseline")).values()) < 1e-6


def test_check_uses_eps(monkeypatch):
    seen = []
    original = gradcheck.numerical_gradient

    def spy(loss, x, eps=1e-5, indices=None):
        seen.append(eps)
        return original(loss, x, eps, indices)

    monkeypatch.setattr(gradcheck, "numerical_gradient", spy)
    check(_case("Affine"), eps=1e-4)
    assert seen and all(e == 1e-4 for e in seen)


# --------------------------------------------------------------------------- GNMT


def test_gnmt_cases_are_listed_by_the_gradcheck_command(monkeypatch, capsys):
    monkeypatch.setattr(gradcheck, "check", lambda case: {"param0": 0.0})  # the listing only
    assert cli.main(["gradcheck"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()[:-1]]
    assert {"gnmt", "gnmt[layers=4,dropout]", "gnmt[layers=2,additive]",
            "gnmt[layers=3,sum,general]", "TimeStackedLSTM[side,residual_from=3]"} <= set(names)


def test_gnmt_check_sees_its_residual_connections(monkeypatch):
    """GNMT's skips start at layer 3: a backward that forgets them fails the check of its
    default three layers and of four, and cannot fail that of two, which has none."""
    original = L.TimeStackedLSTM.backward

    def without_skips(self, *args):
        self.residual = False
        try:
            return original(self, *args)
        finally:
            self.residual = True

    monkeypatch.setattr(L.TimeStackedLSTM, "backward", without_skips)
    assert max(check(_case("gnmt")).values()) > 1e-3
    assert max(check(_case("gnmt[layers=4,dropout]")).values()) > 1e-3
    assert max(check(_case("gnmt[layers=2,additive]")).values()) < 1e-6


def test_gnmt_check_sees_the_context_fed_to_the_upper_layers(monkeypatch):
    original = L.TimeStackedLSTM.backward

    def lost_side(self, *args):
        d = original(self, *args)
        if self.side_width is None:  # the encoder's stack reads no side input
            return d
        return d[0], d[1] * 0.99

    monkeypatch.setattr(L.TimeStackedLSTM, "backward", lost_side)
    assert max(check(_case("gnmt")).values()) > 1e-4
