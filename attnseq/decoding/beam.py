"""Beam search with GNMT's length and coverage penalties (Wu et al. 2016, section 7).

For every input, K hypotheses ("beams") grow side by side; at each step every beam is extended
by every token, and the K best extensions by log-probability go on. Each hypothesis Y is
scored, once it ends, by

    s(Y) = log P(Y | X) / lp(Y) + cp(X; Y)
    lp(Y) = ((5 + |Y|) / 6) ** alpha                                  (length penalty)
    cp(X; Y) = beta * sum_i log(min(sum_j a_ij, 1))                    (coverage penalty)

where |Y| counts Y's tokens (the end token included), a_ij is the attention output step j
paid to input position i, and i runs over the input positions that are not padding. With
alpha = beta = 0 the score is the log-probability itself.

All N inputs and their K beams run as N*K rows of one batch: one ``model.step`` per time
step, and the bookkeeping is array operations over (N, K) and (N, 2K) -- no Python loop over
beams or inputs. Which hypotheses end and which go on follows fairseq: of the 2K best
extensions of an input, those among the first K that emit the end token are finished, and the
first K that do not are the next beams (so K beams stay alive while the finished pile grows).

Stopping. A finished hypothesis is kept until no alive beam can beat it. Log-probabilities
only fall as a hypothesis grows, lp only grows (up to lp(max_length)) and cp <= 0, so an alive
beam with log-probability l ends, at best, with the score l / lp(max_length) (l <= 0). An input
is done when the M-th best finished score is at least the best such bound over its beams, or
after ``max_length`` steps; then its alive beams are scored as they stand (they end without
the end token) and compete with the finished ones. Done inputs leave the batch.

On a device. Every step's work runs where the model's arrays live (``xp``: the log-softmax,
the top-k, backpointers, penalties, the histories and the finished piles), and the results
come to the host once, at the end (``Pile.hypotheses``, ``Pile.best_ids``). Which inputs
leave the batch is a host decision that no array operation can make (it changes the batch's
shape), so each step but the last copies one small array of bools to the host, through
``step_decisions``: which inputs are done, and whether any beam ended (if none did, the
finished piles are left as they are); the rows that stay go back as one index array, and
only on the steps where some input leaves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy

from attnseq.core.backend import INDEX_DTYPE, to_device, to_numpy, xp
from attnseq.core.errors import AttnseqError, non_negative_int, non_negative_number, positive_int
from attnseq.decoding.hypotheses import History, Hypothesis, Pile
from attnseq.decoding.protocol import Decodable, input_attention, select

# Coverage sum_j a_ij of an input position that was (numerically) never attended to: log(0)
# would make every such hypothesis -inf and equal; the smallest positive float keeps them
# finite and still ranked by how much they missed elsewhere.
_TINY = float(numpy.finfo(numpy.float64).tiny)


def top_indices(values, n: int):
    """Indices (A, n) of the n largest of each row of values (A, C), largest first; equal
    values in the order of their indices, as argmax breaks ties (a tie at the n-th place
    keeps any of them)."""
    if n < values.shape[1]:
        # in index order, so that the stable sort below leaves equal values in that order
        part = xp.sort(xp.argpartition(-values, n - 1, axis=1)[:, :n], axis=1)
    else:
        part = xp.broadcast_to(xp.arange(values.shape[1]), values.shape)
    order = xp.argsort(-xp.take_along_axis(values, part, axis=1), axis=1, kind="stable")
    return xp.take_along_axis(part, order, axis=1)


def log_softmax(logits):
    """log softmax over the last axis, in float64: x - max - log(sum(exp(x - max))). Shifting
    by the max keeps exp from overflowing; the float64 sum keeps tiny probabilities' logs."""
    x = xp.asarray(logits, dtype=xp.float64)
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=-1, keepdims=True))


def step_decisions(ended, done):
    """The host's part of a search step, in one small copy through ``to_numpy``: ended (A, K)
    bools (the beams that ended at this step), done (A,) bools (the inputs whose search is
    over) -> (whether any beam ended, done as a NumPy array)."""
    flags = to_numpy(xp.concatenate([done, ended.any(axis=1)]))
    return bool(flags[len(done):].any()), flags[:len(done)]


@dataclass(frozen=True)
class BeamSearch:
    """Beam-search settings, checked when built; ``search`` runs it, and the object itself is
    a ``decode(model, xs, start_id, length) -> ids`` for ``decode_in_batches``.

    end_id: the end token; beam K >= 1; n_best M in [1, K] hypotheses returned per input;
    alpha, beta >= 0 (lp, cp); min_length: the end token is forbidden as token 1 ..
    min_length - 1, so a finished |Y| >= min_length; max_length: at most this many tokens
    (None: the ``length`` that ``search`` is given).
    """

    end_id: int
    beam: int = 5
    n_best: int = 1
    alpha: float = 0.0
    beta: float = 0.0
    min_length: int = 0
    max_length: int | None = None

    def __post_init__(self):
        check = object.__setattr__  # frozen: set the checked (plain Python) values
        check(self, "end_id", non_negative_int("end_id", self.end_id))
        check(self, "beam", positive_int("beam", self.beam))
        check(self, "n_best", positive_int("n_best", self.n_best))
        if self.n_best > self.beam:
            raise AttnseqError(f"n_best must be at most the beam width {self.beam}, "
                               f"got {self.n_best}")
        check(self, "alpha", non_negative_number("alpha", self.alpha))
        check(self, "beta", non_negative_number("beta", self.beta))
        check(self, "min_length", non_negative_int("min_length", self.min_length))
        if self.max_length is not None:
            check(self, "max_length", positive_int("max_length", self.max_length))
            self._check_lengths(self.max_length)

    def _check_lengths(self, max_length: int) -> None:
        if self.min_length > max_length:
            raise AttnseqError(f"min_length must be at most max_length {max_length}, "
                               f"got {self.min_length}")

    def length_penalty(self, length):
        """lp(|Y|) = ((5 + |Y|) / 6) ** alpha, elementwise."""
        return ((5.0 + xp.asarray(length, dtype=xp.float64)) / 6.0) ** self.alpha

    def coverage_penalty(self, coverage, real):
        """cp = beta * sum_i log(min(coverage_i, 1)) over the positions where ``real`` is True:
        coverage (..., Te) summed attention, real (..., Te) bool (not padding) -> (...)."""
        if self.beta == 0.0:
            return xp.zeros(coverage.shape[:-1])
        logs = xp.log(xp.clip(coverage, _TINY, 1.0))
        return self.beta * xp.where(real, logs, 0.0).sum(axis=-1)

    def score(self, log_prob, length: int, coverage, real):
        """s(Y) (A, J) of hypotheses of ``length`` tokens: log_prob (A, J) log P(Y | X),
        coverage (A, J, Te) their attention's sums, real (A, 1, Te) the inputs' positions
        that are not padding (both None when beta = 0: no coverage penalty)."""
        scores = log_prob / self.length_penalty(length)
        return scores if coverage is None else scores + self.coverage_penalty(coverage, real)

    # -- the search -------------------------------------------------------------------------
    def search(self, model: Decodable, xs, start_id: int, length: int, *,
               attention: bool = True) -> list[list[Hypothesis]]:
        """Beam search over xs (N, Te) ids -> per input the n_best hypotheses, best first.

        ``length`` is max_length unless the settings fix one. ``attention=False`` skips
        collecting the hypotheses' attention (their ``attention`` is then None).
        """
        return self._run(model, xs, start_id, length, attention).hypotheses()

    def __call__(self, model: Decodable, xs, start_id: int, length: int):
        """The best hypothesis of each input as ids (N, length), like greedy's, with the end
        id after the end token (and a hypothesis cut at ``length`` tokens)."""
        return self._run(model, xs, start_id, length, False).best_ids(length, self.end_id)

    def _run(self, model: Decodable, xs, start_id: int, length: int, attention: bool) -> Pile:
        """The search itself (module docstring): the piles of finished hypotheses."""
        L = self.max_length if self.max_length is not None else positive_int("length", length)
        self._check_lengths(L)
        xs = to_device(xs)
        N, Te = xs.shape
        K, M, end = self.beam, self.n_best, self.end_id
        pad_id = getattr(model, "pad_id", None)
        real = xp.ones((N, Te), bool) if pad_id is None else xs != pad_id
        lp_max = self.length_penalty(L)

        # The finished pile of every input: (N, M) scores, best first, and their histories.
        pile = Pile(N, M, L, Te)
        # The alive beams of the inputs still searched (`active`): (A, K) log-probabilities,
        # only beam 0 alive at first (K copies of one start would fill the beam with repeats).
        active = xp.arange(N)
        cum = xp.full((N, K), -xp.inf)
        cum[:, 0] = 0.0
        hist = History(N, K, L, Te, record=attention)
        # One row per input for the first step (its K beams would all be the start), then K.
        state, width = model.start(xs), 1
        tokens = xp.full(N, start_id, dtype=INDEX_DTYPE)
        want_attention = attention or self.beta > 0
        # The model's entries of one row per input (the encoder's states and mask: the bulk
        # of the state; the protocol's "rows per input") stay so while K rows step per input.
        per_input = set(getattr(model, "input_keys", ())) & set(state)
        for t in range(L):
            logits, stepped = model.step(tokens, state)
            # The other entries that step passed through untouched are the same in all K rows
            # of an input: reordering beams leaves them as they are, so they are only selected
            # from when whole inputs leave.
            static = {k for k, v in stepped.items() if state.get(k) is v} - per_input \
                if width == K else set()
            state, A = stepped, len(active)
            logp = log_softmax(logits).reshape(A, width, -1)  # (A, width, V)
            V = logp.shape[2]
            if t + 1 < self.min_length:
                logp[:, :, end] = -xp.inf
            step_att = None
            if want_attention and "attention" in state:
                step_att = input_attention(state["attention"][:, None], state, Te)
                step_att = step_att[:, 0].reshape(A, width, Te).astype(xp.float64)
                step_att = xp.broadcast_to(step_att, (A, K, Te))
            elif self.beta > 0:
                raise AttnseqError("beta (the coverage penalty) needs a model with attention")
            # The coverage penalty's inputs, when it counts (None: beta = 0).
            real_a = real[active][:, None] if self.beta > 0 else None

            # The 2K best extensions of each input (beams 1.. are -inf at first).
            cand = (cum[:, :, None] + xp.broadcast_to(logp, (A, K, V))).reshape(A, K * V)
            order = top_indices(cand, 2 * K)
            score = xp.take_along_axis(cand, order, axis=1)
            parent, token = order // V, order % V
            token_logp = xp.broadcast_to(logp, (A, K, V))[xp.arange(A)[:, None], parent, token]
            is_end = token == end

            # Those of the first K that end are finished: their scores, -inf for the others.
            ended = is_end[:, :K] & xp.isfinite(score[:, :K])
            coverage = None if real_a is None else hist.coverage_of(parent[:, :K], step_att)
            finished = xp.where(ended, self.score(score[:, :K], t + 1, coverage, real_a),
                                -xp.inf)

            # The first K that do not end go on (at most K of the 2K end: one per beam).
            pick = xp.argsort(is_end.view(xp.int8), axis=1, kind="stable")[:, :K]
            beams, next_tokens, next_logp, next_cum = (
                xp.take_along_axis(a, pick, axis=1) for a in (parent, token, token_logp, score))
            if t == L - 1:  # out of steps: the alive beams end as they stand
                pile.add(active, finished, hist.grown(parent[:, :K], token[:, :K],
                                                      token_logp[:, :K], step_att, t), t + 1)
                hist = hist.grown(beams, next_tokens, next_logp, step_att, t)
                final = self.score(next_cum, L, None if real_a is None else hist.coverage, real_a)
                pile.add(active, xp.where(xp.isfinite(next_cum), final, -xp.inf), hist, L)
                break
            # An input is done when its M-th best finished score beats every alive beam's bound.
            any_ended, done = step_decisions(
                ended, pile.mth_best(active, finished) >= next_cum.max(axis=1) / lp_max)
            if any_ended:
                pile.add(active, finished, hist.grown(parent[:, :K], token[:, :K],
                                                      token_logp[:, :K], step_att, t), t + 1)
            cum, hist = next_cum, hist.grown(beams, next_tokens, next_logp, step_att, t)
            if done.all():
                break
            first = xp.arange(A)[:, None] * width
            rows = first + beams if width == K else xp.broadcast_to(first, beams.shape)
            kept = {k: state[k] for k in static}
            inputs = {k: state[k] for k in per_input}
            if done.any():  # done inputs leave: the rows that stay, back on the device
                stay = to_device(numpy.flatnonzero(~done))
                active, cum, hist = active[stay], cum[stay], hist.rows(stay)
                rows, next_tokens = rows[stay], next_tokens[stay]
                kept = select(kept, (first + xp.arange(K))[stay].ravel())
                inputs = select(inputs, stay)
            moved = select({k: v for k, v in state.items()
                            if k not in static and k not in per_input}, rows.ravel())
            # moved last: its EQUAL_ROWS (the rows copied from one parent) is the one that holds
            state, width = {**kept, **inputs, **moved}, K
            tokens = next_tokens.ravel().astype(INDEX_DTYPE)
        return pile

def beam_search(model: Decodable, xs, start_id: int, length: int, *, end_id: int,
                beam: int = 5, n_best: int = 1, alpha: float = 0.0, beta: float = 0.0,
                min_length: int = 0) -> list[list[Hypothesis]]:
    """``BeamSearch(...).search(model, xs, start_id, length)``: per input of xs (N, Te) its
    n_best hypotheses, best first, searched up to ``length`` tokens."""
    return BeamSearch(end_id, beam, n_best, alpha, beta, min_length).search(
        model, xs, start_id, length)
