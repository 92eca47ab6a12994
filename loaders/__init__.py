"""Source text in, plain data out. Nothing in this package imports Django.

Each kind of publication has a parser module with ``parse(sources) -> Document``;
``parse_files`` reads the files and dispatches on the kind.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from .document import Document, LoaderError
from .text import Source, read_source

KINDS = {
    "yearbook": "loaders.yearbook",
    "speeches": "loaders.speeches",
    "plan": "loaders.plan",
    "newspaper": "loaders.newspaper",
    "text": "loaders.plaintext",
}


def parse_files(paths: list[str | Path], kind: str) -> Document:
    """Read the files of one volume, in order, and parse them as ``kind``."""
    if kind not in KINDS:
        raise LoaderError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    if not paths:
        raise LoaderError("no files given")
    return parse_sources([read_source(p) for p in paths], kind)


def parse_sources(sources: list[Source], kind: str) -> Document:
    """Parse already decoded sources as ``kind``."""
    if kind not in KINDS:
        raise LoaderError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    return import_module(KINDS[kind]).parse(sources)


__all__ = ["Document", "LoaderError", "parse_files", "parse_sources", "KINDS"]
