"""Re-loading a volume never silently discards editors' work.

A small yearbook is loaded from a temporary file, edited as an editor would (a text
fix, a split, a merge, a renamed section, a corrected appointment), then its file is
changed and loaded again: by default the load refuses and lists the edits;
``--discard-edits`` replaces them; ``--keep-edits`` re-applies them over the new load.
"""

import io
import shutil
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command

from gazetteer import editing
from gazetteer.management.commands import load_volume as load_volume_command
from gazetteer.models import Appointment, Entry, Section, Volume
from tests.test_editing import assert_book_order_is_consistent

SOURCE = Path(__file__).parent / "data" / "yearbook" / "qingshi-yearbook-2020.txt"
SLUG = "qingshi-2020"
SPEECH = "在全县经济工作会议上的讲话"


@pytest.fixture
def editor(db):
    user = User.objects.create_user("bianji", password="correct horse 7", is_staff=True)
    user.groups.add(Group.objects.get(name="编辑"))
    return user


@pytest.fixture
def source(tmp_path, monkeypatch, db):
    # The search index is not this test's concern, and the rollback would leave the
    # test volume's documents behind in it.
    monkeypatch.setattr(load_volume_command, "after_load", lambda results, progress=None: None)
    path = tmp_path / "qingshi.txt"
    shutil.copy(SOURCE, path)
    load(path)
    return path


def load(path, *options):
    out = io.StringIO()
    call_command(
        "load_volume", str(path), *options, kind="yearbook", title="青石年鉴（2020）", year=2020, slug=SLUG, region="青石县", stdout=out
    )
    return out.getvalue()


def entry(title):
    return Entry.objects.get(volume__slug=SLUG, title=title)


def change_file(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def edited(source, editor):
    """Make one edit of every kind, then change the file under them."""
    area = entry("区域位置")
    area.text = area.text.replace("1200", "1250")
    area._history_user = editor
    area.save()
    editing.split_entry(entry(SPEECH), 2, title="一、坚定信心，抓好项目建设", user=editor)
    propaganda = Section.objects.get(volume__slug=SLUG, title="宣传工作")
    first, second, _ = propaganda.entries.order_by("position")
    editing.merge_entries(first, second, user=editor)
    propaganda.title = "宣传思想工作"
    propaganda._history_user = editor
    propaganda.save()
    editing.move_entries([entry("基层党建")], propaganda, user=editor)
    health = Section.objects.get(volume__slug=SLUG, title="卫生")
    health.parent = Section.objects.get(volume__slug=SLUG, title="中共青石县委")
    health._history_user = editor
    health.save()
    editing.place_section(health, user=editor)
    zhou = Appointment.objects.get(volume__slug=SLUG, person__name="周强")
    zhou.note = "6月调离"
    zhou._history_user = editor
    zhou.save()
    # The new file corrects an entry the editors edited, and one they did not touch.
    change_file(source, "总面积1200平方公里", "总面积1201平方公里")
    change_file(source, "全面完成了年度目标任务", "圆满完成了年度目标任务")
    return source


def test_an_unedited_volume_reloads_as_before(source):
    change_file(source, "全面完成了年度目标任务", "圆满完成了年度目标任务")
    assert "1 volume(s): 1 updated" in load(source)
    assert "圆满完成了" in entry("综述").text


def test_an_unchanged_file_reloads_nothing_even_with_edits(edited, source):
    shutil.copy(SOURCE, source)  # back to the file as loaded
    assert "1 unchanged" in load(source)
    assert "1250" in entry("区域位置").text


def test_by_default_the_reload_refuses_and_lists_the_edited_records(edited):
    count = Entry.objects.filter(volume__slug=SLUG).count()
    with pytest.raises(CommandError) as error:
        load(edited)
    message = str(error.value)
    lines = message.split("\n")
    assert lines[0] == "qingshi-2020: 9 条记录在上次载入后经编辑修改，重新载入会覆盖它们："
    listed = "\n".join(lines[1:-1])
    assert "条目 #" in listed and "「区域位置 · qingshi.txt 第" in listed and "修改（bianji，" in listed
    assert f"「{SPEECH} · qingshi.txt 第" in listed
    assert "「一、坚定信心，抓好项目建设 · qingshi.txt 第" in listed
    assert "新增（bianji，" in listed  # the second half of the split
    assert "「新闻宣传 · qingshi.txt 第" in listed and "删除（bianji，" in listed
    assert "目录节点 #" in listed and "「宣传思想工作」修改" in listed
    assert "任职 #" in listed and "「副书记 周强」修改（bianji，" in listed
    assert "--keep-edits" in lines[-1] and "--discard-edits" in lines[-1]
    # Nothing changed.
    assert Entry.objects.filter(volume__slug=SLUG).count() == count
    assert "1250" in entry("区域位置").text
    assert "全面完成了" in entry("综述").text


def test_discard_edits_replaces_them_with_the_new_load_and_says_so(edited):
    out = load(edited, "--discard-edits")
    assert "qingshi-2020: editors' changes discarded (replaced by the new load): 9" in out
    assert "「区域位置 · qingshi.txt 第" in out and "：已由新载入的内容替换" in out
    assert "1201" in entry("区域位置").text
    assert "圆满完成了" in entry("综述").text
    assert len(entry(SPEECH).paragraphs) == 3
    assert entry("新闻宣传")
    assert Section.objects.filter(volume__slug=SLUG, title="宣传工作").exists()
    assert entry("基层党建").section.title == "组织工作"
    assert Section.objects.get(volume__slug=SLUG, title="卫生").parent.title == "社会生活"
    assert Appointment.objects.get(volume__slug=SLUG, person__name="周强").note == "6月离"
    # The discarded edits no longer hold up a later load.
    change_file(edited, "圆满完成了", "全面完成了")
    assert "1 updated" in load(edited)


def test_keep_edits_reapplies_them_over_the_new_load_and_says_so(edited, editor):
    out = load(edited, "--keep-edits")
    assert "qingshi-2020: editors' changes kept (re-applied over the new load): 9" in out
    assert "条目「区域位置 · qingshi.txt 第" in out and "：保留编辑版本" in out
    assert "条目「新闻宣传 · qingshi.txt 第" in out and "：按编辑删除" in out
    volume = Volume.objects.get(slug=SLUG)
    # The editors' versions …
    assert "1250" in entry("区域位置").text
    assert len(entry(SPEECH).paragraphs) == 2
    split_off = entry("一、坚定信心，抓好项目建设")
    assert split_off.paragraphs == ["一、坚定信心，抓好项目建设。要加快推进工业园区建设，确保年底前完成投资任务。"]
    assert not Entry.objects.filter(volume=volume, title="新闻宣传").exists()
    section = Section.objects.get(volume=volume, title="宣传思想工作")
    assert [e.title for e in section.entries.order_by("position")] == ["概况", "“乡村振兴讲习所”建设", "基层党建"]
    assert "新闻宣传" in section.entries.get(title="概况").paragraphs
    assert Appointment.objects.get(volume=volume, person__name="周强").note == "6月调离"
    health = Section.objects.get(volume=volume, title="卫生")
    assert (health.parent.title, health.level) == ("中共青石县委", 2)
    # … over the new load, in book order.
    assert "圆满完成了" in entry("综述").text
    assert editing.next_entry(entry(SPEECH)) == split_off
    assert_book_order_is_consistent(volume)
    # Kept edits stay edits: the next changed load refuses again. The merged-away
    # entry is no longer among them: its tombstone keeps every later load from making
    # it again, so no load would undo that edit.
    assert entry("区域位置").history.latest().history_user == editor
    change_file(edited, "圆满完成了", "全面完成了")
    with pytest.raises(CommandError, match="qingshi-2020: 8 条记录") as error:
        load(edited)
    assert "新闻宣传" not in str(error.value)


def test_load_corpus_refuses_before_loading_any_volume(db, editor):
    target = Entry.objects.get(volume__slug="weidu-yearbook-2021", title="新冠肺炎疫情应急科普")
    target.title = "新冠肺炎疫情应急科普工作"
    target._history_user = editor
    target.save()
    loaded_at = dict(Volume.objects.values_list("slug", "loaded_at"))
    with pytest.raises(CommandError) as error:
        call_command("load_corpus", "--force", stdout=io.StringIO())
    assert str(error.value).startswith("weidu-yearbook-2021: 1 条记录在上次载入后经编辑修改")
    assert "「新冠肺炎疫情应急科普工作 · weidu-yearbook-2021.part2.txt 第993—1001行」修改（bianji，" in str(error.value)
    assert dict(Volume.objects.values_list("slug", "loaded_at")) == loaded_at
    assert Entry.objects.filter(title="新冠肺炎疫情应急科普工作").exists()


def test_the_options_exclude_each_other(source):
    with pytest.raises(CommandError, match="not allowed with argument"):
        load(source, "--keep-edits", "--discard-edits")


def test_keep_edits_finds_an_entry_whose_lines_moved_by_its_loaded_title(source, editor):
    area = entry("区域位置")
    area.title = "区域位置与面积"
    area._history_user = editor
    area.save()
    change_file(source, "【区域位置】", "（本县地处秦岭余脉。）\n\n【区域位置】")  # every later line moves down two
    out = load(source, "--keep-edits")
    assert "条目「区域位置与面积 · qingshi.txt 第110—110行」：保留编辑版本" in out
    kept = entry("区域位置与面积")
    assert (kept.line_start, kept.line_end) == (112, 112)  # where the new file has it
    assert not Entry.objects.filter(volume__slug=SLUG, title="区域位置").exists()


def test_keep_edits_keeps_an_entry_the_new_load_no_longer_has_and_says_so(source, editor):
    area = entry("区域位置")
    area.text = area.text.replace("1200", "1250")
    area._history_user = editor
    area.save()
    change_file(source, "【区域位置】", "（本县地处秦岭余脉。）\n\n【地理位置】")
    out = load(source, "--keep-edits")
    assert "条目「区域位置 · qingshi.txt 第110—110行」：新载入中找不到对应条目，编辑版本另存为一条，请核对是否重复" in out
    assert "1250" in entry("区域位置").text
    assert "1200" in entry("地理位置").text
    assert_book_order_is_consistent(Volume.objects.get(slug=SLUG))
