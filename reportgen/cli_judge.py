"""``reportgen judge``: the local pairwise judge (or an OpenAI-compatible endpoint) on the
items of a run. Click only: options, one call to ``reportgen.judge.judge_run``, progress."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reportgen.cli_common import with_db
from reportgen.judge_defaults import DEFAULT_RETRIES, DEFAULT_TIMEOUT

SMOKE_TEST_NOTE = ("note: the default model (SmolLM2-135M-Instruct) is a smoke test that shows the pipeline "
                   "works, not a judge to trust; pass --model PATH to a real instruct GGUF (e.g. an 8B one)")


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


class _Bar:
    """Items done, prompt tokens/s and ETA on stderr: one redrawn line on a terminal, one line per item otherwise."""

    def __init__(self):
        self.tty = sys.stderr.isatty()

    def __call__(self, p) -> None:
        rate = p.tokens / p.seconds if p.seconds > 0 else 0.0
        eta = p.seconds / p.done * (p.total - p.done) if p.done else 0.0
        width = 24
        filled = int(width * p.done / p.total) if p.total else width
        line = (f"judged {p.done}/{p.total} [{'#' * filled}{'.' * (width - filled)}] {rate:,.0f} tok/s "
                f"ETA {_duration(eta)} · {p.item_key}: {p.winner}")
        if self.tty:
            click.echo("\r" + line + "\x1b[K", err=True, nl=p.done == p.total)
        else:
            click.echo(line, err=True)


@click.command()
@click.option("--run", "run_name", help="Run to judge (needed when the database holds several).")
@click.option("--model", type=click.Path(dir_okay=False, path_type=Path),
              help="GGUF model file (default: the tiny bundled SmolLM2-135M-Instruct, a smoke test). With "
                   "--endpoint: a GGUF of the served model, read only for its chat template.")
@click.option("--endpoint", help="Judge through an OpenAI-compatible server at URL (vLLM, llama.cpp server) "
                                 "instead of in this process.")
@click.option("--endpoint-model", help="Model name to ask the endpoint for (default: the first of /v1/models).")
@click.option("--chat-template", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="With --endpoint: the served model's chat template (a Jinja file or tokenizer_config.json).")
@click.option("--concurrency", type=click.IntRange(1, 256), default=4, show_default=True,
              help="Items judged at once through --endpoint.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_TIMEOUT, show_default=True,
              help="With --endpoint: seconds to wait for one answer of the server (each request is tried "
                   f"{DEFAULT_RETRIES + 1} times).")
@click.option("--limit", type=click.IntRange(0), help="Judge at most N items (of those still unjudged).")
@click.option("--only-paper", help="Only items whose paper contains this text (case-insensitive).")
@click.option("--rejudge", is_flag=True, help="Judge the selected items again, replacing this judge's verdicts.")
@click.option("--explain", is_flag=True, help="Also generate a one-sentence rationale for each base win.")
@click.option("--template", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Your own judge prompt (a copy of templates/judge/pairwise.j2).")
@click.option("--threads", type=click.IntRange(1), help="CPU threads (default: every core this process may use).")
@click.option("--gpu-layers", type=click.IntRange(-1), default=0, show_default=True,
              help="Model layers to offload to the GPU (-1: all); needs llama-cpp-python built with CUDA or Metal.")
@click.option("--flash-attn", type=click.Choice(["auto", "on", "off"]), default="auto", show_default=True,
              help="Flash attention (auto: on when --gpu-layers offloads to a GPU, off on the CPU); recorded "
                   "with the judge's parameters.")
@click.option("--batch", type=click.IntRange(1),
              help="Prompt tokens per llama.cpp decode and compute batch (default: 2048 when --gpu-layers offloads "
                   "to a GPU, 512 on the CPU); recorded with the judge's parameters.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed (only --explain samples text).")
@click.option("--name", "judge_name", help="Judge name stored with the verdicts (default: local:<model file "
                                           "stem> or endpoint:<model>).")
@with_db
def judge(run_name, model, endpoint, endpoint_model, chat_template, concurrency, timeout, limit, only_paper, rejudge,
          explain, template, threads, gpu_layers, flash_attn, batch, seed, judge_name, db):
    """Judge base vs fine-tuned answers of a run in both orders with a local GGUF model or a server.

    Verdicts are committed as they come: interrupt at any time and run the same command
    again to continue."""
    from reportgen import store
    from reportgen.judge import judge_run
    store.require_db(db, writable=True)      # before the model loads; judge_run is told it is done
    if endpoint:
        from reportgen.judge.endpoint import EndpointJudge
        backend = EndpointJudge(endpoint, model=endpoint_model, concurrency=concurrency, model_path=model,
                                chat_template=chat_template, timeout=timeout)
    else:
        from reportgen.judge.worker import LocalJudgeProcess   # the model in a process of its own
        backend = LocalJudgeProcess(model, threads=threads, seed=seed, gpu_layers=gpu_layers, flash_attn=flash_attn,
                                    batch=batch)
    if judge_name:
        backend.judge_name = judge_name
    try:
        def started(r):
            if rejudge:
                click.echo(f"judge {r.judge} · run {r.run}: {r.selected} items to judge again "
                           f"({r.redone} already judged again by this --rejudge)", err=True)
            else:
                click.echo(f"judge {r.judge} · run {r.run}: {r.selected} items to judge "
                           f"({r.already} already judged by this judge)", err=True)
            if backend.is_default_model:
                click.echo(SMOKE_TEST_NOTE, err=True)
            if endpoint and not backend.chat.chat_template:
                click.echo("note: no chat template, so the prompts are plain text; pass --chat-template (the served "
                           "model's tokenizer_config.json) or --model (a GGUF of it) for an instruct model", err=True)

        result = judge_run(db, backend, run=run_name, template=template, limit=limit, only_paper=only_paper,
                           rejudge=rejudge, explain=explain, on_start=started, progress=_Bar(),
                           db_checked=True)
    finally:
        backend.close()
    counts = ", ".join(f"{result.winners.get(w, 0)} {label}" for w, label in
                       (("base", "base wins"), ("finetuned", "fine-tuned wins"), ("tie", "ties"),
                        ("invalid", "invalid")))
    rate = result.prompt_tokens / result.seconds if result.seconds else 0.0
    click.echo(f"judged {result.judged} items of run {result.run} with {result.judge}: {counts}")
    if result.judged:
        click.echo(f"  {result.seconds / result.judged:.2f} s/item, {rate:,.0f} prompt tokens/s "
                   f"({result.evaluated_tokens} of {result.prompt_tokens} prompt tokens evaluated, "
                   "the rest reused from the cache)")
    if result.earlier:
        click.echo(f"note: {result.earlier} verdicts of {result.judge} in run {result.run} were made with an earlier "
                   "model, template or parameters; --rejudge without --limit or --only-paper judges them again")
    if backend.is_default_model:
        click.echo(SMOKE_TEST_NOTE)
    click.echo(f"wrote {db}; see 'reportgen stats' for the judge's reliability")
