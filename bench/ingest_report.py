"""Load every dev text of a directory with ``--kind auto`` and compare it with what a person counted.

    .venv/bin/python bench/ingest_report.py DIR          # DIR: the dev texts (one file = one volume)
    .venv/bin/python bench/ingest_report.py DIR --only xinan_zhi1175_mulu_trad.txt -v

Each file goes through ``loaders.parse_sources(sources, "auto", year_covered=…)``, the
path ``load_volume FILE --title T --region R --year-covered Y`` takes (title and region
are not the loaders' business). Per file the report prints the detected kind and why,
the heading counts, the chronicle items (count, first and last dates, counts per
precision), speaker and date for reports, each beside the figure the dev texts' README
gives, with ✓ or ✗; then a summary. The expected figures are written down here (the
dev texts themselves stay outside the repository); a file in DIR that is not listed
is loaded and described without figures. The exit status is 1 if any figure differs.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from loaders import LoaderError, parse_sources  # noqa: E402
from loaders.document import Document, EntryKind, Section  # noqa: E402
from loaders.furniture import clean_sources  # noqa: E402
from loaders.headings import numbered  # noqa: E402
from loaders.text import read_source  # noqa: E402

# ---------------------------------------------------------------------------
# What the Document says, in the terms the README counts in


def chronicle_items(doc: Document):
    return [e for e in doc.entries() if e.kind == EntryKind.CHRONICLE]


def year_of(date: str | None) -> str:
    return date[:4] if date else "—"


def month_of(date: str | None) -> str:
    return date[:7] if date else "—"


def section(doc: Document, title: str) -> Section | None:
    return next((s for s in doc.walk() if s.title == title), None)


def toc(doc: Document) -> Section:
    return section(doc, "目录") or Section("（无目录）", 1)


def outside_chronicle(doc: Document, level: int) -> int:
    """Sections at ``level`` that are not the chronicle reader's (years, months)."""
    chronicle_ids = {id(s) for top in doc.walk() if top.title in ("大事记", "大事志") for s in top.walk()}
    kept = {id(s) for top in doc.walk() if top.title in ("大事记", "大事志") for s in [top, *top.children]}
    return sum(1 for s in doc.walk() if s.level == level and (id(s) not in chronicle_ids or id(s) in kept))


def years_under(doc: Document, period_index: slice) -> int:
    chronicle = section(doc, "大事记")
    if chronicle is None:
        return 0
    return sum(len(p.children) for p in chronicle.children[period_index])


def report_entry(doc: Document):
    return next((e for e in doc.entries() if e.kind == EntryKind.SPEECH and not e.untitled), None)


def headings_in(doc: Document, form: str, runin: bool | None = None) -> int:
    entry = report_entry(doc)
    if entry is None:
        return 0
    found = [numbered(p) for p in entry.paragraphs]
    return sum(1 for h in found if h and h.form == form and (runin is None or bool(h.rest) == runin))


def entries_of(doc: Document, title: str) -> list[str]:
    s = section(doc, title)
    return [p for e in s.entries for p in e.paragraphs] if s else []


def role_sections(doc: Document) -> list[Section]:
    """The name list's roles: the headings between the list's title and the 凡例."""
    tops = doc.sections
    fanli = next((k for k, s in enumerate(tops) if s.title == "凡例"), len(tops))
    return [s for s in tops[1:fanli] if s.entries]


def persons(doc: Document, title: str) -> int:
    return sum(len(p.split("：", 1)[-1].rstrip("。").split("、")) for p in entries_of(doc, title) if "：" in p)


def dynasty_counts(doc: Document) -> list[int]:
    return [len([e for e in s.walk() for e in s.entries if e.kind == EntryKind.CHRONICLE]) for s in dynasty_sections(doc)]


def dynasty_sections(doc: Document) -> list[Section]:
    from loaders.headings import is_dynasty

    return [s for s in doc.walk() if is_dynasty(s.title)]


def first_years(doc: Document, n: int = 3) -> str:
    return ", ".join(year_of(e.date) for e in chronicle_items(doc)[:n])


def last_year(doc: Document) -> str:
    dated = [e for e in chronicle_items(doc) if e.date]
    return year_of(dated[-1].date) if dated else "—"


# ---------------------------------------------------------------------------
# The README's figures


@dataclass
class Figure:
    label: str
    expected: object
    actual: object  # a function of the Document (of the furniture found, with of="furniture")
    of: str = "doc"


def dropped(what: str, skip_source: bool = True):
    """Count the furniture lines of one kind, the dev texts' own `# source:` line aside."""
    return lambda cleaned: sum(
        1 for line, kind in cleaned.dropped if kind == what and not (skip_source and line.text.startswith("# source:"))
    )


@dataclass
class Expected:
    kind: str
    figures: list[Figure] = field(default_factory=list)
    year_covered: int | None = None
    note: str = ""


def report_figures(date, speaker, title, first, paren, runin=None, standalone=None, paragraphs=None):
    figures = [
        Figure("date", date, lambda d: (report_entry(d) or _NoEntry).date),
        Figure("speaker", speaker, lambda d: (report_entry(d) or _NoEntry).speaker),
        Figure("speaker's title", title, lambda d: (report_entry(d) or _NoEntry).speaker_title),
        Figure("一、 headings", first, lambda d: headings_in(d, "numbered")),
        Figure("（一） headings", paren, lambda d: headings_in(d, "paren")),
    ]
    if runin is not None:
        figures += [
            Figure("（一） run-in", runin, lambda d: headings_in(d, "paren", True)),
            Figure("（一） standalone", standalone, lambda d: headings_in(d, "paren", False)),
        ]
    if paragraphs is not None:
        figures.append(
            Figure("paragraphs after the header", paragraphs, lambda d: len((report_entry(d) or _NoEntry).paragraphs))
        )
    return figures


class _NoEntry:
    date = speaker = speaker_title = None
    paragraphs: list = []


EXPECTED: dict[str, Expected] = {
    "xinan_zhi1175_juan01_trad.txt": Expected(
        "gazetteer",
        [
            Figure("section headings (2×U+3000)", 21, lambda d: sum(1 for s in d.walk() if s.level == 2)),
            Figure("first / last heading", "州郡沿革 / 祠廟", lambda d: _first_last([s.title for s in d.walk() if s.level == 2])),
            Figure("printed leaves (<pb:> 1a–33b)", "1–33", lambda d: _page_span(d)),
            Figure("<pb:> lines taken as page numbers", 66, dropped("page number"), of="furniture"),
            Figure("mandoku header lines dropped", 6, dropped("comment"), of="furniture"),
        ],
    ),
    "xinan_zhi1175_mulu_trad.txt": Expected(
        "gazetteer",
        [
            Figure("<pb:> lines taken as page numbers", 25, dropped("page number"), of="furniture"),
            Figure("# lines dropped (header + 3 JUAN markers)", 8, dropped("comment"), of="furniture"),
            Figure("目録: 巻", 10, lambda d: len(toc(d).children)),
            Figure("目録: 門", 16, lambda d: sum(len(j.children) for j in toc(d).children)),
            Figure("目録: 目 items", 156, lambda d: sum(len(m.children) for j in toc(d).children for m in j.children)),
            Figure(
                "目 items per 巻",
                [21, 23, 22, 0, 0, 24, 17, 29, 11, 9],
                lambda d: [sum(len(m.children) for m in j.children) for j in toc(d).children],
            ),
        ],
    ),
    "nanping_xianzhi1921_mulu_xu.txt": Expected(
        "gazetteer",
        [
            Figure("目录: 卷", 24, lambda d: len(toc(d).children)),
            Figure("目录: entries", 53, lambda d: sum(len(j.children) for j in toc(d).children)),
            Figure(
                "entries per 卷",
                [4, 1, 1, 3, 2, 1, 1, 1, 2, 3, 3, 3, 1, 1, 1, 1, 1, 9, 1, 4, 2, 1, 3, 3],
                lambda d: [len(j.children) for j in toc(d).children],
            ),
            Figure(
                "序 signed (last paragraph)",
                "中华民国十年一月温陵蔡凤序于建安道署",
                lambda d: next((e.paragraphs[-1] for e in d.entries() if e.paragraphs), ""),
            ),
        ],
    ),
    "nanping_xianzhi1921_guanshen_fanli.txt": Expected(
        "gazetteer",
        [
            Figure("roles", 8, lambda d: len(role_sections(d))),
            Figure("name lines", 41, lambda d: sum(len(e.paragraphs) for s in role_sections(d) for e in s.entries)),
            Figure("name lines per role", [8, 1, 1, 7, 1, 18, 1, 4], lambda d: [len(s.entries[0].paragraphs) for s in role_sections(d)]),
            Figure("凡例 items", 14, lambda d: len(entries_of(d, "凡例"))),
        ],
    ),
    "nanping_xianzhi1921_dashizhi.txt": Expected(
        "chronicle",
        [
            Figure("dynasty headings", 8, lambda d: len(dynasty_sections(d))),
            Figure("event paragraphs (items)", 56, lambda d: len(chronicle_items(d))),
            Figure("items per dynasty", [1, 1, 1, 5, 5, 11, 25, 7], dynasty_counts),
            Figure("first three years", "0196, 0557, 0875", first_years),
            Figure("last year", "1918", last_year),
        ],
    ),
    "nanping_xianzhi1921_zaixiang.txt": Expected(
        "chronicle",
        [
            Figure("dynasty headings", 4, lambda d: len(dynasty_sections(d))),
            Figure("events (items)", 219, lambda d: len(chronicle_items(d))),
            Figure(
                "first three",
                "0982-07, 0997, 1007-06",
                lambda d: ", ".join(
                    month_of(e.date) if e.date_precision != "year" else year_of(e.date) for e in chronicle_items(d)[:3]
                ),
            ),
            Figure("last (lunar, as printed)", "1919-06-05", lambda d: ([e.date for e in chronicle_items(d) if e.date] or ["—"])[-1]),
        ],
    ),
    "taiwanxian_zhi1720_mulu_shixu.txt": Expected(
        "gazetteer",
        [
            Figure("TOC entries", 97, lambda d: sum(1 for s in toc(d).walk()) - 1),
            Figure("front matter", 8, lambda d: sum(1 for s in toc(d).children if not s.children and "志" not in s.title[-2:])),
            Figure("志", 10, lambda d: sum(1 for s in toc(d).children if s.children)),
            Figure("目", 79, lambda d: sum(len(s.children) for s in toc(d).children)),
            Figure(
                "施序 signed (last paragraph)",
                "康熙五十九年岁次庚子",
                lambda d: next((e.paragraphs[-1][:10] for s in d.walk() if s.title == "施序" for e in s.entries), ""),
            ),
        ],
    ),
    "taiwanxian_zhi1720_fanli_xiuzhi.txt": Expected(
        "gazetteer",
        [
            Figure("凡例 items", 12, lambda d: len(entries_of(d, "凡例"))),
            Figure("修志姓氏 roles", 6, lambda d: len(entries_of(d, "修志姓氏"))),
            Figure("修志姓氏 persons", 11, lambda d: persons(d, "修志姓氏")),
        ],
    ),
    "jilin_2025_zhengfu_gongzuobaogao.txt": Expected(
        "speeches",
        report_figures("2025-01-14", "胡玉亭", "省长", 3, 8, paragraphs=69 - 4),
        year_covered=2024,
        note="69 paragraphs = title, 来源, date line, speaker line + 65",
    ),
    "hebei_2025_zhengfu_gongzuobaogao.txt": Expected(
        "speeches",
        report_figures("2025-01-13", "王正谱", "河北省人民政府省长", 2, 14, paragraphs=51 - 3),
        year_covered=2024,
        note="51 paragraphs = title, the date-and-speaker sentence, 来源 + 48",
    ),
    "shaanxi_2025_zhengfu_gongzuobaogao.txt": Expected(
        "speeches",
        report_figures("2025-01-16", "赵刚", "陕西省省长", 2, 16, runin=7, standalone=9, paragraphs=63 - 4),
        year_covered=2024,
        note="63 paragraphs = title, 来源, date line, speaker line + 59",
    ),
    "dongming_xianzhi1990_full.md.txt": Expected(
        "gazetteer",
        [
            Figure("### 卷 (level 1)", 11, lambda d: outside_chronicle(d, 1)),
            Figure("#### 类 (level 2)", 60, lambda d: outside_chronicle(d, 2)),
            Figure("##### 辑 (level 3, outside 大事记)", 227, lambda d: outside_chronicle(d, 3)),
            Figure("大事记 periods", 3, lambda d: len((section(d, "大事记") or Section("", 1)).children)),
            # The text holds 109 lines of the form YYYY年（…） before 1949 (grep -cE
            # '^\s*(公元前?)?[0-9]+年（[^）]*）$' over the first two periods); the README says 108.
            Figure("year lines before 1949", 108, lambda d: years_under(d, slice(0, 2))),
            Figure("###### year headings from 1949", 41, lambda d: years_under(d, slice(2, 3))),
            Figure(
                "first / last year heading",
                "公元前651年（晋献公二十六年） / 1989年",
                lambda d: _first_last([c.title for p in (section(d, "大事记") or Section("", 1)).children for c in p.children]),
            ),
        ],
        note="the text has 109 lines YYYY年（…） before 1949 (grep -cE '^\\s*(公元前?)?[0-9]+年（[^）]*）$' over "
        "lines 248–795); the README's 108 looks one short",
    ),
}


def _first_last(titles: list[str]) -> str:
    return f"{titles[0]} / {titles[-1]}" if titles else "—"


def _page_span(doc: Document) -> str:
    pages = [p for s in doc.walk() for p in [s.page, *(e.page for e in s.entries)] if p is not None]
    return f"{min(pages)}–{max(pages)}" if pages else "—"


# ---------------------------------------------------------------------------


def describe(doc: Document) -> list[str]:
    """The figures every file gets, whatever the README says of it."""
    levels = Counter(s.level for s in doc.walk())
    out = [f"sections by level: {', '.join(f'L{k} {v}' for k, v in sorted(levels.items()))}"]
    out.append(f"entries: {sum(1 for _ in doc.entries())}; warnings: {len(doc.warnings)}")
    items = chronicle_items(doc)
    if items:
        dated = [e for e in items if e.date]
        precision = Counter(e.date_precision or "undated" for e in items)
        order = ["day", "xun", "month", "season", "year", "undated"]
        out.append(
            f"chronicle items: {len(items)} (dated {len(dated)}), first {dated[0].date if dated else '—'}, "
            f"last {dated[-1].date if dated else '—'}; by precision: "
            + ", ".join(f"{p} {precision[p]}" for p in order if precision[p])
            + (f"; lunar {sum(e.lunar for e in items)}" if any(e.lunar for e in items) else "")
        )
    speech = report_entry(doc)
    if speech is not None:
        out.append(f"report: {speech.title} — {speech.speaker_title} {speech.speaker}, {speech.date}")
    return out


def run(directory: Path, only: str | None, verbose: bool) -> int:
    files = sorted(p for p in directory.iterdir() if p.is_file() and p.suffix == ".txt")
    if only:
        files = [p for p in files if p.name == only]
    total = good = 0
    failed_files: list[str] = []
    lines_out: list[str] = []
    for path in files:
        expected = EXPECTED.get(path.name)
        started = time.perf_counter()
        try:
            sources = [read_source(path)]
            doc = parse_sources(sources, "auto", year_covered=expected.year_covered if expected else None)
        except LoaderError as error:
            lines_out += [f"## {path.name}", f"  ✗ refused: {error}", ""]
            total, failed_files = total + 1, failed_files + [path.name]
            continue
        seconds = time.perf_counter() - started
        lines_out.append(f"## {path.name}  ({seconds:.1f} s)")
        checks = []
        if expected:
            checks.append(("kind", expected.kind, doc.kind))
            furniture = clean_sources(sources)
            checks += [(f.label, f.expected, f.actual(furniture if f.of == "furniture" else doc)) for f in expected.figures]
        else:
            lines_out.append(f"  kind {doc.kind} (no figures for this file)")
        lines_out.append(f"  detected: {doc.detected or doc.kind}")
        for label, want, got in checks:
            ok = want == got
            total, good = total + 1, good + ok
            mark = "✓" if ok else "✗"
            lines_out.append(f"  {mark} {label}: {got}" + ("" if ok else f"   (README: {want})"))
        if any(want != got for _, want, got in checks):
            failed_files.append(path.name)
        if expected and expected.note:
            lines_out.append(f"    note: {expected.note}")
        lines_out += ["  " + line for line in describe(doc)]
        if verbose:
            lines_out += [f"    {w}" for w in doc.warnings]
        lines_out.append("")
    print("\n".join(lines_out))
    print(f"Summary: {good}/{total} figures ✓ over {len(files)} files", end="")
    print(f"; ✗ in {', '.join(failed_files)}" if failed_files else "; every figure matches")
    return 0 if good == total else 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--only", help="one file name in the directory")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every warning")
    args = parser.parse_args(argv)
    if not args.directory.is_dir():
        parser.error(f"not a directory: {args.directory}")
    return run(args.directory, args.only, args.verbose)


if __name__ == "__main__":
    sys.exit(main())
