"""Exact-string recall and /search/ latency at one scale, for the code of this checkout.

    python bench/substring_bench.py --scale 1 --workdir /tmp/gaz-1x --json out.json

Builds the scaled corpus (``bench/scale.py``; copies already loaded are kept), rebuilds
the index with ``indexing.rebuild()`` (wall and CPU seconds, index size), then measures:

    recall    random substrings of 2–6 characters taken from the entries' searchable
              parts (``searchable_parts``: title, speaker, authors, text, captions, table
              cells; spaces next to Chinese removed and folded, as the index does), each
              searched unquoted and quoted; the entries found are compared with an
              exhaustive scan of every entry's parts for that string. Each sample is
              classed by where it falls in jieba's segmentation of its line: one whole
              word, inside one word, or across words. The dev queries are scanned too.
    latency   the /search/ page through Django's test client (DEBUG off): the dev
              queries, the issue's exact-string queries and a few filters, after a
              warm-up pass, over ``--rounds`` passes; p50 and p95 in milliseconds.

The recall step calls the backend for every match (not one page), through the same
query the search page builds (``service._parse`` where it exists; the old code's
``parse_query`` otherwise, so the script also measures the code before the n-gram field:
copy it into such a checkout and run it there). Results are printed as JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shutil
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))

from bench import scale  # noqa: E402

DEV_QUERIES = REPO / "tests" / "data" / "eval" / "queries-dev.tsv"
# The misses and a few ordinary searches with filters.
EXTRA = [
    {"q": "颍汝"}, {"q": "潩河"}, {"q": "314天"}, {"q": "慈善总会"}, {"q": "区政府"},
    {"q": "魏都区委"}, {"q": "教育质量"}, {"q": '"我为河山赋能助力"'}, {"q": "李朝锋"},
    {"q": "张晓丽"}, {"q": "许昌 魏都 长葛"}, {"q": "疫情", "kind": "chronicle"},
    {"q": "经济", "year": 2020}, {"q": "城市 OR 乡村"}, {"q": "教育 -高中"},
    {"q": "招商引资", "sort": "date"}, {"q": "李朝峰"}, {"q": "zhang shujie"}, {"q": "河"},
]  # fmt: skip
# Characters a sampled string must not hold: they are query syntax or split words.
_SYNTAX = re.compile(r"[\s\"“”「」『』＂\-－|()（）:：*?\\]")


def dev_queries() -> list[str]:
    rows = [line.split("\t") for line in DEV_QUERIES.read_text(encoding="utf-8").splitlines()]
    return [r[0] for r in rows if r and r[0] and not r[0].startswith("#")]


def pct(values, p):
    values = sorted(values)
    return values[max(0, math.ceil(p / 100 * len(values)) - 1)] if values else None



def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def entry_lines():
    """Return {entry id: [normalised lines]} over every entry's searchable parts."""
    from gazetteer.models import Entry
    from gazetteer.search.query import normalize

    try:
        from gazetteer.search_indexes import searchable_parts
    except ImportError:  # the code before: the same parts, from the index's text
        from gazetteer.search_indexes import EntryIndex

        index = EntryIndex()

        def searchable_parts(entry):
            return index.prepare_text(entry).split("\n")

    out = {}
    qs = Entry.objects.select_related("volume", "section").prefetch_related("bylines__person", "captions")
    for entry in qs.iterator(chunk_size=500):
        lines = []
        for part in searchable_parts(entry):
            lines += [n for n in (normalize(x) for x in part.split("\n")) if n]
        out[entry.pk] = lines
    return out


def scan(lines_by_entry, needle) -> set[int]:
    return {pk for pk, lines in lines_by_entry.items() if any(needle in line for line in lines)}


def found(text: str) -> set[int]:
    from gazetteer.search import service
    from gazetteer.search.indexing import backend
    from gazetteer.search.query import parse_query

    parsed = service._parse(text) if hasattr(service, "_parse") else parse_query(text)
    if parsed.empty:
        return set()
    hits, _total, _ = backend().execute(parsed.query, filter=service._filters({}), page=1, pagelen=10**6)
    return {int(h["django_id"]) for h in hits}


def classify(line: str, start: int, end: int) -> str:
    from gazetteer.search.analysis import segment

    bounds, words = set(), []
    for s in segment(line, subwords=False):
        bounds |= {s.start, s.end}
        words.append((s.start, s.end))
    if (start, end) in words:
        return "whole word"
    if any(s <= start and end <= e for s, e in words):
        return "inside a word"
    return "across words"


def recall(lines_by_entry, samples: int, seed: int) -> dict:
    rng = random.Random(seed)
    pool = [(pk, line) for pk, lines in lines_by_entry.items() for line in lines if len(line) >= 2]
    groups: dict[str, dict] = {}
    tried = set()
    while len(tried) < samples:
        pk, line = rng.choice(pool)
        size = rng.randint(2, 6)
        if len(line) < size:
            continue
        start = rng.randrange(len(line) - size + 1)
        needle = line[start : start + size]
        if needle in tried or _SYNTAX.search(needle) or not re.search(r"\w", needle):
            continue
        tried.add(needle)
        group = classify(line, start, start + size)
        expected = scan(lines_by_entry, needle)
        for quoted in (False, True):
            got = found(f'"{needle}"' if quoted else needle)
            g = groups.setdefault(f"{group}, {'quoted' if quoted else 'unquoted'}", {
                "samples": 0, "expected": 0, "found": 0, "complete": 0, "extra": 0, "misses": []})  # fmt: skip
            g["samples"] += 1
            g["expected"] += len(expected)
            g["found"] += len(expected & got)
            g["extra"] += len(got - expected)
            if expected <= got:
                g["complete"] += 1
            elif len(g["misses"]) < 5:
                g["misses"].append(needle)
    for g in groups.values():
        g["recall"] = round(g["found"] / g["expected"], 4) if g["expected"] else None
    return dict(sorted(groups.items()))


def dev_recall(lines_by_entry) -> dict:
    from gazetteer.search.query import normalize

    expected = found_n = extra = 0
    for q in dev_queries():
        want = scan(lines_by_entry, normalize(q))
        got = found(q)
        expected += len(want)
        found_n += len(want & got)
        extra += len(got - want)
    return {"queries": len(dev_queries()), "expected": expected, "found": found_n, "extra": extra,
            "recall": round(found_n / expected, 4) if expected else None}  # fmt: skip


def latency(rounds: int) -> dict:
    from urllib.parse import urlencode

    from django.conf import settings
    from django.test import Client, override_settings

    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    override_settings(STORAGES=storages, DEBUG=False).enable()
    client = Client()
    urls = ["/search/?" + urlencode({"q": q}) for q in dev_queries()]
    urls += ["/search/?" + urlencode(spec) for spec in EXTRA]
    statuses = set()
    for url in urls:  # warm-up
        statuses.add(client.get(url).status_code)
    times, cpu = [], []
    for _ in range(rounds):
        for url in urls:
            t, c = time.perf_counter(), time.process_time()
            statuses.add(client.get(url).status_code)
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
    # CPU time is what a request costs on an idle machine; wall time on a shared one
    # also holds other processes' turns.
    return {"searches": len(times), "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(pct(times, 95), 1), "max_ms": round(max(times), 1),
            "cpu_p50_ms": round(statistics.median(cpu), 1), "cpu_p95_ms": round(pct(cpu, 95), 1),
            "statuses": sorted(statuses)}  # fmt: skip


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--workdir", required=True, help="data dir of the scaled archive (kept)")
    parser.add_argument("--samples", type=int, default=300, help="random substrings for recall")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-rebuild", action="store_true", help="measure the index already there")
    parser.add_argument("--only", choices=["latency", "recall"], help="measure only this (and the build)")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)

    workdir = scale.setup_django(args.workdir)
    run = {"scale": args.scale, "code": str(REPO), "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    t = time.monotonic()
    run["load"] = scale.build(args.scale, workdir)
    run["load"].update(scale.finish())
    run["load_seconds"] = round(time.monotonic() - t, 1)

    from django.conf import settings

    from gazetteer.search import indexing

    index_dir = Path(settings.HAYSTACK_CONNECTIONS["default"]["PATH"])
    if not args.no_rebuild:
        shutil.rmtree(index_dir, ignore_errors=True)
        wall, cpu = time.monotonic(), time.process_time()
        documents = indexing.rebuild()
        run["rebuild"] = {"documents": documents, "wall_s": round(time.monotonic() - wall, 1),
                          "cpu_s": round(time.process_time() - cpu, 1),
                          "load_avg_after": round(os.getloadavg()[0], 2)}  # fmt: skip
    run["index_bytes"] = dir_size(index_dir)

    lines = entry_lines()
    run["characters"] = sum(len(x) for v in lines.values() for x in v)
    if args.only != "recall":
        run["latency"] = latency(args.rounds)
    if args.only != "latency":
        run["recall"] = recall(lines, args.samples, args.seed)
        run["dev_recall"] = dev_recall(lines)
    text = json.dumps(run, ensure_ascii=False, indent=1)
    print(text)
    if args.json:
        Path(args.json).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
