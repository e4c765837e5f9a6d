"""File names for pages, from any text (run names, item keys, paper titles, categories)."""

from __future__ import annotations

import hashlib
import re

_SAFE_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# Names Windows will not create as files, whatever the extension.
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def slug(text: str, *, always_hash: bool = False) -> str:
    """A file name from any text: lowercase letters, digits, ``-`` and ``_`` only (so it cannot
    leave its folder), the same for the same text; a short hash is added when the text had to
    be changed, so two different texts never share a slug."""
    text = str(text)
    if not always_hash and _SAFE_KEY.match(text) and text not in _RESERVED:
        return text
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48].strip("-")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    return f"{base}-{digest}" if base else digest
