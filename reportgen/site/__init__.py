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

import importlib

# Each name from the module that defines it, imported when first asked for: ``reportgen build`` with
# nothing changed needs the builder, not the rendering and its libraries.
_FROM = {
    "BuildResult": "builder", "build": "builder", "collect": "builder", "static_files": "builder",
    "data_files": "data", "SiteError": "errors", "gather": "gathering", "load_text": "gathering",
    "pages": "gathering", "STATE": "incremental", "SEARCH_LIMIT": "search", "SEARCH_STAMP": "search",
    "html_digest": "search", "indexed_pages": "search", "pagefind_available": "search",
    "search_index": "search", "make_server": "serve", "slug": "slugs", "MANIFEST": "writer",
    "STAGING": "writer", "write": "writer",
}
__all__ = sorted(_FROM)


def __getattr__(name: str):
    if name not in _FROM:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_FROM[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_FROM})
