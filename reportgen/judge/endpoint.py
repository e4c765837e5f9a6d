"""The endpoint judge: the same prompts through an OpenAI-compatible server (vLLM,
llama.cpp's or llama-cpp-python's server), as one-token completions with logprobs.

``POST {url}/v1/completions`` with ``max_tokens: 1``, ``temperature: 0`` and ``logprobs: 20``;
the verdict comes from ``choices[0].logprobs.top_logprobs[0]`` ({token text: log
probability}), so the letter mass is a lower bound (only the top 20 tokens are seen).
The prompt is rendered here with the chat template of ``--model`` (a GGUF file of the
served model; only its metadata is read) or ``--chat-template``, so the server sees
exactly the text the local judge would evaluate."""

from __future__ import annotations

import http.client
import json
import math
import time
import urllib.error
import urllib.request
from pathlib import Path

from reportgen.errors import ReportgenError, UsageError
from reportgen.judge.base import OrderScore, PromptTooLong, letter_probabilities
from reportgen.judge.ggufmeta import read_strings
from reportgen.judge.prompt import ChatFormat, read_text
from reportgen.judge_defaults import DEFAULT_RETRIES, DEFAULT_TIMEOUT

TOP_LOGPROBS = 20
CHAT_TEMPLATE_KEY = "tokenizer.chat_template"


class EndpointError(ReportgenError):
    """The judge server failed or answered something that is not a completion."""


def _from_tokenizer_config(text: str, path: Path) -> str:
    """``chat_template`` of a tokenizer_config.json: a string, or Hugging Face's list of {name, template}
    (the one named "default")."""
    try:
        config = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"is not valid JSON ({exc.msg})", path=path, line=getattr(exc, "lineno", None)) from None
    found = config.get("chat_template") if isinstance(config, dict) else None
    if isinstance(found, list):
        named = {t.get("name"): t.get("template") for t in found if isinstance(t, dict)}
        if isinstance(named.get("default"), str):
            return named["default"]
        names = ", ".join(repr(n) for n in named if isinstance(n, str)) or "none with a name"
        raise UsageError(f"has several chat templates ({names}) and none named 'default'; save the one to use as a "
                         "Jinja file and pass it as --chat-template", path=path)
    if not isinstance(found, str):
        raise UsageError("has no chat_template text; pass a tokenizer_config.json or a Jinja file", path=path)
    return found


def chat_template_from(model_path: Path | None, chat_template: Path | None) -> tuple[str | None, str, Path | None]:
    """The chat template text, its origin (a file name) and its file: a GGUF's metadata, a Jinja file or a
    tokenizer_config.json."""
    if chat_template is not None:
        text = read_text(chat_template, "the chat template")
        if Path(chat_template).suffix == ".json":
            text = _from_tokenizer_config(text, Path(chat_template))
        return text, Path(chat_template).name, Path(chat_template)
    if model_path is not None:
        if not Path(model_path).is_file():
            raise UsageError("no such model file; pass --model PATH to a GGUF file", path=model_path)
        meta = read_strings(Path(model_path), {CHAT_TEMPLATE_KEY})     # the header only, no llama.cpp (see ggufmeta)
        return meta.get(CHAT_TEMPLATE_KEY), Path(model_path).name, Path(model_path)
    return None, "plain", None


class EndpointJudge:
    kind = "endpoint"
    is_default_model = False

    def __init__(self, url: str, *, model: str | None = None, concurrency: int = 4, timeout: float = DEFAULT_TIMEOUT,
                 model_path: Path | None = None, chat_template: Path | None = None, retries: int = DEFAULT_RETRIES):
        if not url.startswith(("http://", "https://")):
            raise EndpointError(f"--endpoint takes the server's http:// or https:// URL, not {url!r}; e.g. "
                                "http://localhost:8080")
        self.url = url.rstrip("/")
        if self.url.endswith("/v1"):
            self.url = self.url[:-3]
        self.timeout = timeout
        self.retries = retries
        self.concurrency = max(1, concurrency)
        self.model = model or self._served_model()
        text, origin, source = chat_template_from(model_path, chat_template)
        self.chat = ChatFormat(text, source=source)
        self.model_sha256 = None
        # llama.cpp servers name the model by its file path: keep the file name only
        self.judge_name = f"endpoint:{Path(self.model).name if self.model.startswith('/') else self.model}"
        self.parameters = {"endpoint": self.url, "chat_template": origin, "top_logprobs": TOP_LOGPROBS}

    def _post(self, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method="POST" if body is not None else "GET",
                                     headers={"Content-Type": "application/json"})
        last = ""
        for attempt in range(self.retries + 1):
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    out = json.loads(resp.read().decode("utf-8"))
                if not isinstance(out, dict):
                    raise ValueError("not an object")
                return out
            except urllib.error.HTTPError as exc:
                detail = " ".join(exc.read().decode("utf-8", "replace").split())[:300]
                if exc.code == 400 and "context" in detail.lower():
                    raise PromptTooLong(detail=detail[:120]) from None
                if exc.code < 500:
                    raise EndpointError(f"{self.url}{path} answered HTTP {exc.code}: {detail}") from None
                last = f"HTTP {exc.code}: {detail}"
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                last = str(getattr(exc, "reason", exc))
            except http.client.HTTPException as exc:   # not HTTP (BadStatusLine), a body cut short (IncompleteRead)
                last = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
            except ValueError:      # also a body that is not UTF-8
                raise EndpointError(f"{self.url}{path} did not answer a JSON object; is --endpoint an "
                                    "OpenAI-compatible server?") from None
            if attempt < self.retries:
                time.sleep(min(2 ** attempt, 10))
        raise EndpointError(f"{self.url}{path} failed after {self.retries + 1} tries ({last}); check the server "
                            "and run the same command again to continue")

    def _served_model(self) -> str:
        models = self._post("/v1/models").get("data")
        first = models[0] if isinstance(models, list) and models else None
        if not isinstance(first, dict) or not isinstance(first.get("id"), str):
            raise EndpointError(f"{self.url}/v1/models lists no model; pass --endpoint-model NAME")
        return first["id"]

    def score(self, prompt: str) -> OrderScore:
        t0 = time.perf_counter()
        out = self._post("/v1/completions", {"model": self.model, "prompt": prompt, "max_tokens": 1,
                                             "temperature": 0.0, "logprobs": TOP_LOGPROBS})
        seconds = time.perf_counter() - t0
        probs = {tok: math.exp(lp) for tok, lp in self._top_logprobs(out).items()}
        p_first, mass = letter_probabilities(probs)
        usage = out.get("usage")
        tokens = usage.get("prompt_tokens") if isinstance(usage, dict) else None
        tokens = tokens if isinstance(tokens, int) and not isinstance(tokens, bool) and tokens >= 0 else 0
        return OrderScore(p_first, mass, tokens, tokens, seconds)

    def _top_logprobs(self, out: dict) -> dict[str, float]:
        """{token: log probability} of the first generated token, from a completion: the one place that
        checks what the server answered (a dict per token, or a list of {token, logprob} as chat
        completions give); anything else, empty or null is the server's error."""
        where = f"{self.url}/v1/completions"
        try:
            top = out["choices"][0]["logprobs"]["top_logprobs"][0]
        except (KeyError, IndexError, TypeError):
            top = None
        if isinstance(top, list) and all(isinstance(t, dict) and "token" in t and "logprob" in t for t in top):
            top = {t["token"]: t["logprob"] for t in top}
        if isinstance(top, dict):           # a null log probability: a token of probability 0
            top = {tok: lp for tok, lp in top.items() if lp is not None}
        if not isinstance(top, dict) or not top:
            raise EndpointError(f"{where} returned no logprobs; the server must support 'logprobs' on completions "
                                "(llama-cpp-python: logits_all)")
        for tok, lp in top.items():
            if not isinstance(tok, str) or isinstance(lp, bool) or not isinstance(lp, (int, float)) \
                    or math.isnan(lp) or lp > 1e-6:
                raise EndpointError(f"{where} returned {lp!r} as the log probability of {tok!r}, which is not a "
                                    "log probability; check the server's 'logprobs' output")
        return {tok: float(lp) for tok, lp in top.items()}

    def explain(self, prompt: str) -> str:
        out = self._post("/v1/completions", {"model": self.model, "prompt": prompt, "max_tokens": 80,
                                             "temperature": 0.0, "stop": ["\n"]})
        try:
            text = out["choices"][0]["text"]
        except (KeyError, IndexError, TypeError):
            text = None
        if not isinstance(text, str):
            raise EndpointError(f"{self.url}/v1/completions returned no text for the --explain rationale; check "
                                "that the server generates completions")
        return text.strip()

    def close(self) -> None:
        pass
