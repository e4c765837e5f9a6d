"""Split a list that grows with the data into pages whose boundaries follow the content.

A page ends after an item whose key's stable hash hits 1 in ``HIT`` (once the page holds at
least ``MIN_ITEMS``), or when it holds ``MAX_ITEMS``. Where a page ends depends on the keys near
the end, not on how many items came before, so adding or removing one item changes only the page
that holds it: the pages before and after keep their items, and so their bytes. The exceptions:
the item was the one ending its page (its page joins the next), the change crosses
``MIN_ITEMS`` or ``MAX_ITEMS`` on its page, or the number of pages changes (every page shows
"page i of n", and later pages are numbered): about 2 changes in a hundred with these sizes
(tests/test_pagination.py counts them). A page cut at ``MAX_ITEMS`` passes a change on to the
next page, up to the next key that ends a page.

Page 1 is the list's permalink (``base``); page n > 1 is ``base/n``."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence
from typing import TypeVar

from reportgen.site.model import ListPage

T = TypeVar("T")

MIN_ITEMS = 20
HIT = 50  # one key in HIT ends a page once it holds MIN_ITEMS: about 70 items a page on average
MAX_ITEMS = 250  # reached by about one page in a hundred; 250 rows of the longest list are under 120 KB


@functools.lru_cache(maxsize=1 << 18)  # a transcript is in several lists (all, its paper's, its categories')
def _stable_hash(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "big")


def _ends_page(key: str) -> bool:
    return _stable_hash(key) % HIT == 0


def split(keys: Sequence[str]) -> list[range]:
    """The index ranges of the pages of a list with these keys (at least one page, maybe empty)."""
    out: list[range] = []
    start = 0
    for i, key in enumerate(keys):
        size = i + 1 - start
        if size >= MAX_ITEMS or (size >= MIN_ITEMS and _ends_page(key)):
            out.append(range(start, i + 1))
            start = i + 1
    if start < len(keys) or not out:
        out.append(range(start, len(keys)))
    return out


def paginate(base: str, items: Sequence[T], key: Callable[[T], str],
             digest: Callable[[T], str] | None = None) -> list[ListPage]:
    """The pages of ``items``; the first is at ``base``. ``digest``: what a page's inputs take of an
    item (``Transcript.input_digest``), so that each page's ``input_digest`` is made here, with one
    hash, rather than from every item by ``incremental.Inputs``."""
    ranges = split([key(item) for item in items])
    pages = [ListPage(base=base, number=n, count=len(ranges), items=list(items[r.start:r.stop]))
             for n, r in enumerate(ranges, 1)]
    if digest is not None:
        for lp in pages:
            text = "\0".join([lp.base, str(lp.number), str(lp.count), *map(digest, lp.items)])
            lp.input_digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return pages
