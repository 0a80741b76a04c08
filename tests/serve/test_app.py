"""The application through Starlette's test client: the page, the model list, conversions,
every refusal's status and message, a failing model, and many requests at once."""

import asyncio
import re

import httpx2
import numpy as np
import pytest
from starlette.testclient import TestClient

from attnseq.core.errors import AttnseqError
from attnseq.serve.app import STATIC, create_app
from attnseq.serve.explorer import Explorer
from attnseq.serve.validation import MAX_BODY

BASE = "http://127.0.0.1"  # a loopback Host: the server refuses others (tests/reliability)
TEXTS = ["September 27, 1994", "9/8/97", "tue, feb 3, 2015", "1 JANUARY 2001", "3/14/15"]


@pytest.fixture(scope="module")
def explorers(attention_dir, baseline_dir):
    return [Explorer.load(attention_dir), Explorer.load(baseline_dir)]


@pytest.fixture(scope="module")
def client(explorers):
    with TestClient(create_app(explorers), base_url=BASE) as client:
        yield client


def convert(client, **body):
    return client.post("/api/convert", json=body)


def test_the_page_and_its_files_are_served_and_fetch_nothing_from_elsewhere(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    linked = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sorted(linked) == ["/static/app.js", "/static/style.css"]
    for path in linked:
        assert client.get(path).status_code == 200
    for path in STATIC.iterdir():  # offline: no URL of another site anywhere
        assert not re.search(r"https?://|//cdn", path.read_text(encoding="utf-8")), path.name


def test_the_models_are_listed(client, explorers):
    doc = client.get("/api/models").json()
    assert doc["models"] == [e.describe() for e in explorers]
    assert [m["attention"] for m in doc["models"]] == [True, False]


def test_a_conversion_is_the_explorers_result(client, explorers):
    r = convert(client, text=TEXTS[0], model="attention")
    assert r.status_code == 200
    expected, = explorers[0].explain(TEXTS[:1])
    assert r.json() == {"model": "attention", "text": TEXTS[0], **expected}
    matrix = np.array(r.json()["attention"])
    assert matrix.shape == (len(expected["outputs"]), len(TEXTS[0]))


def test_the_first_model_is_the_default_and_beam_search_adds_alternatives(client, explorers):
    r = convert(client, text=TEXTS[1], beam=4, n_best=3)
    assert r.status_code == 200 and r.json()["model"] == "attention"
    conv = explorers[0].converter
    alts = conv.alternatives(TEXTS[1:2], conv.beam(beam=4, n_best=3))[0]
    assert [a["output"] for a in r.json()["alternatives"]] == [out for out, _ in alts]
    baseline = convert(client, text=TEXTS[1], model="baseline").json()
    assert baseline["attention"] is None and baseline["output"]


@pytest.mark.parametrize("body,status,message", [
    ({"text": ""}, 422, "empty input: type something to convert"),
    ({"text": " \t "}, 422, "empty input: type something to convert"),
    ({"text": "Sept#mber 2~7"}, 422, "unknown characters '#', '~' in input 'Sept#mber 2~7'"),
    ({"text": "9/8/97€", "model": "baseline"}, 422, "unknown character '€' in input '9/8/97€'"),
    ({"text": "9" * 40}, 422, "input '" + "9" * 40 + "' is 40 characters; this model accepts "
                              "at most {limit}"),
    ({"text": "9/8/97", "model": "transformer"}, 404,
     "unknown model 'transformer'; serving 'attention', 'baseline'"),
    ({"text": "9/8/97", "beam": 99}, 400, "beam must be an integer from 1 to 16, got 99"),
    ({"txt": "9/8/97"}, 400, "unknown field 'txt'; the fields are text, model, beam, n_best"),
])
def test_each_bad_request_gets_its_status_and_message(client, explorers, body, status,
                                                      message):
    r = convert(client, **body)
    limit = explorers[0].converter.config.question_len
    assert (r.status_code, r.json()) == (status, {"error": message.format(limit=limit)})


def test_a_body_that_is_not_json_or_too_large_is_refused(client):
    json_type = {"Content-Type": "application/json"}
    r = client.post("/api/convert", content=b"text=9/8/97", headers=json_type)
    assert r.status_code == 400 and r.json()["error"].startswith("request body is not JSON: ")
    r = client.post("/api/convert", content=b'{"text": "' + b"1" * MAX_BODY + b'"}',
                    headers=json_type)
    assert (r.status_code, r.json()) == (413, {"error": f"request body is over {MAX_BODY} bytes"})
    assert convert(client, text="9/8/97").status_code == 200  # and the server goes on


def test_an_unknown_path_or_method_is_a_json_error_too(client):
    r = client.get("/api/convert")
    assert (r.status_code, r.json(), r.headers["allow"]) == (
        405, {"error": "Method Not Allowed"}, "POST")
    r = client.get("/api/nothing")
    assert (r.status_code, r.json()) == (404, {"error": "Not Found"})


def test_a_failing_model_answers_500_and_the_server_goes_on(attention_dir, monkeypatch):
    explorer = Explorer.load(attention_dir)
    real = explorer.explain

    def explain(texts, search=None):
        if "13/13/13" in texts:
            raise AttnseqError("a model bug")
        return real(texts, search)

    monkeypatch.setattr(explorer, "explain", explain)
    with TestClient(create_app([explorer]), base_url=BASE) as client:
        r = convert(client, text="13/13/13")
        assert (r.status_code, r.json()) == (500, {"error": "the model failed: a model bug"})
        assert convert(client, text="9/8/97").status_code == 200


def test_an_app_needs_models_with_distinct_names(explorers):
    with pytest.raises(AttnseqError, match="^no model to serve$"):
        create_app([])
    with pytest.raises(AttnseqError, match="^two models are named 'attention'$"):
        create_app([explorers[0], explorers[0]])


def test_concurrent_requests_each_get_their_own_answer(explorers):
    """Many requests at once, to both models, good and bad mixed: each answer is the one
    its text gets alone, and the models' threads decoded them in batches."""
    app = create_app(explorers)
    bodies = [{"text": text, "model": model} for _ in range(4) for text in TEXTS + ["#"]
              for model in ("attention", "baseline")]

    async def send_all():
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url=BASE) as client:
            return await asyncio.gather(*(client.post("/api/convert", json=b)
                                          for b in bodies))

    responses = asyncio.run(send_all())
    alone = {(e.name, text): e.explain([text])[0] for e in explorers for text in TEXTS}
    for body, r in zip(bodies, responses, strict=True):
        if body["text"] == "#":
            assert r.status_code == 422
            continue
        assert r.status_code == 200
        got = r.json()
        assert (got["model"], got["text"]) == (body["model"], body["text"])
        want = alone[body["model"], body["text"]]
        assert got["output"] == want["output"] and got["outputs"] == want["outputs"]
        if want["attention"] is not None:
            assert np.allclose(got["attention"], want["attention"], atol=2e-4)
    batchers = app.state.batchers
    assert sum(b.texts for b in batchers.values()) == 4 * len(TEXTS) * 2
    for batcher in batchers.values():
        batcher.close()
