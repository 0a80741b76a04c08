"""benchmarks/load.py, briefly: its clients against a real server give consistent figures."""

from attnseq.serve.server import server_process
from benchmarks.load import load_test, report, request_bodies


def test_the_load_test_counts_conversions_latencies_and_errors(attention_dir, baseline_dir):
    with server_process([attention_dir, baseline_dir]) as url:
        result = load_test(url, ["attention", "baseline"], clients=2, seconds=1.0, warmup=0.3)
        bad = load_test(url, ["missing"], clients=1, seconds=0.3, warmup=0.0)
    assert result["errors"] == 0 and result["conversions"] > 0
    assert result["per_second"] == result["conversions"] / 1.0
    assert 0 < result["p50_ms"] <= result["p99_ms"] <= result["max_ms"]
    assert "conversions/s" in report(result)
    assert bad["conversions"] == 0 and bad["errors"] > 0
    assert bad["first_errors"] == ["status 404"] and "MISSED" in report(bad)


def test_requests_cycle_over_the_models_with_fresh_questions():
    bodies = request_bodies(["a", "b"], 4, beam=3, seed=0)
    assert [b.count(b'"model": "a"') for b in bodies] == [1, 0, 1, 0]
    assert all(b'"beam": 3' in b for b in bodies) and len(set(bodies)) == 4
