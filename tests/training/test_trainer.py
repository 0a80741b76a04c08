"""Trainer, TrainConfig, History, rows_correct and accuracy, on toy models written here."""

import io
import json
import sys
import warnings

import numpy as np
import pytest

from attnseq.core.errors import AttnseqError
from attnseq.training.accuracy import accuracy, rows_correct
from attnseq.training.optim import SGD, Adam, clip_grads, grad_norm
from attnseq.training.trainer import Diverged, History, TrainConfig, Trainer

V, C = 12, 6  # input vocabulary, classes


class BagClassifier:
    """Softmax classifier over the sum of input-token embeddings; implements the model protocol.

    The class to predict is ``ts[:, 1]``; ``generate`` repeats the predicted class ``length``
    times. It records every batch it sees, and its train/eval mode switches.
    """

    def __init__(self, seed=0):
        rng = np.random.default_rng(seed)
        self.W = 0.1 * rng.standard_normal((V, C))
        self.b = np.zeros(C)
        self.params = [self.W, self.b]
        self.grads = [np.zeros_like(self.W), np.zeros_like(self.b)]
        self.batches = []
        self.modes = []

    def train_mode(self, flag):
        self.modes.append(flag)

    def _scores(self, xs):
        return self.W[xs].sum(axis=1) + self.b  # (N, C)

    def forward(self, xs, ts):
        self.batches.append(xs.copy())
        s = self._scores(xs)
        s = s - s.max(axis=1, keepdims=True)
        p = np.exp(s)
        p /= p.sum(axis=1, keepdims=True)
        n = len(xs)
        self.cache = (xs, ts[:, 1], p)
        return float(-np.log(p[np.arange(n), ts[:, 1]]).mean())

    def backward(self):
        xs, t, p = self.cache
        ds = p.copy()
        ds[np.arange(len(t)), t] -= 1
        ds /= len(t)
        self.grads[1][...] = ds.sum(axis=0)
        self.grads[0][...] = 0
        for j in range(xs.shape[1]):
            np.add.at(self.grads[0], xs[:, j], ds)

    def generate(self, xs, start_id, length):
        return np.repeat(self._scores(xs).argmax(axis=1)[:, None], length, axis=1)


def toy_data(n=50, seed=0):
    """Class = first token (0..C-1); the second column (C + row id mod V-C) is noise."""
    rng = np.random.default_rng(seed)
    xs = np.stack([rng.integers(0, C, n), C + np.arange(n) % (V - C)], axis=1)
    ts = np.stack([np.full(n, 99), xs[:, 0]], axis=1)
    return xs, ts


def test_loss_decreases_and_history_has_one_record_per_epoch():
    xs, ts = toy_data()
    model = BagClassifier()
    hist = Trainer(model, Adam(0.05), rng=0).fit(xs, ts, epochs=5, batch_size=8, progress=False)
    assert len(hist) == 5
    assert [r["epoch"] for r in hist] == [1, 2, 3, 4, 5]
    for r in hist:
        assert set(r) == {"epoch", "loss", "seconds", "examples_seen", "grad_norm", "lr"}
        assert r["seconds"] >= 0 and r["grad_norm"] > 0
    losses = hist.column("loss")
    assert losses[-1] < 0.5 * losses[0]
    assert accuracy(model, xs, ts, start_id=99) == 1.0


def test_epoch_loss_is_weighted_by_batch_size():
    class Constant(BagClassifier):
        def forward(self, xs, ts):  # loss = batch size: 4, 4, 2 -> (16 + 16 + 4) / 10
            super().forward(xs, ts)
            return float(len(xs))

    xs, ts = toy_data(10)
    hist = Trainer(Constant(), SGD(0.01), rng=0).fit(xs, ts, epochs=1, batch_size=4,
                                                     progress=False)
    assert hist[0]["loss"] == pytest.approx(3.6)


def test_every_example_once_per_epoch_and_last_partial_batch_used():
    xs, ts = toy_data(10)
    xs[:, 1] = np.arange(10)  # make rows identifiable
    model = BagClassifier()
    hist = Trainer(model, SGD(0.1), rng=1).fit(xs, ts, epochs=3, batch_size=4, progress=False)
    assert [len(b) for b in model.batches] == [4, 4, 2] * 3
    assert hist.column("examples_seen") == [10, 20, 30]
    orders = []
    for e in range(3):
        ids = np.concatenate([b[:, 1] for b in model.batches[3 * e:3 * e + 3]])
        assert sorted(ids) == list(range(10))
        orders.append(ids.tolist())
    assert orders[0] != orders[1] or orders[1] != orders[2]  # reshuffled each epoch


def test_shuffling_is_seeded():
    xs, ts = toy_data()

    def run(seed):
        model = BagClassifier()
        Trainer(model, Adam(0.05), rng=seed).fit(xs, ts, epochs=2, batch_size=8,
                                                 progress=False)
        return model.params

    a, b, c = run(0), run(0), run(1)
    for pa, pb in zip(a, b):
        np.testing.assert_array_equal(pa, pb)
    assert not np.array_equal(a[0], c[0])
    g = np.random.default_rng(0)  # a Generator works as well as a seed
    model = BagClassifier()
    Trainer(model, Adam(0.05), rng=g).fit(xs, ts, epochs=2, batch_size=8, progress=False)
    np.testing.assert_array_equal(model.params[0], a[0])


def test_grads_are_clipped_before_the_update_and_pre_clip_norm_recorded():
    seen = []

    class Spy(SGD):
        def update(self, params, grads):
            seen.append(grad_norm(grads))
            super().update(params, grads)

    xs, ts = toy_data(20)
    model = BagClassifier()
    model.W *= 30  # large, confident-but-wrong scores -> large gradients
    hist = Trainer(model, Spy(0.01), max_grad_norm=0.01, rng=0).fit(
        xs, ts, epochs=1, batch_size=5, progress=False)
    assert len(seen) == 4 and max(seen) <= 0.01
    assert hist[0]["grad_norm"] > 0.01


def test_eval_fn_lands_in_history_and_callbacks_see_it():
    xs, ts = toy_data()
    model = BagClassifier()
    calls = []

    def eval_fn(epoch):
        assert model.modes[-1] is False  # evaluated in eval mode
        return {"accuracy": np.float64(accuracy(model, xs, ts, start_id=99)), "tag": epoch}

    def cb(epoch, record):
        calls.append((epoch, record["accuracy"], record["tag"]))

    hist = Trainer(model, Adam(0.05), rng=0).fit(xs, ts, epochs=3, batch_size=10,
                                                 eval_fn=eval_fn, callbacks=[cb],
                                                 progress=False)
    assert [c[0] for c in calls] == [1, 2, 3] and [c[2] for c in calls] == [1, 2, 3]
    assert hist.column("accuracy") == [c[1] for c in calls]
    assert type(hist[0]["accuracy"]) is float
    assert model.modes == [True, False, False] * 3  # train, eval (trainer), eval (accuracy)
    data = json.loads(json.dumps(hist.to_dict()))
    assert History.from_dict(data).records == hist.records


def test_callback_stop_ends_training_early():
    xs, ts = toy_data()
    later = []
    hist = Trainer(BagClassifier(), SGD(), rng=0).fit(
        xs, ts, epochs=10, batch_size=16, progress=False,
        callbacks=[lambda e, r: "stop" if e == 2 else None, lambda e, r: later.append(e)])
    assert len(hist) == 2 and hist.stopped_early
    assert later == [1, 2]  # the other callbacks still ran for the last epoch


def test_bad_callback_return_and_reserved_eval_keys_raise():
    xs, ts = toy_data()
    trainer = Trainer(BagClassifier(), SGD(), rng=0)
    with pytest.raises(AttnseqError, match="callback"):
        trainer.fit(xs, ts, epochs=2, progress=False, callbacks=[lambda e, r: True])
    with pytest.raises(AttnseqError, match="reserved"):
        trainer.fit(xs, ts, epochs=2, progress=False, eval_fn=lambda e: {"loss": 1.0})


def test_divergence_and_bad_data_raise():
    class Nan(BagClassifier):
        def forward(self, xs, ts):
            return float("nan")

    xs, ts = toy_data()
    with pytest.raises(AttnseqError, match="^training diverged: loss is nan at epoch 1, "
                                          "batch 1; try a smaller lr$"):
        Trainer(Nan(), SGD(), rng=0).fit(xs, ts, epochs=1, progress=False)
    with pytest.raises(AttnseqError):
        Trainer(BagClassifier(), SGD(), rng=0).fit(xs, ts[:-1], epochs=1, progress=False)
    with pytest.raises(AttnseqError, match="batch_size must be a positive integer, got 0"):
        Trainer(BagClassifier(), SGD(), rng=0).fit(xs, ts, epochs=1, batch_size=0)


def large_gradients():
    """A BagClassifier with confident-but-wrong scores, so its gradient norm is large."""
    model = BagClassifier()
    model.W *= 30
    return model


def test_step_is_forward_backward_clip_update_and_returns_loss_and_pre_clip_norm():
    xs, ts = toy_data(20)
    by_hand = large_gradients()
    loss = by_hand.forward(xs, ts)
    by_hand.backward()
    norm = clip_grads(by_hand.grads, 0.5)
    SGD(0.1).update(by_hand.params, by_hand.grads)
    assert norm > 0.5  # clipping acted
    model = large_gradients()
    assert Trainer(model, SGD(0.1), max_grad_norm=0.5).step(xs, ts) == (loss, norm)
    for p, q in zip(model.params, by_hand.params, strict=True):
        np.testing.assert_array_equal(p, q)


def test_step_without_max_grad_norm_measures_the_norm_and_does_not_scale():
    seen = []

    class Spy(SGD):
        def update(self, params, grads):
            seen.extend(g.copy() for g in grads)
            super().update(params, grads)

    xs, ts = toy_data(20)
    reference = large_gradients()
    reference.forward(xs, ts)
    reference.backward()
    _, norm = Trainer(large_gradients(), Spy(0.1), max_grad_norm=None).step(xs, ts)
    assert norm == grad_norm(reference.grads) and norm > 0.5  # as large as in the test above
    for g, r in zip(seen, reference.grads, strict=True):
        np.testing.assert_array_equal(g, r)


def test_step_refuses_a_loss_that_is_not_finite_before_any_update():
    class Inf(BagClassifier):
        def forward(self, xs, ts):
            return float("inf")

    model = Inf()
    before = [p.copy() for p in model.params]
    with pytest.raises(Diverged) as info:
        Trainer(model, SGD(0.1)).step(*toy_data(5))
    assert str(info.value) == "training diverged: loss is inf; try a smaller lr"
    assert info.value.loss == float("inf")
    for p, q in zip(model.params, before, strict=True):
        np.testing.assert_array_equal(p, q)


class Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self):
        return True


@pytest.mark.parametrize("stream, bars", [(Terminal, True), (io.StringIO, False)])
def test_progress_bars_go_to_stderr_on_a_terminal_only(capsys, monkeypatch, stream, bars):
    """Off a terminal (a pipe, a log file) no bar: the callers' line per epoch stands in its
    place, not thousands of carriage-return updates."""
    xs, ts = toy_data(20)
    err = stream()
    monkeypatch.setattr(sys, "stderr", err)
    Trainer(BagClassifier(), SGD(), rng=0).fit(xs, ts, epochs=2, batch_size=8, progress=True)
    assert capsys.readouterr().out == ""
    text = err.getvalue()
    if bars:
        assert "epoch 1/2" in text and "epoch 2/2" in text and "loss=" in text
    else:
        assert text == ""


def test_an_epoch_whose_weights_blow_up_is_refused_before_any_callback():
    xs, ts = toy_data(20)
    seen = []
    trainer = Trainer(BagClassifier(), SGD(1e30), rng=0, max_grad_norm=None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no floating-point warning on the way
        with pytest.raises(Diverged) as info:
            trainer.fit(xs, ts, epochs=1, batch_size=20, progress=False,
                        eval_fn=lambda epoch: seen.append(epoch) or {},
                        callbacks=[lambda epoch, record: seen.append(epoch)])
    assert str(info.value) == ("training diverged: weights are nan, inf or beyond 2**64 at "
                               "epoch 1; try a smaller lr")
    assert np.isfinite(info.value.loss) and seen == []


def test_a_diverging_step_warns_nothing():
    class Overflowing(BagClassifier):
        def forward(self, xs, ts):
            return float(np.exp(np.float32(1000.0)))  # inf, with an overflow

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(Diverged, match="^training diverged: loss is inf; "):
            Trainer(Overflowing(), SGD(0.1)).step(*toy_data(5))


def test_from_config_uses_its_fields():
    xs, ts = toy_data()
    cfg = TrainConfig(epochs=2, batch_size=7, lr=0.02, max_grad_norm=None, seed=3,
                      optimizer="sgd")
    model = BagClassifier()
    trainer = Trainer.from_config(model, cfg)
    assert isinstance(trainer.optimizer, SGD) and trainer.optimizer.lr == 0.02
    assert trainer.max_grad_norm is None
    hist = trainer.fit(xs, ts, progress=False)
    assert len(hist) == 2 and [len(b) for b in model.batches[:8]] == [7] * 7 + [1]
    assert isinstance(Trainer.from_config(model, TrainConfig()).optimizer, Adam)


class PaddedBag(BagClassifier):
    """BagClassifier with a pad id (8): it records the width of every ``ts`` it is given."""

    pad_id = 8

    def forward(self, xs, ts):
        self.widths = getattr(self, "widths", []) + [ts.shape[1]]
        return super().forward(xs, ts)


def padded_toy_data(n=40):
    """toy_data's pairs, their ts padded by 8 to width 6; row i's answer has 1 + i % 4 tokens."""
    xs, ts = toy_data(n)
    wide = np.full((n, 6), PaddedBag.pad_id, dtype=ts.dtype)
    wide[:, :2] = ts
    for i in range(n):
        wide[i, 2:2 + i % 4] = 7  # tokens the classifier ignores, lengthening the answer
    return xs, wide


def test_step_leaves_out_the_columns_of_padding_and_length_batching_groups_lengths():
    xs, ts = padded_toy_data()
    model = PaddedBag()
    trainer = Trainer(model, SGD(0.1), rng=0, batch_size=10, batching="length")
    hist = trainer.fit(xs, ts, epochs=2, progress=False)
    lengths = (ts != PaddedBag.pad_id).sum(axis=1)
    assert sorted(set(lengths.tolist())) == [2, 3, 4, 5]
    # every batch of one length: its width is that length, never the whole 6
    assert sorted(model.widths) == [2, 2, 3, 3, 4, 4, 5, 5] and len(hist) == 2
    model = PaddedBag()
    Trainer(model, SGD(0.1), rng=0, batch_size=10).fit(xs, ts, epochs=1, progress=False)
    assert max(model.widths) <= 5  # random batches: trimmed to their own longest answer
    trainer = Trainer.from_config(PaddedBag(), TrainConfig(batching="length"))
    assert trainer.batching == "length"


def test_length_batching_needs_a_model_with_a_pad_id():
    xs, ts = toy_data()
    trainer = Trainer(BagClassifier(), SGD(0.1), batching="length")
    with pytest.raises(AttnseqError) as info:
        trainer.fit(xs, ts, epochs=1, progress=False)
    assert str(info.value) == ("batching 'length' needs a model with a pad_id (the answers' "
                               "lengths are where their padding starts)")
    with pytest.raises(AttnseqError, match="^batching must be one of random, length, got 's'$"):
        Trainer(BagClassifier(), SGD(0.1), batching="s")


class RecordingSGD(SGD):
    """SGD that remembers the learning rate of every update."""

    def __init__(self, lr):
        super().__init__(lr)
        self.rates = []

    def update(self, params, grads):
        self.rates.append(self.lr)
        super().update(params, grads)


def test_linear_decay_over_a_fraction_of_an_epoch_restarts_with_each_fit():
    xs, ts = toy_data(n=50)
    opt = RecordingSGD(0.4)
    trainer = Trainer(BagClassifier(), opt, rng=0, batch_size=10, final_lr=0.1,
                      decay_epochs=0.5)  # over 25 examples
    hist = trainer.fit(xs, ts, epochs=2, progress=False)
    falling = [0.4, 0.4 - 0.3 * 10 / 25, 0.4 - 0.3 * 20 / 25, 0.1, 0.1]
    assert opt.rates == pytest.approx(falling + [0.1] * 5)
    assert hist.column("lr") == pytest.approx([0.1, 0.1])
    trainer.fit(xs, ts, epochs=1, progress=False)  # a new fit starts from the peak again
    assert opt.rates[10:] == pytest.approx(falling)


def test_constant_rate_without_final_lr_and_config_carries_the_schedule():
    xs, ts = toy_data(n=30)
    opt = RecordingSGD(0.2)
    Trainer(BagClassifier(), opt, rng=0, batch_size=10).fit(xs, ts, epochs=1, progress=False)
    assert opt.rates == [0.2, 0.2, 0.2]
    cfg = TrainConfig(epochs=1, batch_size=10, lr=0.3, final_lr=0.1, decay_epochs=2.0)
    trainer = Trainer.from_config(BagClassifier(), cfg)
    hist = trainer.fit(xs, ts, progress=False)  # span 60 examples: at 20 of them, 1/3 down
    assert trainer.optimizer.lr == pytest.approx(0.3 - 0.2 * 20 / 60)
    assert hist[0]["lr"] == trainer.optimizer.lr
    with pytest.raises(AttnseqError, match="^decay_epochs must be a positive number, got 0$"):
        Trainer(BagClassifier(), SGD(0.1), decay_epochs=0)
    with pytest.raises(AttnseqError, match="^final_lr must be a positive number, got -0.1$"):
        Trainer(BagClassifier(), SGD(0.1), final_lr=-0.1)


@pytest.mark.parametrize("kwargs,message", [
    ({"epochs": 0}, "epochs must be a positive integer, got 0"),
    ({"final_lr": 0.0}, "final_lr must be a positive number, got 0.0"),
    ({"decay_epochs": -1}, "decay_epochs must be a positive number, got -1"),
    ({"batch_size": 2.5}, "batch_size must be a positive integer, got 2.5"),
    ({"epochs": True}, "epochs must be a positive integer, got True"),
    ({"lr": 0}, "lr must be a positive number, got 0"),
    ({"lr": float("inf")}, "lr must be a positive number, got inf"),
    ({"max_grad_norm": -1.0}, "max_grad_norm must be a positive number, got -1.0"),
    ({"seed": -1}, "seed must be a non-negative integer, got -1"),
    ({"optimizer": "rmsprop"}, "optimizer must be one of adam, sgd, got 'rmsprop'"),
    ({"batching": "sorted"}, "batching must be one of random, length, got 'sorted'"),
])
def test_train_config_validation(kwargs, message):
    with pytest.raises(AttnseqError) as info:
        TrainConfig(**kwargs)
    assert str(info.value) == message


END, PAD = 1, 0


def test_rows_correct_end_token_handling():
    target = np.array([
        [5, 6, END, PAD, PAD],
        [5, 6, END, PAD, PAD],
        [5, 6, END, PAD, PAD],
        [5, 6, END, PAD, PAD],
        [5, 6, 7, 8, 9],      # no end token: compared whole
        [5, 6, 7, 8, 9],
        [END, 5, END, 6, 6],  # only the first end counts
    ])
    pred = np.array([
        [5, 6, END, 3, 3],    # junk after the end: right
        [5, 6, 7, END, PAD],  # misses the end: wrong
        [5, END, END, PAD, PAD],  # ends early: wrong
        [5, 7, END, PAD, PAD],    # wrong token: wrong
        [5, 6, 7, 8, 9],
        [5, 6, 7, 8, 0],
        [END, 2, 2, 2, 2],
    ])
    np.testing.assert_array_equal(rows_correct(pred, target, END),
                                  [True, False, False, False, True, False, True])
    # without end_id the whole row must match
    np.testing.assert_array_equal(rows_correct(pred, target, None),
                                  [False, False, False, False, True, False, False])
    # pad_id alone: padding positions are ignored, junk at them is forgiven
    np.testing.assert_array_equal(rows_correct(pred, target, None, pad_id=PAD)[:2], [True, False])
    with pytest.raises(AttnseqError):
        rows_correct(pred[:, :4], target, END)


class FixedModel:
    """generate returns rows of a fixed array, in order, and records its calls."""

    def __init__(self, out):
        self.out, self.pos, self.calls = out, 0, []

    def generate(self, xs, start_id, length):
        self.calls.append((len(xs), start_id, length))
        rows = self.out[self.pos:self.pos + len(xs), :length]
        self.pos += len(xs)
        return rows


def test_accuracy_batches_and_compares_after_the_start_column():
    target = np.array([[7, 5, END, PAD], [7, 5, 6, END], [7, 6, END, PAD]] * 3)
    pred = np.array([[5, END, 4], [5, 6, 4], [6, END, PAD]] * 3)  # middle row wrong
    model = FixedModel(pred)
    xs = np.zeros((9, 2), dtype=int)
    assert accuracy(model, xs, target, start_id=7, end_id=END, batch_size=4,
                    workers=1) == pytest.approx(6 / 9)
    assert model.calls == [(4, 7, 3), (4, 7, 3), (1, 7, 3)]
    assert accuracy(FixedModel(pred), xs, target, start_id=7) == pytest.approx(3 / 9)
