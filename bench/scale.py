"""Build a scaled corpus: N distinct synthetic copies of the sample volumes.

Copy 0 is the sample corpus itself, unchanged. Copy k ≥ 1 is every volume of
``corpus/volumes.toml`` again, as a volume of its own (slug ``<slug>-x07``), about a
fictional district: the district names of the sample (魏都, 长葛) are replaced
throughout — files, title, region, compiler — by a two-character name of that copy
(安川, 宁平 …), and the digits of counted figures ("718件", "3.5亿元") are permuted, so
that no two copies are the same text. Dates, page numbers and headings are left alone,
so every copy parses like the original. The perturbed files go through the real
pipeline: ``gazetteer.corpus.load_volume`` (parse, one transaction per volume), then
``store.link_mentions`` and ``dictionary.regenerate``, as ``corpus.after_load`` does,
but without touching the search index (callers time ``indexing.rebuild()`` themselves).

Usage from another script (a load test, say)::

    from bench import scale
    scale.setup_django("/tmp/gaz-30x")          # before importing any model
    scale.build(30, progress=print)             # idempotent: copies already loaded are skipped
    scale.finish()                              # mentions + user dictionary
    from gazetteer.search import indexing; indexing.rebuild()

or from the command line: ``python -m bench.scale 30 /tmp/gaz-30x [--index]``.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import sys
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# The sample's district names, replaced in copy k ≥ 1 by names made of these characters
# (only combinations that occur nowhere in the sample are used).
DISTRICTS = ("魏都", "长葛")
_FIRST = "安宁永清丰延兴临和崇泰嘉康瑞昌福盛华吉祥通顺隆德广"
_SECOND = "川平阳泉源原台溪陵丘"
# Digits of a number followed by one of these counters are permuted; dates (年/月/日),
# pages and section numbers are not followed by them.
_COUNTED = re.compile(
    r"\d+(?:\.\d+)?(?=(?:万|亿)?(?:件|元|人次|人|户|个|家|所|项|平方米|亩|公里|千米|吨|辆|套|场|名|座|条|起|余))"
)


def setup_django(data_dir: Path | str, *, allowed_hosts: str = "testserver,localhost,127.0.0.1") -> Path:
    """Point the archive's settings at ``data_dir`` and initialise Django (once per process)."""
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["GAZETTEER_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-a-secret")
    os.environ["DJANGO_SETTINGS_MODULE"] = "gazetteer.settings"
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", allowed_hosts)
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    import django

    django.setup()
    return data_dir


@functools.cache
def _sample_text() -> str:
    return "".join(p.read_text(encoding="utf-8-sig") for p in sorted((REPO / "corpus").glob("*.txt")))


def district_names(count: int) -> list[str]:
    """Return ``count`` distinct two-character district names absent from the sample."""
    sample = _sample_text()
    names = []
    for a in _FIRST:
        for b in _SECOND:
            if a + b not in sample and len(names) < count:
                names.append(a + b)
    if len(names) < count:
        raise ValueError(f"only {len(names)} synthetic district names available")
    return names


def _digit_map(k: int) -> dict[str, str]:
    # d → (a·d + b) mod 10 with a coprime to 10: a permutation, different per copy.
    a = (1, 3, 7, 9)[k % 4]
    b = (k // 4) % 10 or 1
    return {str(d): str((a * d + b) % 10) for d in range(10)}


def perturb(text: str, k: int) -> str:
    """Return the text of copy ``k`` (copy 0 is the original)."""
    if k == 0:
        return text
    names = district_names(2 * k)[2 * k - 2 : 2 * k]
    for old, new in zip(DISTRICTS, names, strict=True):
        text = text.replace(old, new)
    table = _digit_map(k)

    def permute(m: re.Match) -> str:
        number = m.group()
        new = "".join(table.get(c, c) for c in number)
        # A counted figure does not start with 0 ("0718件"): keep its first digit then.
        return number[0] + new[1:] if new[0] == "0" and len(number) > 1 and number[1] != "." else new

    return _COUNTED.sub(permute, text)


def copy_slug(slug: str, k: int) -> str:
    return slug if k == 0 else f"{slug}-x{k:02d}"


def copies(n: int, workdir: Path | str):
    """Yield (k, VolumeMeta, file paths) for every volume of copies 0 … n-1, writing the files."""
    from gazetteer.corpus import read_manifest

    workdir = Path(workdir)
    for k in range(n):
        for v in read_manifest():
            if k == 0:
                yield k, v.meta, v.files
                continue
            folder = workdir / f"x{k:02d}"
            folder.mkdir(parents=True, exist_ok=True)
            paths = []
            for f in v.files:
                target = folder / f.name
                if not target.exists():
                    # Sources arrive as UTF-8 (with or without BOM); copies are UTF-8.
                    target.write_text(perturb(f.read_text(encoding="utf-8-sig"), k), encoding="utf-8")
                paths.append(target)
            meta = replace(
                v.meta,
                slug=copy_slug(v.meta.slug, k),
                title=perturb(v.meta.title, k),
                region=perturb(v.meta.region, k),
                compiler=perturb(v.meta.compiler, k),
            )
            yield k, meta, paths


def build(n: int, workdir: Path | str | None = None, *, progress=None) -> dict:
    """Load copies 0 … n-1 into the database (migrating first); return counts and seconds.

    Copies already loaded are left as they are (``load_volume`` sees unchanged files), so
    building 10× after 1× only loads copies 1 … 9. Nothing is queued for the indexer.
    """
    from django.conf import settings
    from django.core.management import call_command

    from gazetteer.corpus import load_volume
    from gazetteer.search import indexing

    workdir = Path(workdir or settings.DATA_DIR / "scaled-corpus")
    started = time.monotonic()
    call_command("migrate", verbosity=0, interactive=False)
    loaded = unchanged = 0
    with indexing.paused():
        for k, meta, paths in copies(n, workdir):
            result = load_volume(meta, paths)
            if result.status == "unchanged":
                unchanged += 1
            else:
                loaded += 1
                if progress:
                    progress(
                        f"  copy {k:2d} {meta.slug}: {result.counts['entries']} entries ({result.seconds:.1f} s)"
                    )
    return {"loaded": loaded, "unchanged": unchanged, "seconds": time.monotonic() - started}


def finish() -> dict:
    """Link mentions and regenerate the user dictionary, as ``corpus.after_load`` does first."""
    from gazetteer import store
    from gazetteer.search import dictionary, indexing

    t0 = time.monotonic()
    with indexing.paused():
        links = store.link_mentions()
    t1 = time.monotonic()
    dictionary.regenerate()
    t2 = time.monotonic()
    return {"mentions": links, "mentions_seconds": t1 - t0, "dictionary_seconds": t2 - t1}


def counts() -> dict:
    """Return the size of the archive: volumes, entries, people, organisations, characters."""
    from django.db.models import Sum
    from django.db.models.functions import Length

    from gazetteer.models import Entry, Organisation, Person, Volume

    return {
        "volumes": Volume.objects.count(),
        "entries": Entry.objects.count(),
        "people": Person.objects.count(),
        "organisations": Organisation.objects.count(),
        "entry_chars": Entry.objects.aggregate(n=Sum(Length("text")))["n"] or 0,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description="Load N distinct synthetic copies of the sample corpus.")
    parser.add_argument("n", type=int, help="number of copies (1 = the sample corpus)")
    parser.add_argument("data_dir", help="data dir for the database, index and copied files")
    parser.add_argument("--index", action="store_true", help="also rebuild the search index")
    args = parser.parse_args(argv)
    setup_django(args.data_dir)
    print(build(args.n, progress=print))
    print(finish())
    if args.index:
        from gazetteer.search import indexing

        t0 = time.monotonic()
        print(f"indexed {indexing.rebuild()} documents in {time.monotonic() - t0:.1f} s")
    print(counts())


if __name__ == "__main__":
    main()
