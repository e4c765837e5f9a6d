"""``reportgen build`` and ``reportgen serve``: the static site.

Staged like mkdocs: gather every number from the database into the page model first
(``gathering``, ``model``), render the pages (``render``, in worker processes that write what they
render: ``writer``), add static files, data files (``data``, made while the pages render) and the
Pagefind search index (``search``), then finish writing. Builds are incremental (``incremental``:
a page is rendered and written only when what it shows, its templates or reportgen's rendering
code changed) and safe (into an existing site everything goes to a staging folder first, so a
failure leaves the previous site as it was).
Pages hold no timestamps or machine paths: two builds of the same database are byte-identical.
``serve`` serves a built site over HTTP."""

from reportgen.site.builder import BuildResult, build, collect, static_files
from reportgen.site.data import data_files
from reportgen.site.errors import SiteError
from reportgen.site.gathering import gather, load_text, pages
from reportgen.site.incremental import STATE
from reportgen.site.search import (SEARCH_LIMIT, SEARCH_STAMP, html_digest, indexed_pages, pagefind_available,
                                   search_index)
from reportgen.site.serve import make_server
from reportgen.site.slugs import slug
from reportgen.site.writer import MANIFEST, STAGING, write

__all__ = ["BuildResult", "MANIFEST", "SEARCH_LIMIT", "SEARCH_STAMP", "STAGING", "STATE", "SiteError", "build",
           "collect", "data_files", "gather", "html_digest", "indexed_pages", "load_text", "make_server",
           "pagefind_available", "pages", "search_index", "slug", "static_files", "write"]
