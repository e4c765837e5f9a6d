"""--endpoint against a fake OpenAI-compatible server in this process (no model): what a server that
answers wrongly, hangs or breaks the protocol makes of a judge run (one line, exit 1, the database as it
was), Ctrl-C with requests in flight, and the chat templates and judge templates that cannot be used."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import types
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from conftest import HANG, sha256

ROOT = Path(__file__).resolve().parent.parent
GOOD = {"choices": [{"text": " A", "logprobs": {"top_logprobs": [{" A": -0.1, " B": -2.5, " The": -4.0}]}}],
        "usage": {"prompt_tokens": 100}}


class FakeServer:
    """A ThreadingHTTPServer on 127.0.0.1 whose completions follow ``mode``; ``requests`` is set once
    a completion request has arrived, ``release`` lets the requests that hang ("hang") return."""

    def __init__(self, mode: str):
        self.mode = mode
        self.requests = threading.Event()
        self.release = threading.Event()
        self.scored = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def send(self, code: int, body) -> None:
                data = (body if isinstance(body, str) else json.dumps(body)).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self.send(200, {"data": [{"id": "fake-judge"}]})

            def do_POST(self):
                req = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                server.requests.set()
                answer = server.answer(self, req)
                if answer is not None:              # None: the mode wrote its own broken answer
                    self.send(*answer)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def answer(self, handler, req: dict) -> tuple[int, object] | None:
        mode = self.mode
        if mode == "hang":
            self.release.wait()
            return 500, "released"
        explaining = req.get("max_tokens", 1) > 1
        if mode == "garbage":                       # not HTTP: http.client.BadStatusLine
            handler.wfile.write(b"GARBAGE\r\n\r\n")
            handler.close_connection = True
            return None
        if mode == "truncated":                     # a body shorter than its Content-Length: IncompleteRead
            body = json.dumps(GOOD).encode()
            handler.send_response(200)
            handler.send_header("Content-Length", str(len(body) + 50))
            handler.end_headers()
            handler.wfile.write(body)
            handler.close_connection = True
            return None
        if explaining:
            return (200, {"choices": [{"finish_reason": "stop"}]}) if mode == "noexplain" else \
                (200, {"choices": [{"text": " it is right."}]})
        if mode == "noexplain":                     # with --concurrency 1: A then B, a base win every item
            self.scored += 1
            letters = {" A": -0.1, " B": -2.5} if self.scored % 2 else {" A": -2.5, " B": -0.1}
            return 200, {"choices": [{"text": " A", "logprobs": {"top_logprobs": [letters]}}]}
        top = {"nulltop": [None], "emptytop": [{}], "emptylist": [], "strlp": [{" A": "-0.1", " B": "-2"}],
               "nested": [["A"]], "positive": [{" A": 3.0}],
               "listtop": [[{"token": " A", "logprob": -0.1}, {"token": " B", "logprob": -2.5}]]}.get(mode)
        if mode == "array":
            return 200, [GOOD]
        if top is not None:
            return 200, {"choices": [{"text": " A", "logprobs": {"top_logprobs": top}}]}
        return 200, GOOD

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def fake_server():
    servers = []

    def start(mode: str) -> FakeServer:
        servers.append(FakeServer(mode))
        return servers[-1]
    yield start
    for s in servers:
        s.close()


@pytest.fixture
def no_backoff(monkeypatch):
    """The retries' waits are recorded, not slept."""
    import time

    import reportgen.judge.endpoint as endpoint
    waits: list[float] = []
    monkeypatch.setattr(endpoint, "time", types.SimpleNamespace(sleep=waits.append, perf_counter=time.perf_counter))
    return waits


def _one_line_error(result, path, says: str) -> None:
    """The command failed with one error line, the last it printed, naming ``path``; no traceback."""
    assert result.exit_code == 1, result.output
    error = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert result.output.endswith(error[0] + "\n") and len(error) == 1, result.output
    assert error[0].startswith(f"Error: {path}") and says in error[0], result.output
    assert "Traceback" not in result.output


def _judge_verdicts(db):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT count(*) FROM verdicts WHERE judge LIKE 'endpoint:%'").fetchone()[0]


@pytest.mark.parametrize("mode, says", [
    ("garbage", "failed after 4 tries (BadStatusLine: GARBAGE)"),
    ("truncated", "failed after 4 tries (IncompleteRead: IncompleteRead("),
    ("nulltop", "returned no logprobs; the server must support 'logprobs'"),
    ("emptytop", "returned no logprobs"),
    ("emptylist", "returned no logprobs"),
    ("nested", "returned no logprobs"),
    ("strlp", "returned '-0.1' as the log probability of ' A', which is not a log probability"),
    ("positive", "returned 3.0 as the log probability of ' A'"),
    ("array", "did not answer a JSON object"),
    ("noexplain", "returned no text for the --explain rationale"),
])
def test_a_server_that_answers_wrongly_is_one_line_and_changes_nothing(example_db, invoke, fake_server, no_backoff,
                                                                       mode, says):
    server = fake_server(mode)
    before = sha256(example_db)
    result = invoke("judge", "--db", example_db, "--endpoint", server.url, "--limit", "2",
                    *(["--explain", "--concurrency", "1"] if mode == "noexplain" else []))
    assert result.exit_code == 1, result.output
    error = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(error) == 1 and says in error[0], result.output
    assert "Traceback" not in result.output
    if mode != "noexplain":            # the rationale is asked for after the first base win's scores
        assert sha256(example_db) == before


def test_chat_completion_style_top_logprobs_are_read(example_db, invoke, fake_server):
    server = fake_server("listtop")
    result = invoke("judge", "--db", example_db, "--endpoint", server.url, "--limit", "2")
    assert result.exit_code == 0, result.output
    assert _judge_verdicts(example_db) == 2


def test_ctrl_c_with_requests_in_flight_exits_at_once(example_db, fake_server, tmp_path):
    """A server that never answers: Ctrl-C (a SIGINT once a request is in flight, not after a delay)
    ends `reportgen judge` with 130 without waiting for the requests (--timeout is an hour here)."""
    server = fake_server("hang")
    before = sha256(example_db)
    env = {k: v for k, v in os.environ.items() if k != "REPORTGEN_DB"}
    proc = subprocess.Popen([sys.executable, "-m", "reportgen", "judge", "--db", str(example_db), "--endpoint",
                             server.url, "--timeout", "3600", "--concurrency", "2"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        while not server.requests.wait(0.5):      # a request in flight, or the judge gone without one
            assert proc.poll() is None, proc.stdout.read()
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=HANG)   # the old judge waited here for the hung requests
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, out
    assert out.splitlines()[-1] == "interrupted; everything committed so far is kept" and "Traceback" not in out
    assert not server.release.is_set()            # the requests were still hanging when it exited
    assert sha256(example_db) == before


def test_ctrl_c_commits_the_items_already_judged(example_db, monkeypatch):
    """Items whose requests have finished when Ctrl-C comes are committed, not thrown away, and the
    requests still hanging are not waited for: here three items at once, two answered, one hanging;
    the Ctrl-C comes right after the first answered item is handed on (REPORTGEN_TEST_SIGINT_AT)."""
    import concurrent.futures

    import reportgen.judge as judge
    from judge_fake import FakeJudge
    hang, hung_returned = threading.Event(), threading.Event()

    class Hangs(FakeJudge):
        def score(self, prompt):
            if "Answer A:\n" + first_base in prompt or "Answer B:\n" + first_base in prompt:
                hang.wait(HANG)                  # the first item's request does not return during the run
                hung_returned.set()
            return super().score(prompt)

    with duckdb.connect(str(example_db), read_only=True) as con:
        first_base = con.execute("SELECT base_answer FROM items ORDER BY position LIMIT 1").fetchone()[0]
    real_wait = concurrent.futures.wait

    def wait_for_two(fs, timeout=None, return_when=concurrent.futures.ALL_COMPLETED):  # looks once two are done
        while sum(f.done() for f in fs) < 2:
            real_wait([f for f in fs if not f.done()], return_when=concurrent.futures.FIRST_COMPLETED)
        return real_wait(fs, return_when=return_when)
    monkeypatch.setattr(judge, "wait", wait_for_two)
    monkeypatch.setattr(judge, "_SIGINT_AT", 1)
    try:
        with pytest.raises(KeyboardInterrupt):
            judge.judge_run(example_db, Hangs(concurrency=3), run="llama31-8b-paper-qa", limit=3)
        assert not hung_returned.is_set()        # not waited for
    finally:
        hang.set()
    with duckdb.connect(str(example_db), read_only=True) as con:
        judged = con.execute("SELECT count(*) FROM verdicts WHERE judge = 'local:fake'").fetchone()[0]
    assert judged == 2


def test_timeout_option_reaches_the_requests(monkeypatch, invoke, example_db):
    import reportgen.judge.endpoint as endpoint
    got = {}

    class Stop(Exception):
        pass

    def init(self, url, **kw):
        got.update(kw)
        raise Stop
    monkeypatch.setattr(endpoint.EndpointJudge, "__init__", init)
    with pytest.raises(Stop):
        invoke("judge", "--db", example_db, "--endpoint", "http://127.0.0.1:1", "--timeout", "7.5")
    assert got["timeout"] == 7.5
    with pytest.raises(Stop):
        invoke("judge", "--db", example_db, "--endpoint", "http://127.0.0.1:1")
    assert got["timeout"] == 120
    assert invoke("judge", "--db", example_db, "--endpoint", "http://x", "--timeout", "0").exit_code == 2


CHAT = ("{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}"
        "{% if add_generation_prompt %}<|assistant|>{% endif %}")


@pytest.mark.parametrize("name, content, says", [
    ("list.json", {"chat_template": [{"name": "tool_use", "template": "x"}, {"name": "rag", "template": "y"}]},
     "has several chat templates ('tool_use', 'rag') and none named 'default'; save the one to use"),
    ("bad.json", b'{"chat_template": ', "is not valid JSON (Expecting value)"),
    ("syntax.jinja", "{% for m in messages %}{{ m.content }",
     "its chat template is not valid Jinja2 (unexpected '}', line 1 of the template); pass --chat-template FILE with"),
    ("latin.jinja", "{{ 'caf\xe9' }}".encode("latin-1"), "is not UTF-8 text (byte 0xe9 at offset 7); save it as UTF-8"),
    ("raise.jinja", "{{ raise_exception('System role not supported') }}",
     "its chat template failed to render the judge's messages (System role not supported)"),
])
def test_unusable_chat_templates_are_one_line(example_db, invoke, fake_server, tmp_path, name, content, says):
    server = fake_server("good")
    path = tmp_path / name
    if isinstance(content, dict):
        path.write_text(json.dumps(content))
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    before = sha256(example_db)
    result = invoke("judge", "--db", example_db, "--endpoint", server.url, "--chat-template", path, "--limit", "1")
    _one_line_error(result, path, says)
    assert sha256(example_db) == before


def test_a_tokenizer_config_list_uses_its_default_template(example_db, invoke, fake_server, tmp_path):
    server = fake_server("good")
    path = tmp_path / "tokenizer_config.json"
    path.write_text(json.dumps({"chat_template": [{"name": "rag", "template": "RAG"},
                                                  {"name": "default", "template": CHAT}]}))
    result = invoke("judge", "--db", example_db, "--endpoint", server.url, "--chat-template", path, "--limit", "1")
    assert result.exit_code == 0, result.output
    from reportgen.judge.endpoint import chat_template_from
    assert chat_template_from(None, path)[0] == CHAT


@pytest.mark.parametrize("content, says", [
    ("{% block system %}x{% endblock %}{% block user %}{{ question {% endblock %}", "is not a valid Jinja2 template"),
    (b"{% block system %}caf\xe9{% endblock %}", "is not UTF-8 text (byte 0xe9"),
    ("{% block system %}x{% endblock %}\n{% block user %}\n{{ question // 2 }}{% endblock %}\n"
     "{% block answer_prefix %}A{% endblock %}", "mine.j2, line 3: failed to render (TypeError: unsupported operand"),
])
def test_unusable_judge_templates_are_one_line(example_db, invoke, fake_server, tmp_path, content, says):
    server = fake_server("good")
    path = tmp_path / "mine.j2"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    before = sha256(example_db)
    result = invoke("judge", "--db", example_db, "--endpoint", server.url, "--template", path, "--limit", "1")
    _one_line_error(result, path, says)
    assert sha256(example_db) == before
