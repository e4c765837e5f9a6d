"""The page model: what ``gather`` reads from the database and the templates show.

The structure (site, runs, judges, papers, categories, transcripts, pages) is typed here;
the numbers stay the rows of the report queries (``Row``), with the columns their SQL files
name, so a column added to a report reaches the templates without a change here. Templates
read both the same way: ``run.name``, ``j.overall.base_wins``, ``a.agree``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Row = dict[str, Any]
"""One row of a report query: its columns by the names its SQL file gives them."""


class _RowColumns:
    """The columns of the report row behind an object, by name: ``obj["agree"]``. Jinja2 falls
    back to this when an attribute is missing, so a template writes ``obj.agree``."""

    row: Row

    def __getitem__(self, column: str) -> Any:
        return self.row[column]


@dataclass(eq=False)
class CategoryHit:
    """A failure category a transcript falls in, with the text that matched its rule."""
    name: str
    evidence: str
    page: str


PAGE_ONLY = {"input": False}
"""Field metadata: what only the object's own page shows, left out of ``inputs_of`` (lists of
objects show the rest); the page's inputs name it, or a digest of it, themselves."""

LISTED = {"input": False}
"""Field metadata: a list that the object's ``listing`` (its pages) holds too, left out of
``inputs_of``: the listing's digests cover it, without digesting every item twice."""


@dataclass(eq=False)
class Transcript:
    """An item the base model won (under any judge): one page with its text and every verdict.

    Gathering reads what lists of transcripts show, and ``digest`` (site/transcript_list): a digest
    of the rest, the text, failure categories' evidence and verdicts, which ``gathering.load_text``
    reads only for the transcripts whose page is rendered."""
    key: str
    page: str
    paper: str
    paper_page: str
    question: str
    position: int | None
    seq: int
    categories: list[str] = field(default_factory=list)
    digest: str = field(default="", metadata=PAGE_ONLY)
    # A digest of the fields above (what lists show), made in gathering for every transcript at once
    # (polars' row hash); ``incremental.Inputs`` takes it instead of digesting them one object at a time.
    input_digest: str = field(default="", metadata=PAGE_ONLY)
    reference: str | None = field(default=None, metadata=PAGE_ONLY)
    base: str | None = field(default=None, metadata=PAGE_ONLY)
    finetuned: str | None = field(default=None, metadata=PAGE_ONLY)
    category_hits: list[CategoryHit] = field(default_factory=list, metadata=PAGE_ONLY)
    all_verdicts: list[Row] = field(default_factory=list, metadata=PAGE_ONLY)  # what each judge said
    # Its neighbours among the transcripts of its paper (no "i of n": that would change with every base win).
    prev: Transcript | None = field(default=None, repr=False, metadata=PAGE_ONLY)
    next: Transcript | None = field(default=None, repr=False, metadata=PAGE_ONLY)


@dataclass(eq=False)
class ListPage:
    """One page of a list that grows with the data (``reportgen.site.paging``): page ``number`` of
    ``count``, with its items. Page 1 is at ``base`` (the list's permalink), page n at ``base/n``."""
    base: str
    number: int
    count: int
    items: list[Any]
    # A digest of base, number, count and what the page shows of each item, made by ``paging.paginate``
    # when the items carry one (transcripts); ``incremental.Inputs`` takes it as it is.
    input_digest: str = field(default="", metadata=PAGE_ONLY)

    def path_of(self, number: int) -> str:
        return self.base if number == 1 else f"{self.base}/{number}"

    @property
    def path(self) -> str:
        return self.path_of(self.number)

    @property
    def window(self) -> list[int | None]:
        """The page numbers the navigation links to: the first, the last, and two either side of
        this one; None where numbers are left out."""
        shown = sorted({1, self.count, *range(max(1, self.number - 2), min(self.count, self.number + 2) + 1)})
        out: list[int | None] = []
        for n in shown:
            if out and n - out[-1] > 1:
                out.append(None)
            out.append(n)
        return out


@dataclass(eq=False)
class JudgeReport:
    """The numbers of one judge of a run."""
    judge: str
    overall: Row
    papers: list[Row]  # the papers report, each row with the "page" of its paper (None: the unknown paper)
    categories: list[Row]  # the categories report, each row with its "page" and the rule's "description"
    reliability: list[Row]
    rate_note: str | None  # why per-paper rates are not shown, when they are not
    # What the run's home page shows of ``papers`` and ``reliability`` when there are many: the unknown
    # paper and the papers with the most base wins (all of them when few); the rest is a link away.
    # (Before ``field`` below, which hides dataclasses.field in the rest of this class.)
    top_papers: list[Row] = field(default_factory=list)
    top_reliability: list[Row] = field(default_factory=list)
    grades: list[Row] = field(default_factory=list)  # the mt_bench_scores report (single-answer grades only)
    # reportgen.fieldreport's row (length-controlled rate, Arena-Hard interval): a fitted model, computed
    # only when a page that shows it is rendered (``gathering.load_fields``); pages name ``field_digest``,
    # the digest of the verdicts it is computed from, instead.
    field: Row | None = field(default=None, metadata=PAGE_ONLY)
    field_digest: str = ""


@dataclass(eq=False)
class Paper:
    """A source paper of a run: its page, its base-win transcripts, its papers row per judge."""
    paper: str
    page: str
    transcripts: list[Transcript] = field(metadata=LISTED)
    rows: list[Row] = field(default_factory=list)
    listing: list[ListPage] = field(default_factory=list)  # its transcripts, paginated


@dataclass(eq=False)
class Category:
    """A failure category of a run: its page, its categories row per judge, its transcripts."""
    name: str
    page: str
    description: str
    hits: list[Row]
    transcripts: list[Transcript] = field(metadata=LISTED)
    listing: list[ListPage] = field(default_factory=list)  # its transcripts, paginated


@dataclass(eq=False)
class Agreement(_RowColumns):
    """Two judges of a run: the judge_agreement row and their judge_disagreements rows (each with
    the "page" of its transcript, None when the base model did not win it)."""
    row: Row
    disagreements: list[Row]
    page: str = ""  # the first page of the disagreements list
    top: list[Row] = field(default_factory=list)  # what the run's home page shows: base against fine-tuned first
    listing: list[ListPage] = field(default_factory=list)  # the disagreements, paginated


@dataclass(eq=False)
class Run(_RowColumns):
    """A run: its run_list row (``run.verdicts``, ``run.synthetic``, …) and everything under its home page."""
    row: Row
    name: str
    slug: str
    home: str
    judges: list[JudgeReport]
    transcripts: list[Transcript] = field(metadata=LISTED)  # transcript_listing holds them
    papers: list[Paper]
    categories: list[Category]
    agreements: list[Agreement]
    sources: list[Row]  # site/sources: the files ingested, without folders
    # The lists the home page only samples, each paginated from its own permalink.
    transcripts_page: str = ""  # every base-win transcript
    transcript_listing: list[ListPage] = field(default_factory=list)
    papers_page: str = ""  # every paper with its numbers per judge
    paper_listing: list[ListPage] = field(default_factory=list)
    least_confident: list[tuple[Transcript, Row]] = field(default_factory=list)  # base wins, lowest confidence first
    busiest_papers: list[Paper] = field(default_factory=list)  # the papers with the most base-win transcripts

    @property
    def judge_names(self) -> str | None:
        return self.row["judges"]

    @property
    def group(self) -> str:
        """What an item's group is: paper (the default), dataset, cluster, category."""
        return self.row.get("group_label") or "paper"

    @property
    def groups(self) -> str:
        return {"category": "categories"}.get(self.group, self.group + "s")

    @property
    def finetuned_name(self) -> str:
        return self.row.get("finetuned_model") or "fine-tuned"

    @property
    def base_name(self) -> str:
        return self.row.get("base_model") or "base"

    @property
    def named_models(self) -> bool:
        return bool(self.row.get("finetuned_model") or self.row.get("base_model"))


@dataclass(eq=False)
class Comparison:
    """Two runs question by question (site/compare rows, each with the transcript pages in both runs)."""
    a: Run
    b: Run
    page: str
    rows: list[Row]
    counts: list[tuple[str, int]]  # rows per kind of change, by name
    judge_a: str | None
    judge_b: str | None
    unknown_a: int  # verdicts of judge_a in run a whose item is unknown (they cannot be matched)
    unknown_b: int
    paired: Row | None = None  # the paired_comparison row of these two runs' judges, oriented b against a
    listing: list[ListPage] = field(default_factory=list)  # the rows, paginated


@dataclass(frozen=True)
class Page:
    """One page: its path from the site root without extension, its template (without extension),
    and what the template gets besides ``site``; an html_only page has no Markdown twin.

    ``inputs``: everything the page shows that the site-wide inputs (``incremental.site_inputs``:
    title, runs' names, formats, …) do not cover, as JSON-able data (``inputs_of`` makes it from
    model objects). A rebuild renders the page again only when its inputs, its templates or
    reportgen's rendering code changed; a page without inputs (None) is rendered every time."""
    path: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    html_only: bool = False
    inputs: Any = None


@dataclass(eq=False)
class Site:
    title: str
    single: bool  # one run: its page is the index; several: a runs index and comparisons
    runs: list[Run]
    comparisons: list[Comparison]
    search: bool  # the Pagefind index is built
    sql: dict[str, str]  # the text of every query the pages cite, by name
    data: list[str]  # the data files (data/<name>.csv and .parquet), in the order the pages list them
    reliability_definitions: tuple[str, ...]
    pages: list[Page] = field(default_factory=list)
    formats: tuple[str, ...] = ()  # what is being rendered (set by the renderer)
    sql_console: bool = False  # sql.html, the DuckDB-Wasm console, is built (reportgen.site.console)
    search_limit: int | None = None  # the most transcript pages the search index covers (reportgen.site.search)
    search_bundles: dict[str, list[str]] = field(default_factory=dict)  # the index's bundles and their pages (search.shards)
    verdict_inputs: Any = None  # with tables["overall"], what ``gathering.load_fields`` fits the judges' ``field`` rows from
    tables: dict[str, Any] = field(default_factory=dict)  # the report tables by data file name (``data.frames``)
    transcript_parts: Any = None  # the parts of data/transcripts/ (``data.Parts``)

    @property
    def transcript_count(self) -> int:
        return sum(len(run.transcripts) for run in self.runs)
