"""Lunar months by option: the eras a person names are read as Chinese-calendar months."""

from pathlib import Path

from loaders import parse_files, parse_sources
from loaders.text import Source

DATA = Path(__file__).resolve().parent.parent / "data" / "chronicle"

GAZETTEER = """# 柳城县志

## 概述

柳城县地处黄河下游。

## 大事记

民国27年（1938年）
3月，日军侵占县城。
5月12日，县城遭轰炸。
1950年
3月，县人民政府成立。

## 第一编 地理

县境东西长五十里。
"""


def chronicle_items(doc):
    return [(e.year, e.date, e.lunar, e.title) for e in doc.entries() if e.kind == "chronicle"]


def test_a_chronicle_reads_the_named_eras_months_as_lunar_and_the_others_as_solar():
    plain = parse_files([DATA / "before-common-era.txt"], "chronicle")
    lunar = parse_files([DATA / "before-common-era.txt"], "auto", lunar_eras=["民国"])
    assert [i[2] for i in chronicle_items(plain)] == [False] * 5
    assert chronicle_items(lunar) == [
        (-651, None, False, "晋侯会盟于柳城"),
        (-221, None, False, "置县，属河东郡"),
        (1752, "1752-01-01", False, "知县重修县志"),
        (1938, "1938-03-01", True, "日军侵占县城"),
        (1938, "1938-05-12", True, "县城遭轰炸"),  # the day as printed, not converted
    ]


def test_a_gazetteer_passes_the_lunar_eras_to_its_chronicle():
    source = Source("liucheng.md", GAZETTEER, "utf-8")
    plain = parse_sources([source], "gazetteer")
    lunar = parse_sources([source], "gazetteer", lunar_eras=("民国",))
    assert [(y, lun) for y, _, lun, _ in chronicle_items(plain)] == [(1938, False), (1938, False), (1950, False)]
    assert [(y, lun) for y, _, lun, _ in chronicle_items(lunar)] == [(1938, True), (1938, True), (1950, False)]


def test_kinds_without_era_years_take_the_option_and_ignore_it():
    source = Source("report.txt", "政府工作报告\n\n2024年，全县经济稳中有进。\n", "utf-8")
    assert parse_sources([source], "text", lunar_eras=("民国",)).kind == "text"
