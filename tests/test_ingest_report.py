"""bench/ingest_report.py: each figure beside the expected one, ✓ or ✗, and the exit status."""

import shutil
from pathlib import Path

import pytest

from bench import ingest_report
from bench.ingest_report import Expected, Figure, report_figures

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def texts(tmp_path):
    shutil.copy(DATA / "speeches" / "report-dash-date.txt", tmp_path)
    shutil.copy(DATA / "gazetteer" / "classical-mulu.txt", tmp_path)
    return tmp_path


def test_matching_figures_are_ticked_and_the_run_succeeds(texts, monkeypatch, capsys):
    monkeypatch.setattr(
        ingest_report,
        "EXPECTED",
        {
            "report-dash-date.txt": Expected(
                "speeches", report_figures("2024-01-09", "林青山", "县长", 2, 2, paragraphs=11), year_covered=2023
            ),
            "classical-mulu.txt": Expected(
                "gazetteer", [Figure("目录: 卷", 3, lambda d: len(ingest_report.toc(d).children))]
            ),
        },
    )
    assert ingest_report.main([str(texts)]) == 0
    out = capsys.readouterr().out
    assert "  ✓ kind: speeches" in out
    assert "  ✓ speaker: 林青山" in out
    assert "  ✓ 一、 headings: 2" in out
    assert "  ✓ 目录: 卷: 3" in out
    assert "report: 2024年青石县政府工作报告 — 县长 林青山, 2024-01-09" in out
    assert out.rstrip().endswith("Summary: 9/9 figures ✓ over 2 files; every figure matches")


def test_a_differing_figure_is_crossed_with_the_expected_value(texts, monkeypatch, capsys):
    monkeypatch.setattr(
        ingest_report,
        "EXPECTED",
        {"classical-mulu.txt": Expected("gazetteer", [Figure("目录: 卷", 24, lambda d: len(ingest_report.toc(d).children))])},
    )
    assert ingest_report.main([str(texts)]) == 1
    out = capsys.readouterr().out
    assert "  ✗ 目录: 卷: 3   (README: 24)" in out
    assert "  kind speeches (no figures for this file)" in out
    assert out.rstrip().endswith("Summary: 1/2 figures ✓ over 2 files; ✗ in classical-mulu.txt")
