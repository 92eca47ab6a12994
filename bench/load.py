"""Load test: the archive at 30× the sample corpus under gunicorn, readers, staff and an editor at once.

    .venv/bin/python bench/load.py                       # 30×, the default mix (~5 min after the build)
    .venv/bin/python bench/load.py --scale 1 --requests 0.1 --data-dir /tmp/load-1x   # a quick dry run

The 30× data dir (``bench/scale.py``: 30 distinct copies of the sample volumes, 120
volumes) is built once and kept in ``--data-dir``. Then the archive is served by
gunicorn with the repository's ``gunicorn.conf.py`` in production settings (DEBUG off,
whitenoise with collected static files; 2×CPU+1 workers and the search indexer), and,
all at the same time, for a fixed number of requests each (wrk, one process per page
kind, each thread stops after its share; every run is also bounded in time):

- readers: entry pages, volume TOC pages, section pages;
- staff: the search page and /api/search with words, filters, sorting and page 2;
- an editor (a Python thread, through the admin with CSRF and a session): saves entries
  twice each, the first save putting a unique marker word into the title and the second
  replacing it by another.

It reports throughput and p50/p95/p99 latency per page kind and checks at the end: no
5xx anywhere; every save is in the database; after the indexer has applied the queue,
each entry is found by its final marker and nothing is found by a replaced one (no stale
hits). The exit status is 1 if a check fails. Loopback only.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.live import Browser, LiveArchive, wait_until  # noqa: E402

# wrk's Lua: one thread per wrk (all its connections share one count) walks a shuffled
# copy of the paths, counts statuses and stops after the fixed number of responses; it
# drops a file then, and the driver ends wrk at once (SIGINT), so the connections wrk
# had already reopened do not sit idle in gunicorn's sync workers until their timeout.
LUA = r"""
threads = {}
local next_id = 0
function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  table.insert(threads, thread)
end

function init(args)
  limit = tonumber(args[2])
  donefile = args[3] .. "-" .. id
  paths = {}
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  math.randomseed(id * 7919 + os.time())
  for i = #paths, 2, -1 do
    local j = math.random(i)
    paths[i], paths[j] = paths[j], paths[i]
  end
  count, s2, s3, s4, s5, pos = 0, 0, 0, 0, 0, 0
end

function request()
  pos = pos % #paths + 1
  return wrk.format("GET", paths[pos])
end

function response(status, headers, body)
  count = count + 1
  if status >= 500 then s5 = s5 + 1 elseif status >= 400 then s4 = s4 + 1
  elseif status >= 300 then s3 = s3 + 1 else s2 = s2 + 1 end
  if count == limit then
    local f = io.open(donefile, "w") f:close()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local c, a2, a3, a4, a5 = 0, 0, 0, 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("count"); a2 = a2 + t:get("s2"); a3 = a3 + t:get("s3")
    a4 = a4 + t:get("s4"); a5 = a5 + t:get("s5")
  end
  local e = summary.errors
  io.write(string.format(
    '@@{"responses": %d, "s2xx": %d, "s3xx": %d, "s4xx": %d, "s5xx": %d, "p50_ms": %.2f, "p95_ms": %.2f, ' ..
    '"p99_ms": %.2f, "max_ms": %.2f, "errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}}\n',
    c, a2, a3, a4, a5, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, e.connect, e.read, e.write, e.timeout))
end
"""

WORDS = [
    "魏都",
    "疫情防控",
    "脱贫攻坚",
    "教育",
    "招商引资",
    "城市管理",
    "人大代表",
    "安全生产",
    "会议",
    "文明城市",
    "项目建设",
    "改革",
    "李朝锋",
    "党史学习",
    "营商环境",
    "乡村振兴",
    '"全面从严治党"',
    "许昌 OR 长葛",
    "经济 -疫情",
]
FILTERS = [
    "",
    "&kind=chronicle",
    "&kind=speech",
    "&kind=entry",
    "&year=2021",
    "&sort=-date",
    "&sort=date",
    "&page=2",
    "&date_from=2020-03-01&date_to=2020-06-30",
]


def paths_by_kind(rng: random.Random) -> dict[str, list[str]]:
    """Choose the URLs each kind of visitor requests, from the database being served."""
    from gazetteer.models import Entry, Section, Volume

    slugs = list(Volume.objects.values_list("slug", flat=True))
    entries = list(Entry.objects.values_list("pk", flat=True))
    sections = list(Section.objects.filter(digitized=True).values_list("volume__slug", "pk"))
    searches = []
    for word in WORDS:
        for extra in FILTERS:
            searches.append(f"q={word}{extra}")
        searches.append(f"q={word}&volume={rng.choice(slugs)}")
    from urllib.parse import quote

    searches = [quote(s, safe="=&-") for s in searches]
    return {
        "entry": [f"/entries/{pk}/" for pk in rng.sample(entries, min(3000, len(entries)))],
        "toc": [f"/volumes/{slug}/" for slug in slugs],
        "section": [
            f"/volumes/{slug}/sections/{pk}/" for slug, pk in rng.sample(sections, min(2000, len(sections)))
        ],
        "search": [f"/search/?{s}" for s in searches],
        "api-search": [f"/api/search?{s}" for s in searches],
    }


# Requests per kind at --requests 1, and wrk's connections for it.
MIX = {"entry": (6000, 4), "toc": (1200, 2), "section": (3000, 2), "search": (900, 2), "api-search": (900, 2)}


def run_wrk(kind, url, paths, total, connections, workdir: Path, max_seconds: float):
    """Start wrk (one thread, ``connections`` connections) for one kind of page."""
    path_file = workdir / f"{kind}.paths"
    path_file.write_text("\n".join(paths) + "\n")
    script = workdir / "load.lua"  # written once, before any wrk starts reading it
    total = max(total, 1)
    prefix = workdir / f"{kind}.done"
    out = open(workdir / f"{kind}.out", "w")
    process = subprocess.Popen(
        [
            "wrk",
            "-t",
            "1",
            "-c",
            str(connections),
            "-d",
            f"{int(max_seconds)}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            url,
            "--",
            str(path_file),
            str(total),
            str(prefix),
        ],
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    out.close()
    return {
        "process": process,
        "prefix": prefix,
        "threads": 1,
        "requests": total,
        "out": workdir / f"{kind}.out",
        "started": time.monotonic(),
        "finished": None,
    }


class Editor(threading.Thread):
    """Save entries through the admin: each twice, the second save replacing the first marker."""

    def __init__(self, url, entry_ids, run_id, max_seconds):
        super().__init__(daemon=True)
        self.url, self.entry_ids, self.run_id, self.max_seconds = url, entry_ids, run_id, max_seconds
        self.latencies, self.statuses, self.saved = [], [], {}
        self.error = None

    def marker(self, pk, round_):
        return f"ld{self.run_id}e{pk}r{round_}"

    def run(self):
        try:
            browser = Browser(self.url, timeout=60)
            browser.login()
            deadline = time.monotonic() + self.max_seconds
            for round_ in (1, 2):
                for pk in self.entry_ids:
                    if time.monotonic() > deadline:
                        return
                    path = f"/admin/gazetteer/entry/{pk}/change/"
                    fields = browser.change_form(path)
                    title = dict(fields)["title"].split(" ld")[0]
                    new_title = f"{title} {self.marker(pk, round_)}"
                    fields = [(k, v) for k, v in fields if k != "title"] + [
                        ("title", new_title),
                        ("_save", "保存"),
                    ]
                    started = time.monotonic()
                    status, _, _ = browser.post(path, fields)
                    self.latencies.append((time.monotonic() - started) * 1000)
                    self.statuses.append(status)
                    if status == 302:
                        self.saved[pk] = new_title
        except Exception as error:  # reported as a failed check
            self.error = repr(error)


def percentile(values, p):
    values = sorted(values)
    if not values:
        return 0.0
    return values[min(len(values) - 1, max(0, round(p / 100 * len(values) + 0.5) - 1))]


def build_data_dir(data_dir: Path, scale: int) -> None:
    marker = data_dir / f"built-{scale}x"
    if marker.exists():
        print(f"reusing the {scale}× data dir {data_dir}")
        return
    print(f"building {scale}× the sample corpus in {data_dir} (bench/scale.py; minutes) …", flush=True)
    subprocess.run(
        [sys.executable, "-m", "bench.scale", str(scale), str(data_dir), "--index"], cwd=REPO, check=True
    )
    marker.write_text(time.strftime("%Y-%m-%d %H:%M:%S"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=int, default=30, help="copies of the sample corpus (default 30)")
    parser.add_argument("--data-dir", default=str(REPO / "var" / "load-30x"), help="kept between runs")
    parser.add_argument(
        "--requests", type=float, default=1.0, help="multiply the number of requests per kind"
    )
    parser.add_argument("--edits", type=int, default=40, help="entries the editor saves (twice each)")
    parser.add_argument("--workers", type=int, default=min(multiprocessing.cpu_count() * 2 + 1, 8))
    parser.add_argument("--max-seconds", type=float, default=900, help="bound on the whole load phase")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)

    data_dir = Path(args.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    build_data_dir(data_dir, args.scale)
    from bench import scale

    scale.setup_django(data_dir)
    from django.db import close_old_connections

    from gazetteer.models import Entry, IndexTask

    archive = LiveArchive(data_dir, workers=args.workers, settings="gazetteer.settings")
    archive.manage("migrate", "--noinput", "-v", "0")
    archive.manage("collectstatic", "--noinput", "-v", "0")
    archive.manage(
        "shell",
        "-c",
        "from django.contrib.auth.models import User;"
        "User.objects.filter(username='fault-editor').exists() or "
        "User.objects.create_superuser('fault-editor', 'editor@example.org', 'a-long-editor-password-1')",
    )
    counts = scale.counts()
    rng = random.Random(20261122)
    paths = paths_by_kind(rng)
    run_id = format(int(time.time()) % 46656, "x")
    edit_ids = rng.sample(
        list(Entry.objects.exclude(kind="chronicle").values_list("pk", flat=True)), args.edits
    )
    close_old_connections()

    workdir = Path(tempfile.mkdtemp(prefix="gazetteer-load-"))
    load_before = os.getloadavg()[0]
    print(
        f"serving {counts['volumes']} volumes, {counts['entries']} entries with {args.workers} workers …",
        flush=True,
    )
    archive.start(timeout=180)
    results = {}
    try:
        # Warm every worker (searcher, dictionary) before measuring.
        for path in [p[0] for p in paths.values()] * args.workers:
            Browser(archive.url).get(path)
        (workdir / "load.lua").write_text(LUA)
        started = time.monotonic()
        runs = {
            kind: run_wrk(
                kind, archive.url, paths[kind], int(n * args.requests), c, workdir, args.max_seconds
            )
            for kind, (n, c) in MIX.items()
        }
        editor = Editor(archive.url, edit_ids, run_id, args.max_seconds)
        editor.start()

        def finished():
            now = time.monotonic()
            for run in runs.values():
                if run["finished"] is None and (
                    len(list(run["prefix"].parent.glob(run["prefix"].name + "-*"))) == run["threads"]
                    or run["process"].poll() is not None
                ):
                    run["finished"] = now
                    if run["process"].poll() is None:
                        run["process"].send_signal(signal.SIGINT)  # wrk prints its summary and exits
            return all(r["finished"] for r in runs.values())

        wait_until(finished, timeout=args.max_seconds + 60, interval=0.05, what="the wrk runs")
        editor.join(args.max_seconds)
        load_seconds = time.monotonic() - started
        for kind, run in runs.items():
            run["process"].wait(timeout=60)
            line = next((x for x in run["out"].read_text().splitlines() if x.startswith("@@")), None)
            if line is None:
                raise RuntimeError(f"wrk {kind} printed no summary:\n{run['out'].read_text()}")
            figures = json.loads(line[2:])
            figures["seconds"] = run["finished"] - run["started"]
            figures["per_second"] = figures["responses"] / figures["seconds"]
            results[kind] = figures
        results["admin-save"] = {
            "responses": len(editor.statuses),
            "s5xx": sum(s >= 500 for s in editor.statuses),
            "s2xx": sum(200 <= s < 300 for s in editor.statuses),
            "s3xx": sum(300 <= s < 400 for s in editor.statuses),
            "s4xx": sum(400 <= s < 500 for s in editor.statuses),
            "p50_ms": statistics.median(editor.latencies) if editor.latencies else 0,
            "p95_ms": percentile(editor.latencies, 95),
            "p99_ms": percentile(editor.latencies, 99),
            "max_ms": max(editor.latencies, default=0),
            "seconds": load_seconds,
            "per_second": len(editor.statuses) / load_seconds,
            "errors": {},
        }

        # -- the checks ------------------------------------------------------------------
        checks = {}
        checks["no 5xx"] = all(r["s5xx"] == 0 for r in results.values())
        checks["every request answered"] = all(
            results[kind]["responses"] >= run["requests"] for kind, run in runs.items()
        )
        checks["editor finished every save"] = editor.error is None and len(editor.statuses) == 2 * len(
            edit_ids
        )
        checks["every save answered 302"] = all(s == 302 for s in editor.statuses)
        titles = dict(Entry.objects.filter(pk__in=edit_ids).values_list("pk", "title"))
        checks["every save is in the database"] = all(
            titles.get(pk) == title for pk, title in editor.saved.items()
        )
        close_old_connections()
        queue_started = time.monotonic()
        wait_until(
            lambda: not IndexTask.objects.exists(),
            timeout=300,
            interval=0.5,
            what="the indexer to apply the queue",
        )
        catch_up = time.monotonic() - queue_started
        browser = Browser(archive.url)
        found, stale = [], []
        for pk in edit_ids:
            status, body, _ = browser.get(f"/api/search?q={editor.marker(pk, 2)}")
            found.append(status == 200 and [h["id"] for h in json.loads(body)["hits"]] == [pk])
            status, body, _ = browser.get(f"/api/search?q={editor.marker(pk, 1)}")
            stale.append(status != 200 or json.loads(body)["total"] != 0)
        checks["every save is found by search"] = all(found)
        checks["no stale search hits"] = not any(stale)
    finally:
        archive.stop()
    report = {
        "scale": args.scale,
        "corpus": counts,
        "workers": args.workers,
        "cpus": multiprocessing.cpu_count(),
        "load_seconds": round(load_seconds, 1),
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg()[0],
        "index_catch_up_seconds": round(catch_up, 1),
        "kinds": results,
        "checks": checks,
        "editor_error": editor.error,
    }
    if args.json:
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=1))
    print(markdown(report))
    return 0 if all(checks.values()) else 1


def markdown(report) -> str:
    rows = [
        "| page kind | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | 2xx | 3xx | 4xx | 5xx |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for kind, r in report["kinds"].items():
        rows.append(
            f"| {kind} | {r['responses']} | {r['per_second']:.1f} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | "
            f"{r['p99_ms']:.0f} | {r['max_ms']:.0f} | {r['s2xx']} | {r['s3xx']} | {r['s4xx']} | {r['s5xx']} |"
        )
    total = sum(r["responses"] for r in report["kinds"].values())
    c = report["corpus"]
    lines = [
        f"{report['scale']}× corpus: {c['volumes']} volumes, {c['entries']} entries, {c['people']} people; "
        f"{report['workers']} gunicorn workers on {report['cpus']} CPUs; {total} requests in "
        f"{report['load_seconds']} s ({total / report['load_seconds']:.1f} req/s overall); the indexer applied "
        f"the editor's queue {report['index_catch_up_seconds']} s after the load ended. 1-minute load average "
        f"{report['loadavg_before']:.1f} before, {report['loadavg_after']:.1f} after.",
        "",
        *rows,
        "",
        "| check | result |",
        "|---|---|",
        *(f"| {name} | {'pass' if ok else '**FAIL**'} |" for name, ok in report["checks"].items()),
    ]
    if report["editor_error"]:
        lines.append(f"\neditor error: {report['editor_error']}")
    return "\n".join(lines)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
