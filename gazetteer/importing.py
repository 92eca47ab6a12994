"""The admin's import page: upload → preview → confirm, over ``corpus.load_volume``.

An editor's upload is kept in the data dir as ``uploads/<sha256>/<name>``, so the
volume can be loaded again later from the very same bytes (with ``load_volume`` too).
The preview parses the kept files exactly as a load would and writes nothing; the
confirmation checks that neither the files nor the form changed since the preview
(the volume hash of ``store``), then runs the same load as the command.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from loaders import parse_sources
from loaders.document import Document, LoaderError

from . import corpus, editing, store
from .models import Volume

MAX_FILE_BYTES = 100 * 1024 * 1024  # a whole county gazetteer is a few MB
FIRST_ENTRIES = 5  # shown per kind in the preview
TREE_NODES = 400  # sections shown in the preview's tree; a 县志 can have thousands
_TOKEN = re.compile(r"^(?P<sha256>[0-9a-f]{64})/(?P<name>[^/\\\x00]{1,200})$")


def uploads_dir() -> Path:
    return Path(settings.DATA_DIR) / "uploads"


@dataclass(frozen=True)
class KeptFile:
    """An uploaded file as kept in the data dir, named by its hash and its own name."""

    name: str
    sha256: str
    size: int

    @property
    def token(self) -> str:
        """What the pages carry from step to step to name this file."""
        return f"{self.sha256}/{self.name}"

    @property
    def path(self) -> Path:
        return uploads_dir() / self.sha256 / self.name


def _safe_name(name: str) -> str:
    # Browsers send a bare name; anything else (a path, control characters) is cut away.
    name = re.sub(r"[\x00-\x1f\x7f]", "", Path(str(name).replace("\\", "/")).name).strip()
    if name in ("", ".", ".."):
        raise LoaderError("上传的文件没有文件名")
    if len(name) > 200:
        stem, dot, suffix = name.rpartition(".")
        name = (stem[: 190 - len(suffix)] + dot + suffix) if dot and len(suffix) < 10 else name[:200]
    return name


def keep(name: str, chunks: Iterable[bytes]) -> KeptFile:
    """Write an uploaded file into ``uploads/<sha256>/<name>`` and return it.

    The bytes are hashed while they are written; a file kept before is kept once.
    """
    name = _safe_name(name)
    root = uploads_dir()
    root.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    fd, temporary = tempfile.mkstemp(dir=root, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > MAX_FILE_BYTES:
                    raise LoaderError(f"file is larger than {MAX_FILE_BYTES // 2**20} MB", file=name)
                digest.update(chunk)
                out.write(chunk)
        kept = KeptFile(name, digest.hexdigest(), size)
        kept.path.parent.mkdir(exist_ok=True)
        os.replace(temporary, kept.path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return kept


def kept_file(token: str) -> KeptFile:
    """Return the kept file a page names by its token; LoaderError if there is none."""
    m = _TOKEN.match(token or "")
    if not m or m.group("name") in (".", ".."):
        raise LoaderError("上传的文件标识无效，请重新上传")
    path = uploads_dir() / m.group("sha256") / m.group("name")
    if not path.is_file():
        raise LoaderError("上传的文件已不在服务器上，请重新上传", file=m.group("name"))
    return KeptFile(m.group("name"), m.group("sha256"), path.stat().st_size)


def check_hashes(files: list[KeptFile]) -> None:
    """Raise LoaderError if a kept file's bytes no longer have the hash it was kept under."""
    for f in files:
        digest = hashlib.sha256()
        with open(f.path, "rb") as data:
            for chunk in iter(lambda data=data: data.read(1 << 20), b""):
                digest.update(chunk)
        if digest.hexdigest() != f.sha256:
            raise LoaderError("文件在上传后被改动过（校验值不符），请重新上传", file=f.name)


@dataclass
class Node:
    title: str
    level: int
    page: int | None
    digitized: bool
    entries: int
    children: list[Node] = field(default_factory=list)


@dataclass
class Preview:
    """What a load of these files would store, computed without writing anything."""

    meta: store.VolumeMeta
    files: list[KeptFile]
    document: Document
    fingerprint: str  # the volume hash of (meta, files): confirming requires the same
    sections: int = 0
    tree: list[Node] = field(default_factory=list)
    tree_left_out: int = 0
    counts: Counter = field(default_factory=Counter)  # entries by kind
    first: dict[str, list] = field(default_factory=dict)  # kind → first parsed entries
    not_digitized: list[str] = field(default_factory=list)
    existing: Volume | None = None  # the volume a confirmation would replace
    unchanged: bool = False  # the same files and details as the volume's last load
    edited: list = field(default_factory=list)  # editing.EditedRecord, what a re-load would replace

    @property
    def warnings(self):
        return self.document.warnings


def preview(meta: store.VolumeMeta, files: list[KeptFile]) -> Preview:
    """Read and parse the kept files as ``load_volume`` would; write nothing.

    Raise LoaderError with the command's one-line message for input it refuses.
    """
    check_hashes(files)
    sources, stored = corpus.read_files([f.path for f in files])
    doc = parse_sources(sources, meta.kind, year_covered=meta.year_covered, lunar_eras=meta.lunar_eras)
    result = Preview(meta, files, doc, store.volume_hash(meta, stored))
    budget = TREE_NODES

    def node(section, path):
        nonlocal budget
        result.sections += 1
        if not section.digitized:
            result.not_digitized.append(" › ".join([*path, section.title]))
        shown = budget > 0  # book order: the first sections are shown, the rest counted
        budget -= 1
        result.tree_left_out += not shown
        children = [n for child in section.children if (n := node(child, [*path, section.title])) is not None]
        if shown:
            return Node(section.title, section.level, section.page, section.digitized, len(section.entries), children)
        return None

    for top in doc.sections:
        n = node(top, [])
        if n is not None:
            result.tree.append(n)
    for entry in doc.entries():
        result.counts[entry.kind] += 1
        shown = result.first.setdefault(entry.kind, [])
        if len(shown) < FIRST_ENTRIES:
            shown.append(entry)
    result.existing = Volume.objects.filter(slug=meta.slug).first()
    if result.existing is not None:
        result.unchanged = result.existing.source_hash == result.fingerprint
        if not result.unchanged:
            result.edited = editing.edited_records(result.existing)
    return result


class PreviewOutdated(LoaderError):
    """The files or the details changed since the preview the editor confirmed."""


def confirm(
    meta: store.VolumeMeta,
    files: list[KeptFile],
    fingerprint: str,
    *,
    edits: str = "refuse",
    progress: Callable[[str], None] | None = None,
) -> store.StoreResult:
    """Load the previewed files, as ``load_volume`` does, if nothing changed since the preview.

    Raise PreviewOutdated if the details or the files differ from the preview's,
    ``editing.EditConflict`` if editors' changes would be replaced and ``edits`` does
    not say what to do with them, LoaderError for input the loaders refuse.
    """
    check_hashes(files)
    _, stored = corpus.read_files([f.path for f in files])
    if store.volume_hash(meta, stored) != fingerprint:
        raise PreviewOutdated("载入内容与预览时不同，请重新预览后再确认")
    result = corpus.load_volume(meta, [f.path for f in files], edits=edits)
    corpus.after_load([result], progress)
    return result
