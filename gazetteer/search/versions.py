"""The live index directory, and how a full rebuild replaces it without blanking search.

The index path of the settings (``var/whoosh_index``) is a symbolic link to one build in
``var/whoosh_index.builds/``. A full rebuild writes a new build there, then replaces the
link with ``rename(2)``, which is atomic: a process opening the index sees the old build
or the new one, never an empty or half-written one, and a searcher already open keeps
reading the files it opened. The build the link pointed to before is kept until the
next rebuild, so a worker that listed its files just before the switch can still open
them; older builds are removed.

An index directory from before (a real directory at the index path) is moved into the
builds at the first rebuild; that one switch is two renames.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path


def builds_dir(path: Path | str) -> Path:
    path = Path(path)
    return path.with_name(path.name + ".builds")


def live_build(path: Path | str) -> Path | None:
    """Return the directory the index path resolves to, or None when there is none."""
    path = Path(path)
    return path.resolve() if path.is_dir() else None


def new_build(path: Path | str) -> Path:
    """Create and return an empty directory for a new build, beside the live one."""
    folder = builds_dir(path)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    build = folder / f"{stamp}-{os.getpid()}-{time.monotonic_ns() % 1_000_000:06d}"
    build.mkdir()
    return build


def switch(path: Path | str, build: Path) -> Path | None:
    """Make ``build`` the live index in one rename; return the build it replaced."""
    path = Path(path)
    previous = live_build(path)
    link = path.with_name(f".{path.name}.{os.getpid()}.link")
    link.unlink(missing_ok=True)
    os.symlink(os.path.relpath(build, path.parent), link)
    if path.is_dir() and not path.is_symlink():
        # An index from before the builds existed: a directory cannot be replaced by a
        # link in one rename, so it moves into the builds first.
        previous = builds_dir(path) / f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-earlier"
        os.rename(path, previous)
    os.replace(link, path)
    return previous


def prune(path: Path | str, keep: list[Path | None]) -> None:
    """Remove every build but those in ``keep``."""
    kept = {Path(p).resolve() for p in keep if p is not None}
    folder = builds_dir(path)
    if not folder.is_dir():
        return
    for build in folder.iterdir():
        if build.resolve() not in kept:
            shutil.rmtree(build, ignore_errors=True)


def remove(path: Path | str) -> None:
    """Delete the live index: the build the path leads to, and the link."""
    path = Path(path)
    shutil.rmtree(path.resolve(), ignore_errors=True)
    if path.is_symlink():
        path.unlink()
