"""Loading volumes: the manifest, reading files, parsing, storing, then the follow-ups
(mentions, search index) that keep the archive consistent after a load."""

from __future__ import annotations

import hashlib
import re
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError
from pypinyin import lazy_pinyin

from loaders import AUTO, KINDS, parse_sources
from loaders.document import LoaderError
from loaders.text import source_from_bytes

from . import editing, store
from .models import Volume
from .search import dictionary, indexing

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
SLUG_LENGTH = 80
# A title ends in the kind of publication it is: 东明县志 is 东明 + 县志, so its slug is
# dongming-xianzhi. Longest first, so 县志 wins over 志.
_KIND_WORDS = sorted(
    "规划纲要 纲要 工作报告 讲话汇编 汇编 大事记 年鉴 通志 县志 市志 区志 州志 府志 厅志 省志 镇志 乡志 村志 志 日报 报".split(),
    key=len,
    reverse=True,
)
_BRACKETED_YEAR = re.compile(r"[（(〔\[]\s*(\d{4})\s*[）)〕\]]")
MANIFEST_FIELDS = {"slug", "title", "kind", "region", "compiler", "year", "year_covered", "date", "files"}


@dataclass
class ManifestVolume:
    meta: store.VolumeMeta
    files: list[Path]


def error_message(error: Exception) -> str:
    """Return the one line a failed load tells the person loading (the command and the import page alike).

    Raise anything that is not input the loaders refused or a database failure.
    """
    if isinstance(error, LoaderError):
        return str(error)
    if isinstance(error, DatabaseError):
        return f"database error, the volume being loaded was left unchanged: {error}"
    if isinstance(error, OSError):
        where = f"{error.filename}: " if error.filename else ""
        return f"{where}{error.strerror or error}"
    raise error


def read_manifest(path: Path | None = None) -> list[ManifestVolume]:
    """Return the volumes listed in a manifest (corpus/volumes.toml by default).

    File paths are relative to the manifest. Raise LoaderError naming the manifest and
    the volume for anything missing or malformed.
    """
    path = Path(path or settings.CORPUS_DIR / "volumes.toml")
    if not path.exists():
        raise LoaderError("no such manifest", file=str(path))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise LoaderError(f"not a valid TOML manifest: {e}", file=str(path)) from None
    volumes, seen = [], set()
    for i, item in enumerate(data.get("volume", []), 1):
        where = f"[[volume]] #{i}" + (f" ({item['slug']})" if isinstance(item.get("slug"), str) else "")

        def bad(message, where=where):
            return LoaderError(f"{where}: {message}", file=str(path))

        unknown = set(item) - MANIFEST_FIELDS
        if unknown:
            raise bad(f"unknown field(s) {', '.join(sorted(unknown))}")
        for required in ("slug", "title", "kind", "files"):
            if not item.get(required):
                raise bad(f"missing {required}")
        if not SLUG.match(item["slug"]):
            raise bad("slug must be lower-case letters, digits and hyphens")
        if item["slug"] in seen:
            raise bad("duplicate slug")
        seen.add(item["slug"])
        if item["kind"] != AUTO and item["kind"] not in KINDS:
            raise bad(f"unknown kind {item['kind']!r}; expected one of auto, {', '.join(KINDS)}")
        for number in ("year", "year_covered"):
            if number in item and not isinstance(item[number], int):
                raise bad(f"{number} must be a whole number")
        if not isinstance(item["files"], list) or not all(isinstance(f, str) for f in item["files"]):
            raise bad("files must be a list of file names")
        meta = store.VolumeMeta(
            slug=item["slug"],
            title=item["title"],
            kind=item["kind"],
            region=item.get("region", ""),
            compiler=item.get("compiler", ""),
            year=item.get("year"),
            year_covered=item.get("year_covered"),
            date=item.get("date"),
        )
        volumes.append(ManifestVolume(meta, [path.parent / f for f in item["files"]]))
    if not volumes:
        raise LoaderError("the manifest lists no [[volume]]", file=str(path))
    return volumes


def _pinyin_words(text: str) -> list[str]:
    """Return the pinyin of a title as slug words: a kind word (年鉴, 县志) is a word of its own."""
    words = []
    for run in re.findall(r"[\u3400-\u9fff\uf900-\ufaff]+|[A-Za-z0-9]+", text):
        if not re.match(r"[\u3400-\u9fff\uf900-\ufaff]", run):
            words.append(run.lower())
            continue
        tail = next((w for w in _KIND_WORDS if run.endswith(w) and len(run) > len(w)), "")
        for part in (run[: len(run) - len(tail)], tail):
            if part:
                words.append("".join(lazy_pinyin(part)).lower())
    return words


def slug_for(title: str, year: int | None = None) -> str:
    """Return a slug for a volume titled ``title``: its pinyin and year (东明县志, 1990 → dongming-xianzhi-1990).

    The same title and year always give the same slug, so loading a volume again
    replaces it; a different volume whose title reads the same gets -2, -3 …
    Raise LoaderError when the title has nothing to make a slug from.
    """
    printed = _BRACKETED_YEAR.search(title)
    words = _pinyin_words(_BRACKETED_YEAR.sub(" ", title))
    year = int(printed.group(1)) if printed else year  # 魏都年鉴（2021）: the year it is known by
    if year and str(year) not in words:
        words.append(str(year))
    base = ""
    for word in words:
        if len(base) + len(word) + 1 > SLUG_LENGTH:
            break
        base = f"{base}-{word}" if base else word
    base = base or "-".join(words)[:SLUG_LENGTH].strip("-")
    if not SLUG.match(base):
        raise LoaderError(f"cannot make a slug from the title {title!r}")
    taken = dict(Volume.objects.filter(slug__regex=rf"^{re.escape(base)}(-[0-9]+)?$").values_list("slug", "title"))
    for n in range(1, len(taken) + 2):
        slug = base if n == 1 else f"{base}-{n}"
        if taken.get(slug, title) == title:
            return slug
    raise AssertionError("unreachable: one of len(taken) + 1 candidates is free")


def read_files(paths: list[Path]):
    """Read and decode the files of one volume; return (sources, stored files)."""
    if not paths:
        raise LoaderError("no files given")
    sources, stored = [], []
    for p in paths:
        p = Path(p)
        if not p.is_file():
            raise LoaderError("no such file" if not p.exists() else "not a file", file=str(p))
        data = p.read_bytes()
        source = source_from_bytes(p.name, data)
        sources.append(source)
        stored.append(store.StoredFile(p.name, hashlib.sha256(data).hexdigest(), source.encoding, source.text))
    if len({s.name for s in sources}) != len(sources):
        raise LoaderError("two files of one volume have the same name")
    return sources, stored


def load_volume(meta: store.VolumeMeta, paths: list[Path], *, force=False, edits="refuse") -> store.StoreResult:
    """Read, parse and store one volume. Nothing is written unless all of it parses.

    ``edits`` says what to do with editors' changes to the volume (see ``store_document``).
    """
    started = time.monotonic()
    sources, files = read_files(paths)
    current = Volume.objects.filter(slug=meta.slug).values_list("source_hash", flat=True).first()
    if current == store.volume_hash(meta, files) and not force:
        result = store.StoreResult(Volume.objects.get(slug=meta.slug), "unchanged")
    else:
        doc = parse_sources(sources, meta.kind, year_covered=meta.year_covered)
        result = store.store_document(doc, meta, files, force=force, edits=edits)
    result.seconds = time.monotonic() - started
    return result


def check_edits(volumes, *, force=False) -> None:
    """Raise EditConflict if re-loading any of these (meta, stored files) would replace editors' work."""
    conflicts = []
    for meta, files in volumes:
        volume = Volume.objects.filter(slug=meta.slug).first()
        if volume is None or (volume.source_hash == store.volume_hash(meta, files) and not force):
            continue
        records = editing.edited_records(volume)
        if records:
            conflicts.append((volume, records))
    if conflicts:
        raise editing.EditConflict(conflicts)


def after_load(results: list[store.StoreResult], progress: Callable[[str], None] | None = None) -> None:
    """Bring mentions, the segmenter's dictionary and the search index up to date."""
    started = time.monotonic()
    changed = [r.volume for r in results if r.status != "unchanged"]
    documents, how = 0, ""
    if changed:
        # A volume's new people and organisations may be named in earlier volumes of
        # its region, and only there (mentions are matched within a region).
        store.link_mentions(Volume.objects.filter(region__in={v.region for v in changed}))
        # New words change the cut of the texts that contain them, and only those: the
        # loaded volumes and those earlier documents are indexed, not the archive.
        added = dictionary.regenerate().added
        documents, how = indexing.update_after_load(changed, added)
    if not indexing.in_sync():
        documents, how = indexing.rebuild(), "rebuilt (it did not match the database)"
    if progress and how:
        progress(f"search index {how}: {documents} documents in {time.monotonic() - started:.1f} s")


def load_corpus(
    manifest: Path | None = None,
    *,
    only: list[str] | None = None,
    force=False,
    edits="refuse",
    progress: Callable[[str], None] | None = None,
) -> list[store.StoreResult]:
    """Load every volume of the manifest (or those in ``only``), one transaction each."""
    volumes = read_manifest(manifest)
    if only:
        unknown = set(only) - {v.meta.slug for v in volumes}
        if unknown:
            raise LoaderError(f"not in the manifest: {', '.join(sorted(unknown))}")
        volumes = [v for v in volumes if v.meta.slug in only]
    if edits == "refuse":
        # Before loading anything: a refusal must leave every volume as it was.
        check_edits([(v.meta, read_files(v.files)[1]) for v in volumes], force=force)
    results = []
    for i, v in enumerate(volumes, 1):
        if progress:
            progress(f"[{i}/{len(volumes)}] {v.meta.slug}: {', '.join(f.name for f in v.files)}")
        result = load_volume(v.meta, v.files, force=force, edits=edits)
        results.append(result)
        if progress:
            if result.detected:
                progress(f"    kind detected: {result.volume.kind} — {result.detected}")
            progress(f"    {result} ({result.seconds:.1f} s)")
    after_load(results, progress)
    return results
