"""The admin's import page: an editor uploads files, sees a preview, confirms; and the load report.

Through Django's test client, signed in as a member of the 编辑 group. The texts are
small fixtures in tests/data/import/ written for these tests.
"""

import hashlib
import re
from html import unescape
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from gazetteer import importing
from gazetteer.models import Entry, Volume
from tests.conftest import EDITOR_PASSWORD
from tests.test_commands import snapshot

DATA = Path(__file__).parent / "data" / "import"
LANXI = DATA / "lanxi-yearbook-2020.txt"
IMPORT = "/admin/gazetteer/volume/import/"
UPLOAD = "/admin/gazetteer/volume/import/upload/"
DETAILS = {"title": "兰溪年鉴（2020）", "region": "兰溪县", "year_covered": "2019", "year": "2020", "kind": "auto", "slug": ""}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path, monkeypatch):
    """A data dir of the test's own for the uploads; the search index left alone."""
    settings.DATA_DIR = tmp_path
    loads = []
    monkeypatch.setattr("gazetteer.corpus.after_load", lambda results, progress=None: loads.extend(results))
    return loads


@pytest.fixture
def signed_in(client, editor):
    client.force_login(editor)
    return client


def upload(name, data):
    return SimpleUploadedFile(name, data, content_type="text/plain")


def text_of(response):
    html = re.sub(r"<script.*?</script>|<style.*?</style>", "", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def hidden(response, name):
    return [unescape(v) for v in re.findall(rf'<input type="hidden" name="{name}" value="([^"]*)"', response.content.decode())]


def preview(client, files, **details):
    return client.post(IMPORT, {**DETAILS, **details, "files": files})


def confirm(client, previewed, **details):
    """Post the preview page's confirmation form as the editor's browser would."""
    form = {**DETAILS, "slug": re.search(r'name="slug" value="([^"]*)"', previewed.content.decode()).group(1)}
    return client.post(
        IMPORT,
        {**form, **details, "confirm": "确认载入", "kept": hidden(previewed, "kept"), "fingerprint": hidden(previewed, "fingerprint")},
    )


def test_an_editor_uploads_previews_and_confirms_a_volume(signed_in, data_dir):
    assert "导入文本" in text_of(signed_in.get(IMPORT))
    before = snapshot()

    previewed = preview(signed_in, [upload("lanxi-yearbook-2020.txt", LANXI.read_bytes())])
    assert previewed.status_code == 200
    page = text_of(previewed)
    assert (
        "尚未写入任何内容。以下是按当前设置载入后的结果： 年鉴 （自动识别：yearbook: 《…年鉴》 ×1, 编辑说明 ×1, 目录 ×1, 【条目】 ×2），"
        "4 个目录节点，18 个条目， 12 条警告 。标识： lanxi-nianjian-2020 。"
    ) in page
    assert "各类条目 类型 数量 大事记 16 条目 2 每类的前几条" in page
    # The first entries of each kind with their dates at their precision; the undated say so.
    rows = re.findall(r'<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td><td class="where">([^<]*)</td>', previewed.content.decode())
    assert rows[:3] == [
        ("全县春季植树活动启动", "2019年3月5日", "日", "lanxi-yearbook-2020.txt:26"),
        ("县政府召开常务会议", "2019年3月5日", "日", "lanxi-yearbook-2020.txt:28"),
        ("县人大常委会视察重点项目", "2019年3月16—19日", "日", "lanxi-yearbook-2020.txt:30"),
    ]
    # 4月31日 does not exist: the item is kept at its month, and a warning says so.
    assert rows[4] == ("兰溪县第1次防汛调度会议召开", "2019年4月", "月", "lanxi-yearbook-2020.txt:37")
    assert rows[5:] == [("区域位置", "—", "—", "lanxi-yearbook-2020.txt:66"), ("自然资源", "—", "—", "lanxi-yearbook-2020.txt:68")]
    # The section tree with printed pages and entry counts.
    assert "目录结构 大事记 第3页 3月 第3页 4 条 4月 第4页 12 条 县情概况 第5页 2 条 警告（12）" in page
    warnings = re.findall(r'<tr><td class="where">([^<]*)</td><td>([^<]*)</td></tr>', previewed.content.decode())
    assert warnings == [
        (f"lanxi-yearbook-2020.txt:{37 + 2 * i}", f"impossible date in 31日 兰溪县第{i + 1}次防汛调度会议召开。") for i in range(12)
    ]
    assert snapshot() == before  # a preview writes nothing

    done = confirm(signed_in, previewed)
    volume = Volume.objects.get(slug="lanxi-nianjian-2020")
    assert done.status_code == 302 and done["Location"] == reverse("admin:gazetteer_volume_load_report", args=[volume.pk])
    assert (volume.title, volume.kind, volume.region, volume.year, volume.year_covered) == ("兰溪年鉴（2020）", "yearbook", "兰溪县", 2020, 2019)
    assert volume.entries.count() == 18 and len(volume.load_report["warnings"]) == 12
    assert [r.volume for r in data_dir] == [volume]  # the command's follow-up ran: mentions, index
    assert [(f.name, f.sha256) for f in volume.files.all()] == [("lanxi-yearbook-2020.txt", hashlib.sha256(LANXI.read_bytes()).hexdigest())]
    report = signed_in.get(done["Location"])
    assert "已载入《兰溪年鉴（2020）》：18 个条目，12 条警告。" in text_of(report)


def test_the_uploaded_files_are_kept_in_the_data_dir_by_their_hash(signed_in, settings):
    text = LANXI.read_text(encoding="utf-8")
    cut = text.index("县\n情\n概\n况")
    part1, part2 = text[:cut].encode(), text[cut:].encode()
    previewed = preview(signed_in, [upload("part1.txt", part1), upload("part2.txt", part2)])
    assert "18 个条目" in text_of(previewed)
    kept = {p.relative_to(settings.DATA_DIR / "uploads").as_posix(): p.read_bytes() for p in (settings.DATA_DIR / "uploads").rglob("*.txt")}
    assert kept == {
        f"{hashlib.sha256(part1).hexdigest()}/part1.txt": part1,
        f"{hashlib.sha256(part2).hexdigest()}/part2.txt": part2,
    }
    # In reading order, as uploaded.
    assert hidden(previewed, "kept") == [f"{hashlib.sha256(part1).hexdigest()}/part1.txt", f"{hashlib.sha256(part2).hexdigest()}/part2.txt"]


def test_the_upload_with_a_progress_bar_keeps_the_files_first(signed_in):
    data = LANXI.read_bytes()
    answer = signed_in.post(UPLOAD, {"files": [upload("lanxi.txt", data)]}).json()
    token = f"{hashlib.sha256(data).hexdigest()}/lanxi.txt"
    assert answer == {"files": [{"token": token, "name": "lanxi.txt", "size": len(data)}]}
    previewed = signed_in.post(IMPORT, {**DETAILS, "kept": [token]})
    assert "18 个条目" in text_of(previewed)


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("binary.txt", bytes(range(256)) * 40, "binary.txt: not UTF-8, UTF-16 or GB18030 text (first undecodable byte at offset 128)"),
        ("latin1.txt", "Jahrbuch für Xuchang\n".encode("latin-1"), "latin1.txt: not UTF-8, UTF-16 or GB18030 text (first undecodable byte at offset 10)"),
        ("empty.txt", b"", "empty.txt: file is empty"),
    ],
)
def test_refused_input_shows_the_commands_message_and_writes_nothing(signed_in, name, data, message):
    before = snapshot()
    response = preview(signed_in, [upload(name, data)])
    assert response.status_code == 400
    assert re.search(r'<p class="errornote" role="alert" id="import-error">(.*?)</p>', response.content.decode()).group(1) == message
    assert snapshot() == before


def test_any_encoding_the_loaders_accept_is_taken(signed_in):
    text = LANXI.read_text(encoding="utf-8")
    for encoding in ("gb18030", "utf-16"):
        response = preview(signed_in, [upload(f"lanxi-{encoding}.txt", text.encode(encoding))])
        assert "18 个条目， 12 条警告" in text_of(response), encoding


def test_the_kind_can_be_changed_after_the_preview(signed_in):
    previewed = preview(signed_in, [upload("lanxi.txt", LANXI.read_bytes())], kind="text")
    assert "以下是按当前设置载入后的结果： 文献 ，" in text_of(previewed)
    assert '<option value="text" selected>' in previewed.content.decode()
    done = confirm(signed_in, previewed, kind="text")
    assert done.status_code == 302
    assert Volume.objects.get(slug="lanxi-nianjian-2020").kind == "text"


def test_confirming_rechecks_the_files_hashes(signed_in, settings):
    previewed = preview(signed_in, [upload("lanxi.txt", LANXI.read_bytes())])
    (token,) = hidden(previewed, "kept")
    (settings.DATA_DIR / "uploads" / token).write_bytes(LANXI.read_bytes().replace("森林".encode(), "草原".encode()))
    before = snapshot()
    response = confirm(signed_in, previewed)
    assert response.status_code == 400
    assert "lanxi.txt: 文件在上传后被改动过（校验值不符），请重新上传" in text_of(response)
    assert snapshot() == before


def test_details_changed_after_the_preview_need_a_new_preview(signed_in):
    previewed = preview(signed_in, [upload("lanxi.txt", LANXI.read_bytes())])
    before = snapshot()
    response = confirm(signed_in, previewed, region="兰溪市")
    assert response.status_code == 200
    assert "载入内容与预览时不同，请重新预览后再确认" in text_of(response)
    assert snapshot() == before
    # The new preview carries the new details: confirming it loads them.
    assert confirm(signed_in, response, region="兰溪市").status_code == 302
    assert Volume.objects.get(slug="lanxi-nianjian-2020").region == "兰溪市"


def test_reimporting_an_edited_volume_lists_the_edits_and_keeps_them(signed_in, editor):
    confirm(signed_in, preview(signed_in, [upload("lanxi.txt", LANXI.read_bytes())]))
    area = Entry.objects.get(volume__slug="lanxi-nianjian-2020", title="区域位置")
    area.text = area.text.replace("980", "985")
    area._history_user = editor
    area.save()

    changed = LANXI.read_bytes().replace(b"61%", b"62%")
    previewed = preview(signed_in, [upload("lanxi.txt", changed)])
    guard = re.search(r'<div class="guard" id="reload-guard">(.*?)</div>', previewed.content.decode(), re.S).group(1)
    assert "确认后将被替换" in guard and "编辑人员修改过其中 1 条记录" in guard
    assert f"条目 #{area.pk}「区域位置 · lanxi.txt 第66—66行」修改（bianji，" in unescape(guard)
    assert 'name="edits" value="keep" required' in previewed.content.decode()

    # Confirming without a choice is refused by the store, as the command is without a flag.
    refused = confirm(signed_in, previewed)
    assert "请在下方选择保留还是放弃这些修改" in text_of(refused)
    assert "62%" not in Entry.objects.get(volume__slug="lanxi-nianjian-2020", title="自然资源").text

    assert confirm(signed_in, previewed, edits="keep").status_code == 302
    entries = Entry.objects.filter(volume__slug="lanxi-nianjian-2020")
    assert "985" in entries.get(title="区域位置").text  # the editor's fix, re-applied
    assert "62%" in entries.get(title="自然资源").text  # the new file's text


def test_reimporting_can_discard_the_edits(signed_in, editor):
    confirm(signed_in, preview(signed_in, [upload("lanxi.txt", LANXI.read_bytes())]))
    area = Entry.objects.get(volume__slug="lanxi-nianjian-2020", title="区域位置")
    area.text = area.text.replace("980", "985")
    area._history_user = editor
    area.save()
    previewed = preview(signed_in, [upload("lanxi.txt", LANXI.read_bytes().replace(b"61%", b"62%"))])
    done = confirm(signed_in, previewed, edits="discard")
    assert "编辑修改 1 处已放弃" in text_of(signed_in.get(done["Location"]))
    assert "980" in Entry.objects.get(volume__slug="lanxi-nianjian-2020", title="区域位置").text


def test_importing_needs_the_permission(client, editor):
    clerk = User.objects.create_user("clerk", password=EDITOR_PASSWORD, is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_volume"))
    client.force_login(clerk)
    assert "导入文本" not in client.get("/admin/gazetteer/volume/").content.decode()
    assert client.get(IMPORT).status_code == 403
    before = snapshot()
    assert preview(client, [upload("lanxi.txt", LANXI.read_bytes())]).status_code == 403
    assert client.post(UPLOAD, {"files": [upload("lanxi.txt", LANXI.read_bytes())]}).status_code == 403
    assert snapshot() == before
    assert not (importing.uploads_dir()).exists()

    assert editor.has_perm("gazetteer.import_volume")  # the 编辑 group has it
    client.force_login(editor)
    assert f'<a href="{IMPORT}" class="addlink">导入文本</a>' in client.get("/admin/gazetteer/volume/").content.decode()


def test_the_load_report_lists_counts_detection_and_every_warning_with_a_link_to_the_source(signed_in):
    confirm(signed_in, preview(signed_in, [upload("lanxi.txt", LANXI.read_bytes())]))
    volume = Volume.objects.get(slug="lanxi-nianjian-2020")
    report_url = reverse("admin:gazetteer_volume_load_report", args=[volume.pk])
    assert f'<a href="{report_url}">载入报告</a>' in signed_in.get(reverse("admin:gazetteer_volume_change", args=[volume.pk])).content.decode()
    assert f'<a href="{report_url}">12 条警告</a>' in signed_in.get("/admin/gazetteer/volume/").content.decode()

    report = signed_in.get(report_url)
    page = text_of(report)
    assert "类型：年鉴（自动识别：yearbook: 《…年鉴》 ×1, 编辑说明 ×1, 目录 ×1, 【条目】 ×2）" in page
    assert "大事记条目 16 条目条目 2 条目合计 18 目录节点 4" in page
    assert "目录中有、正文中未找到的节点（0） 无。" in page
    links = re.findall(r'<td class="where"><a href="([^"]+)">([^<]+)</a></td><td>([^<]+)</td>', report.content.decode())
    assert len(links) == 12
    url, where, message = links[11]
    assert (where, message) == ("lanxi.txt:59", "impossible date in 31日 兰溪县第12次防汛调度会议召开。")
    assert unescape(url) == reverse("admin:gazetteer_volume_source", args=[volume.pk, 0]) + "?line=59#L59"
    source = signed_in.get(unescape(url)).content.decode()
    assert '<tr id="L59" class="here"><th>59</th><td>31日 兰溪县第12次防汛调度会议召开。</td></tr>' in source
    assert re.findall(r'<tr id="L(\d+)"', source) == [str(n) for n in range(51, 68)]


def test_after_a_refusal_the_kept_files_can_be_previewed_as_another_kind(signed_in):
    notes = "兰溪旧闻\n\n一、城垣\n\n兰溪城始建于宋代。\n\n二、河渠\n\n白沙河穿城而过。\n".encode()
    refused = preview(signed_in, [upload("notes.txt", notes)], kind="plan", title="兰溪旧闻", year_covered="", year="")
    assert refused.status_code == 400
    assert "notes.txt: no chapter found: expected headings like 前言, 第一章 … and 第一节 …" in text_of(refused)
    (token,) = hidden(refused, "kept")  # the upload is kept: no need to send it again
    assert token == f"{hashlib.sha256(notes).hexdigest()}/notes.txt"

    previewed = signed_in.post(IMPORT, {**DETAILS, "title": "兰溪旧闻", "year_covered": "", "year": "", "kind": "text", "kept": [token]})
    assert "以下是按当前设置载入后的结果： 文献 ，3 个目录节点，2 个条目" in text_of(previewed)
    assert "标识： lanxijiuwen 。" in text_of(previewed)  # no kind word (年鉴, 县志 …) to split off
