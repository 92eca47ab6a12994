"""Source text in, plain data out. Nothing in this package imports Django.

Each kind of publication has a parser module with ``parse(sources) -> Document``;
``parse_files`` reads the files and dispatches on the kind.
"""

from __future__ import annotations

from collections.abc import Collection
from importlib import import_module
from pathlib import Path

from .detect import detect
from .document import Document, LoaderError
from .text import Source, read_source

KINDS = {
    "yearbook": "loaders.yearbook",
    "speeches": "loaders.speeches",
    "plan": "loaders.plan",
    "newspaper": "loaders.newspaper",
    "gazetteer": "loaders.gazetteer",
    "text": "loaders.plaintext",
    "chronicle": "loaders.chronicle",
}


AUTO = "auto"


def parse_files(
    paths: list[str | Path], kind: str, *, year_covered: int | None = None, lunar_eras: Collection[str] = ()
) -> Document:
    """Read the files of one volume, in order, and parse them as ``kind``."""
    if kind != AUTO and kind not in KINDS:
        raise LoaderError(f"unknown kind {kind!r}; expected one of auto, {', '.join(KINDS)}")
    if not paths:
        raise LoaderError("no files given")
    return parse_sources([read_source(p) for p in paths], kind, year_covered=year_covered, lunar_eras=lunar_eras)


# The kinds whose 大事记 may print months and days of the Chinese calendar.
LUNAR_KINDS = {"chronicle", "gazetteer"}


def parse_sources(
    sources: list[Source], kind: str, *, year_covered: int | None = None, lunar_eras: Collection[str] = ()
) -> Document:
    """Parse already decoded sources as ``kind`` ("auto": the kind ``detect`` finds).

    ``year_covered`` is the year the volume records, for chronicles whose text does not
    say it. ``lunar_eras`` (民国, 清 …) names the eras whose months and days a chronicle
    or gazetteer prints in the Chinese calendar; other kinds have no era years. The returned Document's ``kind`` is the kind parsed; with "auto", its
    ``detected`` says why that kind was chosen.
    """
    detected = ""
    if kind == AUTO:
        found = detect(sources, kinds=KINDS)
        kind, detected = found.kind, found.reason
    if kind not in KINDS:
        raise LoaderError(f"unknown kind {kind!r}; expected one of auto, {', '.join(KINDS)}")
    options = {"lunar_eras": tuple(lunar_eras)} if lunar_eras and kind in LUNAR_KINDS else {}
    doc = import_module(KINDS[kind]).parse(sources, year_covered=year_covered, **options)
    doc.kind = kind
    doc.detected = detected
    return doc


__all__ = ["AUTO", "Document", "LoaderError", "parse_files", "parse_sources", "KINDS"]
