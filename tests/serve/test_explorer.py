"""Explorer: what a served model shows, equal to what the converter computes."""

import json

import numpy as np
import pytest

from attnseq.core.errors import AttnseqError
from attnseq.experiments.converter import Converter
from attnseq.serve.explorer import DECIMALS, Explorer, load_explorers

TEXTS = ["September 27, 1994", "9/8/97", "tue, feb 3, 2015"]


@pytest.fixture(scope="module")
def explorer(attention_dir):
    return Explorer.load(attention_dir)


def test_describe_says_what_the_model_can_show(explorer, baseline_dir):
    assert explorer.describe() == {"name": "attention", "model": "attention", "level": "char",
                                   "max_length": explorer.converter.config.question_len,
                                   "attention": True, "heads": False}
    baseline = Explorer.load(baseline_dir, name="plain").describe()
    assert (baseline["name"], baseline["model"], baseline["attention"]) == (
        "plain", "baseline", False)


def test_explain_is_the_converters_attention_in_json(explorer):
    conv = explorer.converter
    results = explorer.explain(TEXTS)
    assert [r["output"] for r in results] == conv.convert(TEXTS)
    for result, (ins, outs, w) in zip(results, conv.attention(TEXTS), strict=True):
        assert result["inputs"] == ins and result["outputs"] == outs
        assert np.abs(np.array(result["attention"]) - w).max() <= 0.5 * 10 ** -DECIMALS + 1e-12
        assert "alternatives" not in result and "heads" not in result
    json.dumps(results)  # plain lists and floats only


def test_a_batch_gives_what_each_text_gives_alone(explorer):
    together = explorer.explain(TEXTS)
    for text, result in zip(TEXTS, together, strict=True):
        (alone,) = explorer.explain([text])
        assert alone["output"] == result["output"]
        assert np.allclose(alone["attention"], result["attention"], atol=2e-4)


def test_beam_search_adds_the_n_best_with_scores(explorer):
    conv = explorer.converter
    search = conv.beam(beam=4, n_best=3)
    results = explorer.explain(TEXTS[:2], search)
    for result, alts in zip(results, conv.alternatives(TEXTS[:2], search), strict=True):
        assert [a["output"] for a in result["alternatives"]] == [out for out, _ in alts]
        assert [a["score"] for a in result["alternatives"]] == [round(s, 4) for _, s in alts]
        assert result["output"] == alts[0][0]  # the heatmap is the best hypothesis'
        assert len(result["attention"]) == len(result["outputs"])


def test_a_model_without_attention_gives_outputs_only(baseline_dir):
    explorer = Explorer.load(baseline_dir)
    results = explorer.explain(TEXTS[:2])
    assert [r["output"] for r in results] == explorer.converter.convert(TEXTS[:2])
    assert all(r["attention"] is None for r in results)
    assert results[0]["inputs"] == list(TEXTS[0])
    (beam,) = explorer.explain(TEXTS[:1], explorer.converter.beam(beam=3, n_best=2))
    assert beam["output"] == beam["alternatives"][0]["output"]
    assert len(beam["alternatives"]) == 2


def test_a_transformers_heads_go_along_per_layer_and_head(attention_dir, heads_converter):
    double = heads_converter(Converter.load(attention_dir))
    explorer = Explorer("transformer", double)
    assert explorer.describe()["heads"] is True
    result, = explorer.explain(TEXTS[1:2])
    expected = double.attention_heads(TEXTS[1:2])[0]
    heads = result["heads"]
    assert heads["inputs"] == expected["inputs"] and heads["outputs"] == expected["outputs"]
    for kind in ("encoder", "decoder", "cross"):
        assert len(heads[kind]) == len(expected[kind])
        for got, want in zip(heads[kind], expected[kind], strict=True):
            assert np.allclose(got, want, atol=1e-4)
    assert np.allclose(result["attention"], double.attention(TEXTS[1:2])[0][2], atol=1e-4)


def test_without_its_own_attention_the_last_cross_layers_mean_stands_in(attention_dir,
                                                                       heads_converter):
    double = heads_converter(Converter.load(attention_dir), own_attention=False)
    explorer = Explorer("transformer", double)
    assert (explorer.attention, explorer.heads) == (False, True)
    result, = explorer.explain(TEXTS[:1])
    cross = double.attention_heads(TEXTS[:1])[0]["cross"][-1]
    assert np.allclose(result["attention"], cross.mean(axis=0), atol=1e-4)
    assert result["output"] == double.convert(TEXTS[:1])[0]


def test_check_names_what_the_model_cannot_read(explorer):
    explorer.check("9/8/97")  # accepted
    with pytest.raises(AttnseqError, match=r"^empty input: type something to convert$"):
        explorer.check("  ")
    with pytest.raises(AttnseqError) as exc:
        explorer.check("9/8/97 #~#")
    assert str(exc.value) == "unknown characters '#', '~' in input '9/8/97 #~#'"
    limit = explorer.converter.config.question_len
    with pytest.raises(AttnseqError) as exc:
        explorer.check("1" * (limit + 1))
    assert str(exc.value).endswith(f"is {limit + 1} characters; this model accepts at most "
                                   f"{limit}")


def test_models_are_named_after_their_directories(served_models, tmp_path):
    names = [e.name for e in load_explorers([served_models / "attention",
                                             served_models / "baseline"])]
    assert names == ["attention", "baseline"]
    other = tmp_path / "attention"
    other.symlink_to(served_models / "attention")
    clash = load_explorers([served_models / "attention", other])
    assert [e.name for e in clash] == [str(served_models / "attention"), str(other)]
    with pytest.raises(AttnseqError, match="is given twice"):
        load_explorers([other, str(other) + "/"])


def test_beam_search_runs_once_per_batch(explorer, monkeypatch):
    conv = explorer.converter
    calls = []
    search_once = conv.hypotheses
    monkeypatch.setattr(conv, "hypotheses", lambda *a, **k: calls.append(1) or
                        search_once(*a, **k))
    explorer.explain(TEXTS[:3], conv.beam(beam=3, n_best=2))
    assert len(calls) == 1


def test_a_real_transformers_layers_and_heads(tmp_path):
    """The Transformer itself (not a stand-in): per-layer, per-head weights of the shapes the
    page draws, its own head-averaged attention as the heatmap, beam alternatives too."""
    from attnseq.models.config import TransformerConfig
    from attnseq.tasks import date_vocab

    config = TransformerConfig(d_model=8, heads=2, d_ff=16, num_layers=2,
                         question_len=29, answer_len=10)
    Converter.create(config, date_vocab(), seed=0).save(tmp_path / "transformer")
    explorer = Explorer.load(tmp_path / "transformer")
    assert explorer.describe()["heads"] is True and explorer.describe()["attention"] is True
    (result,) = explorer.explain(TEXTS[:1])  # the heads are greedy decoding's
    heads = result["heads"]
    T_in, T_out = len(result["inputs"]), len(result["outputs"])
    assert heads["inputs"] == result["inputs"] and heads["outputs"] == result["outputs"]
    for kind, shape in (("encoder", (T_in, T_in)), ("decoder", (T_out, T_out)),
                        ("cross", (T_out, T_in))):
        assert np.array(heads[kind]).shape == (2, 2, *shape)  # layers, heads, rows, columns
    if T_out:
        np.testing.assert_allclose(np.array(heads["cross"])[-1].sum(axis=-1), 1.0, atol=1e-3)
    assert np.array(result["attention"]).shape == (T_out, T_in)
    ((ins, outs, w),) = explorer.converter.attention(TEXTS[:1])  # what the model draws itself
    assert (ins, outs) == (result["inputs"], result["outputs"])
    np.testing.assert_allclose(result["attention"], w, atol=1e-4)
    (searched,) = explorer.explain(TEXTS[:1], explorer.converter.beam(beam=3, n_best=2))
    assert len(searched["alternatives"]) == 2 and "heads" in searched


def test_a_transformers_greedy_request_decodes_once(tmp_path, monkeypatch):
    from attnseq.models.config import TransformerConfig
    from attnseq.tasks import date_vocab

    config = TransformerConfig(d_model=8, heads=2, d_ff=16, num_layers=1,
                         question_len=29, answer_len=10)
    Converter.create(config, date_vocab(), seed=1).save(tmp_path / "transformer")
    explorer = Explorer.load(tmp_path / "transformer")
    model = explorer.converter.model
    calls = []
    generate = model.generate
    monkeypatch.setattr(model, "generate", lambda *a, **k: calls.append(1) or
                        generate(*a, **k))
    explorer.explain(TEXTS)
    assert len(calls) == 1
