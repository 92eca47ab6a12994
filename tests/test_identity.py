"""Ids that last: every entry and section URL keeps answering across re-loads and editors' work.

The whole sample corpus (loaded once per session) is re-loaded from a copy of corpus/
in a temporary directory: once unchanged with --force, once with changed lines. Every
URL that answered before must answer after: 200 for the same record, 301 to the entry
an editor merged it into, or 410 with a link to its volume. Editors' edits of each kind
survive a changed load with --keep-edits, on the same record, with history and revert.
"""

import io
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from gazetteer import corpus, editing, matching, store
from gazetteer.models import Byline, Caption, Entry, Organisation, Person, Section, Tombstone, Volume
from tests.test_admin import form_data
from tests.test_editing import assert_book_order_is_consistent

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
QINGSHI = Path(__file__).parent / "data" / "yearbook" / "qingshi-yearbook-2020.txt"
YEARBOOK = "weidu-yearbook-2021"
SPEECHES = "changge-speeches-2020-2021"
TWIN_SPEECH = "在市委十三届十一次全体会议暨全市领导干部会议上的讲话"


@pytest.fixture
def copy(tmp_path, monkeypatch, db):
    """A copy of the sample corpus to change; loads from it link mentions but leave the search index alone."""
    # The index is not rolled back with the database: a test that rewrote it would
    # leave the next tests searching records that are not there.
    monkeypatch.setattr(corpus, "after_load", lambda results, progress=None: store.link_mentions())
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


def load_corpus(folder, *options):
    out = io.StringIO()
    call_command("load_corpus", "--manifest", str(folder / "volumes.toml"), *options, stdout=out)
    return out.getvalue()


def change_file(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def urls():
    """Every entry and section URL of the archive, with the record's identity: {url: (kind, id, key)}."""
    found = {}
    for e in Entry.objects.select_related("volume"):
        found[e.get_absolute_url()] = ("entry", e.pk, (e.volume.slug, e.source_section, e.source_title))
    for s in Section.objects.select_related("volume"):
        found[s.get_absolute_url()] = ("section", s.pk, (s.volume.slug, s.source_path))
    return found


def assert_every_url_still_answers(client, before):
    """200 for the same record, 301 to a live one, or 410 naming the volume; never a 404, never another record.

    A URL whose record still exists is counted as 200 without fetching it (the page
    looks its record up by id and nothing else); the others are fetched.
    """
    after = urls()
    answers, rekeyed = {}, set()
    for url, (kind, pk, key) in before.items():
        if url in after:
            if after[url][2] != key:
                rekeyed.add((kind, pk))  # the same id under another section path or title: checked by the caller
            answers[url] = 200
            continue
        response = client.get(url)
        answers[url] = response.status_code
        if response.status_code == 301:
            assert client.get(response["Location"]).status_code == 200
        else:
            assert response.status_code == 410, url
            stone = Tombstone.objects.get(model=kind, object_id=pk)
            assert Volume.objects.get(slug=stone.volume_slug).get_absolute_url() in response.content.decode()
    # Ids are never reused: whatever has an id it did not have before got a new one.
    new_ids = {(kind, pk) for kind, pk, _ in after.values()} - {(kind, pk) for kind, pk, _ in before.values()}
    for kind in ("entry", "section"):
        last = max(pk for k, pk, _ in before.values() if k == kind)
        assert all(pk > last for k, pk in new_ids if k == kind)
    return answers, rekeyed


def test_a_forced_reload_of_the_whole_corpus_keeps_every_id_and_changes_nothing(copy, client):
    before = urls()
    parts = (set(Caption.objects.values_list("pk", flat=True)), set(Byline.objects.values_list("pk", flat=True)))
    entries = {e.pk: (e.title, e.text, e.position, e.section_id) for e in Entry.objects.all()}
    out = load_corpus(copy, "--force")
    assert "4 volume(s): 4 updated" in out
    assert urls() == before
    assert {e.pk: (e.title, e.text, e.position, e.section_id) for e in Entry.objects.all()} == entries
    # The captions and authors too, so an admin form open across the load still saves.
    assert (set(Caption.objects.values_list("pk", flat=True)), set(Byline.objects.values_list("pk", flat=True))) == parts
    assert not Tombstone.objects.exists()
    report = Volume.objects.get(slug=YEARBOOK).load_report["counts"]
    assert (report["entries.kept_ids"], report["entries.updated"], report["entries.removed"], report["sections.removed"]) == (613, 0, 0, 0)
    assert "weidu-yearbook-2021: updated — " in out and "; entry ids kept 613 (changed 0), removed 0" in out
    answers, rekeyed = assert_every_url_still_answers(client, before)
    assert set(answers.values()) == {200} and rekeyed == set()
    # Rendering all 1,200 pages takes a minute and proves no more than the ids above;
    # every volume's first and last entry and section are fetched for real.
    for volume in Volume.objects.all():
        for rows in (volume.entries.order_by("position"), volume.sections.order_by("position")):
            for row in (rows.first(), rows.last()):
                assert client.get(row.get_absolute_url()).status_code == 200


def test_a_changed_file_updates_entries_in_place_and_leaves_tombstones_for_the_others(copy, client):
    before = urls()
    last_id = Entry.objects.order_by("-pk").first().pk
    ids = {
        title: Entry.objects.get(volume__slug=YEARBOOK, title=title).pk
        for title in ["新冠肺炎疫情应急科普", "设立总会分支机构", "节日主题科普宣传"]
    }
    twins = list(Entry.objects.filter(volume__slug=SPEECHES, title=TWIN_SPEECH).order_by("position").values_list("pk", "speaker"))
    part2 = copy / "weidu-yearbook-2021.part2.txt"
    change_file(part2, "利用信息化媒体科普", "利用信息化新媒体科普")  # a correction inside an entry
    change_file(part2, "【设立总会分支机构】", "【设立慈善总会分支机构】")  # a corrected heading, same text
    # A heading and opening rewritten: no longer recognisably the same entry.
    change_file(part2, "【节日主题科普宣传】 开展“全国科技工作者日”", "【科技工作者日宣传】 围绕节日，开展“全国科技工作者日”")
    change_file(copy / "changge-speeches-2020-2021.txt", "这次会议的主要任务是", "本次会议的主要任务是")

    out = load_corpus(copy)
    assert "4 volume(s): 2 updated, 2 unchanged" in out
    fixed = Entry.objects.get(pk=ids["新冠肺炎疫情应急科普"])
    assert "利用信息化新媒体科普" in fixed.text and fixed.title == "新冠肺炎疫情应急科普"
    assert Entry.objects.get(pk=ids["设立总会分支机构"]).title == "设立慈善总会分支机构"
    # Of the two speeches with one title, each keeps its id: the unchanged one by its
    # opening, the corrected one by book order.
    assert list(Entry.objects.filter(volume__slug=SPEECHES, title=TWIN_SPEECH).order_by("position").values_list("pk", "speaker")) == twins
    assert Entry.objects.get(pk=twins[0][0]).text.startswith("同志们：\n本次会议的主要任务是")

    assert not Entry.objects.filter(pk=ids["节日主题科普宣传"]).exists()
    successor = Entry.objects.get(volume__slug=YEARBOOK, title="科技工作者日宣传")
    assert successor.pk > last_id  # a new id, never an old one
    stone = Tombstone.objects.get(model="entry", object_id=ids["节日主题科普宣传"])
    assert (stone.title, stone.reason, stone.replaced_by) == ("节日主题科普宣传", "vanished", successor.pk)

    page = client.get(f"/entries/{ids['节日主题科普宣传']}/")
    assert page.status_code == 410
    html = page.content.decode()
    assert "节日主题科普宣传" in html and f'href="/entries/{successor.pk}/"' in html and 'href="/volumes/weidu-yearbook-2021/"' in html
    api = client.get(f"/api/entries/{ids['节日主题科普宣传']}")
    assert api.status_code == 410
    assert api.json()["gone"] == {
        "id": ids["节日主题科普宣传"],
        "title": "节日主题科普宣传",
        "reason": "vanished",
        "at": stone.at.isoformat(),
        "volume": "http://testserver/api/volumes/weidu-yearbook-2021",
        "replaced_by": f"http://testserver/api/entries/{successor.pk}",
    }
    answers, rekeyed = assert_every_url_still_answers(client, before)
    assert sorted(a for a in answers.values() if a != 200) == [410]
    # Only the entry whose heading the file corrected lives on under another key.
    assert rekeyed == {("entry", ids["设立总会分支机构"])}
    assert_book_order_is_consistent(Volume.objects.get(slug=YEARBOOK))


def test_ids_of_deleted_records_are_never_given_to_new_ones(db):
    volume = Volume.objects.get(slug=YEARBOOK)
    last = Entry.objects.order_by("-pk").first()
    last_id, last_section = last.pk, Section.objects.order_by("-pk").first()
    last.delete()
    section = Section.objects.create(volume=volume, position=editing.next_position(Section, volume.pk), level=1, title="新节点")
    new = Entry.objects.create(
        volume=volume, section=section, position=editing.next_position(Entry, volume.pk), title="新条目", source_file="x", line_start=1, line_end=1
    )
    # SQLite reuses the largest id after a deletion unless the table is AUTOINCREMENT,
    # which Django's SQLite backend makes it; PostgreSQL's sequences never go back.
    assert new.pk > last_id and section.pk > last_section.pk
    assert Tombstone.objects.get(model="entry", object_id=last_id).reason == "deleted"


def test_an_entry_merged_by_an_editor_redirects_and_a_deleted_one_answers_410(db, editor, client, index_restored):
    first = Entry.objects.get(volume__slug=YEARBOOK, title="新冠肺炎疫情应急科普")
    second = editing.next_entry(first)
    editing.merge_entries(first, second, user=editor)
    page = client.get(f"/entries/{second.pk}/?q=科普")
    assert (page.status_code, page["Location"]) == (301, f"/entries/{first.pk}/?q=%E7%A7%91%E6%99%AE")
    api = client.get(f"/api/entries/{second.pk}")
    assert (api.status_code, api["Location"]) == (301, f"/api/entries/{first.pk}")
    # Merged again, the chain is followed to the entry that holds the text now.
    third = editing.next_entry(first)
    editing.merge_entries(first.volume.entries.get(pk=first.pk), third, user=editor)
    assert client.get(f"/entries/{third.pk}/")["Location"] == f"/entries/{first.pk}/"

    gone = Entry.objects.get(volume__slug=YEARBOOK, title="设立总会分支机构")
    gone_id, gone._history_user = gone.pk, editor
    gone.delete()
    page = client.get(f"/entries/{gone_id}/")
    html = page.content.decode()
    assert page.status_code == 410 and "已由编辑删除" in html and 'href="/volumes/weidu-yearbook-2021/"' in html
    assert client.get(f"/api/entries/{gone_id}").json()["gone"]["replaced_by"] is None
    # Brought back from the history, it answers again under its id.
    record = Entry.history.filter(id=gone_id, history_type="-").latest()
    editing.restore_entry(record.history_id, user=editor)
    assert client.get(f"/entries/{gone_id}/").status_code == 200
    assert client.get("/entries/99999999/").status_code == 404
    # Editors see the tombstones in the admin, and cannot change them.
    ed = Client()
    ed.force_login(editor)
    # An editor's old link to the merged entry's form leads to the entry it lives on in.
    response = ed.get(f"/admin/gazetteer/entry/{third.pk}/change/")
    assert response.status_code == 302 and response["Location"] == f"/admin/gazetteer/entry/{first.pk}/change/"
    listing = ed.get("/admin/gazetteer/tombstone/")
    html = listing.content.decode()
    assert listing.status_code == 200 and "节日主题科普宣传" in html
    assert f"条目 #{third.pk}「{third.title}」已由编辑并入另一条：现在是「新冠肺炎疫情应急科普」。" in html  # the redirect's message
    assert not editor.has_perm("gazetteer.change_tombstone")


def test_a_vanished_section_answers_410_with_its_volume(copy, client):
    section = Section.objects.get(volume__slug=YEARBOOK, title="魏都区科学技术协会")
    before, its_entries = urls(), {("entry", pk) for pk in section.entries.values_list("pk", flat=True)}
    change_file(copy / "weidu-yearbook-2021.part1.txt", "魏都区科学技术协会\t(156)", "魏都区科协\t(156)")  # the 目录
    change_file(copy / "weidu-yearbook-2021.part2.txt", "\n魏都区科学技术协会\n", "\n魏都区科协\n")  # the heading
    load_corpus(copy, "--only", YEARBOOK)
    page = client.get(f"/volumes/{YEARBOOK}/sections/{section.pk}/")
    assert page.status_code == 410
    html = page.content.decode()
    renamed = Section.objects.get(volume__slug=YEARBOOK, title="魏都区科协")
    assert "魏都区科学技术协会" in html and renamed.get_absolute_url() in html
    # Its entries were found again by their titles and openings: same ids, new section.
    assert Entry.objects.get(volume__slug=YEARBOOK, title="新冠肺炎疫情应急科普").section == renamed
    answers, rekeyed = assert_every_url_still_answers(client, before)
    assert [a for a in answers.values() if a != 200] == [410] and rekeyed == its_entries and len(its_entries) == 6


def test_an_admin_form_open_across_a_reload_saves_onto_the_same_record(copy, editor):
    ed = Client()
    ed.force_login(editor)
    target = Entry.objects.get(volume__slug=YEARBOOK, title="新冠肺炎疫情应急科普")
    url = f"/admin/gazetteer/entry/{target.pk}/change/"
    data = form_data(ed.get(url))
    load_corpus(copy, "--force", "--only", YEARBOOK)
    data["title"] = "新冠肺炎疫情应急科普工作"
    response = ed.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    target.refresh_from_db()
    assert target.title == "新冠肺炎疫情应急科普工作"
    assert target.captions.count() == 1 and target.bylines.count() == 1


# --- editors' edits of each kind survive a changed load with --keep-edits -------------

SLUG = "qingshi-2020"


@pytest.fixture
def qingshi(tmp_path, monkeypatch, db):
    from gazetteer.management.commands import load_volume as command

    monkeypatch.setattr(command, "after_load", lambda results, progress=None: store.link_mentions())
    path = tmp_path / "qingshi.txt"
    shutil.copy(QINGSHI, path)
    load_qingshi(path)
    return path


@pytest.fixture
def ed(editor):
    client = Client()
    client.force_login(editor)
    return client


def load_qingshi(path, *options):
    out = io.StringIO()
    call_command(
        "load_volume", str(path), *options, kind="yearbook", title="青石年鉴（2020）", year=2020, slug=SLUG, region="青石县", stdout=out
    )
    return out.getvalue()


def qingshi_entry(title):
    return Entry.objects.get(volume__slug=SLUG, title=title)


def reload_changed(path):
    """Change a line the edits did not touch; the guard refuses, --keep-edits re-applies."""
    change_file(path, "全面完成了年度目标任务", "圆满完成了年度目标任务")
    with pytest.raises(CommandError, match="条记录在上次载入后经编辑修改"):
        load_qingshi(path)
    out = load_qingshi(path, "--keep-edits")
    assert "圆满完成了" in qingshi_entry("综述").text
    assert_book_order_is_consistent(Volume.objects.get(slug=SLUG))
    return out


def revert_to_loaded(ed, entry):
    """Revert an entry to its loaded version through the admin's history; return the history page."""
    history = ed.get(f"/admin/gazetteer/entry/{entry.pk}/history/")
    assert history.status_code == 200
    loaded = entry.history.filter(history_change_reason=editing.LOADED_VERSION).get()
    url = f"/admin/gazetteer/entry/{entry.pk}/history/{loaded.history_id}/"
    response = ed.post(url, form_data(ed.get(url)))
    assert response.status_code == 302
    return history.content.decode()


def test_a_text_edit_survives_keep_edits_on_the_same_record(qingshi, ed):
    target = qingshi_entry("区域位置")
    url = f"/admin/gazetteer/entry/{target.pk}/change/"
    data = form_data(ed.get(url))
    data["text"] = data["text"].replace("1200", "1250")
    assert ed.post(url, data).status_code == 302
    out = reload_changed(qingshi)
    assert "条目「区域位置 · qingshi.txt 第110—110行」：保留编辑版本" in out
    assert qingshi_entry("区域位置").pk == target.pk and "1250" in qingshi_entry("区域位置").text
    history = revert_to_loaded(ed, target)
    assert "<ins>125</ins>" in history or "<ins>5</ins>" in history
    assert "1200" in qingshi_entry("区域位置").text


def test_a_title_edit_survives_keep_edits_and_the_file_s_other_corrections_stand(qingshi, ed, editor):
    target = qingshi_entry("区域位置")
    target.title = "区域位置与面积"
    target._history_user = editor
    target.save()
    change_file(qingshi, "总面积1200平方公里", "总面积1201平方公里")
    reload_changed(qingshi)
    kept = Entry.objects.get(pk=target.pk)
    # The editor's title and the file's new text: only what the editor changed is re-applied.
    assert (kept.title, kept.source_title) == ("区域位置与面积", "区域位置")
    assert "1201" in kept.text
    history = revert_to_loaded(ed, kept)
    assert "区域位置与面积" in history
    assert Entry.objects.get(pk=target.pk).title == "区域位置"


def test_a_moved_entry_stays_in_its_new_section(qingshi, ed, editor):
    target = qingshi_entry("基层党建")
    propaganda = Section.objects.get(volume__slug=SLUG, title="宣传工作")
    editing.move_entries([target], propaganda, user=editor)
    reload_changed(qingshi)
    kept = Entry.objects.get(pk=target.pk)
    assert kept.section == propaganda and list(propaganda.entries.order_by("position"))[-1] == kept
    revert_to_loaded(ed, kept)
    assert Entry.objects.get(pk=target.pk).section.title == "组织工作"


def test_a_section_rename_survives_keep_edits_and_reverts_after_the_book_order_changed(qingshi, ed, editor):
    section = Section.objects.get(volume__slug=SLUG, title="宣传工作")
    url = f"/admin/gazetteer/section/{section.pk}/change/"
    data = form_data(ed.get(url))
    data["title"] = "宣传思想工作"
    assert ed.post(url, data).status_code == 302
    reload_changed(qingshi)
    assert Section.objects.get(pk=section.pk).title == "宣传思想工作"
    editing.shift_section(section, -1, user=editor)  # its loaded position is now another section's
    loaded = section.history.filter(history_change_reason=editing.LOADED_VERSION).get()
    url = f"/admin/gazetteer/section/{section.pk}/history/{loaded.history_id}/"
    assert ed.post(url, form_data(ed.get(url))).status_code == 302
    assert Section.objects.get(pk=section.pk).title == "宣传工作"
    assert_book_order_is_consistent(Volume.objects.get(slug=SLUG))


def test_a_split_survives_keep_edits_with_both_ids(qingshi, ed, editor, client):
    speech = qingshi_entry("在全县经济工作会议上的讲话")
    new = editing.split_entry(speech, 2, title="一、坚定信心，抓好项目建设", user=editor)
    reload_changed(qingshi)
    assert len(Entry.objects.get(pk=speech.pk).paragraphs) == 2
    kept = Entry.objects.get(pk=new.pk)
    assert kept.title == "一、坚定信心，抓好项目建设" and editing.next_entry(speech) == kept
    assert not Tombstone.objects.filter(object_id__in=[speech.pk, new.pk]).exists()
    assert client.get(f"/entries/{new.pk}/").status_code == 200
    history = revert_to_loaded(ed, speech)
    assert "拆分：后半成为「一、坚定信心，抓好项目建设」" in history
    assert len(Entry.objects.get(pk=speech.pk).paragraphs) == 3


def test_a_merge_survives_keep_edits_and_the_merged_id_keeps_redirecting(qingshi, ed, editor, client):
    propaganda = Section.objects.get(volume__slug=SLUG, title="宣传工作")
    first, second, _ = propaganda.entries.order_by("position")
    editing.merge_entries(first, second, user=editor)
    out = reload_changed(qingshi)
    assert "条目「新闻宣传 · qingshi.txt 第165—165行」：按编辑删除" in out
    assert not Entry.objects.filter(volume__slug=SLUG, title="新闻宣传").exists()
    assert "新闻宣传" in Entry.objects.get(pk=first.pk).paragraphs
    assert client.get(f"/entries/{second.pk}/")["Location"] == f"/entries/{first.pk}/"
    # Even an unforced later load with nothing edited does not make it again.
    change_file(qingshi, "圆满完成了", "全面完成了")
    load_qingshi(qingshi, "--keep-edits")
    assert not Entry.objects.filter(volume__slug=SLUG, title="新闻宣传").exists()
    history = revert_to_loaded(ed, first)
    assert "合并：并入「新闻宣传」" in history
    assert "新闻宣传" not in Entry.objects.get(pk=first.pk).paragraphs


def test_discarding_a_merge_brings_the_merged_entry_back_under_its_id(qingshi, editor, client):
    propaganda = Section.objects.get(volume__slug=SLUG, title="宣传工作")
    first, second, _ = propaganda.entries.order_by("position")
    editing.merge_entries(first, second, user=editor)
    change_file(qingshi, "全面完成了年度目标任务", "圆满完成了年度目标任务")
    load_qingshi(qingshi, "--discard-edits")
    assert qingshi_entry("新闻宣传").pk == second.pk
    assert client.get(f"/entries/{second.pk}/").status_code == 200
    assert not Tombstone.objects.filter(object_id=second.pk).exists()


def test_mention_changes_have_history_are_listed_survive_keep_edits_and_revert(qingshi, ed):
    target = qingshi_entry("综述")
    county = Organisation.objects.get(name="中共青石县委", region="青石县")
    zhao = Person.objects.get(name="赵志刚", region="青石县")
    assert list(target.organisations.all()) == [county] and not target.people.exists()
    url = f"/admin/gazetteer/entry/{target.pk}/change/"
    data = form_data(ed.get(url))
    data["organisations"] = []
    data["people"] = [str(zhao.pk)]
    assert ed.post(url, data).status_code == 302
    # Listed by the guard …
    change_file(qingshi, "全面完成了年度目标任务", "圆满完成了年度目标任务")
    with pytest.raises(CommandError, match=r"条目 #\d+「综述 · qingshi.txt"):
        load_qingshi(qingshi)
    change_file(qingshi, "圆满完成了年度目标任务", "全面完成了年度目标任务")
    # … kept over the new load and the linking after it …
    reload_changed(qingshi)
    kept = Entry.objects.get(pk=target.pk)
    assert (list(kept.people.all()), list(kept.organisations.all()), kept.mentions_edited) == ([zhao], [], True)
    store.link_mentions()
    assert list(kept.people.all()) == [zhao]
    # … shown in the history and reverted to the loaded mentions.
    history = revert_to_loaded(ed, kept)
    assert "<strong>提及机构：</strong>\n                  [中共青石县委]&nbsp;&rarr;&nbsp;[]" in history
    assert "<strong>提及人物：</strong>\n                  []&nbsp;&rarr;&nbsp;[赵志刚]" in history
    kept.refresh_from_db()
    assert (list(kept.people.all()), list(kept.organisations.all()), kept.mentions_edited) == ([], [county], False)


def test_the_matching_pairs_same_titled_entries_by_opening_then_book_order():
    a = matching.EntryKey("特载", "讲话", "同志们：这次会议的主要任务是深入学习贯彻党的十九届五中全会精神")
    b = matching.EntryKey("特载", "讲话", "同志们：今年以来全市上下坚持以习近平新时代中国特色社会主义思想为指导")
    b_changed = matching.EntryKey("特载", "讲话", "同志们：今年以来全市上下始终以习近平新时代中国特色社会主义思想为指导")
    c = matching.EntryKey("特载", "讲话", "各位代表：现在，我代表市人民政府向大会报告工作，请予审议")
    assert matching.pair_entries([a, b], [a, b]) == {0: 0, 1: 1}
    # One of two vanished: the other keeps its id by its opening, not by its place.
    assert matching.pair_entries([a, b], [b]) == {1: 0}
    # One corrected, one new before it: the unchanged one by opening, the corrected one by much the same opening.
    assert matching.pair_entries([a, b], [c, a, b_changed]) == {0: 1, 1: 2}
    retitled = matching.EntryKey("特载", "新标题", a.opening)
    assert matching.pair_entries([a], [retitled]) == {0: 0}
    moved = matching.EntryKey("专记", "讲话", a.opening)
    assert matching.pair_entries([a], [moved]) == {0: 0}
    assert matching.pair_entries([a], [matching.EntryKey("专记", "别的", a.opening)]) == {}
