"""Read everything the pages show from the database into the page model (``reportgen.site.model``),
and list the pages."""

from __future__ import annotations

import heapq
import operator
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import duckdb
import polars as pl

from reportgen import fieldreport, reliability, sqlfiles, store
from reportgen.site import data, paging
from reportgen.site.search import SEARCH_LIMIT, indexed_pages, shards
from reportgen.site.errors import SiteError
from reportgen.site.incremental import Digested, Inputs, digest_of
from reportgen.site.model import (Agreement, Category, CategoryHit, Comparison, JudgeReport, Page, Paper, Row,
                                  Run, Site, Transcript)
from reportgen.site.slugs import slug

TOP = 20  # papers, reliability rows, disagreements and least-confident base wins a run's home page shows


def _rows(df: pl.DataFrame, **equal: str) -> list[Row]:
    """The rows of ``df`` whose columns have the given values."""
    for column, value in equal.items():
        df = df.filter(pl.col(column) == value)
    return df.to_dicts()


def gather(con: duckdb.DuckDBPyConnection, run: str | None = None, *, search: bool = True, text: bool = True,
           search_limit: int | None = None) -> Site:
    """Everything the pages show, with the list of pages; with ``text=False``, of the transcripts only
    what lists show (``load_text`` reads the rest for the pages to render). ``search_limit``: the
    most transcript pages the search index covers (the search page says so when it covers fewer).
    The report tables (``Site.tables``) are read on a second connection while this one reads the
    transcripts and Python makes their objects: DuckDB runs both queries at once."""
    with ThreadPoolExecutor(1, thread_name_prefix="reportgen-reads") as pool:  # 2 at once fill 2 cores
        reports = pool.submit(store.on_cursor, data.frames, con.cursor(), run, skip=("transcripts",))
        least = pool.submit(store.on_cursor, store.frame, con.cursor(), "site/least_confident")
        field = pool.submit(store.on_cursor, fieldreport.verdict_inputs, con.cursor())
        listed = store.frame(con, "site/transcript_list", run=run)
        # What lists show of each transcript, digested for all of them at once (Transcript.input_digest).
        listed = listed.with_columns(input_digest=listed.select(
            "item_key", "paper", "question", "position", "seq", "categories").hash_rows(seed=0))
        transcripts = {name: _transcripts(part, _Links(_run_prefix(name)))
                       for (name,), part in listed.partition_by("run", as_dict=True).items()}
        parts = data.parts_of(listed, data.transcript_parts(con, run))
        tables, least, verdict_inputs = reports.result(), least.result(), field.result()
    run_rows = _rows(tables["runs"])
    if not run_rows:
        raise SiteError("the database holds no runs yet; ingest a judge log or verdict JSONL first")
    descriptions = {f.short_name: f.description for f in sqlfiles.group("categories")}
    single = len(run_rows) == 1
    field_digests = fieldreport.input_digests(verdict_inputs)
    runs = [_run(r, tables, transcripts.get(r["run"], []), least, field_digests, single, descriptions)
            for r in run_rows]
    comparisons = [_comparison(con, a, b, tables["paired_comparison"]) for i, a in enumerate(runs) for b in runs[i + 1:]]
    search = search and any(r.transcripts for r in runs)  # no transcript page: nothing to index
    site = Site(
        title="reportgen: " + (runs[0].name if single else f"{len(runs)} runs"),
        single=single, runs=runs, comparisons=comparisons, search=search,
        search_limit=search_limit if search else None,
        sql={f.short_name: f.text for f in sqlfiles.group("report")} | {f.name: f.text for f in sqlfiles.group("site")},
        data=data.tables(), reliability_definitions=reliability.DEFINITIONS,
        verdict_inputs=verdict_inputs, tables=tables, transcript_parts=parts,
    )
    site.pages = pages(site)
    if text:
        load_text(con, site, {t.page for r in runs for t in r.transcripts})
        load_fields(site)
    return site


def _run_prefix(name: str) -> str:
    return f"run/{slug(name)}/"


def load_fields(site: Site) -> None:
    """Fit the field's statistics (reportgen.fieldreport) into every judge's ``field``: only the run
    pages show them, and the fit costs more than the rest of a rebuild's reading."""
    field = fieldreport.frame(None, site.tables["overall"], site.verdict_inputs)
    for run in site.runs:
        for judge in run.judges:
            judge.field = next(iter(_rows(field, run=run.name, judge=judge.judge)), None)


class _Links:
    """The page paths of one run: its folder, and the papers it has pages for."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.papers: dict[str, str] = {}

    def paper(self, paper: str) -> str:
        if paper not in self.papers:
            self.papers[paper] = f"{self.prefix}paper/{slug(paper, always_hash=True)}"
        return self.papers[paper]

    def category(self, category: str) -> str:
        return f"{self.prefix}category/{slug(category)}"

    def transcript(self, item_key: str) -> str:
        return f"{self.prefix}t/{slug(item_key)}"


def _run(r: Row, tables: dict[str, pl.DataFrame], transcripts: list[Transcript], least: pl.DataFrame,
         field_digests: dict[tuple[str, str], str], single: bool,
         descriptions: dict[str, str]) -> Run:
    name = r["run"]
    links = _Links(_run_prefix(name))
    by_paper: dict[str, list[Transcript]] = {}
    for t in transcripts:
        by_paper.setdefault(t.paper, []).append(t)
    for group in by_paper.values():
        for i, t in enumerate(group):
            t.prev = group[i - 1] if i > 0 else None
            t.next = group[i + 1] if i + 1 < len(group) else None

    judges = []
    for o in _rows(tables["overall"], run=name):
        mine = {"run": name, "judge": o["judge"]}
        papers = [{**p, "page": None if p["is_unknown"] else links.paper(p["paper"])}
                  for p in _rows(tables["papers"], **mine)]
        notes = [p["rate_note"] for p in papers if not p["is_unknown"] and p["rate_note"]]
        categories = [{**c, "page": links.category(c["category"]), "description": descriptions.get(c["category"], "")}
                      for c in _rows(tables["categories"], **mine)]
        reliability_rows = _rows(tables["reliability"], **mine)
        judges.append(JudgeReport(judge=o["judge"], overall=o, papers=papers, categories=categories,
                                  reliability=reliability_rows,
                                  rate_note=notes[0] if notes else None,
                                  field_digest=field_digests.get((name, o["judge"]), ""),
                                  top_papers=_top(papers, "is_unknown", "base_wins"),
                                  top_reliability=_top(reliability_rows, "is_total", "items"),
                                  grades=_rows(tables["mt_bench_scores"], **mine)))

    papers = [Paper(paper=p, page=links.paper(p), transcripts=by_paper.get(p, []),
                    rows=[row for j in judges for row in j.papers if row["paper"] == p])
              for p in sorted(set(links.papers) | set(by_paper))]
    for p in papers:
        p.listing = paging.paginate(p.page, p.transcripts, _transcript_key, _transcript_digest)
    names = sorted({c for t in transcripts for c in t.categories}
                   | {row["category"] for j in judges for row in j.categories})
    categories = [Category(name=c, page=links.category(c), description=descriptions.get(c, ""),
                           hits=[row for j in judges for row in j.categories if row["category"] == c],
                           transcripts=[t for t in transcripts if c in t.categories])
                  for c in names]
    for c in categories:
        c.listing = paging.paginate(c.page, c.transcripts, _transcript_key, _transcript_digest)
    page_of = {t.key: t.page for t in transcripts}
    agreements = []
    for a in _rows(tables["judge_agreement"], run=name):
        pair = _rows(tables["judge_disagreements"], run=name, judge_a=a["judge_a"], judge_b=a["judge_b"])
        rows = [{**d, "page": page_of.get(d["item_key"])} for d in pair]
        base = f"{links.prefix}disagreements/{slug(a['judge_a'] + ' vs ' + a['judge_b'], always_hash=True)}"
        # Where one judge saw a base win and the other a fine-tuned win first, then one tie or invalid.
        decisive = sorted(rows, key=lambda d: {d["winner_a"], d["winner_b"]} != {"base", "finetuned"})
        agreements.append(Agreement(row=a, disagreements=rows, page=base, top=decisive[:TOP],
                                    listing=paging.paginate(base, rows, lambda d: str(d["item_key"]))))
    run = Run(row=r, name=name, slug=slug(name), home="index" if single else f"{links.prefix}index", judges=judges,
              transcripts=transcripts, papers=papers, categories=categories, agreements=agreements,
              sources=_rows(tables["sources"], run=name),
              transcripts_page=f"{links.prefix}transcripts", papers_page=f"{links.prefix}papers",
              least_confident=_least_confident(_rows(least, run=name), transcripts),
              busiest_papers=heapq.nsmallest(TOP, (p for p in papers if p.transcripts), key=lambda p: -len(p.transcripts)))
    run.transcript_listing = paging.paginate(run.transcripts_page, transcripts, _transcript_key, _transcript_digest)
    run.paper_listing = paging.paginate(run.papers_page, papers, lambda p: p.paper)
    return run


# A transcript's key and input digest, for paginating lists of them (C-level getters: a 100k-transcript
# run pages 400k list entries)
_transcript_key = operator.attrgetter("key")
_transcript_digest = operator.attrgetter("input_digest")


def _top(rows: list[Row], kept: str, by: str) -> list[Row]:
    """``rows`` when there are at most TOP of them besides those marked ``kept`` (the unknown paper,
    the total); otherwise those marked and the TOP with the most ``by``, in their report order."""
    if sum(not row[kept] for row in rows) <= TOP:
        return rows
    ranked = sorted((i for i, row in enumerate(rows) if not row[kept]), key=lambda i: -(rows[i][by] or 0))
    chosen = set(ranked[:TOP])
    return [row for i, row in enumerate(rows) if row[kept] or i in chosen]


def _least_confident(rows: list[Row], transcripts: list[Transcript]) -> list[tuple[Transcript, Row]]:
    """The TOP base-win verdicts that carry a confidence, the least confident first (site/least_confident):
    the wins most worth a second look."""
    by_key = {t.key: t for t in transcripts}
    return [(by_key[v["item_key"]], v) for v in rows if v["item_key"] in by_key][:TOP]


def _transcripts(listed: pl.DataFrame, links: _Links) -> list[Transcript]:
    """One transcript per item the base model won under any judge (``listed``: site/transcript_list
    rows of one run, in its order: by paper, then CSV position); without their text."""
    columns = listed.select("item_key", "paper", "question", "position", "seq", "categories", "digest",
                            "input_digest")
    return [Transcript(key=key, page=links.transcript(key), paper=paper, paper_page=links.paper(paper),
                       question=question, position=position, seq=seq, categories=categories, digest=digest,
                       input_digest=f"{input_digest:016x}")
            for key, paper, question, position, seq, categories, digest, input_digest in columns.iter_rows()]


def load_text(con: duckdb.DuckDBPyConnection, site: Site, wanted: set[str]) -> list[Transcript]:
    """Read the text, failure categories' evidence and verdicts of the transcripts whose page is in
    ``wanted`` (page paths) into them: what only their own page shows. Returns those transcripts."""
    found = {(run.name, t.key): (run, t) for run in site.runs for t in run.transcripts if t.page in wanted}
    if not found:
        return []
    names, keys = [k[0] for k in found], [k[1] for k in found]
    for row in _rows(store.frame(con, "site/transcript_texts", runs=names, keys=keys)):
        run, t = found[(row["run"], row["item_key"])]
        t.reference, t.base, t.finetuned = row["reference_answer"], row["base_answer"], row["finetuned_answer"]
        links = _Links(_run_prefix(run.name))
        t.category_hits = [CategoryHit(name=c, evidence=e, page=links.category(c))
                           for c, e in zip(row["categories"], row["evidence"])]
    for row in _rows(store.frame(con, "site/transcript_verdicts", runs=names, keys=keys)):
        found[(row["run"], row["item_key"])][1].all_verdicts.append(row)
    return [t for _, t in found.values()]


def unload_text(transcripts: list[Transcript]) -> None:
    """Let go of what ``load_text`` read into ``transcripts``."""
    for t in transcripts:
        t.reference = t.base = t.finetuned = None
        t.category_hits = []
        t.all_verdicts = []


def _paired(pairs: pl.DataFrame, a: str, judge_a: str | None, b: str, judge_b: str | None) -> Row | None:
    """The paired_comparison row of (a, judge_a) and (b, judge_b), oriented as b against a."""
    for row in _rows(pairs, run_a=a, run_b=b):
        if (row["judge_a"], row["judge_b"]) == (judge_a, judge_b):
            return row
    for row in _rows(pairs, run_a=b, run_b=a):
        if (row["judge_a"], row["judge_b"]) == (judge_b, judge_a):
            return {**row, "run_a": a, "judge_a": judge_a, "run_b": b, "judge_b": judge_b,
                    "rate_a": row["rate_b"], "rate_b": row["rate_a"], "flips_to_b": row["flips_to_a"],
                    "flips_to_a": row["flips_to_b"], "items_up": row["items_down"], "items_down": row["items_up"],
                    "difference": None if row["difference"] is None else -row["difference"],
                    "ci_low": None if row["ci_high"] is None else -row["ci_high"],
                    "ci_high": None if row["ci_low"] is None else -row["ci_low"]}
    return None


def _comparison(con: duckdb.DuckDBPyConnection, a: Run, b: Run, pairs: pl.DataFrame) -> Comparison:
    page_a = {t.key: t.page for t in a.transcripts}
    page_b = {t.key: t.page for t in b.transcripts}
    rows = [{**row, "page_a": page_a.get(row["item_key"]), "page_b": page_b.get(row["item_key"])}
            for row in _rows(store.frame(con, "site/compare", run_a=a.name, run_b=b.name))]
    judge_a = rows[0]["judge_a"] if rows else None
    judge_b = rows[0]["judge_b"] if rows else None
    page = f"compare/{a.slug}--{b.slug}"
    return Comparison(
        a=a, b=b, page=page, rows=rows, listing=paging.paginate(page, rows, lambda row: str(row["item_key"])),
        counts=sorted(Counter(row["change"] for row in rows).items()),
        judge_a=judge_a, judge_b=judge_b,
        unknown_a=sum(j.overall["source_unknown"] for j in a.judges if j.judge == judge_a),
        unknown_b=sum(j.overall["source_unknown"] for j in b.judges if j.judge == judge_b),
        paired=_paired(pairs, a.name, judge_a, b.name, judge_b))


def _run_head(run: Run) -> list:
    """What a transcript page shows of its run."""
    return [run.name, run.home, run.group, run.base_name, run.finetuned_name, run.named_models]


def _transcript_inputs(head: str, t: Transcript) -> Digested:
    """A transcript page's inputs: its run's head (digested), the digest of its text and verdicts, and
    what lists show of it and of its neighbours (their page and question); digests all, so joined as
    they are (thousands of pages: no JSON and hash of each)."""
    return Digested("\0".join([head, t.digest, t.input_digest, t.prev.input_digest if t.prev else "",
                                t.next.input_digest if t.next else ""]))


def pages(site: Site) -> list[Page]:
    """Every page of the site, in the order they are rendered, each with its inputs (``Page.inputs``)."""
    of = Inputs()
    out = ([Page("index", "run", {"run": site.runs[0]}, inputs=of({"run": site.runs[0]})) if site.single
            else Page("index", "runs", inputs=of({"runs": site.runs, "comparisons": site.comparisons}))])
    for run in site.runs:
        if not site.single:
            out.append(Page(run.home, "run", {"run": run}, inputs=of({"run": run})))
        head = _run_head(run)
        judges = [j.judge for j in run.judges]
        head_digest = digest_of(head)
        out += [Page(t.page, "transcript", {"run": run, "t": t}, inputs=_transcript_inputs(head_digest, t))
                for t in run.transcripts]
        # Every list that grows with the data is paginated: page 1 at the list's permalink, page n at
        # permalink/n. Page 1 shows the list's numbers; a later page only its items and the page count.
        out += [Page(lp.path, "transcripts", {"run": run, "lp": lp}, inputs={"run": head, "lp": of(lp)})
                for lp in run.transcript_listing]
        out += [Page(lp.path, "papers", {"run": run, "lp": lp}, inputs={"run": head, "judges": judges, "lp": of(lp)})
                for lp in run.paper_listing]
        out += [Page(lp.path, "paper", {"run": run, "paper": p, "lp": lp},
                     inputs={"run": head, "paper": of(p) if lp.number == 1 else [p.paper, p.page], "lp": of(lp)})
                for p in run.papers for lp in p.listing]
        out += [Page(lp.path, "category", {"run": run, "category": c, "lp": lp},
                     inputs={"run": head, "category": of(c) if lp.number == 1 else [c.name, c.page], "lp": of(lp)})
                for c in run.categories for lp in c.listing]
        out += [Page(lp.path, "disagreements", {"run": run, "a": a, "lp": lp},
                     inputs={"run": head, "a": of(a.row), "lp": of(lp)})
                for a in run.agreements if a.disagreements for lp in a.listing]
    out += [Page(lp.path, "compare", {"cmp": c, "lp": lp},
                 inputs=of({"cmp": c}) if lp.number == 1 else {"cmp": [c.page, c.a.name, c.b.name], "lp": of(lp)})
            for c in site.comparisons for lp in c.listing]
    stems = data.part_stems(len(site.transcript_parts.digests))
    out.append(Page(data.TRANSCRIPTS_PAGE, "data", {"parts": stems}, inputs={"parts": stems}))
    # The search index's bundles (one, or a shard each above search.SHARD_PAGES pages), which the page merges.
    site.search_bundles = (shards(indexed_pages([t.page + ".html" for r in site.runs for t in r.transcripts],
                                                site.search_limit or SEARCH_LIMIT))
                           if site.search else {})
    bundles = list(site.search_bundles)
    out += [Page("search", "search", {"bundles": bundles}, html_only=True,
                 inputs={"limit": site.search_limit,   # the page names the count only when the limit samples
                         "sampled": bool(site.search_limit) and site.transcript_count > site.search_limit
                         and site.transcript_count, "bundles": bundles}),
            Page("404", "404", html_only=True, inputs={})]
    _one_page_each(out)
    return out


def _one_page_each(pages: list[Page]) -> None:
    """Refuse two pages with one file: names from the data (item keys, papers, runs) that slug alike, which
    only names made to (or a 1 in 2³² hash) do; a page must never stand in for another's text."""
    seen: dict[str, Page] = {}
    for page in pages:
        other = seen.setdefault(page.path, page)
        if other is not page:
            raise SiteError(f"{_what(other)} and {_what(page)} would share the page {page.path}; rename one of them")


def _what(page: Page) -> str:
    """What a page is about, for an error: the name from the data behind its file name."""
    c = page.context
    if "t" in c:
        return f"item {c['t'].key!r} of run {c['run'].name!r}"
    if "paper" in c:
        return f"paper {c['paper'].paper!r} of run {c['run'].name!r}"
    if "category" in c:
        return f"category {c['category'].name!r}"
    if "cmp" in c:
        return f"the comparison of runs {c['cmp'].a.name!r} and {c['cmp'].b.name!r}"
    if "run" in c:
        return f"run {c['run'].name!r}"
    return f"the page {page.template!r}"
