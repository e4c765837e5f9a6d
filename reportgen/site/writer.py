"""Write the site's files into the output folder. The builder hands over the files to write (those
whose inputs changed) and names those to keep as they are; nothing is read back to compare. Into an
existing site, files are staged in a scratch folder and renamed into place, so a failure leaves the
previous site as it was; a new or empty folder is written directly. Files an earlier build wrote
and this one does not are removed (listed in the manifest)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from reportgen.site.errors import SiteError
from reportgen.site.incremental import STATE

MANIFEST = ".reportgen-files"  # every file of the last build, one a line
STAGING = ".reportgen-staging"


class _Targets:
    """Paths under the output folder, refused when they would land outside it (``..``, a link).
    The folder is resolved once and each sub-folder once."""

    def __init__(self, root: Path):
        self.root = root
        self.real = os.path.realpath(root)
        self._folders: dict[str, bool] = {"": True}

    def __call__(self, rel: str) -> str:
        folder, _, name = rel.rpartition("/")
        ok = name not in ("", ".", "..") and not rel.startswith("/") and self._inside(folder)
        if not ok:
            raise SiteError(f"refusing to write {rel!r} outside the output folder", path=self.root)
        return os.path.join(self.root, rel)

    def _inside(self, folder: str) -> bool:
        known = self._folders.get(folder)
        if known is None:
            real = os.path.realpath(os.path.join(self.root, folder))
            known = self._folders[folder] = real.startswith(self.real + os.sep) and ".." not in folder.split("/")
        return known


def write(files: dict[str, bytes], out: Path, *, clean: bool = False,
          keep: Iterable[str] = ()) -> tuple[list[str], list[str]]:
    """Write ``files`` under ``out`` and keep the files named in ``keep`` as they are; remove the
    files an earlier build wrote that this one no longer has (with ``clean``: every other file)."""
    manifest = out / MANIFEST
    if out.exists() and not out.is_dir():
        raise SiteError("is a file; --out needs a folder", path=out)
    ours = set(files) | set(keep)
    try:
        fresh = not out.exists() or not any(os.scandir(out))
        if clean and not fresh and not manifest.is_file():
            raise SiteError(f"is not empty and holds no {MANIFEST}, so it is not a reportgen site; --clean would "
                            "delete it: choose another --out or empty it yourself", path=out)
        stale: set[str] = set()
        if clean and not fresh:
            stale = {p.relative_to(out).as_posix() for p in out.rglob("*")
                     if STAGING not in p.relative_to(out).parts and (p.is_file() or p.is_symlink())} - ours
        elif manifest.is_file():
            stale = {line for line in manifest.read_text(encoding="utf-8").splitlines() if line} - ours
        if fresh:
            written = _write_fresh(files, out)
        else:
            written = _write_staged(files, out)
        return written, _remove(out, stale)
    except OSError as exc:
        raise SiteError(f"cannot be written ({exc.strerror}: {exc.filename}); pick another --out or fix its "
                        "permissions", path=out) from None


def _order(rels: Iterable[str]) -> list[str]:
    """The state file and the manifest last, the manifest after the state."""
    return sorted(rels, key=lambda p: (p == MANIFEST, p == STATE, p))


def _discard(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _put(path: str, data: bytes) -> None:
    target = Path(path)
    try:
        target.write_bytes(data)
    except FileNotFoundError:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _write_fresh(files: dict[str, bytes], out: Path) -> list[str]:
    """A new or empty folder: write in place. A failure removes what was written (there was no site)."""
    target = _Targets(out)
    paths = [(rel, target(rel)) for rel in _order(files)]
    out.mkdir(parents=True, exist_ok=True)
    try:
        for rel, path in paths:
            _put(path, files[rel])
    except BaseException:
        for entry in os.scandir(out):
            _discard(Path(entry.path)) if entry.is_dir(follow_symlinks=False) else os.unlink(entry.path)
        raise
    return [rel for rel, _ in paths]


def _write_staged(files: dict[str, bytes], out: Path) -> list[str]:
    # The files go to a staging folder first; only when every one of them is written are they
    # renamed into place (renames need no new space). A full disk or an unwritable file while
    # staging leaves the previous site exactly as it was.
    target = _Targets(out)
    staging = out / STAGING
    _discard(staging)
    order = _order(files)
    paths = [target(rel) for rel in order]  # refuse before writing anything
    try:
        for rel in order:
            _put(os.path.join(staging, rel), files[rel])
    except BaseException:
        _discard(staging)
        raise
    # Swap in, the manifest last: an interrupted swap is finished by the next build.
    for rel, path in zip(order, paths):
        try:
            os.replace(os.path.join(staging, rel), path)
        except FileNotFoundError:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            os.replace(os.path.join(staging, rel), path)
    _discard(staging)
    return order


def _remove(out: Path, stale: set[str]) -> list[str]:
    removed = []
    folders = set()
    for rel in sorted(stale):
        path = out / rel
        if path.is_file() or path.is_symlink():
            path.unlink()
            removed.append(rel)
            folders.update(path.parents)
    for folder in sorted((f for f in folders if out in f.parents), key=lambda p: len(p.parts), reverse=True):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    return removed
