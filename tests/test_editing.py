"""Editors' actions as service functions: split, merge, move, reorder, merge people.

Every test runs on the whole sample corpus (loaded once per session). Tests that
change the search index request ``index_restored`` before ``db``, so after the
database is rolled back the index documents they touched are written again.
"""


import pytest
from django.core.exceptions import ValidationError

from gazetteer import editing, store
from gazetteer.models import Appointment, Byline, Caption, Entry, Organisation, Person, Section, Volume
from gazetteer.search import indexing
from gazetteer.search.service import search

YEARBOOK = "weidu-yearbook-2021"


def entry(title, slug=YEARBOOK):
    return Entry.objects.get(volume__slug=slug, title=title)


def book_order(volume):
    """(section id, entry title) of every entry, in position order."""
    return list(Entry.objects.filter(volume=volume).order_by("position").values_list("section_id", "title"))


def assert_book_order_is_consistent(volume):
    """Positions are 0..n-1 and entries follow the depth-first order of their sections."""
    positions = list(Entry.objects.filter(volume=volume).order_by("position").values_list("position", flat=True))
    assert positions == list(range(len(positions)))
    sections = list(Section.objects.filter(volume=volume).order_by("position"))
    assert [s.position for s in sections] == list(range(len(sections)))
    rank = {s.pk: i for i, s in enumerate(sections)}
    ranks = [rank[s] for s, _ in book_order(volume)]
    assert ranks == sorted(ranks)
    for s in sections:
        assert s.level == (s.parent.level + 1 if s.parent_id else 1)
        if s.parent_id:
            assert s.parent.position < s.position


def test_the_editor_group_may_change_records_but_not_delete_volumes_or_manage_users(editor):
    assert editor.has_perm("gazetteer.change_entry")
    assert editor.has_perm("gazetteer.delete_entry")
    assert editor.has_perm("gazetteer.change_section")
    assert editor.has_perm("gazetteer.change_person")
    assert editor.has_perm("gazetteer.change_organisation")
    assert editor.has_perm("gazetteer.change_appointment")
    assert editor.has_perm("gazetteer.change_caption")
    assert editor.has_perm("gazetteer.view_volume")
    assert not editor.has_perm("gazetteer.delete_volume")
    assert not editor.has_perm("gazetteer.change_volume")
    assert not editor.has_perm("auth.add_user")
    assert not editor.has_perm("auth.change_user")
    assert not editor.has_perm("auth.change_group")


def test_split_makes_two_entries_in_book_order_with_lines_captions_and_authors(index_restored, db, editor):
    old = entry("新冠肺炎疫情应急科普")
    volume, section, position = old.volume, old.section, old.position
    count = volume.entries.count()
    following = Entry.objects.get(volume=volume, position=position + 1)

    new = editing.split_entry(old, 2, title="发放科普资料", user=editor)

    old.refresh_from_db()
    assert volume.entries.count() == count + 1
    assert (old.position, new.position) == (position, position + 1)
    following.refresh_from_db()
    assert following.position == position + 2
    assert new.section == section and new.kind == old.kind
    assert len(old.paragraphs) == 2 and len(new.paragraphs) == 2
    assert new.paragraphs[0].startswith("与区机关事务管理局（中心）对接")
    # The third paragraph starts on source line 999: the first part ends above it.
    assert (old.line_start, old.line_end, new.line_start, new.line_end) == (993, 998, 999, 1001)
    assert list(new.captions.values_list("line", flat=True)) == [1005]
    assert old.captions.count() == 0
    assert list(old.bylines.values_list("person__name", flat=True)) == ["石晨光"]
    assert list(new.bylines.values_list("person__name", flat=True)) == ["石晨光"]
    assert_book_order_is_consistent(volume)
    # History: the loaded version, then the editor's change, then its mentions re-linked
    # to the shorter text (mention changes have history too); the new entry's creation.
    assert [(h.history_type, h.history_user) for h in old.history.order_by("history_date", "history_id")] == [
        ("+", None),
        ("~", editor),
        ("~", editor),
    ]
    assert old.history.earliest().history_change_reason == editing.LOADED_VERSION
    assert [(h.history_type, h.history_user) for h in new.history.all()] == [("+", editor)]


def test_split_without_a_title_takes_the_paragraph_as_the_title(db, index_restored):
    old = entry("新冠肺炎疫情应急科普")
    third = old.paragraphs[2]
    new = editing.split_entry(old, 2)
    assert new.title == third
    assert len(new.paragraphs) == 1


def test_split_refuses_a_paragraph_outside_the_entry(db):
    old = entry("新冠肺炎疫情应急科普")
    for at in (0, 4, 9):
        with pytest.raises(ValidationError, match="只能在第 2 至第 4 段之前拆分"):
            editing.split_entry(old, at)


def test_merge_appends_the_next_entry_with_its_captions_and_authors(index_restored, db, editor):
    first, second = entry("新冠肺炎疫情应急科普"), entry("节日主题科普宣传")
    volume, count = first.volume, first.volume.entries.count()
    after = Entry.objects.get(volume=volume, position=second.position + 1)
    paragraphs = len(first.paragraphs) + 1 + len(second.paragraphs)

    merged = editing.merge_entries(first, second, user=editor)

    assert merged.pk == first.pk
    assert volume.entries.count() == count - 1
    assert not Entry.objects.filter(pk=second.pk).exists()
    assert len(merged.paragraphs) == paragraphs
    assert "节日主题科普宣传" in merged.paragraphs
    assert (merged.line_start, merged.line_end) == (993, 1024)
    assert list(merged.captions.order_by("position").values_list("line", "position")) == [(1005, 0), (1021, 1)]
    assert list(merged.bylines.values_list("person__name", flat=True)) == ["石晨光"]
    assert editing.next_entry(merged) == after
    # The deleted entry's history keeps it, with who deleted it.
    deleted = Entry.history.filter(id=second.pk).latest()
    assert (deleted.history_type, deleted.history_user, deleted.title) == ("-", editor, "节日主题科普宣传")


def test_merge_refuses_entries_that_are_not_neighbours(db):
    with pytest.raises(ValidationError, match="只能合并相邻的条目"):
        editing.merge_entries(entry("新冠肺炎疫情应急科普"), entry("科普志愿服务活动丰富多彩"))


def test_move_entries_to_another_section_keeps_book_order(index_restored, db, editor):
    moving = [entry("节日主题科普宣传"), entry("新冠肺炎疫情应急科普")]
    volume = moving[0].volume
    count = volume.entries.count()
    target = Section.objects.get(volume=volume, title="组织工作")
    target_titles = list(target.entries.order_by("position").values_list("title", flat=True))

    assert editing.move_entries(moving, target, user=editor) == 2

    assert volume.entries.count() == count
    titles = list(target.entries.order_by("position").values_list("title", flat=True))
    assert titles == [*target_titles, "新冠肺炎疫情应急科普", "节日主题科普宣传"]
    assert_book_order_is_consistent(volume)
    assert Entry.history.filter(id=moving[0].pk, history_user=editor).latest().history_change_reason == "移至「组织工作」"

    editing.move_entries([entry("科普志愿服务活动丰富多彩")], target, at_start=True)
    assert target.entries.order_by("position").first().title == "科普志愿服务活动丰富多彩"
    assert_book_order_is_consistent(volume)


def test_move_refuses_a_section_of_another_volume(db):
    other = Section.objects.filter(volume__slug="weidu-14th-five-year-plan").first()
    with pytest.raises(ValidationError, match="只能在同一卷内移动条目"):
        editing.move_entries([entry("节日主题科普宣传")], other)


def test_entries_move_up_and_down_inside_their_section(db, editor):
    a, b = entry("新冠肺炎疫情应急科普"), entry("节日主题科普宣传")
    assert editing.shift_entry(b, -1, user=editor)
    a.refresh_from_db()
    b.refresh_from_db()
    assert b.position + 1 == a.position
    assert editing.shift_entry(b, +1, user=editor)
    a.refresh_from_db()
    assert editing.next_entry(a).title == "节日主题科普宣传"
    first = a.section.entries.order_by("position").first()
    assert not editing.shift_entry(first, -1)  # the previous entry is in another section
    assert_book_order_is_consistent(a.volume)


def test_a_section_moves_up_with_everything_under_it(db, editor):
    volume = Volume.objects.get(slug=YEARBOOK)
    tops = list(Section.objects.filter(volume=volume, level=1).order_by("position"))
    second, third = tops[1], tops[2]
    third_entries = set(Entry.objects.filter(section__in=editing._subtree(third)).values_list("pk", flat=True))

    assert editing.shift_section(third, -1, user=editor)

    tops_after = list(Section.objects.filter(volume=volume, level=1).order_by("position"))
    assert tops_after[1:3] == [third, second]
    assert_book_order_is_consistent(volume)
    first_of_second = Entry.objects.filter(section__in=editing._subtree(second)).order_by("position").first()
    assert all(
        p < first_of_second.position for p in Entry.objects.filter(pk__in=third_entries).values_list("position", flat=True)
    )
    assert not editing.shift_section(tops_after[0], -1)


def test_a_section_given_a_new_parent_takes_its_level_and_place(db, editor):
    volume = Volume.objects.get(slug=YEARBOOK)
    section = Section.objects.get(volume=volume, title="魏都区科学技术协会")
    new_parent = Section.objects.get(volume=volume, title="组织工作").parent
    section.parent = new_parent
    section.save()
    editing.place_section(section, user=editor)
    section.refresh_from_db()
    assert section.level == new_parent.level + 1
    assert list(new_parent.children.order_by("position"))[-1] == section
    assert_book_order_is_consistent(volume)


@pytest.fixture
def li_chaofeng(db):
    """李朝峰, as the newspaper writes 李朝锋, with one record of every kind to merge."""
    newspaper = Volume.objects.get(slug="weidu-newspaper-2022-12")
    person = Person.objects.create(name="李朝峰", region=newspaper.region, notes=["男"])
    store.link_mentions([newspaper])
    org = Organisation.objects.filter(region=newspaper.region).first()
    Appointment.objects.create(person=person, organisation=org, volume=newspaper, position=999, title="区委书记")
    article = Entry.objects.get(volume=newspaper, title__startswith="魏都区:“联院帮户”精准发力")
    Byline.objects.create(entry=article, person=person, position=5)
    caption = Caption.objects.filter(entry__volume=newspaper).first()
    caption.credit_person = person
    caption.save()
    speech = Entry.objects.get(volume=newspaper, title="李朝峰主持召开十五届区委常委会第51次会议")
    speech.speaker_person = person
    speech.save()
    return person


def test_merge_people_moves_everything_and_keeps_the_name_as_an_alias(index_restored, db, editor, li_chaofeng, client):
    keep = Person.objects.get(name="李朝锋")
    mentions = set(keep.mentioned_in.values_list("pk", flat=True)) | set(li_chaofeng.mentioned_in.values_list("pk", flat=True))
    assert li_chaofeng.mentioned_in.count() == 3
    appointments, speeches = keep.appointments.count(), keep.speeches.count()

    moved = editing.merge_people(keep, [li_chaofeng], user=editor)

    assert moved == {"appointments": 1, "bylines": 1, "captions": 1, "speeches": 1, "mentions": 3}
    assert not Person.objects.filter(name="李朝峰").exists()
    keep.refresh_from_db()
    assert keep.aliases == ["李朝峰"]
    assert keep.notes == ["男"]
    assert keep.appointments.count() == appointments + 1
    assert keep.speeches.count() == speeches + 1
    assert list(keep.bylines.values_list("entry__title", flat=True)) == ["魏都区:“联院帮户”精准发力 推动“新十条”落细落实"]
    assert keep.photos.count() == 1
    assert set(keep.mentioned_in.values_list("pk", flat=True)) == mentions
    # The person's page shows the union; the API lists the alias.
    page = client.get(keep.get_absolute_url()).content.decode()
    assert "李朝峰" in page and "李朝峰主持召开十五届区委常委会第51次会议" in page
    assert client.get(f"/api/people/{keep.pk}").json()["aliases"] == ["李朝峰"]
    # A re-load finds 李朝峰 by the alias instead of making the person again.
    assert store.PeopleDirectory(keep.region).get("李朝峰") == keep


def test_merge_people_needs_someone_else(db):
    keep = Person.objects.get(name="李朝锋")
    with pytest.raises(ValidationError, match="请至少选择一个要并入的人物"):
        editing.merge_people(keep, [keep])


def search_titles(q):
    return [h["title"] for h in search({"q": q}).hits]


def search_titles_in(q, volume):
    return [h["title"] for h in search({"q": q, "volume": volume}).hits]


def test_search_is_fresh_after_split_merge_and_person_merge(
    index_restored, db, editor, li_chaofeng, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        new = editing.split_entry(entry("新冠肺炎疫情应急科普"), 2, title="发放防疫科普资料包", user=editor)
    indexing.process_queue()
    assert search_titles("发放防疫科普资料包") == ["发放防疫科普资料包"]

    with django_capture_on_commit_callbacks(execute=True):
        editing.merge_entries(entry("新冠肺炎疫情应急科普"), new, title_as_paragraph=False, user=editor)
    indexing.process_queue()
    assert search_titles("发放防疫科普资料包") == []
    assert "新冠肺炎疫情应急科普" in search_titles("疫问医答")

    article = "魏都区:“联院帮户”精准发力 推动“新十条”落细落实"
    assert search_titles_in("李朝锋", "weidu-newspaper-2022-12") == []
    with django_capture_on_commit_callbacks(execute=True):
        editing.merge_people(Person.objects.get(name="李朝锋"), [li_chaofeng], user=editor)
    indexing.process_queue()
    assert search_titles_in("李朝锋", "weidu-newspaper-2022-12") == [article]


def test_a_deleted_entry_comes_back_with_its_captions_and_authors_in_its_place(db, editor, index_restored):
    target = entry("新冠肺炎疫情应急科普")
    before, after = editing.previous_entry(target), editing.next_entry(target)
    pk, count = target.pk, target.volume.entries.count()
    target._history_user = editor
    target.delete()
    record = editing.deleted_entries().get(id=pk)
    assert (record.title, record.history_user) == ("新冠肺炎疫情应急科普", editor)

    restored = editing.restore_entry(record.history_id, user=editor)

    assert restored.pk == pk and restored.volume.entries.count() == count
    assert editing.previous_entry(restored) == before and editing.next_entry(restored) == after
    assert list(restored.captions.values_list("line", flat=True)) == [1005]
    assert list(restored.bylines.values_list("person__name", flat=True)) == ["石晨光"]
    assert not editing.deleted_entries().filter(id=pk).exists()
    assert restored.history.latest().history_change_reason == "从历史中恢复"
    assert_book_order_is_consistent(restored.volume)
    with pytest.raises(ValidationError, match="这一条没有被删除"):
        editing.restore_entry(record.history_id)


def test_an_entry_merged_away_can_be_restored(db, editor, index_restored):
    first, second = entry("新冠肺炎疫情应急科普"), entry("节日主题科普宣传")
    editing.merge_entries(first, second, user=editor)
    record = editing.deleted_entries().get(id=second.pk)
    assert record.history_change_reason == "合并入「新冠肺炎疫情应急科普」"
    restored = editing.restore_entry(record.history_id, user=editor)
    assert editing.next_entry(entry("新冠肺炎疫情应急科普")) == restored
    assert restored.text == second.text
