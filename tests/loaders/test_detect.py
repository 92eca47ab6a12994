"""--kind auto: every sample volume and every layout fixture gets its kind, with the signs named."""

from pathlib import Path

import pytest

from loaders import KINDS, parse_sources
from loaders.detect import detect
from loaders.text import read_source, source_from_text

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus"
DATA = ROOT / "tests" / "data"


@pytest.mark.parametrize(
    ("files", "kind", "signs"),
    [
        (["weidu-yearbook-2021.part1.txt", "weidu-yearbook-2021.part2.txt"], "yearbook", ["【条目】", "目录"]),
        (["weidu-yearbook-2021.part1.txt"], "yearbook", ["《…年鉴》"]),
        (["changge-speeches-2020-2021.txt"], "speeches", ["讲话人", "各位代表/同志们"]),
        (["weidu-14th-five-year-plan.txt"], "plan", ["规划纲要"]),
        (["weidu-newspaper-2022-12.txt"], "newspaper", ["本报记者"]),
    ],
)
def test_every_sample_volume_is_detected(files, kind, signs):
    found = detect([read_source(CORPUS / f) for f in files])
    assert found.kind == kind
    assert found.reason.startswith(f"{kind}: ")
    assert all(sign in found.reason for sign in signs), found.reason


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("yearbook/qingshi-yearbook-2020.txt", "yearbook"),
        ("speeches/report-dash-date.txt", "speeches"),
        ("speeches/report-merged-sentence.txt", "speeches"),
        ("speeches/report-plain-date.txt", "speeches"),
        ("gazetteer/chapter-bian-zhang-jie.txt", "gazetteer"),
        ("gazetteer/xianzhi-markdown.md.txt", "gazetteer"),
        ("chronicle/dashizhi-classical.txt", "chronicle"),
        ("chronicle/yearbook-dashiji-2019.txt", "chronicle"),
        ("chronicle/county-chronicle.txt", "chronicle"),
        ("yearbook/shiqiao-yearbook-no-toc.txt", "yearbook"),
        ("import/lanxi-yearbook-2020.txt", "yearbook"),  # a short yearbook, mostly 大事记
        ("gazetteer/classical-mulu.txt", "gazetteer"),
        ("gazetteer/names-fanli.txt", "gazetteer"),
        ("gazetteer/xianzhi-plain.txt", "gazetteer"),
        ("furniture/web-page.txt", "text"),
    ],
)
def test_layout_fixtures_are_detected(path, kind):
    assert detect([read_source(DATA / path)], kinds=set(KINDS) | {"gazetteer", "chronicle"}).kind == kind


def test_the_reason_counts_the_signs():
    found = detect([read_source(DATA / "gazetteer" / "chapter-bian-zhang-jie.txt")], kinds={"gazetteer", "plan"})
    assert found.reason == "gazetteer: 第X编/卷/类/辑 ×1, 第X章/节/目 ×5"


def test_a_chronicle_names_its_dated_paragraphs_and_dynasties():
    found = detect([read_source(DATA / "chronicle" / "dashizhi-classical.txt")], kinds={"chronicle", "gazetteer"})
    assert (found.kind, found.reason) == ("chronicle", "chronicle: dated paragraphs 10/11, dynasty headings ×4")


def test_a_kind_that_cannot_be_loaded_is_never_chosen():
    source = read_source(DATA / "chronicle" / "dashizhi-classical.txt")
    assert detect([source], kinds={"gazetteer", "text"}).kind in {"gazetteer", "text"}


def test_chapter_headings_alone_do_not_make_a_plan():
    source = source_from_text("c.txt", "第一章 总则\n\n本书记述全县概况。\n\n第二章 人口\n\n全县人口30万。\n")
    assert detect([source]).kind == "text"


def test_parse_sources_says_what_it_detected():
    doc = parse_sources([read_source(DATA / "speeches" / "report-plain-date.txt")], "auto")
    assert doc.kind == "speeches"
    assert doc.detected.startswith("speeches: ")
