"""Adding a volume indexes that volume and the earlier texts its new words re-cut, not the
archive; a full rebuild never leaves search without an index."""

import io
import json
import random
import re
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from haystack import connections
from whoosh.query import Term

from gazetteer import corpus, store
from gazetteer.models import Entry, Organisation, Person, Volume
from gazetteer.search import analysis, dictionary, indexing, versions, wordscan
from gazetteer.search.service import search

pytestmark = pytest.mark.django_db
NEWSPAPER = Path(settings.BASE_DIR) / "tests" / "data" / "grow" / "yongchuan-newspaper.txt"
# A speech of the sample has "要充分发挥大周再生金属产业优势", cut 大周 / 再生. A reporter named
# 周再生 makes that a word which splits 大周 (大 / 周再生): the old text must then be
# found by the name, as the new one is.
OLD_TEXT = "要充分发挥大周再生金属产业优势"


def entry_ids(q):
    return {h["id"] for h in search({"q": q}).hits}


def test_a_new_name_that_splits_an_earlier_word_finds_the_old_text_and_the_new(index_put_back):
    if not indexing.in_sync():
        # What the load does with an index that lags the database is another test's
        # (test_commands); this one starts, as an archive does, from an index in step.
        indexing.rebuild()
    old = Entry.objects.get(text__contains=OLD_TEXT)
    assert not analysis._get_engine().has_word("周再生")
    assert "周再生" not in analysis.tokens(OLD_TEXT)
    documents = Entry.objects.count() + Person.objects.count()
    meta = store.VolumeMeta(slug="yongchuan-news", title="永川新闻", kind="newspaper", region="许昌市永川区", year=2022)
    result = corpus.load_volume(meta, [NEWSPAPER])
    said = []
    corpus.after_load([result], progress=said.append)

    new = set(Entry.objects.filter(volume__slug="yongchuan-news").values_list("pk", flat=True))
    assert len(new) == 1
    assert "周再生" in analysis.tokens(OLD_TEXT, mode="query")
    assert entry_ids("周再生") == new | {old.pk}
    assert "周再生" in set(dictionary.path().read_text(encoding="utf-8").split())
    # Incremental: the volume, its region's people, and the one earlier entry re-cut.
    assert said[0].startswith("search index updated (")
    assert " 1 earlier documents re-indexed" in said[0]
    assert documents > 1000
    assert indexing.in_sync()


def test_a_new_word_changes_the_cut_only_of_texts_that_contain_it():
    # The claim the incremental update rests on, on the whole sample corpus: jieba's
    # graph gains edges only where the word occurs; its total frequency changes too,
    # and that must move no other cut.
    # Names that split a word of the sample (踏石留印 → 踏 / 石留印) ...
    words = ["严成为", "石留印", "周公铁", "龙金阳", "程双洎", "高捐款"]
    texts = dict(wordscan.entry_texts())
    # ... and some 290 that occur nowhere, which only raise the total frequency.
    everything = "\n".join(texts.values())
    words += [a + b + c for a in "欧尉迟端木诸葛" for b in "晓明远思嘉子" for c in "晨曦川岚泽钧朗" if a + b + c not in everything]
    words = list(dict.fromkeys(words))
    assert len(words) > 250
    assert not any(analysis._get_engine().has_word(w) for w in words)
    before = {pk: analysis.tokens(text) for pk, text in texts.items()}
    analysis.configure(None, words)
    changed = {pk for pk, text in texts.items() if analysis.tokens(text) != before[pk]}
    containing = wordscan.documents_containing(words)[Entry]
    assert changed <= containing
    assert len(changed) >= 3
    assert containing == {pk for pk, text in texts.items() if any(w in wordscan.analysed_form(text) for w in words)}


def test_the_index_finds_every_entry_the_scan_finds():
    # After a load the entries a new word re-cuts are read from the n-gram index, not
    # by scanning every text: the same entries (a few more where a space next to a
    # Chinese character falls inside the word, which the n-grams leave out).
    texts = dict(wordscan.entry_texts())
    rnd = random.Random(14)
    runs = [r for text in texts.values() for r in re.findall(r"[\u4e00-\u9fff]{2,}", text)]
    words = ["颍汝干渠", "李朝锋", "李朝鋒", "魏都区政府", "王焱", "踏石留印", "不存在的词语"]
    for _ in range(300):
        run = rnd.choice(runs)
        n = rnd.randint(2, min(5, len(run)))
        start = rnd.randrange(len(run) - n + 1)
        words.append(run[start : start + n])
    same = 0
    for word in words:
        scanned = wordscan.documents_containing([word])
        indexed = wordscan.documents_containing([word], indexing._indexed_entries_with)
        assert indexed[Entry] >= scanned[Entry], word
        assert indexed[Person] == scanned[Person] and indexed[Organisation] == scanned[Organisation]
        same += indexed[Entry] == scanned[Entry]
    assert same >= 0.97 * len(words)
    assert wordscan.documents_containing(["李朝锋"], indexing._indexed_entries_with)[Entry]


def test_the_scan_reads_texts_as_the_segmenter_does():
    assert wordscan.analysed_form("主任 王 焱，副主任") == "主任 王焱，副主任"
    assert wordscan.pattern(["李朝鋒"]).search(wordscan.analysed_form("區長李朝鋒講話"))
    found = wordscan.documents_containing(["颍汝干渠"])
    assert found[Entry] == set(Entry.objects.filter(text__contains="颍汝干渠").values_list("pk", flat=True)) | set(
        Entry.objects.filter(title__contains="颍汝干渠").values_list("pk", flat=True)
    )
    assert wordscan.documents_containing([]) == {Entry: set(), Person: set(), Organisation: set()}


def test_a_word_whose_record_goes_stays_in_the_dictionary():
    # A serving worker cannot take a word out of its segmenter: dropping it from the
    # file would make workers started before and after cut queries differently.
    person = Person.objects.create(name="欧阳晓晨", region="许昌市魏都区")
    assert dictionary.regenerate().added == ("欧阳晓晨",)
    person.delete()
    assert not dictionary.regenerate()
    assert "欧阳晓晨" in set(dictionary.path().read_text(encoding="utf-8").split())


@pytest.fixture
def places_cache_put_back():
    """The place-name cache as it was: its history mark would otherwise name rows this
    test's rollback takes away (SQLite gives their ids out again)."""
    path = settings.DATA_DIR / "places-cache.json"
    dictionary.regenerate()
    saved = path.read_bytes()
    yield path
    path.write_bytes(saved)


def volumes_whose_texts_are_read():
    """Run ``regenerate`` and return the volume ids whose entry texts it read."""
    with CaptureQueriesContext(connection) as ctx:
        dictionary.regenerate()
    reads = [q["sql"] for q in ctx.captured_queries if '."text"' in q["sql"]]
    return {int(i) for sql in reads for i in re.findall(r"\d+", sql.split(" IN (")[1].split(")")[0])}


def test_a_load_mines_place_names_only_in_the_volumes_loaded_or_edited_since(places_cache_put_back):
    # At 100× reading every text to see which had changed was 19 s of adding a volume.
    assert volumes_whose_texts_are_read() == set()
    entry = Entry.objects.filter(volume__kind="yearbook").exclude(text="").first()
    entry.text += "\n会后到鹤鸣镇调研，鹤鸣镇和邻近的梨园镇汇报了工作。"
    entry.save()  # an edit writes a history row, as the admin's and the editing services' do
    assert volumes_whose_texts_are_read() == {entry.volume_id}
    assert "鹤鸣镇" in set(dictionary.path().read_text(encoding="utf-8").split())
    assert volumes_whose_texts_are_read() == set()
    # A volume loaded again (its load time changes) is mined again, and only it.
    other = Volume.objects.exclude(pk=entry.volume_id).first()
    Volume.objects.filter(pk=other.pk).update(loaded_at=timezone.now())
    assert volumes_whose_texts_are_read() == {other.pk}


def test_a_database_older_than_the_place_name_cache_is_mined_again_whole(places_cache_put_back):
    # A restored backup: its history ends before the cache's mark, so the cache cannot
    # say which volumes changed.
    cache = json.loads(places_cache_put_back.read_text(encoding="utf-8"))
    cache["history"] += 1000
    places_cache_put_back.write_text(json.dumps(cache), encoding="utf-8")
    assert volumes_whose_texts_are_read() == set(Volume.objects.values_list("pk", flat=True))
    assert volumes_whose_texts_are_read() == set()


def count_in_another_worker(word):
    """Count the documents holding ``word`` as another worker sees the index now."""
    seen = {}

    def run():
        backend = connections["default"].get_backend()  # per thread: a fresh backend
        seen["n"] = len(list(backend.searcher().docs_for_query(Term("text", word))))

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return seen["n"]


def test_search_answers_from_the_old_index_until_the_rebuild_switches():
    full = count_in_another_worker("颍汝干渠")
    assert full >= 5
    gone = Entry.objects.filter(text__contains="颍汝干渠").first().pk
    indexing.write({}, {Entry: [gone]})
    assert count_in_another_worker("颍汝干渠") == full - 1
    live = versions.live_build(indexing.backend().path)
    during = []
    indexing.rebuild(before_switch=lambda: during.append(count_in_another_worker("颍汝干渠")))
    # While the new index was written: the old one, whole (not an emptied one).
    assert during == [full - 1]
    assert count_in_another_worker("颍汝干渠") == full
    assert versions.live_build(indexing.backend().path) != live
    assert live.is_dir()  # kept until the next rebuild, for readers that still open it
    indexing.rebuild()
    assert not live.exists()
    assert len(list(versions.builds_dir(indexing.backend().path).iterdir())) == 2


def test_rebuild_index_replaces_a_damaged_index_without_deleting_it_first():
    live = versions.live_build(indexing.backend().path)
    (toc,) = live.glob("_MAIN_*.toc")
    toc.write_bytes(b"\x00garbage" * 100)
    for segment in live.glob("*.seg"):
        segment.unlink()
    indexing.backend().reset()
    assert not indexing.index_usable()
    call_command("rebuild_index", "--noinput", stdout=io.StringIO())
    assert indexing.index_usable()
    assert indexing.in_sync()
    assert count_in_another_worker("颍汝干渠") >= 5
