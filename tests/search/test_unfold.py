"""The snippet prefilter: an expression over unfolded text that finds every place a
folded term can be, so that texts it finds nothing in are not folded."""

import json
import random
from importlib.metadata import version
from pathlib import Path

import opencc
import pytest

from gazetteer.search import highlight, unfold
from gazetteer.search.highlight import Terms, find_matches, snippet
from gazetteer.search.query import normalize, normalize_with_map

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def rebuilt_classes():
    """Build the character classes afresh for the test, and put the process's back after."""
    kept = unfold._classes
    unfold._classes = None
    yield
    unfold._classes = kept


def test_phrase_list_is_the_installed_opencc_s():
    # Upgrading OpenCC (requirements.txt) fails here until the list is written again:
    # python -m gazetteer.search.unfold --write
    saved = json.loads(unfold.PHRASES_FILE.read_text(encoding="utf-8"))
    assert saved["opencc"] == version("OpenCC")
    assert len(saved["phrases"]) == 477
    assert {"乾隆", "瞭解", "藉口"} <= set(saved["phrases"])


def test_every_way_a_character_folds_is_in_its_class():
    table = unfold.classes()
    assert "鋒" in table["锋"]  # OpenCC's characters
    assert {"乾", "幹"} <= set(table["干"])
    assert {"A", "Ａ", "ａ"} <= set(table["a"])  # the fold table
    assert "２" in table["2"]
    assert "瞭" in table["了"]  # only inside OpenCC's phrases (瞭解 → 了解; 瞭 alone stays)
    assert opencc.OpenCC("t2s").convert("瞭") == "瞭"
    assert "乾" not in table  # 乾 stays 乾 only as itself (乾隆): no other character
    assert "\u2f72" in table["禾"]  # a Kangxi radical, from PDF exports


def test_prefilter_finds_every_place_a_term_can_be_in_the_sample():
    """Any folded stretch of the sample's texts — written in traditional characters,
    upper-cased, spread out with spaces — is found in the unfolded text."""
    s2t = opencc.OpenCC("s2t")
    texts = [p.read_text(encoding="utf-8") for p in sorted((REPO / "corpus").glob("*.txt"))]
    rng = random.Random(20261203)
    checked = 0
    for _ in range(600):
        text = rng.choice(texts)
        start = rng.randrange(len(text))
        passage = text[start : start + rng.randrange(100, 1500)]
        if rng.random() < 0.5:
            passage = s2t.convert(passage)
        if rng.random() < 0.3:
            passage = passage.upper()
        if rng.random() < 0.3:
            passage = " ".join(passage)
        folded = normalize_with_map(passage)[0]
        for _ in range(5):
            if len(folded) < 2:
                break
            at = rng.randrange(len(folded) - 1)
            term = normalize(folded[at : at + rng.randrange(1, 9)])
            if term:
                checked += 1
                assert unfold.prefilter([term]).search(passage), (term, passage)
    assert checked > 2500


def test_traditional_text_and_spaced_names_are_still_marked():
    assert snippet("李朝鋒同志在會上講話", ["李朝锋"]) == "<mark>李朝鋒</mark>同志在會上講話"
    assert snippet("主 任 李 朝 锋", ["李朝锋"]) == "主 任 <mark>李 朝 锋</mark>"
    assert snippet("乾隆年间", ["乾隆"]) == "<mark>乾隆</mark>年间"
    assert snippet("一目瞭然", ["了然"]) == "一目<mark>瞭然</mark>"
    assert snippet("ＰＭ２．５浓度", ["pm2.5"]) == "<mark>ＰＭ２．５</mark>浓度"


def test_a_text_without_the_term_is_not_folded(monkeypatch):
    speech = "同志们：今天我们召开全区经济工作会议。" * 250  # a 4,750-character speech
    folded = []
    real = highlight.normalize_with_map
    monkeypatch.setattr(highlight, "normalize_with_map", lambda text: folded.append(text) or real(text))
    terms = Terms(["李朝锋"])
    assert find_matches(speech, terms) == []
    assert snippet(speech, terms, matched_only=True) == ""
    assert folded == []
    assert find_matches(speech + "李朝鋒", terms) == [(4750, 4753, "李朝锋")]
    assert len(folded) == 1


def test_without_a_phrase_list_for_this_opencc_every_text_is_folded(tmp_path, monkeypatch, rebuilt_classes):
    other = tmp_path / "opencc-phrases.json"
    other.write_text(json.dumps({"opencc": "0.0.1", "phrases": []}), encoding="utf-8")
    monkeypatch.setattr(unfold, "PHRASES_FILE", other)
    assert unfold.classes() is None
    terms = Terms(["李朝锋"])
    assert terms.prefilter is None
    assert snippet("李朝鋒同志", terms) == "<mark>李朝鋒</mark>同志"
