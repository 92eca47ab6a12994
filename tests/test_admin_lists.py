"""Kickers, notes and alternative titles are edited in the admin and survive a reload."""

from gazetteer.models import Section
from tests.test_admin import form_data
from tests.test_reload_guard import SLUG, change_file, editor, entry, load, source  # noqa: F401 — fixtures


def test_kicker_notes_and_alt_titles_are_edited_in_the_admin_and_kept_by_a_reload(client, source, editor):  # noqa: F811
    client.force_login(editor)
    area = entry("区域位置")
    url = f"/admin/gazetteer/entry/{area.pk}/change/"
    data = form_data(client.get(url))
    data.update(kicker="青石概况", notes="据县统计局资料\n\n  数据截至年底 \n", alt_titles="区位")
    assert client.post(url, data).status_code == 302
    area.refresh_from_db()
    assert (area.kicker, area.notes, area.alt_titles) == ("青石概况", ["据县统计局资料", "数据截至年底"], ["区位"])
    assert ">\n据县统计局资料\n数据截至年底</textarea>" in client.get(url).content.decode()  # one per line again

    section = Section.objects.get(volume__slug=SLUG, title="宣传工作")
    url = f"/admin/gazetteer/section/{section.pk}/change/"
    data = form_data(client.get(url))
    data.update(alt_titles="宣传思想工作\n宣传")
    assert client.post(url, data).status_code == 302
    section.refresh_from_db()
    assert section.alt_titles == ["宣传思想工作", "宣传"]

    change_file(source, "全面完成了年度目标任务", "圆满完成了年度目标任务")
    out = load(source, "--keep-edits")
    assert "保留编辑版本" in out
    kept = entry("区域位置")
    assert (kept.kicker, kept.notes, kept.alt_titles) == ("青石概况", ["据县统计局资料", "数据截至年底"], ["区位"])
    assert Section.objects.get(volume__slug=SLUG, title="宣传工作").alt_titles == ["宣传思想工作", "宣传"]
