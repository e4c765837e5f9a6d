"""Benchmark of the local judge on the bundled example (run: .venv/bin/python bench/judge/bench.py).

Per item of the example, in one process and one model load:
  bare   each order's prompt evaluated from an empty KV cache with plain ``Llama.eval``
         (what llama.cpp does for one prompt, no reportgen code around it);
  judge  ``LocalJudge.score`` on the same two prompts after a cache reset: order 1 evaluates
         everything (its time vs bare = the judge's overhead), order 2 reuses the item's
         prefix (its time / order 1's = the prefix-reuse saving);
and then ``judge_run`` end to end, as ``reportgen judge`` runs it (the model in its worker
process, prompts, both orders, DB commits), for seconds/item, and the host work of preparing
an item (both prompts rendered and tokenized, which the worker does on a helper thread while
the model evaluates the previous item).
This process loads llama.cpp and never duckdb or polars (some builds cannot share a process
with them: reportgen/judge/worker.py); the database work runs in child processes.
Also: ``save_state`` (the alternative to rewinding the cache) and ``logits_all=True``
(the alternative to reading the last token's logits), measured on the first prompt.
Bare and judge evaluations alternate item by item, so a busy machine slows both alike, and
each is timed in wall time and in this process's CPU time: the ``*_cpu`` figures are what a
shared, loaded machine cannot distort (with --threads 1 they are the evaluation's own work)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reportgen.judge.local import LocalJudge
from reportgen.judge.prompt import JudgeTemplate, pair_prompts

ROOT = Path(__file__).resolve().parents[2]

# In a child process: the example ingested into DB, its items with text as JSON on stdout.
ITEMS = """
import json, sys
from pathlib import Path
from reportgen import store
from reportgen.demo import EXAMPLE_RUN, example_files
from reportgen.ingest import ingest
db = Path(sys.argv[1])
ingest(db, example_files(), run=EXAMPLE_RUN)
with store.open_db(db) as con:
    rows = store.frame(con, "judge/select_items", run_id=1, judge="-", redo_below=None, paper=None).to_dicts()
skip, n = int(sys.argv[3]), int(sys.argv[2])
print(json.dumps(rows[skip: skip + n], default=str))
"""

# In a child process: judge_run on the first N items with the worker process, as reportgen judge does.
END_TO_END = """
import json, sys, time
from pathlib import Path
from reportgen.demo import EXAMPLE_RUN
from reportgen.judge import judge_run
from reportgen.judge.worker import LocalJudgeProcess
db, limit, kwargs = Path(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3])
judge = LocalJudgeProcess(**kwargs)
committed = []     # (when, items committed so far), one per item, as the writer thread commits them
t = time.perf_counter()
res = judge_run(db, judge, run=EXAMPLE_RUN, limit=limit,
                progress=lambda p: committed.append((time.perf_counter(), p.done)))
seconds = time.perf_counter() - t
judge.close()
print(json.dumps({"judged": res.judged, "seconds": seconds, "batch": judge.batch,
                  "first": committed[0][0] - t if committed else None,
                  "steady": [committed[-1][0] - committed[0][0], committed[-1][1] - committed[0][1]]
                  if committed else None}))
"""


def _child(code: str, *args: str) -> dict | list:
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, stdout=subprocess.PIPE, check=True,
                         text=True)
    return json.loads(out.stdout.splitlines()[-1])


def timed(fn, *args):
    """fn(*args), its wall time and the CPU time of this process (which other processes on a
    shared machine do not inflate)."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args)
    return out, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, help="GGUF file (default: the bundled SmolLM2-135M-Instruct)")
    ap.add_argument("--items", type=int, default=3, help="items of the example to time (default 3)")
    ap.add_argument("--skip", type=int, default=0,
                    help="time the items after the first SKIP (end to end still judges the run's first items)")
    ap.add_argument("--threads", type=int)
    ap.add_argument("--gpu-layers", type=int, default=0, help="layers offloaded to the GPU (-1: all)")
    ap.add_argument("--flash-attn", choices=["auto", "on", "off"], default="auto",
                    help="as reportgen judge --flash-attn (auto: on when layers are offloaded to a GPU)")
    ap.add_argument("--batch", type=int,
                    help="tokens per llama_decode call and per compute batch (n_batch = n_ubatch), as reportgen "
                         "judge --batch (default: 2048 with layers on a GPU, 512 on the CPU)")
    ap.add_argument("--merged", action="store_true",
                    help="also time order 2 of each item and order 1 of the next in one decode (two sequences)")
    ap.add_argument("--no-alternatives", action="store_true",
                    help="skip timing save_state and logits_all=True (a second model load)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="time every evaluation this many times and keep the fastest (for busy machines)")
    ap.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp())
    db = tmp / "bench.duckdb"
    items = _child(ITEMS, str(db), str(args.items), str(args.skip))

    t0 = time.perf_counter()
    judge = LocalJudge(args.model, threads=args.threads, gpu_layers=args.gpu_layers, flash_attn=args.flash_attn,
                       batch=args.batch)
    load_s = time.perf_counter() - t0
    tmpl = JudgeTemplate()
    rows, prepared = [], []
    for item in items:
        t = time.perf_counter()     # the host work judge_run does for the next item on a helper thread
        p = pair_prompts(tmpl, judge.chat, item)
        toks1, toks2 = judge.prepare(p.base_first), judge.prepare(p.finetuned_first)
        prepare_s = time.perf_counter() - t
        prepared.append((toks1, toks2))
        best: dict[str, tuple[float, float]] = {}

        def keep(key, wall, cpu):
            w, c = best.get(key, (float("inf"), float("inf")))
            best[key] = (min(w, wall), min(c, cpu))

        for _ in range(args.repeat):
            keep("bare_1", *timed(judge.bare_eval, toks1)[1:])
            keep("bare_2", *timed(judge.bare_eval, toks2)[1:])
            judge.llm.reset()
            keep("judge_1", *timed(judge.score, toks1)[1:])
            o2, wall, cpu = timed(judge.score, toks2)      # reuses the item's prefix from order 1
            keep("judge_2", wall, cpu)
        evaluated_2 = o2.evaluated_tokens
        rows.append(dict(item=item["item_key"], tokens_1=len(toks1), tokens_2=len(toks2), evaluated_2=evaluated_2,
                         prepare_s=prepare_s, **{k: w for k, (w, _) in best.items()},
                         **{f"{k}_cpu": c for k, (_, c) in best.items()}))
        print(f"item {item['item_key']}: {len(toks1)}+{len(toks2)} tokens · bare {best['bare_1'][0]:.2f}+"
              f"{best['bare_2'][0]:.2f} s · judge {best['judge_1'][0]:.2f}+{best['judge_2'][0]:.2f} s "
              f"(order 2 evaluated {evaluated_2}; CPU s bare {best['bare_1'][1]:.2f}+{best['bare_2'][1]:.2f}, "
              f"judge {best['judge_1'][1]:.2f}+{best['judge_2'][1]:.2f})", flush=True)

    merged = _merged(judge, prepared) if args.merged else {}
    alternatives = {} if args.no_alternatives else _alternatives(judge, pair_prompts(tmpl, judge.chat, items[0]),
                                                                 rows[0], args.gpu_layers)
    judge.close()

    # end to end: judge_run with DB commits and the model in its worker process, as reportgen judge
    e2e = _child(END_TO_END, str(db), str(len(items)),
                 json.dumps({"model_path": str(judge.path), "threads": judge.threads, "gpu_layers": args.gpu_layers,
                             "flash_attn": args.flash_attn, "batch": args.batch}))
    e2e_s, judged = e2e["seconds"], e2e["judged"]
    steady_s, steady_n = e2e["steady"] or (0, 0)

    bare_tok = sum(r["tokens_1"] + r["tokens_2"] for r in rows)
    j1_tok = sum(r["tokens_1"] for r in rows)

    def rates(sfx: str) -> dict:
        bare_s = sum(r["bare_1" + sfx] + r["bare_2" + sfx] for r in rows)
        j1_s = sum(r["judge_1" + sfx] for r in rows)
        return {
            f"bare_prompt_tokens_per_s{sfx}": round(bare_tok / bare_s, 1),
            f"judge_order1_tokens_per_s{sfx}": round(j1_tok / j1_s, 1),
            # bare tokens/s (every bare evaluation) over the judge's order-1 tokens/s (same prompts, full eval)
            f"judge_overhead_pct{sfx}": round(100 * ((bare_tok / bare_s) / (j1_tok / j1_s) - 1), 1),
            f"order2_over_order1{sfx}": round(statistics.fmean(r["judge_2" + sfx] / r["judge_1" + sfx]
                                                               for r in rows), 3),
            f"judge_effective_tokens_per_s{sfx}": round(
                bare_tok / sum(r["judge_1" + sfx] + r["judge_2" + sfx] for r in rows), 1),
        }

    figures = {
        "model": judge.model, "threads": judge.threads, "repeat": args.repeat, "n_ctx": judge.n_ctx, "items": len(rows),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "flash_attn": judge.parameters["flash_attn"],
        # LocalJudge sets it where layers run on a GPU (CUDA graphs off; see the README): None means graphs on
        "GGML_CUDA_DISABLE_GRAPHS": os.environ.get("GGML_CUDA_DISABLE_GRAPHS"),
        "n_batch": judge.batch, "model_load_s": round(load_s, 2),
        **rates("_cpu"), **rates(""),
        "order2_evaluated_share": round(statistics.fmean(r["evaluated_2"] / r["tokens_2"] for r in rows), 3),
        "prompt_tokens_per_item": round(statistics.fmean(r["tokens_1"] + r["tokens_2"] for r in rows)),
        "evaluated_tokens_per_item": round(statistics.fmean(r["tokens_1"] + r["evaluated_2"] for r in rows)),
        "end_to_end_items": judged, "end_to_end_n_batch": e2e["batch"],
        "end_to_end_s_per_item": round(e2e_s / max(judged, 1), 4),
        "end_to_end_items_per_hour": round(3600 * judged / e2e_s) if judged else 0,
        # judge_run's start (the run's queries, the first item prepared and judged, its commit) apart
        "end_to_end_first_commit_s": round(e2e["first"], 3) if e2e["first"] is not None else None,
        # from the first commit to the last: the rate of a long run, where the start weighs nothing
        "end_to_end_steady_items_per_hour": round(3600 * steady_n / steady_s) if steady_n and steady_s else None,
        "prepare_ms_per_item": round(1000 * statistics.median(r["prepare_s"] for r in rows), 1),
        **merged, **alternatives,
        "rows": rows,
    }
    print(json.dumps({k: v for k, v in figures.items() if k != "rows"}, indent=2))
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2) + "\n")


def _merged(judge: LocalJudge, prompts: list[tuple[list[int], list[int]]]) -> dict:
    """Issue 13's open question, for a device to answer: order 2 of one item and order 1 of the next
    in one llama_decode, as two sequences of one unified KV cache, against one decode per order
    (judge_run's way: ``LocalJudge.score``, the cache rewound to the longest common prefix): merging
    pays a decode's fixed cost once an item instead of twice. The same items both ways: seconds, and
    the largest difference in the probability of the first letter, which should be float noise; it
    was not, on this machine's CPU nor on an H100, where merging was also slower (bench/judge/README.md).
    Also order 2's evaluated tokens from an empty cache, to tell attention to the prefix from a
    per-call cost."""
    import llama_cpp as L
    import numpy as np

    from reportgen.judge.base import letter_probabilities, softmax_subset

    judge.llm.reset()
    t = time.perf_counter()
    scores = [judge.score(tokens) for pair in prompts for tokens in pair]
    separate_s = time.perf_counter() - t
    separate = [s.p_first for s in scores]
    # where order 2's extra time comes from: the same tokens it evaluates, from an empty cache
    # (positions from 0, attending to nothing before them), against order 2 itself and order 1
    at_start = []
    for (one, two), o1, o2 in zip(prompts, scores[0::2], scores[1::2]):
        judge.llm.reset()
        t = time.perf_counter()
        judge.llm.eval(two[len(two) - o2.evaluated_tokens:])
        at_start.append((time.perf_counter() - t, o1.seconds, o2.seconds))

    longest = max(len(a) + len(b) for a, b in prompts)
    params = L.llama_context_default_params()
    params.n_ctx = max(judge.n_ctx, 3 * longest)
    params.n_batch = params.n_ubatch = 2 * longest      # one decode, one compute batch for both
    params.n_seq_max, params.kv_unified = 3, True       # the sequences share the prefix's cells
    params.n_threads = params.n_threads_batch = judge.threads
    params.flash_attn_type = L.LLAMA_FLASH_ATTN_TYPE_ENABLED if judge.flash_attn else L.LLAMA_FLASH_ATTN_TYPE_DISABLED
    ctx = L.llama_init_from_model(judge.llm.model, params)
    if not ctx:
        return {"merged_error": "llama.cpp could not create the context"}
    mem = L.llama_get_memory(ctx)
    batch = L.llama_batch_init(params.n_batch, 0, 1)
    n_vocab = judge.llm.n_vocab()

    def common(a: list[int], b: list[int]) -> int:
        n = 0
        while n < min(len(a), len(b)) - 1 and a[n] == b[n]:
            n += 1
        return n

    def decode(parts: list[tuple[list[int], int, int]]) -> list[float]:
        """Evaluate each (tokens, first position, sequence) in one batch; P(first letter) of each."""
        n, last = 0, []
        for tokens, start, seq in parts:
            for i, token in enumerate(tokens):
                batch.token[n], batch.pos[n], batch.n_seq_id[n] = token, start + i, 1
                batch.seq_id[n][0], batch.logits[n] = seq, False
                n += 1
            batch.logits[n - 1] = True
            last.append(n - 1)
        batch.n_tokens = n
        if L.llama_decode(ctx, batch) != 0:
            raise RuntimeError("llama_decode failed")
        out = []
        for i in last:
            logits = np.ctypeslib.as_array(L.llama_get_logits_ith(ctx, i), shape=(n_vocab,))
            out.append(letter_probabilities(softmax_subset(logits, judge.letter_ids))[0])
        return out

    try:
        t = time.perf_counter()
        a = 0                                     # the sequence holding the current item's order 1
        merged = decode([(prompts[0][0], 0, a)])
        for k, (one, two) in enumerate(prompts):
            b, c = (a + 1) % 3, (a + 2) % 3
            p = common(one, two)
            L.llama_memory_seq_cp(mem, a, b, 0, p)
            parts = [(two[p:], p, b)]
            if k + 1 < len(prompts):
                nxt = prompts[k + 1][0]
                s = common(one, nxt)
                L.llama_memory_seq_cp(mem, a, c, 0, s)
                parts.append((nxt[s:], s, c))
            merged += decode(parts)
            L.llama_memory_seq_rm(mem, a, -1, -1)
            L.llama_memory_seq_rm(mem, b, -1, -1)
            a = c
        merged_s = time.perf_counter() - t
    finally:
        L.llama_batch_free(batch)
        L.llama_free(ctx)
    return {"merged_s": round(merged_s, 3), "separate_s": round(separate_s, 3),
            "merged_over_separate": round(merged_s / separate_s, 3),
            "merged_max_p_first_difference": max(abs(x - y) for x, y in zip(merged, separate)),
            "merged_decodes": len(prompts) + 1, "separate_decodes": 2 * len(prompts),
            "order2_tokens_at_start_over_order1": round(statistics.fmean(a / o1 for a, o1, _ in at_start), 3),
            "order2_over_order1_same_run": round(statistics.fmean(o2 / o1 for _, o1, o2 in at_start), 3)}


def _alternatives(judge: LocalJudge, p, first_row: dict, gpu_layers: int) -> dict:
    """save_state instead of rewinding the cache, and logits_all=True instead of reading the
    last token's logits, timed on the item's first prompt."""
    judge.llm.reset()
    judge.score(p.base_first)
    t = time.perf_counter()
    state = judge.llm.save_state()
    save_s = time.perf_counter() - t
    t = time.perf_counter()
    judge.llm.load_state(state)
    load_state_s = time.perf_counter() - t
    state_mib = (state.llama_state_size + state.scores.nbytes + state.input_ids.nbytes) / 2**20
    del state
    judge.close()   # the second model below loads beside nothing

    import llama_cpp
    big = llama_cpp.Llama(str(judge.path), n_ctx=judge.n_ctx, n_batch=judge.batch, n_ubatch=judge.batch,
                          n_threads=judge.threads, n_threads_batch=judge.threads, logits_all=True,
                          n_gpu_layers=gpu_layers, flash_attn=judge.flash_attn, verbose=False)
    toks = big.tokenize(p.base_first.encode(), add_bos=True, special=True)
    _, logits_all_s, logits_all_cpu = timed(big.eval, toks)
    scores_mib = big.scores.nbytes / 2**20
    big.close()
    return {
        "save_state_s": round(save_s, 4), "load_state_s": round(load_state_s, 4),
        "save_state_mib": round(state_mib, 1),
        "logits_all_eval_s_first_prompt": round(logits_all_s, 2),
        "logits_all_vs_bare_first_prompt": round(logits_all_s / first_row["bare_1"], 2),
        "logits_all_vs_bare_first_prompt_cpu": round(logits_all_cpu / first_row["bare_1_cpu"], 2),
        "logits_all_scores_mib": round(scores_mib, 1),
    }


if __name__ == "__main__":
    main()
