"""``attnseq serve`` for real: a server process on a free loopback port, and its one-line
errors (a port in use, a bad model directory, the serve extra missing)."""

import http.client
import json
import socket
import sys
import urllib.request

import pytest

from attnseq import cli
from attnseq.core.errors import AttnseqError
from attnseq.serve.server import listen, server_process


def post(url, body):
    request = urllib.request.Request(url + "/api/convert", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def test_a_server_process_converts_on_loopback(attention_dir, baseline_dir):
    with server_process([attention_dir, baseline_dir]) as url:
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url + "/api/models", timeout=30) as response:
            names = [m["name"] for m in json.load(response)["models"]]
        assert names == ["attention", "baseline"]
        result = post(url, {"text": "9/8/97", "model": "baseline"})
        assert (result["model"], result["text"]) == ("baseline", "9/8/97")


def test_allow_host_reaches_the_server_and_other_hosts_are_refused(baseline_dir):
    with server_process([baseline_dir], options=["--allow-host", "explorer.lan"]) as url:
        port = url.rsplit(":", 1)[1]
        answers = {}
        for host in ("explorer.lan", "other.lan"):
            conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)
            conn.request("GET", "/api/models", headers={"Host": f"{host}:{port}"})
            response = conn.getresponse()
            answers[host] = (response.status, json.load(response))
            conn.close()
    assert answers["explorer.lan"][0] == 200
    assert answers["other.lan"] == (403, {"error": "host 'other.lan' is not served here; to "
                                          "serve it, start attnseq serve with --allow-host "
                                          "other.lan"})


def test_a_server_that_cannot_start_says_why(tmp_path):
    with pytest.raises(RuntimeError) as exc:
        with server_process([tmp_path / "missing"], timeout=30):
            pass
    assert str(exc.value) == ("attnseq serve did not start (exit code 2): attnseq serve: "
                              f"error: no model directory at {tmp_path / 'missing'}")


def test_a_port_in_use_is_one_line():
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(AttnseqError) as exc:
            listen("127.0.0.1", port)
    assert str(exc.value) == f"cannot listen on 127.0.0.1:{port}: Address already in use"


def test_serve_without_its_extra_says_what_to_install(attention_dir, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if it were not installed
    assert cli.main(["serve", str(attention_dir)]) == 2
    assert capsys.readouterr().err == ("attnseq serve: error: serve needs uvicorn, which is "
                                       "not installed: pip install 'attnseq[serve]'\n")


@pytest.mark.parametrize("port", ["-1", "65536", "http"])
def test_a_bad_port_is_a_usage_error(port, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["serve", "somewhere", "--port", port])
    assert exc.value.code == 2
    assert capsys.readouterr().err == (f"attnseq serve: error: argument --port: expected a "
                                       f"port from 0 to 65535, got {port!r} (see attnseq serve "
                                       "--help)\n")


def test_serve_has_help(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["serve", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: attnseq serve [-h] [--host HOST] [--port PORT]")
    assert "default: 127.0.0.1" in out and "default: 8000" in out
