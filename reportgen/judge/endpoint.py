"""The endpoint judge: the same prompts through an OpenAI-compatible server (vLLM,
llama.cpp's or llama-cpp-python's server), as one-token completions with logprobs.

``POST {url}/v1/completions`` with ``max_tokens: 1``, ``temperature: 0`` and ``logprobs: 20``;
the verdict comes from ``choices[0].logprobs.top_logprobs[0]`` ({token text: log
probability}), so the letter mass is a lower bound (only the top 20 tokens are seen).
The prompt is rendered here with the chat template of ``--model`` (a GGUF file of the
served model; only its metadata is read) or ``--chat-template``, so the server sees
exactly the text the local judge would evaluate."""

from __future__ import annotations

import json
import math
import time
import urllib.error
import urllib.request
from pathlib import Path

from reportgen.errors import ReportgenError, UsageError
from reportgen.judge.base import OrderScore, PromptTooLong, letter_probabilities
from reportgen.judge.ggufmeta import read_strings
from reportgen.judge.prompt import ChatFormat

TOP_LOGPROBS = 20
CHAT_TEMPLATE_KEY = "tokenizer.chat_template"


class EndpointError(ReportgenError):
    """The judge server failed or answered something that is not a completion."""


def chat_template_from(model_path: Path | None, chat_template: Path | None) -> tuple[str | None, str]:
    """The chat template text and its origin: a GGUF's metadata, a Jinja file or a tokenizer_config.json."""
    if chat_template is not None:
        try:
            text = Path(chat_template).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot read the chat template ({exc.strerror})", path=chat_template) from None
        if Path(chat_template).suffix == ".json":
            try:
                text = json.loads(text)["chat_template"]
            except (ValueError, KeyError, TypeError):
                raise UsageError("has no chat_template key; pass a tokenizer_config.json or a Jinja file",
                                 path=chat_template) from None
        return text, Path(chat_template).name
    if model_path is not None:
        if not Path(model_path).is_file():
            raise UsageError("no such model file; pass --model PATH to a GGUF file", path=model_path)
        meta = read_strings(Path(model_path), {CHAT_TEMPLATE_KEY})     # the header only, no llama.cpp (see ggufmeta)
        return meta.get(CHAT_TEMPLATE_KEY), Path(model_path).name
    return None, "plain"


class EndpointJudge:
    kind = "endpoint"
    is_default_model = False

    def __init__(self, url: str, *, model: str | None = None, concurrency: int = 4, timeout: float = 300.0,
                 model_path: Path | None = None, chat_template: Path | None = None, retries: int = 3):
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
        text, origin = chat_template_from(model_path, chat_template)
        self.chat = ChatFormat(text)
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
                    return json.loads(resp.read().decode("utf-8"))
            except urllib.error.HTTPError as exc:
                detail = exc.read().decode("utf-8", "replace")[:300]
                if exc.code == 400 and "context" in detail.lower():
                    raise PromptTooLong(detail=detail[:120]) from None
                if exc.code < 500:
                    raise EndpointError(f"{self.url}{path} answered HTTP {exc.code}: {detail}") from None
                last = f"HTTP {exc.code}: {detail}"
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                last = str(getattr(exc, "reason", exc))
            except ValueError:
                raise EndpointError(f"{self.url}{path} did not answer JSON; is --endpoint an OpenAI-compatible "
                                    "server?") from None
            if attempt < self.retries:
                time.sleep(min(2 ** attempt, 10))
        raise EndpointError(f"{self.url}{path} failed after {self.retries + 1} tries ({last}); check the server "
                            "and run the same command again to continue")

    def _served_model(self) -> str:
        models = self._post("/v1/models").get("data") or []
        if not models:
            raise EndpointError(f"{self.url}/v1/models lists no model; pass --endpoint-model NAME")
        return str(models[0]["id"])

    def score(self, prompt: str) -> OrderScore:
        t0 = time.perf_counter()
        out = self._post("/v1/completions", {"model": self.model, "prompt": prompt, "max_tokens": 1,
                                             "temperature": 0.0, "logprobs": TOP_LOGPROBS})
        seconds = time.perf_counter() - t0
        try:
            top = out["choices"][0]["logprobs"]["top_logprobs"][0] or {}
        except (KeyError, IndexError, TypeError):
            raise EndpointError(f"{self.url}/v1/completions returned no logprobs; the server must support "
                                "'logprobs' on completions (llama-cpp-python: logits_all)") from None
        probs = {tok: math.exp(lp) for tok, lp in top.items() if lp is not None}
        p_first, mass = letter_probabilities(probs)
        usage = out.get("usage") or {}
        tokens = int(usage.get("prompt_tokens") or 0)
        return OrderScore(p_first, mass, tokens, tokens, seconds)

    def explain(self, prompt: str) -> str:
        out = self._post("/v1/completions", {"model": self.model, "prompt": prompt, "max_tokens": 80,
                                             "temperature": 0.0, "stop": ["\n"]})
        return str(out["choices"][0]["text"]).strip()

    def close(self) -> None:
        pass
