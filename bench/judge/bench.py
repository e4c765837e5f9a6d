"""Benchmark of the local judge on the bundled example (run: .venv/bin/python bench/judge/bench.py).

Per item of the example, in one process and one model load:
  bare   each order's prompt evaluated from an empty KV cache with plain ``Llama.eval``
         (what llama.cpp does for one prompt, no reportgen code around it);
  judge  ``LocalJudge.score`` on the same two prompts after a cache reset: order 1 evaluates
         everything (its time vs bare = the judge's overhead), order 2 reuses the item's
         prefix (its time / order 1's = the prefix-reuse saving);
and then ``judge_run`` end to end (prompts, both orders, DB commits) for seconds/item, and the
host work of preparing an item (both prompts rendered and tokenized, which judge_run does on a
helper thread while the model evaluates the previous item).
Also: ``save_state`` (the alternative to rewinding the cache) and ``logits_all=True``
(the alternative to reading the last token's logits), measured on the first prompt.
Bare and judge evaluations alternate item by item, so a busy machine slows both alike, and
each is timed in wall time and in this process's CPU time: the ``*_cpu`` figures are what a
shared, loaded machine cannot distort (with --threads 1 they are the evaluation's own work)."""

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
    ap.add_argument("--threads", type=int)
    ap.add_argument("--gpu-layers", type=int, default=0, help="layers offloaded to the GPU (-1: all)")
    ap.add_argument("--flash-attn", choices=["auto", "on", "off"], default="auto",
                    help="as reportgen judge --flash-attn (auto: on when layers are offloaded to a GPU)")
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
    judge = LocalJudge(args.model, threads=args.threads, gpu_layers=args.gpu_layers, flash_attn=args.flash_attn)
    load_s = time.perf_counter() - t0
    tmpl = JudgeTemplate()
    rows = []
    for item in items:
        t = time.perf_counter()     # the host work judge_run does for the next item on a helper thread
        p = pair_prompts(tmpl, judge.chat, item)
        toks1, toks2 = judge.prepare(p.base_first), judge.prepare(p.finetuned_first)
        prepare_s = time.perf_counter() - t
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
                          flash_attn=judge.flash_attn, verbose=False)
    toks = big.tokenize(p.base_first.encode(), add_bos=True, special=True)
    _, logits_all_s, logits_all_cpu = timed(big.eval, toks)
    scores_mib = big.scores.nbytes / 2**20
    big.close()

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
        "model_load_s": round(load_s, 2),
        **rates("_cpu"), **rates(""),
        "order2_evaluated_share": round(statistics.fmean(r["evaluated_2"] / r["tokens_2"] for r in rows), 3),
        "end_to_end_s_per_item": round(e2e_s / max(res.judged, 1), 2),
        "prepare_ms_per_item": round(1000 * statistics.median(r["prepare_s"] for r in rows), 1),
        "save_state_s": round(save_s, 4), "load_state_s": round(load_state_s, 4),
        "save_state_mib": round(state_mib, 1),
        "logits_all_eval_s_first_prompt": round(logits_all_s, 2),
        "logits_all_vs_bare_first_prompt": round(logits_all_s / rows[0]["bare_1"], 2),
        "logits_all_vs_bare_first_prompt_cpu": round(logits_all_cpu / rows[0]["bare_1_cpu"], 2),
        "logits_all_scores_mib": round(scores_mib, 1),
        "rows": rows,
    }
    print(json.dumps({k: v for k, v in figures.items() if k != "rows"}, indent=2))
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
