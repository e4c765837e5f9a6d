"""Write the site's files into the output folder (``Output``). The builder's rendering workers put
the pages they render as they go; the builder then hands over the other files to write (those whose
inputs changed) and names those to keep as they are; nothing is read back to compare. Into an
existing site, files are staged in a scratch folder and renamed into place, so a failure leaves the
previous site as it was; a new or empty folder is written directly. Files an earlier build wrote
and this one does not are removed (listed in the manifest)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

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
        if not self.allows(rel):
            raise SiteError(f"refusing to write {rel!r} outside the output folder", path=self.root)
        return os.path.join(self.root, rel)

    def allows(self, rel: str) -> bool:
        """Whether ``rel`` names a file inside the output folder (not through a link that leads out)."""
        folder, _, name = rel.rpartition("/")
        return name not in ("", ".", "..") and not rel.startswith("/") and "\0" not in rel and self._inside(folder)

    def _inside(self, folder: str) -> bool:
        known = self._folders.get(folder)
        if known is None:
            real = os.path.realpath(os.path.join(self.root, folder))
            known = self._folders[folder] = real.startswith(self.real + os.sep) and ".." not in folder.split("/")
        return known


class Output:
    """A site being written into ``out``. Pages go in as soon as they are rendered (``put``, which the
    rendering worker processes call themselves); ``finish`` writes the rest, swaps a staged site into
    place and removes what an earlier build wrote and this one does not; ``abort`` undoes what was put.

    Into an existing site, files go to a staging folder and are renamed into place only by ``finish``,
    so a failure leaves the previous site as it was; a new or empty folder is written directly (a
    failure removes what was written). Used as a context manager: an OSError becomes a one-line
    SiteError and any failure aborts."""

    def __init__(self, out: Path, *, clean: bool = False):
        if out.exists() and not out.is_dir():
            raise SiteError("is a file; --out needs a folder", path=out)
        self.out, self.clean = out, clean
        self.created = not out.exists()
        try:
            self.fresh = self.created or not any(os.scandir(out))
            if clean and not self.fresh and not (out / MANIFEST).is_file():
                raise SiteError(f"is not empty and holds no {MANIFEST}, so it is not a reportgen site; --clean would "
                                "delete it: choose another --out or empty it yourself", path=out)
        except OSError as exc:
            raise _error(out, exc) from None
        self._target = _Targets(out)
        self._staging = out / STAGING
        self._started = False

    def __enter__(self) -> Output:
        return self

    def __exit__(self, kind, exc, tb) -> None:
        if exc is None:
            return
        self.abort()
        if isinstance(exc, OSError):
            raise _error(self.out, exc) from None

    def start(self) -> None:
        """Make the folder, or empty the staging folder; before the first ``put``."""
        if not self._started:
            if self.fresh:
                self.out.mkdir(parents=True, exist_ok=True)
            else:
                _discard(self._staging)
            self._started = True

    def put(self, rel: str, data: bytes) -> None:
        """Write one file of the new site: in place into a fresh folder, else into the staging folder."""
        _put(self.written(rel), data)

    def written(self, rel: str) -> Path:
        """Where ``put`` (or ``open``) writes ``rel`` until ``finish``: in place into a fresh folder, else
        into the staging folder; refused outside the output folder."""
        path = self._target(rel)
        return Path(path if self.fresh else os.path.join(self._staging, rel))

    def open(self, rel: str) -> BinaryIO:
        """A file of the new site to write into bit by bit (where ``put`` would write it)."""
        path = self.written(rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        return open(path, "wb")

    def finish(self, files: dict[str, bytes], *, put: Iterable[str] = (),
               keep: Iterable[str] = ()) -> tuple[list[str], list[str]]:
        """Write ``files`` (the state file and the manifest after every other), then move the files
        ``put`` earlier and these into place; keep the files named in ``keep`` as they are and remove
        the files an earlier build wrote that this one no longer has (with ``clean``: every other file)."""
        self.start()
        out = self.out
        ours = set(files) | set(keep) | set(put)
        stale: set[str] = set()
        if self.clean and not self.fresh:
            stale = {p.relative_to(out).as_posix() for p in out.rglob("*")
                     if STAGING not in p.relative_to(out).parts and (p.is_file() or p.is_symlink())} - ours
        elif (out / MANIFEST).is_file():
            stale = {line for line in (out / MANIFEST).read_text(encoding="utf-8").splitlines() if line} - ours
        order = _order(files)
        for rel in order:
            self.put(rel, files[rel])
        written = sorted(put) + order
        if not self.fresh:
            # Swap in, the manifest last: an interrupted swap is finished by the next build.
            for rel in sorted(put) + order:
                path = self._target(rel)
                try:
                    os.replace(os.path.join(self._staging, rel), path)
                except FileNotFoundError:
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    os.replace(os.path.join(self._staging, rel), path)
            _discard(self._staging)
        return written, _remove(out, {rel for rel in stale if self._target.allows(rel)})

    def abort(self) -> None:
        """Undo what was put: the staging folder, or (a fresh folder) everything in it."""
        if not self._started:
            return
        try:
            if not self.fresh:
                _discard(self._staging)
            elif self.created:
                _discard(self.out)
            else:
                for entry in os.scandir(self.out):
                    _discard(Path(entry.path)) if entry.is_dir(follow_symlinks=False) else os.unlink(entry.path)
        except OSError:
            pass  # best effort: the error being raised says what went wrong


def write(files: dict[str, bytes], out: Path, *, clean: bool = False,
          keep: Iterable[str] = ()) -> tuple[list[str], list[str]]:
    """Write ``files`` under ``out`` and keep the files named in ``keep`` as they are; remove the
    files an earlier build wrote that this one no longer has (with ``clean``: every other file)."""
    with Output(out, clean=clean) as output:
        return output.finish(files, keep=keep)


def _error(out: Path, exc: OSError) -> SiteError:
    return SiteError(f"cannot be written ({exc.strerror}: {exc.filename}); pick another --out or fix its "
                     "permissions", path=out)


def _order(rels: Iterable[str]) -> list[str]:
    """The state file and the manifest last, the manifest after the state."""
    return sorted(rels, key=lambda p: (p == MANIFEST, p == STATE, p))


def _discard(path: Path) -> None:
    """Remove a folder and what it holds; a link or a file in its place is removed itself, never followed."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    else:
        shutil.rmtree(path, ignore_errors=True)


def _put(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


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
