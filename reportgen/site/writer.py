"""Write the site's files into the output folder: only the files whose bytes changed, staged in a
scratch folder and renamed into place, so a failure leaves the previous site as it was; files an
earlier build wrote and this one does not are removed (listed in the manifest)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from reportgen.site.errors import SiteError

MANIFEST = ".reportgen-files"  # every file of the last build, one a line
STAGING = ".reportgen-staging"


def _inside(root: Path, rel: str) -> Path:
    path = (root / rel).resolve()
    if root.resolve() not in path.parents:
        raise SiteError(f"refusing to write {rel!r} outside the output folder", path=root)
    return path


def write(files: dict[str, bytes], out: Path, *, clean: bool = False) -> tuple[list[str], list[str]]:
    """Write ``files`` under ``out``: only files whose bytes changed (all with ``clean``); remove the
    files an earlier build wrote that this one no longer has (with ``clean``: every other file)."""
    manifest = out / MANIFEST
    if out.exists() and not out.is_dir():
        raise SiteError("is a file; --out needs a folder", path=out)
    existing = [p for p in out.rglob("*") if STAGING not in p.relative_to(out).parts] if out.is_dir() else []
    if clean and existing and not manifest.is_file():
        raise SiteError(f"is not empty and holds no {MANIFEST}, so it is not a reportgen site; --clean would "
                        "delete it: choose another --out or empty it yourself", path=out)
    previous: set[str] = set()
    if manifest.is_file():
        previous = {line for line in manifest.read_text(encoding="utf-8").splitlines() if line}
    stale = set()
    if clean:
        stale = {p.relative_to(out).as_posix() for p in existing if p.is_file() or p.is_symlink()} - set(files)
    else:
        stale = previous - set(files)
    try:
        return _write(files, out, clean=clean, stale=stale)
    except OSError as exc:
        raise SiteError(f"cannot be written ({exc.strerror}: {exc.filename}); pick another --out or fix its "
                        "permissions", path=out) from None


def _discard(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _write(files: dict[str, bytes], out: Path, *, clean: bool, stale: set[str]) -> tuple[list[str], list[str]]:
    # Changed files go to a staging folder first; only when every one of them is written are
    # they renamed into place (renames need no new space). A full disk or an unwritable file
    # while staging leaves the previous site exactly as it was.
    staging = out / STAGING
    _discard(staging)
    written: list[str] = []
    try:
        for rel in sorted(files):
            path = _inside(out, rel)
            data = files[rel]
            if not clean and path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
                continue
            staged = staging / rel
            staged.parent.mkdir(parents=True, exist_ok=True)
            staged.write_bytes(data)
            written.append(rel)
    except BaseException:
        _discard(staging)
        raise
    # Swap in, the manifest last: an interrupted swap is finished by the next build.
    for rel in sorted(written, key=lambda p: (p == MANIFEST, p)):
        path = _inside(out, rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / rel, path)
    _discard(staging)
    removed = []
    for rel in sorted(stale):
        path = out / rel
        if path.is_file() or path.is_symlink():
            path.unlink()
            removed.append(rel)
    for folder in sorted((p for p in out.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()
    return written, removed
