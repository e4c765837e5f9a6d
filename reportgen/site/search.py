"""Search: the Pagefind index over the transcript pages (a subprocess in a scratch folder, kept
between builds while those pages are the same).

Pagefind indexes what the transcript template marks ``data-pagefind-body`` (the question and the
three answers) and records the ``data-pagefind-filter`` values (paper, run, failure categories);
the search page filters through Pagefind, so no page list grows with the site. Above ``limit``
transcript pages the index covers a fixed sample of ``limit`` of them (``indexed_pages``), so
indexing stays a bounded share of the build.

Above SHARD_PAGES pages the index is split into shards, each a Pagefind bundle of its own over the
pages whose path hashes to it (``shards``), which the search page merges (Pagefind's
``mergeIndex``). A rebuild runs Pagefind again only for the shards whose pages changed, and a word
on most pages is searched in a fraction of the time: Pagefind's search is quadratic in the pages a
word is on, within one bundle."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable, Mapping
from pathlib import Path

from reportgen.output import SEARCH_LIMIT
from reportgen.site.errors import SiteError
from reportgen.site.writer import MANIFEST

STAMP_NAME = "reportgen-input.sha256"  # what a bundle of the index was built from, in the bundle's folder
SEARCH_STAMP = f"pagefind/{STAMP_NAME}"  # the stamp of an unsharded index
# Transcript pages per shard of the index, about (a power of two of shards keeps each at or under this on
# average): a rebuild runs Pagefind over the shards of the pages that changed, and Pagefind's search
# time grows with the square of the pages a word is on within one bundle.
SHARD_PAGES = 2_000
# Pagefind's ready-made UIs: the site has its own search page (they would also need inline styles).
_UNUSED_BUNDLE = re.compile(r"^pagefind-(component-ui|modular-ui|ui|highlight)\.(js|css)$")
# A transcript page: run/<run>/t/<item>.html (reportgen.site.gathering names them).
_TRANSCRIPT = re.compile(r"^run/[^/]+/t/[^/]+\.html$")


def pagefind_available() -> bool:
    try:
        import pagefind_bin  # noqa: F401
    except ImportError:
        return False
    return True


def indexed_pages(files: dict[str, bytes] | list[str], limit: int = SEARCH_LIMIT) -> list[str]:
    """The transcript pages the index covers, sorted: every one while there are at most ``limit``;
    beyond, the ``limit`` pages whose paths hash lowest (SHA-256). The sample is fixed: the same
    pages give the same choice, and a page stays chosen while other pages come and go unless a new
    page hashes lower than it."""
    if limit < 1:
        raise ValueError("the search limit is at least 1")
    pages = sorted(p for p in files if _TRANSCRIPT.match(p))
    if len(pages) <= limit:
        return pages
    return sorted(sorted(pages, key=lambda p: hashlib.sha256(p.encode("utf-8")).digest())[:limit])


def shard_count(pages: int) -> int:
    """How many shards the index over ``pages`` pages is split into: the smallest power of two that
    keeps a shard at SHARD_PAGES pages or fewer on average (a page keeps its shard while the count stays)."""
    count = 1
    while pages > count * SHARD_PAGES:
        count *= 2
    return count


def shards(pages: list[str]) -> dict[str, list[str]]:
    """The bundles of the index over ``pages`` (``indexed_pages``), each with its pages, by folder: one,
    ``pagefind``, up to SHARD_PAGES pages; above, ``pagefind/shard-K`` for each shard K that has pages.
    A page's shard is the last byte of the SHA-256 of its path, modulo the count (the sample of
    ``indexed_pages`` goes by the whole digest)."""
    count = shard_count(len(pages))
    if count == 1:
        return {"pagefind": list(pages)} if pages else {}
    found: dict[int, list[str]] = {}
    for rel in pages:
        found.setdefault(hashlib.sha256(rel.encode("utf-8")).digest()[-1] % count, []).append(rel)
    return {f"pagefind/shard-{k}": found[k] for k in sorted(found)}


def by_bundle(paths) -> dict[str, list[str]]:
    """The files of the search index among ``paths``, by the folder of their bundle (``pagefind``, or
    ``pagefind/shard-K``), in one pass."""
    out: dict[str, list[str]] = {}
    for rel in paths:
        if rel.startswith("pagefind/"):
            folder = "/".join(rel.split("/", 2)[:2]) if rel.startswith("pagefind/shard-") else "pagefind"
            out.setdefault(folder, []).append(rel)
    return out


def html_digest(files: Mapping[str, bytes]) -> str:
    """SHA-256 over every HTML page (path and bytes, less what ``searched`` leaves out): what the
    search index is built from."""
    h = hashlib.sha256()
    for rel in sorted(p for p in files if p.endswith(".html")):
        h.update(rel.encode("utf-8") + b"\0" + hashlib.sha256(searched(files[rel])).digest())
    return h.hexdigest()


# What a page's template marks as outside the search (the transcript page's links to its neighbours, which
# change with them): Pagefind indexes only the page's data-pagefind-* elements, so these bytes change nothing
# in the index.
_UNSEARCHED = re.compile(rb"<!-- search: unindexed -->.*?<!-- /search: unindexed -->", re.S)


def searched(page: bytes) -> bytes:
    """A page's bytes without the spans its template marks ``<!-- search: unindexed -->`` … ``<!-- /search:
    unindexed -->``, unless a span holds a ``data-pagefind`` attribute (then it is kept: it may be indexed)."""
    return _UNSEARCHED.sub(lambda m: b"" if b"data-pagefind" not in m.group(0) else m.group(0), page)


def pagefind_version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("pagefind_bin")
    except PackageNotFoundError:
        return "unknown"


def _stamp(digest: str, pages: list[str]) -> bytes:
    """What a bundle was built from: the pages' digest (``html_digest``), a digest of their paths alone
    (``stamped``: a rebuild that wrote none of them checks it without reading them), the Pagefind version."""
    return f"{digest}\n{_paths(pages)}\npagefind {pagefind_version()}\n".encode("ascii")


def _paths(pages: list[str]) -> str:
    return "pages " + hashlib.sha256("\n".join(pages).encode("utf-8", "surrogatepass")).hexdigest()


def stamped(stamp: str, pages: list[str]) -> bool:
    """Whether a bundle's stamp (its text) says it was built from the pages at these paths (as they were
    then) by this Pagefind: a bundle whose pages were not written since is current when it is."""
    return stamp.split("\n")[1:] == [_paths(pages), f"pagefind {pagefind_version()}", ""]


def _previous_index(out: Path, folder: str, listed: list[str], digest: str, pages: list[str],
                    intact: Callable[[str], bool] | None) -> dict[str, bytes] | None:
    """The bundle in ``folder`` of the site already in ``out`` (its files ``listed`` in that site's
    manifest) when it was built from the same pages.

    Re-running Pagefind over the same pages gives the same bytes, but takes a while: an unchanged
    bundle is kept (a new Pagefind version rebuilds it). The manifest must list its stamp (a stamp
    left by an interrupted build is not a bundle), and ``intact`` (when given) must say each of its
    files is as the last build left it (a damaged file is not copied forward)."""
    stamp = f"{folder}/{STAMP_NAME}"
    if stamp not in listed or not (out / stamp).is_file() or (out / stamp).read_bytes() != _stamp(digest, pages):
        return None
    if not all((out / rel).is_file() and (intact is None or intact(rel)) for rel in listed):
        return None
    return {rel: (out / rel).read_bytes() for rel in listed}


class _Chosen(Mapping):
    """The pages of ``files`` named in ``names``, each read from ``files`` only when asked (``files``
    may read it from disk: the index covers up to SEARCH_LIMIT pages, which need not all be in memory)."""

    def __init__(self, files: Mapping[str, bytes], names: list[str]):
        self._files, self._names, self._known = files, names, set(names)

    def __getitem__(self, rel: str) -> bytes:
        if rel not in self._known:
            raise KeyError(rel)
        return self._files[rel]

    def __iter__(self):
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def search_index(files: Mapping[str, bytes], previous: Path | None = None, *,
                 limit: int = SEARCH_LIMIT, intact: Callable[[str], bool] | None = None,
                 bundles: dict[str, list[str]] | None = None) -> dict[str, bytes]:
    """Run Pagefind over the transcript pages (``indexed_pages``), one bundle per shard (``shards``),
    each in a scratch folder; return the bundles' files (a bundle already in ``previous`` is taken as
    it is when its pages are the same and, with ``intact``, each of its files passes it). ``bundles``:
    the bundles to make, by folder, with their pages (a caller that keeps the others passes only
    these). ``files`` may be any mapping of paths to bytes: a page is read from it when it is
    digested and when it is copied, one at a time."""
    if bundles is None:
        bundles = shards(indexed_pages(list(files), limit))
    held: dict[str, list[str]] = {}
    if previous is not None and (previous / MANIFEST).is_file():
        held = by_bundle((previous / MANIFEST).read_text(encoding="utf-8").splitlines())
    todo = []
    out: dict[str, bytes] = {}
    for folder, pages in bundles.items():
        chosen = _Chosen(files, pages)
        digest = html_digest(chosen)
        kept = _previous_index(previous, folder, held[folder], digest, pages, intact) if folder in held else None
        if kept is None:
            todo.append((folder, chosen, digest, pages))
        else:
            out.update(kept)
    # Each Pagefind process uses every core for a while, then one to write its bundle: two at once.
    with ThreadPoolExecutor(min(2, max(1, len(todo)))) as pool:
        for bundle in pool.map(lambda job: _pagefind(*job), todo):
            out.update(bundle)
    return out


def _pagefind(folder: str, chosen: Mapping[str, bytes], digest: str, pages: list[str]) -> dict[str, bytes]:
    """The bundle Pagefind makes of the pages ``chosen``, as the files of ``folder``, with its stamp."""
    with tempfile.TemporaryDirectory(prefix="reportgen-pagefind-") as tmp:
        root = Path(tmp) / "site"
        for rel in chosen:
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(chosen[rel])
        root.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pagefind", "--site", str(root), "--output-subdir", folder, "--silent",
               "--force-language", "en"]
        proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PAGEFIND_SOURCE": str(root)})
        if proc.returncode != 0:
            message = (proc.stderr or proc.stdout).strip().splitlines()
            where = "" if folder == "pagefind" else f" for {folder}/"
            raise SiteError(f"Pagefind failed to index the site{where} ({message[-1] if message else proc.returncode}); "
                            "install it with pip install 'reportgen[site]'")
        out = {}
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and not _UNUSED_BUNDLE.match(path.name):
                out[f"{folder}/" + path.relative_to(root / folder).as_posix()] = path.read_bytes()
        out = _stable_filters(out, folder)
        out[f"{folder}/{STAMP_NAME}"] = _stamp(digest, pages)
        return out


_SIGNATURE = b"pagefind_dcd"  # what a decompressed Pagefind file starts with


def _cbor_end(data: bytes, i: int) -> int:
    """Where the CBOR item that starts at ``data[i]`` ends (definite lengths only, as Pagefind writes)."""
    major, info = data[i] >> 5, data[i] & 31
    i += 1
    if info < 24:
        n = info
    elif info <= 27:
        size = 1 << (info - 24)
        n, i = int.from_bytes(data[i:i + size], "big"), i + size
    else:
        raise ValueError("indefinite CBOR length")
    if major in (0, 1, 7):  # integers, simple values and floats: their bytes are read already
        return i
    if major in (2, 3):  # bytes, text
        return i + n
    if major in (4, 5):  # array, map
        for _ in range(n if major == 4 else 2 * n):
            i = _cbor_end(data, i)
        return i
    return _cbor_end(data, i)  # a tag, then its item


def _array(data: bytes, i: int) -> tuple[int, list[bytes]]:
    """The CBOR array at ``data[i]``: where its items start, and each item's bytes."""
    if data[i] >> 5 != 4:
        raise ValueError("not a CBOR array")
    start = i + 1 + {24: 1, 25: 2, 26: 4, 27: 8}.get(data[i] & 31, 0)
    end = _cbor_end(data, i)
    items, j = [], start
    while j < end:
        k = _cbor_end(data, j)
        items.append(data[j:k])
        j = k
    return start, items


def _stable_filters(bundle: dict[str, bytes], folder: str = "pagefind") -> dict[str, bytes]:
    """Pagefind writes the filters, and each filter's values, in hash-map order, which changes from
    run to run (and with it the filter files' names, the metadata file that lists them, and the
    entry file that names that): sort them, and name the files after what they hold, so the same
    pages give the same bytes.

    A filter file is [name, [[value, [page numbers]], ...]] in CBOR, and the metadata file lists
    [[filter name, file name], ...]; only the order of those changes. Any other shape (another
    Pagefind version) is left as it is."""
    renamed: dict[str, str] = {}
    out = dict(bundle)
    try:
        for rel in sorted(p for p in bundle if p.startswith(f"{folder}/filter/") and p.endswith(".pf_filter")):
            raw = gzip.decompress(bundle[rel])
            data = raw[len(_SIGNATURE):]
            if not raw.startswith(_SIGNATURE) or data[0] != 0x82 or _cbor_end(data, 0) != len(data):
                return bundle
            values_at = _cbor_end(data, 1)  # after the filter's name
            start, values = _array(data, values_at)
            body = _SIGNATURE + data[:start] + b"".join(sorted(values))
            old = rel.rsplit("/", 1)[1][:-len(".pf_filter")]
            lang, digest = old.split("_", 1)
            new = f"{lang}_{hashlib.sha256(body).hexdigest()[:len(digest)]}"
            if len(old) != len(new) or len(old) >= 24:
                return bundle
            del out[rel]
            out[f"{folder}/filter/{new}.pf_filter"] = gzip.compress(body, mtime=0)
            renamed[old] = new
        if not renamed:
            return out
        entry = out[f"{folder}/pagefind-entry.json"]
        for lang in json.loads(entry)["languages"].values():
            raw = gzip.decompress(out.pop(f"{folder}/pagefind.{lang['hash']}.pf_meta"))
            for old, new in renamed.items():  # a short CBOR text (its length, then the name), as long as before
                raw = raw.replace(bytes([0x60 + len(old)]) + old.encode(), bytes([0x60 + len(new)]) + new.encode())
            data = raw[len(_SIGNATURE):]
            start, fields = _array(data, 0)
            names = {bytes([0x60 + len(new)]) + new.encode() for new in renamed.values()}
            # the list of filters: [[name, file name], ...] with the file names just given
            for n, field in enumerate(fields):
                if field[0] >> 5 == 4 and field[0] & 31:
                    first, pairs = _array(field, 0)
                    if all(pair[0] == 0x82 and pair[_cbor_end(pair, 1):] in names for pair in pairs):
                        fields[n] = field[:first] + b"".join(sorted(pairs))
            meta = _SIGNATURE + data[:start] + b"".join(fields)
            prefix, digest = lang["hash"].split("_", 1)
            meta_hash = f"{prefix}_{hashlib.sha256(meta).hexdigest()[:len(digest)]}"
            out[f"{folder}/pagefind.{meta_hash}.pf_meta"] = gzip.compress(meta, mtime=0)
            entry = entry.replace(f'"hash":"{lang["hash"]}"'.encode(), f'"hash":"{meta_hash}"'.encode())
        out[f"{folder}/pagefind-entry.json"] = entry
    except (ValueError, IndexError, KeyError, OSError, EOFError):
        return bundle
    return out
