"""The SHA-256 of a model file, hashed once and then remembered by path, size,
modification time and inode (a 15 GB GGUF takes about 16 s to hash; a stat takes
microseconds). Any change to one of them hashes the file again.

The cache is one small JSON file in reportgen's cache, ``model-sha256.json``
(``~/.cache/reportgen/``, ``$XDG_CACHE_HOME/reportgen/`` or ``$REPORTGEN_CACHE``). It is
only an accelerator: when it cannot be read or written the file is simply hashed, and a
corrupt cache is ignored and replaced."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from reportgen.resources import cache_dir

CACHE_NAME = "model-sha256.json"


def cache_path() -> Path:
    return cache_dir(CACHE_NAME)


def sha256_of_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def _identity(st: os.stat_result) -> dict:
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "inode": st.st_ino}


def _load(cache: Path) -> dict:
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save(cache: Path, entries: dict) -> None:
    """Write the cache atomically (a concurrent writer can only make the other's entry be hashed again)."""
    tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(entries, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, cache)
    except OSError:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass


def model_sha256(path: Path) -> str:
    """SHA-256 of ``path``, from the cache when the file's path, size, mtime and inode are unchanged."""
    path = Path(path).resolve()
    ident = _identity(path.stat())
    cache = cache_path()
    entries = _load(cache)
    hit = entries.get(str(path))
    if isinstance(hit, dict) and {k: hit.get(k) for k in ident} == ident and isinstance(hit.get("sha256"), str):
        return hit["sha256"]
    digest = sha256_of_file(path)
    if _identity(path.stat()) != ident:      # written to while it was hashed: do not remember it
        return digest
    entries = {p: e for p, e in _load(cache).items() if os.path.exists(p)}   # forget deleted models
    entries[str(path)] = {**ident, "sha256": digest}
    _save(cache, entries)
    return digest
