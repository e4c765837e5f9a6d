"""Benchmark of the local judge on the bundled example (run: .venv/bin/python bench/judge/bench.py).

Per item of the example, in one process and one model load:
  bare   each order's prompt evaluated from an empty KV cache with plain ``Llama.eval``
         (what llama.cpp does for one prompt, no reportgen code around it);
  judge  ``LocalJudge.score`` on the same two prompts after a cache reset: order 1 evaluates
         everything (its time vs bare = the judge's overhead), order 2 reuses the item's
         prefix (its time / order 1's = the prefix-reuse saving);
and then ``judge_run`` end to end (prompts, both orders, DB commit per item) for seconds/item.
Also: ``save_state`` (the alternative to rewinding the cache) and ``logits_all=True``
(the alternative to reading the last token's logits), measured on the first prompt.
Bare and judge evaluations alternate item by item, so a busy machine slows both alike."""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

from reportgen.judge import judge_run  # first: it loads llama.cpp before duckdb and polars (judge/_preload.py)
from reportgen.judge.local import LocalJudge
from reportgen.judge.prompt import JudgeTemplate, pair_prompts
from reportgen import store  # noqa: I001
from reportgen.demo import EXAMPLE_RUN, example_files
from reportgen.ingest import ingest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, help="GGUF file (default: the bundled SmolLM2-135M-Instruct)")
    ap.add_argument("--items", type=int, default=3, help="items of the example to time (default 3)")
    ap.add_argument("--threads", type=int)
    ap.add_argument("--gpu-layers", type=int, default=0, help="layers offloaded to the GPU (-1: all)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="time every evaluation this many times and keep the fastest (for busy machines)")
    ap.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp())
    db = tmp / "bench.duckdb"
    ingest(db, example_files(), run=EXAMPLE_RUN)
    with store.open_db(db) as con:
        items = store.frame(con, "judge/select_items", run_id=1, judge="-", rejudge=True, paper=None).to_dicts()
    items = items[: args.items]

    t0 = time.perf_counter()
    judge = LocalJudge(args.model, threads=args.threads, gpu_layers=args.gpu_layers)
    load_s = time.perf_counter() - t0
    tmpl = JudgeTemplate()
    rows = []
    for item in items:
        p = pair_prompts(tmpl, judge.chat, item)
        bare1 = bare2 = j1 = j2 = float("inf")
        for _ in range(args.repeat):
            n1, t = judge.bare_eval_seconds(p.base_first)
            bare1 = min(bare1, t)
            n2, t = judge.bare_eval_seconds(p.finetuned_first)
            bare2 = min(bare2, t)
            judge.llm.reset()
            o1 = judge.score(p.base_first)
            o2 = judge.score(p.finetuned_first)
            j1, j2 = min(j1, o1.seconds), min(j2, o2.seconds)
        rows.append(dict(item=item["item_key"], tokens_1=n1, tokens_2=n2, bare_1=bare1, bare_2=bare2,
                         judge_1=j1, judge_2=j2, evaluated_2=o2.evaluated_tokens))
        print(f"item {item['item_key']}: {n1}+{n2} tokens · bare {bare1:.2f}+{bare2:.2f} s · "
              f"judge {j1:.2f}+{j2:.2f} s (order 2 evaluated {o2.evaluated_tokens})", flush=True)

    # save_state instead of rewinding: what one snapshot of the context costs
    p = pair_prompts(tmpl, judge.chat, items[0])
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

    # end to end: judge_run with DB commits
    judge.llm.reset()
    t = time.perf_counter()
    res = judge_run(db, judge, run=EXAMPLE_RUN, limit=len(items))
    e2e_s = time.perf_counter() - t
    judge.close()

    # logits_all=True on the first prompt, for comparison
    import llama_cpp
    big = llama_cpp.Llama(str(judge.path), n_ctx=judge.n_ctx, n_batch=512, n_threads=judge.threads,
                          n_threads_batch=judge.threads, logits_all=True, n_gpu_layers=args.gpu_layers,
                          verbose=False)
    toks = big.tokenize(p.base_first.encode(), add_bos=True, special=True)
    t = time.perf_counter()
    big.eval(toks)
    logits_all_s = time.perf_counter() - t
    scores_mib = big.scores.nbytes / 2**20
    big.close()

    bare_tok = sum(r["tokens_1"] + r["tokens_2"] for r in rows)
    bare_s = sum(r["bare_1"] + r["bare_2"] for r in rows)
    j1_tok = sum(r["tokens_1"] for r in rows)
    j1_s = sum(r["judge_1"] for r in rows)
    figures = {
        "model": judge.model, "threads": judge.threads, "repeat": args.repeat, "n_ctx": judge.n_ctx, "items": len(rows),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "model_load_s": round(load_s, 2),
        "bare_prompt_tokens_per_s": round(bare_tok / bare_s, 1),
        "judge_order1_tokens_per_s": round(j1_tok / j1_s, 1),
        # overhead: bare tokens/s (every bare evaluation) over the judge's order-1 tokens/s (same prompts, full eval)
        "judge_overhead_pct": round(100 * ((bare_tok / bare_s) / (j1_tok / j1_s) - 1), 1),
        "order2_over_order1": round(statistics.fmean(r["judge_2"] / r["judge_1"] for r in rows), 3),
        "order2_evaluated_share": round(statistics.fmean(r["evaluated_2"] / r["tokens_2"] for r in rows), 3),
        "judge_effective_tokens_per_s": round(bare_tok / sum(r["judge_1"] + r["judge_2"] for r in rows), 1),
        "end_to_end_s_per_item": round(e2e_s / max(res.judged, 1), 2),
        "save_state_s": round(save_s, 4), "load_state_s": round(load_state_s, 4),
        "save_state_mib": round(state_mib, 1),
        "logits_all_eval_s_first_prompt": round(logits_all_s, 2),
        "logits_all_vs_bare_first_prompt": round(logits_all_s / rows[0]["bare_1"], 2),
        "logits_all_scores_mib": round(scores_mib, 1),
        "rows": rows,
    }
    print(json.dumps({k: v for k, v in figures.items() if k != "rows"}, indent=2))
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
