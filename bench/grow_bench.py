"""Benchmark the archive as it grows: N× the sample corpus, then one volume more.

    python -m bench.grow_bench 30 /tmp/gaz-30x [--profile] [--pages 40] [--skip-rebuild]

Builds (or reuses) the N× archive of ``bench/scale.py`` in DATA_DIR and reports:

    load        loading every copy (parse + store), linking mentions, the user dictionary
    rebuild     a full rebuild (``indexing.rebuild()``, what ``manage.py rebuild_index``
                runs): wall and CPU seconds, the index's size on disk
    add         adding one 9-entry newspaper page of a new district, wall, everything
                ``load_volume`` does: ``corpus.load_volume`` + ``corpus.after_load``
                (mentions, dictionary, search index)
    pages       p50/p95 server time and the most SQL queries of the entry, volume (目录),
                search, person and chronicle pages, and of the pages that list the
                archive (home, volumes, people, organisations), through Django's test
                client and the whole middleware stack
    memory      this process's peak RSS after each step
    loop        seconds of a fixed pure-Python loop at the start and the end: the
                machine's speed at the time (it varies by half on this VM)

With ``--profile`` the rebuild runs under cProfile, in this one process (no writer
processes), and the top of the profile is printed.
Set ``DATABASE_URL`` to run on PostgreSQL instead of the data dir's SQLite file. The
figures are printed as JSON and appended to DATA_DIR/grow-bench.jsonl.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import platform
import pstats
import random
import resource
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import scale  # noqa: E402

QUERIES = ["地震", "建置沿革", "春节团拜会", "脱贫攻坚", "疫情防控", "许昌", "招商引资", "人大代表", "李朝锋", "PM2.5", "城市 乡村", "發展 規劃"]


def machine_speed() -> float:
    """Seconds for a fixed pure-Python loop (median of three): this virtual machine's
    speed varies by half between hours, so each run records it at its start and end."""
    times = []
    for _ in range(3):
        started, total = time.perf_counter(), 0
        for i in range(2_000_000):
            total += i
        times.append(time.perf_counter() - started)
    return round(sorted(times)[1], 3)


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def percentile(values, p):
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def add_one_volume(n: int, workdir: Path) -> dict:
    """Load the sample's newspaper page as a new district (copy ``n``), as ``load_volume`` does."""
    from gazetteer import corpus

    k, meta, paths = next((k, m, p) for k, m, p in scale.copies(n + 1, workdir) if k == n and m.kind == "newspaper")
    said = []
    started, cpu = time.monotonic(), time.process_time()
    result = corpus.load_volume(meta, paths)
    loaded = time.monotonic() - started
    corpus.after_load([result], progress=said.append)
    return {
        "slug": meta.slug,
        "entries": result.counts.get("entries"),
        "status": result.status,
        "store_seconds": round(loaded, 2),
        "wall_seconds": round(time.monotonic() - started, 2),
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "index": said,
    }


def new_words_lookup() -> dict:
    """Time finding the documents a load's new dictionary words re-cut (``wordscan``),
    through the n-gram index and by the scan of every stored text it replaced. The
    add-one figure above need not include it: the copy's words may be in the dictionary
    from an earlier run (words are never dropped)."""
    from gazetteer.search import indexing, wordscan

    # Twenty names of people the archive has never printed, and two it has (one often).
    words = [a + b + c for a in "欧司端诸" for b in "阳马木葛" for c in "晨川"][:20] + ["颍汝干渠", "李朝锋"]
    indexing.backend().searcher()
    out = {"words": len(words)}
    for label, entries_with in (("index", indexing._indexed_entries_with), ("scan", None)):
        started = time.monotonic()
        found = wordscan.documents_containing(words, entries_with)
        out[f"{label}_seconds"] = round(time.monotonic() - started, 2)
        out[f"{label}_documents"] = sum(len(ids) for ids in found.values())
    return out


def remove_volume(slug: str) -> None:
    from gazetteer.models import Volume
    from gazetteer.search import indexing

    with indexing.paused():
        Volume.objects.filter(slug=slug).delete()


def pages(sample: int) -> dict:
    from django.conf import settings
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    from gazetteer.models import Entry, Person, Volume

    rng = random.Random(20261202)
    entries = list(Entry.objects.values_list("id", flat=True))
    people = list(Person.objects.values_list("id", flat=True))
    slugs = list(Volume.objects.values_list("slug", flat=True))
    years = sorted({y for y in Entry.objects.filter(kind="chronicle").values_list("date__year", flat=True) if y})
    urls = {
        "entry": [f"/entries/{i}/" for i in rng.sample(entries, min(sample, len(entries)))],
        "volume (目录)": [f"/volumes/{s}/" for s in rng.sample(slugs, min(sample, len(slugs)))],
        "search": ["/search/?" + urlencode({"q": q}) for q in QUERIES],
        "person": [f"/people/{i}/" for i in rng.sample(people, min(sample, len(people)))],
        "chronicle": ["/chronicle/"] + [f"/chronicle/?date_from={y}-01-01&date_to={y}-12-31" for y in years[:10]],
        "home": ["/"] * 5,
        "volumes": ["/volumes/"] * 5,
        "people": ["/people/", "/people/?page=2", "/people/?page=50"] + ["/people/"] * 2,
        "organisations": ["/organisations/"] * 5,
    }
    # The app as gunicorn's preload loads it in a worker's master: every view imported and
    # what is loaded frozen out of the garbage collector's sight (gazetteer/wsgi.py).
    import gazetteer.wsgi  # noqa: F401

    storages = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    override_settings(STORAGES=storages).enable()
    client = Client()
    for paths in urls.values():  # warm-up: the searcher, facet columns, template loading
        for path in paths[:3]:
            client.get(path)
    out = {}
    for kind, paths in urls.items():
        times, queries, statuses = [], [], set()
        for path in paths:
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
            queries.append(len(ctx.captured_queries))
            statuses.add(response.status_code)
        out[kind] = {
            "n": len(times),
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(percentile(times, 95), 1),
            "max_queries": max(queries),
            "statuses": sorted(statuses),
        }
    return out


def children_cpu() -> float:
    """CPU seconds of this process's finished child processes."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv=None):
    parser = argparse.ArgumentParser(description="Measure the N× archive: load, rebuild, add one volume, pages.")
    parser.add_argument("n", type=int, help="number of copies of the sample corpus")
    parser.add_argument("data_dir")
    parser.add_argument("--profile", action="store_true", help="run the full rebuild under cProfile")
    parser.add_argument("--pages", type=int, default=40, help="pages of each kind to request")
    parser.add_argument("--skip-rebuild", action="store_true", help="keep the index of an earlier run")
    args = parser.parse_args(argv)
    data_dir = scale.setup_django(args.data_dir)
    from django.core.management import call_command
    from django.db import connection

    from gazetteer.search import indexing, versions

    report = {"n": args.n, "database": connection.vendor, "python": platform.python_version(), "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "loop_seconds_at_start": machine_speed()}
    workdir = data_dir / "scaled-corpus"
    call_command("migrate", verbosity=0, interactive=False)
    remove_volume(scale.copy_slug("weidu-newspaper-2022-12", args.n))  # from an earlier run
    report["load"] = scale.build(args.n, workdir)
    report["load"].update(scale.finish())
    report["size"] = scale.counts()
    report["memory_after_load_mb"] = peak_mb()
    print(json.dumps(report, ensure_ascii=False), flush=True)

    if args.skip_rebuild:
        # Measure adding a volume and the pages against the index as it is (it must match
        # the database: an earlier run's index, with the added volume removed above).
        report["rebuild"] = "skipped"
    else:
        profile = cProfile.Profile() if args.profile else None
        started, cpu, children_before = time.monotonic(), time.process_time(), children_cpu()
        if profile:
            profile.enable()
        # Profiled, one process writes: the writer processes' work would not be seen.
        documents = indexing.rebuild(writers=0 if profile else None)
        if profile:
            profile.disable()
        report["rebuild"] = {
            "documents": documents,
            "wall_seconds": round(time.monotonic() - started, 1),
            "cpu_seconds": round(time.process_time() - cpu, 1),
            # The writer processes of a rebuild (writer.ProcessBuild).
            "writers_cpu_seconds": round(children_cpu() - children_before, 1),
            "index_mb": round(du(versions.live_build(indexing.backend().path)) / 2**20, 1),
            "memory_mb": peak_mb(),
        }
        print(json.dumps(report["rebuild"]), flush=True)
        if profile:
            text = io.StringIO()
            pstats.Stats(profile, stream=text).sort_stats("tottime").print_stats(25)
            report["profile"] = text.getvalue()
            print(report["profile"], flush=True)

    report["add"] = add_one_volume(args.n, workdir)
    report["add"]["memory_mb"] = peak_mb()
    print(json.dumps(report["add"], ensure_ascii=False), flush=True)
    report["new_words"] = new_words_lookup()
    print(json.dumps(report["new_words"]), flush=True)

    report["pages"] = pages(args.pages)
    report["memory_mb"] = peak_mb()
    report["loop_seconds_at_end"] = machine_speed()
    print(json.dumps(report["pages"], ensure_ascii=False, indent=1), flush=True)
    print(json.dumps({"loop_seconds": [report["loop_seconds_at_start"], report["loop_seconds_at_end"]]}), flush=True)
    with open(data_dir / "grow-bench.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps(report, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
