"""Render the site: the page model (from ``reportgen.site.gather``) → ``{relative path: text}``.

No I/O here besides reading templates. Model text is untrusted: HTML pages render it
with markdown-it-py's ``js-default`` preset (raw HTML off, unsafe link schemes refused,
images off so no request leaves the site) inside autoescaped Jinja2 templates; the
Markdown twin escapes ``<`` and ``&`` and defuses unsafe link schemes.

Templates come from ``templates/html`` and ``templates/md``; a user folder given as
``templates_dir`` (with the same ``html/`` and ``md/`` layout, or flat) overrides any
of them by name."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import logging
import multiprocessing
import os
import posixpath
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import jinja2
from markdown_it import MarkdownIt
from markupsafe import Markup

from reportgen.errors import UsageError
from reportgen.output import SITE_FORMATS, mt_bench_scores, percent, rate_with_ci, win_rate
from reportgen.resources import cache_dir, resource_dir
from reportgen.site.model import Page, Site

_UNSAFE_SCHEME = re.compile(r"(?i)\b(javascript|vbscript|data|file)\s*:")
_BRACKET = re.compile(r"(\\*)([\[\]])")  # a bracket and the backslashes before it


def _markdown() -> MarkdownIt:
    md = MarkdownIt("js-default")
    md.disable("image")  # a model's ![](http://…) would load a remote image
    # Only absolute web and mail links: a relative link in model text would point into the site.
    md.validateLink = lambda url: url.strip().lower().startswith(("http://", "https://", "mailto:"))

    def shift_headings(state) -> None:
        # Headings inside an answer sit below the page's own h1–h3.
        for token in state.tokens:
            if token.type in ("heading_open", "heading_close"):
                token.tag = f"h{min(6, int(token.tag[1]) + 3)}"
    md.core.ruler.push("shift_headings", shift_headings)

    def link_open(self, tokens, idx, options, env):
        tokens[idx].attrSet("rel", "nofollow noopener noreferrer")
        return self.renderToken(tokens, idx, options, env)
    md.add_render_rule("link_open", link_open)
    return md


def _quiet_markdown_it() -> None:
    """markdown-it-py's block rules log a debug line on entry, millions of calls for a large site;
    unless debug logging is on for it, its loggers become no-ops."""
    if logging.getLogger("markdown_it").isEnabledFor(logging.DEBUG):
        return
    for name, module in list(sys.modules.items()):
        if name.startswith("markdown_it.") and isinstance(getattr(module, "LOGGER", None), logging.Logger):
            module.LOGGER = _NO_LOG


class _NoLog:
    def debug(self, *args, **kwargs) -> None:
        pass


_NO_LOG = _NoLog()
_MD = _markdown()
_quiet_markdown_it()


@functools.lru_cache(maxsize=1 << 16)
def relative(path: str, here: str) -> str:
    """``posixpath.relpath(path, here)`` for the site's own paths (relative to the site root,
    normalised, no ``..``; ``here`` a folder, "." for the root), without its work on each call."""
    if here == ".":
        return path
    folders = here.split("/")
    parts = path.split("/")
    common = 0
    limit = min(len(folders), len(parts))
    while common < limit and folders[common] == parts[common]:
        common += 1
    return "/".join([".."] * (len(folders) - common) + parts[common:]) or "."


def markdown_html(text: str | None) -> Markup:
    """Untrusted Markdown → safe HTML."""
    return Markup(_MD.render(text or ""))


def md_text(text: str | None) -> str:
    """Untrusted text for the Markdown twin: no raw HTML (``<`` escaped) and no links (every ``[``
    and ``]`` escaped, so neither inline links nor link definitions can form; unsafe schemes defused
    too). Backslashes right before a bracket are doubled first: the text's own ``\\[`` must not
    turn the escape added here into a literal backslash and leave the bracket free."""
    text = (text or "").replace("\r\n", "\n").replace("&", "&amp;").replace("<", "&lt;")
    text = _BRACKET.sub(lambda m: m.group(1) * 2 + "\\" + m.group(2), text)
    return _UNSAFE_SCHEME.sub(lambda m: m.group(1) + "&#58;", text)


def md_quote(text: str | None) -> str:
    """Untrusted Markdown as a blockquote, so its headings and lists stay inside it."""
    lines = md_text(text).strip("\n").split("\n")
    return "\n".join(("> " + line).rstrip() for line in lines)


def md_cell(value) -> str:
    """One Markdown table cell: a single line, pipes escaped."""
    text = md_text("" if value is None else str(value))
    return " ".join(text.split()).replace("|", "\\|")


def short(text: str | None, width: int = 120) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def chart(papers: list[dict], width: int = 760) -> dict:
    """Geometry of the per-paper SVG chart: the win rate with its interval when known,
    otherwise base wins per paper (the only honest per-paper number then)."""
    known = [p for p in papers if not p["is_unknown"]]
    with_rate = [p for p in known if p["finetuned_win_rate"] is not None]
    label_w, right_pad, row_h, top = 330, 50, 22, 28
    plot_w = width - label_w - right_pad
    rows = []
    if with_rate:
        for i, p in enumerate(with_rate):
            rows.append({
                "label": short(p["paper"], 40), "title": p["paper"], "y": top + i * row_h,
                "x": label_w + plot_w * p["finetuned_win_rate"],
                "x1": label_w + plot_w * p["ci_low"], "x2": label_w + plot_w * p["ci_high"],
                "value": percent(p["finetuned_win_rate"], 0), "n": p["n"],
            })
        ticks = [{"x": label_w + plot_w * t / 100, "label": f"{t} %"} for t in (0, 25, 50, 75, 100)]
        kind = "rate"
    else:
        top_value = max([p["base_wins"] for p in known] + [1])
        for i, p in enumerate(known):
            rows.append({
                "label": short(p["paper"], 40), "title": p["paper"], "y": top + i * row_h,
                "x": label_w, "w": plot_w * p["base_wins"] / top_value, "value": str(p["base_wins"]),
                "n": p["n"],
            })
        step = max(1, -(-top_value // 4))
        ticks = [{"x": label_w + plot_w * t / top_value, "label": str(t)} for t in range(0, top_value + 1, step)]
        kind = "count"
    return {"kind": kind, "rows": rows, "ticks": ticks, "width": width, "label_w": label_w,
            "plot_w": plot_w, "height": top + len(rows) * row_h + 8, "top": top, "row_h": row_h,
            "mid": label_w + plot_w / 2}


class _TemplateCache(jinja2.FileSystemBytecodeCache):
    """Compiled templates kept between builds (Jinja2 checks each against its template's source):
    compiling them cost more than the rest of a rebuild that renders a few pages. A cache that
    cannot be read or written is only slower."""

    def load_bytecode(self, bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # unreadable, truncated or damaged (pickle, marshal): compile instead
            bucket.reset()

    def dump_bytecode(self, bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


@functools.cache
def _template_cache() -> _TemplateCache | None:
    """The cache of compiled templates: ``reportgen.resources.cache_dir`` for this Jinja2 and Python
    (compiled code is theirs); None where that folder cannot be made."""
    folder = cache_dir(f"templates/jinja2-{jinja2.__version__}-py{sys.version_info[0]}.{sys.version_info[1]}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _TemplateCache(str(folder))


def environment(fmt: str, templates_dir: Path | None = None) -> jinja2.Environment:
    base = resource_dir("templates")
    searchpath: list[Path] = []
    if templates_dir is not None:
        searchpath += [templates_dir / fmt, templates_dir]
    searchpath.append(base / fmt)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in searchpath]),
        autoescape=(fmt == "html"),
        auto_reload=False,  # a build reads each template once (no stat of it per page)
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=_template_cache(),
    )
    # Percentages and rates in the same words as the terminal summary (``reportgen stats``).
    env.filters.update(markdown=markdown_html, md_text=md_text, md_quote=md_quote, md_cell=md_cell, pct=percent,
                       short=short)
    env.globals.update(rate_ci=rate_with_ci, chart=chart, mt_bench_scores=mt_bench_scores,
                       win_rate=win_rate)
    return env


class Renderer:
    """Render pages in each of the given formats."""

    def __init__(self, formats: Iterable[str], templates_dir: Path | None = None):
        self.formats = [f for f in SITE_FORMATS if f in set(formats)]
        self.envs = {fmt: environment(fmt, templates_dir) for fmt in self.formats}

    def render(self, pages: Iterable[Page | tuple[Page, Iterable[str]]], site: Site, *,
               each: Callable[[str, str], Any] | None = None, meanwhile: Callable[[], None] | None = None) -> dict[str, Any]:
        """Render ``pages`` in every format, or each (page, formats) pair in those formats only:
        ``{relative path: text}``. ``each(path, text)``, when given, is called for every file in the
        process that rendered it (a worker: it may write the file there) and the result holds what it
        returns instead of the text. ``meanwhile()`` is called in this process while the workers render."""
        pages = [p if isinstance(p, tuple) else (p, self.formats) for p in pages]
        site = dataclasses.replace(site, formats=tuple(self.formats))
        workers = _workers(len(pages))
        if workers <= 1:
            with _collecting():
                if meanwhile is not None:
                    meanwhile()
                return _render_range(self, pages, site, each, 0, len(pages))
        # Forked workers inherit the renderer (its templates compiled here, once), the gathered data
        # and ``each``; only page ranges go out and what ``each`` returns (or the text) comes back,
        # merged in page order: deterministic.
        self._compile(pages)
        global _SHARED
        _SHARED = (self, pages, site, each)
        try:
            step = -(-len(pages) // (workers * 4))
            ranges = [(i, min(i + step, len(pages))) for i in range(0, len(pages), step)]
            out: dict[str, Any] = {}
            with _collecting(), multiprocessing.get_context("fork").Pool(workers, initializer=gc.enable) as pool:
                parts = pool.imap(_render_shared, ranges)
                if meanwhile is not None:
                    meanwhile()
                for part in parts:
                    out.update(part)
            return out
        finally:
            _SHARED = None

    def _compile(self, pages: list[tuple[Page, Iterable[str]]]) -> None:
        """Compile the templates ``pages`` use (a template that fails is reported by ``render_page``)."""
        for fmt, name in sorted({(fmt, f"{page.template}.{fmt}") for page, formats in pages for fmt in formats}):
            try:
                self.envs[fmt].get_template(name)
            except jinja2.TemplateError:
                pass

    def render_page(self, page: Page, site: Site, formats: Iterable[str] | None = None) -> dict[str, str]:
        out: dict[str, str] = {}
        stem, template = page.path, page.template
        root = "../" * stem.count("/")
        here = posixpath.dirname(stem) or "."
        for fmt in self.formats if formats is None else formats:
            if fmt == "md" and page.html_only:
                continue
            ext = "." + fmt

            def href(path: str, _here=here, _ext=ext) -> str:
                """Link to another page, by its path from the site root without extension."""
                return relative(path + _ext, _here)

            def asset(path: str, _here=here) -> str:
                return relative(path, _here)

            try:
                tpl = self.envs[fmt].get_template(f"{template}.{fmt}")
                text = tpl.render(site=site, page=stem, root=root, href=href, asset=asset, fmt=fmt,
                                  html_only=page.html_only, **page.context)
            except (jinja2.TemplateError, TypeError, AttributeError, KeyError, ValueError) as exc:
                where = getattr(exc, "filename", None) or f"{template}.{fmt}"
                raise UsageError(f"page {stem}{ext} failed to render ({exc})", path=where) from None
            out[stem + ext] = text.rstrip("\n") + "\n"
        return out


@contextlib.contextmanager
def _collecting():
    """Python's cycle collector on while pages render (the builder pauses it while it gathers), with
    everything that exists already (the gathered model) frozen out of its collections: rendering
    makes cyclic garbage (Jinja's ``import … with context``) that must be collected, but walking
    the model at each collection would cost more than the rendering, and in a forked worker it
    would touch, and so copy, the memory the worker shares. The workers collect too (the pool's
    initializer). A freeze someone else made is left as it is (and this one skipped)."""
    was_enabled, frozen = gc.isenabled(), gc.get_freeze_count() == 0
    if frozen:
        gc.freeze()
    gc.enable()
    try:
        yield
    finally:
        if not was_enabled:
            gc.disable()
        if frozen:
            gc.unfreeze()


PARALLEL_FROM = 300  # pages; below this, starting workers costs more than it saves
_SHARED: tuple | None = None


def forks(pages: int) -> bool:
    """Whether rendering this many pages forks worker processes."""
    return _workers(pages) > 1


def _workers(pages: int) -> int:
    if pages < PARALLEL_FROM or not sys.platform.startswith("linux") or os.environ.get("REPORTGEN_WORKERS") == "1":
        return 1
    cores = len(os.sched_getaffinity(0))
    return max(1, min(cores, int(os.environ.get("REPORTGEN_WORKERS") or cores), 8))


def _render_range(renderer: Renderer, pages: list[Page], site: Site, each: Callable[[str, str], Any] | None,
                  start: int, stop: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for page, formats in pages[start:stop]:
        rendered = renderer.render_page(page, site, formats)
        if each is None:
            out.update(rendered)
        else:
            for rel, text in rendered.items():
                out[rel] = each(rel, text)
    return out


def _render_shared(bounds: tuple[int, int]) -> dict[str, Any]:
    renderer, pages, site, each = _SHARED
    return _render_range(renderer, pages, site, each, *bounds)


def render_site(site: Site, formats: Iterable[str] = SITE_FORMATS, templates_dir: Path | None = None) -> dict[str, str]:
    """Every page of the site as ``{relative path: text}``; ``site`` comes from ``site.gather``."""
    return Renderer(formats, templates_dir).render(site.pages, site)

