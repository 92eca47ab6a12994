"""The editors' workflow through the admin, as an 编辑 user with Django's test client."""

import datetime
import json
import re
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from gazetteer import store
from gazetteer.models import Appointment, Entry, Organisation, Person, Section, Volume
from gazetteer.search import indexing
from gazetteer.search.service import search
from loaders import parse_sources
from tests.conftest import EDITOR_PASSWORD
from tests.loaders.sources import cut
from tests.test_editing import assert_book_order_is_consistent

YEARBOOK = "weidu-yearbook-2021"
CORPUS = Path(__file__).resolve().parent.parent / "corpus"
PASSWORD = EDITOR_PASSWORD


@pytest.fixture
def ed(editor):
    client = Client()
    client.force_login(editor)
    return client


def entry(title, slug=YEARBOOK):
    return Entry.objects.get(volume__slug=slug, title=title)


def form_data(response):
    """The POST data a browser would send back for an admin form page, unchanged."""
    data = {}

    def add(form):
        for bound in form:
            value = bound.field.prepare_value(bound.value())
            if value is None:
                continue
            if isinstance(value, bool):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(value, list | tuple):
                data[bound.html_name] = [str(getattr(v, "pk", v)) for v in value]
            else:
                data[bound.html_name] = str(getattr(value, "pk", value))

    add(response.context["adminform"].form)
    for inline in response.context.get("inline_admin_formsets", []):
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data


# --- signing in --------------------------------------------------------------------


def test_readers_need_no_login_but_the_admin_does(client, db):
    assert client.get("/").status_code == 200
    response = client.get("/admin/gazetteer/entry/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_an_editor_signs_in_through_the_login_form(client, editor):
    response = client.post("/admin/login/?next=/admin/", {"username": "bianji", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_repeated_wrong_passwords_lock_the_account_even_for_the_right_one(client, editor):
    for _ in range(4):
        response = client.post("/admin/login/", {"username": "bianji", "password": "guess"})
        assert response.status_code == 200
        assert "请输入一个正确的" in response.content.decode()  # Django's own "wrong password" message
    # The fifth wrong password is checked, counted, and answered with the lockout.
    assert client.post("/admin/login/", {"username": "bianji", "password": "guess"}).status_code == 429
    assert AccessAttempt.objects.filter(username="bianji").aggregate(n=Sum("failures_since_start"))["n"] == 5
    response = client.post("/admin/login/", {"username": "bianji", "password": PASSWORD})
    assert response.status_code == 429
    assert "登录失败次数过多，请 15 分钟后再试。" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another account, from another address, is not locked by this one's failures.
    User.objects.create_user("other", password=PASSWORD, is_staff=True)
    assert Client(REMOTE_ADDR="10.0.0.2").post("/admin/login/", {"username": "other", "password": PASSWORD}).status_code == 302
    # Once the window has passed, the right password works again.
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))
    assert client.post("/admin/login/", {"username": "bianji", "password": PASSWORD}).status_code == 302


def test_failures_behind_the_proxy_count_against_the_client_not_the_proxy(editor):
    # nginx on 127.0.0.1 (a trusted proxy by default) names the client in X-Forwarded-For.
    attacker = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    for i in range(5):
        attacker.post("/admin/login/", {"username": f"made-up-{i}", "password": "guess"})
    assert attacker.post("/admin/login/", {"username": "bianji", "password": PASSWORD}).status_code == 429
    colleague = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.10")
    assert colleague.post("/admin/login/", {"username": "bianji", "password": PASSWORD}).status_code == 302


def test_a_client_that_is_not_a_trusted_proxy_cannot_choose_its_address(editor):
    for i in range(5):
        Client(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}").post(
            "/admin/login/", {"username": f"made-up-{i}", "password": "guess"}
        )
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}
    response = Client(REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="192.0.2.99").post(
        "/admin/login/", {"username": "bianji", "password": PASSWORD}
    )
    assert response.status_code == 429


# --- permissions -------------------------------------------------------------------


def test_an_editor_cannot_delete_a_volume_or_manage_users(ed):
    volume = Volume.objects.get(slug=YEARBOOK)
    assert ed.get(f"/admin/gazetteer/volume/{volume.pk}/delete/").status_code == 403
    assert ed.post(f"/admin/gazetteer/volume/{volume.pk}/delete/", {"post": "yes"}).status_code == 403
    response = ed.post("/admin/gazetteer/volume/", {"action": "delete_selected", "_selected_action": [volume.pk], "post": "yes"})
    assert Volume.objects.filter(pk=volume.pk).exists()
    assert response.status_code in (200, 302)
    assert ed.get("/admin/auth/user/").status_code == 403
    assert ed.get("/admin/auth/group/").status_code == 403
    assert ed.get(f"/admin/gazetteer/volume/{volume.pk}/change/").status_code == 200  # may look


# --- finding -----------------------------------------------------------------------


def test_the_entry_list_shows_the_columns_and_filters_editors_need(ed):
    volume = Volume.objects.get(slug=YEARBOOK)
    response = ed.get("/admin/gazetteer/entry/", {"volume__id__exact": volume.pk, "kind__exact": "chronicle"})
    assert response.status_code == 200
    page = response.content.decode()
    for column in ("卷册", "目录路径", "类型", "日期", "页码", "源文件行"):
        assert column in page
    assert response.context["cl"].result_count == 228
    assert "大事记 › " in page or "大事记" in page
    response = ed.get("/admin/gazetteer/entry/", {"q": "疫问医答"})
    assert [e.title for e in response.context["cl"].result_list] == ["新冠肺炎疫情应急科普"]
    response = ed.get("/admin/gazetteer/entry/", {"volume__id__exact": volume.pk, "category": "群众团体"})
    titles = [e.title for e in response.context["cl"].result_list]
    assert "新冠肺炎疫情应急科普" in titles
    assert all(e.section.path()[0].title == "群众团体" for e in response.context["cl"].result_list)
    # Book order: the first page starts with the volume's first entries.
    response = ed.get("/admin/gazetteer/entry/", {"volume__id__exact": volume.pk})
    positions = [e.position for e in response.context["cl"].result_list]
    assert positions == list(range(50))


def test_the_entry_list_is_a_fixed_number_of_queries(ed, django_assert_max_num_queries):
    with django_assert_max_num_queries(20):
        assert ed.get("/admin/gazetteer/entry/").status_code == 200


def test_autocomplete_tells_same_titled_sections_apart(ed):
    target = entry("新冠肺炎疫情应急科普")
    response = ed.get(
        "/admin/autocomplete/",
        {"app_label": "gazetteer", "model_name": "entry", "field_name": "section", "term": "魏都区科学技术协会"},
    )
    results = response.json()["results"]
    assert {"id": str(target.section_id), "text": "群众团体 › 魏都区科学技术协会（魏都年鉴（2021））"} in results


# --- editing an entry beside its source --------------------------------------------


def test_the_change_form_shows_the_source_lines_beside_the_text(ed):
    target = entry("新冠肺炎疫情应急科普")
    page = ed.get(f"/admin/gazetteer/entry/{target.pk}/change/").content.decode()
    assert 'class="source-lines"' in page
    assert "<tr><th>999</th><td>与区机关事务管理局（中心）对接" in page
    assert "<tr><th>993</th><td>【新冠肺炎疫情应急科普】" in page
    assert "拆分" in page and "与下一条合并" in page


def test_the_change_form_of_an_entry_running_into_the_next_file_shows_both_files(ed):
    sources = cut(CORPUS / "weidu-14th-five-year-plan.txt", 757)
    meta = store.VolumeMeta(slug="test-cut-plan", title="切分的规划", kind="plan", region="测试区", year=2021)
    files = [store.StoredFile(s.name, str(i) * 64, "utf-8", s.text) for i, s in enumerate(sources)]
    store.store_document(parse_sources(sources, "plan"), meta, files)
    green = entry("第三节 持续推进绿色低碳循环发展", slug="test-cut-plan")
    page = ed.get(f"/admin/gazetteer/entry/{green.pk}/change/").content.decode()
    excerpt = page[page.index('class="source-lines"') :]
    assert excerpt.index("<p>weidu-14th-five-year-plan-a.txt</p>") < excerpt.index("<tr><th>756</th><td>第三节  持续推进绿色低碳循环发展")
    assert excerpt.index("<p>weidu-14th-five-year-plan-b.txt</p>") < excerpt.index("<tr><th>3</th><td>健全绿色发展政策体系。")
    assert "<tr><th>4</th>" not in excerpt[: excerpt.index("</div>")]
    listing = ed.get("/admin/gazetteer/entry/", {"volume__id__exact": green.volume_id}).content.decode()
    assert "weidu-14th-five-year-plan-a.txt:756—weidu-14th-five-year-plan-b.txt:3" in listing


def test_editing_an_entry_is_recorded_with_a_diff_and_can_be_reverted(ed, editor, index_restored):
    target = entry("新冠肺炎疫情应急科普")
    original = target.text
    url = f"/admin/gazetteer/entry/{target.pk}/change/"
    data = form_data(ed.get(url))
    data["text"] = original.replace("疫问医答", "疫问医答（已校）")
    data["date"] = "2020-02-10"
    response = ed.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    target.refresh_from_db()
    assert "疫问医答（已校）" in target.text
    assert target.date == datetime.date(2020, 2, 10)
    assert target.bylines.count() == 1 and target.captions.count() == 1  # the inlines were left alone

    history = ed.get(f"{url.replace('change/', 'history/')}").content.decode()
    assert "bianji" in history and "（载入程序）" in history and "载入时的版本" in history
    assert "<ins>（已校）</ins>" in history
    assert "2020年2月10日" in history or "2020-02-10" in history

    loaded = target.history.earliest()
    revert_url = f"/admin/gazetteer/entry/{target.pk}/history/{loaded.history_id}/"
    response = ed.get(revert_url)
    assert response.status_code == 200
    assert ed.post(revert_url, form_data(response)).status_code == 302
    target.refresh_from_db()
    assert target.text == original
    assert target.date is None
    assert target.history.count() == 3
    assert target.history.latest().history_user == editor


def test_captions_and_authors_are_edited_inline_on_the_entry(ed):
    target = entry("新冠肺炎疫情应急科普")
    url = f"/admin/gazetteer/entry/{target.pk}/change/"
    data = form_data(ed.get(url))
    data["captions-0-text"] = "3月24日，科普志愿者在西湖社区发放防疫资料"
    someone = Person.objects.get(name="李朝锋")
    data["bylines-TOTAL_FORMS"] = "2"
    data.update({"bylines-1-person": str(someone.pk), "bylines-1-position": "1", "bylines-1-entry": str(target.pk)})
    assert ed.post(url, data).status_code == 302
    assert list(target.captions.values_list("text", flat=True)) == ["3月24日，科普志愿者在西湖社区发放防疫资料"]
    assert list(target.bylines.values_list("person__name", flat=True)) == ["石晨光", "李朝锋"]
    caption = target.captions.get()
    assert caption.history.latest().history_user.username == "bianji"


def test_moving_an_entry_to_a_section_of_another_volume_is_refused(ed):
    target = entry("新冠肺炎疫情应急科普")
    url = f"/admin/gazetteer/entry/{target.pk}/change/"
    data = form_data(ed.get(url))
    data["section"] = str(Section.objects.filter(volume__slug="weidu-14th-five-year-plan").first().pk)
    response = ed.post(url, data)
    assert response.status_code == 200
    assert "只能选择《魏都年鉴（2021）》中的目录节点" in response.content.decode()


# --- split, merge, move ------------------------------------------------------------


def test_split_through_the_admin(ed, index_restored):
    target = entry("新冠肺炎疫情应急科普")
    count = target.volume.entries.count()
    page = ed.get(f"/admin/gazetteer/entry/{target.pk}/split/").content.decode()
    assert 'name="at" value="2"' in page and 'name="at" value="0"' not in page
    response = ed.post(f"/admin/gazetteer/entry/{target.pk}/split/", {"at": "2", "title": "发放科普资料"})
    new = entry("发放科普资料")
    assert response.status_code == 302 and response["Location"] == f"/admin/gazetteer/entry/{new.pk}/change/"
    assert target.volume.entries.count() == count + 1
    assert editing_next(target) == new
    response = ed.post(f"/admin/gazetteer/entry/{target.pk}/split/", {"at": "7"})
    assert "只能在第 2 至第 2 段之前拆分" in response.content.decode()


def editing_next(e):
    from gazetteer.editing import next_entry

    return next_entry(Entry.objects.get(pk=e.pk))


def test_merge_through_the_admin(ed, index_restored):
    first, second = entry("新冠肺炎疫情应急科普"), entry("节日主题科普宣传")
    count = first.volume.entries.count()
    page = ed.get(f"/admin/gazetteer/entry/{second.pk}/merge/?with=previous").content.decode()
    assert "新冠肺炎疫情应急科普" in page and "并入后删除" in page
    response = ed.post(f"/admin/gazetteer/entry/{second.pk}/merge/", {"with": "previous"})
    assert response.status_code == 302
    assert first.volume.entries.count() == count - 1
    first.refresh_from_db()
    assert "节日主题科普宣传" not in first.paragraphs  # the box was left unticked
    assert first.captions.count() == 2
    assert_book_order_is_consistent(first.volume)


def test_merging_the_selected_neighbours_from_the_list(ed, index_restored):
    a, b, c = entry("新冠肺炎疫情应急科普"), entry("节日主题科普宣传"), entry("科普志愿服务活动丰富多彩")
    response = ed.post("/admin/gazetteer/entry/", {"action": "merge_selected", "_selected_action": [a.pk, b.pk, c.pk]})
    assert response.status_code == 302
    assert not Entry.objects.filter(pk__in=[b.pk, c.pk]).exists()
    a.refresh_from_db()
    assert a.captions.count() == 3


def test_moving_entries_to_another_section_from_the_list(ed, index_restored):
    a, b = entry("新冠肺炎疫情应急科普"), entry("节日主题科普宣传")
    target = Section.objects.get(volume=a.volume, title="组织工作")
    response = ed.post("/admin/gazetteer/entry/", {"action": "move_to_section", "_selected_action": [a.pk, b.pk]})
    assert response.status_code == 200
    assert "组织工作" in response.content.decode()
    response = ed.post(
        "/admin/gazetteer/entry/",
        {"action": "move_to_section", "_selected_action": [a.pk, b.pk], "section": target.pk, "where": "end"},
    )
    assert response.status_code == 302
    titles = list(target.entries.order_by("position").values_list("title", flat=True))
    assert titles[-2:] == ["新冠肺炎疫情应急科普", "节日主题科普宣传"]
    assert_book_order_is_consistent(a.volume)


def test_reordering_entries_from_the_list(ed):
    a, b = entry("新冠肺炎疫情应急科普"), entry("节日主题科普宣传")
    assert ed.post("/admin/gazetteer/entry/", {"action": "move_up", "_selected_action": [b.pk]}).status_code == 302
    a.refresh_from_db()
    b.refresh_from_db()
    assert b.position < a.position


# --- sections ----------------------------------------------------------------------


def test_sections_are_renamed_reordered_and_marked_digitised(ed, index_restored):
    volume = Volume.objects.get(slug=YEARBOOK)
    section = Section.objects.get(volume=volume, title="魏都区科学技术协会")
    url = f"/admin/gazetteer/section/{section.pk}/change/"
    response = ed.get(url)
    assert "新冠肺炎疫情应急科普" in response.content.decode()  # its entries, listed
    data = form_data(response)
    data["title"] = "区科学技术协会"
    assert ed.post(url, data).status_code == 302
    section.refresh_from_db()
    assert section.title == "区科学技术协会"
    assert section.source_path == "群众团体 › 魏都区科学技术协会"  # how a re-load will know it

    undigitised = Section.objects.filter(volume=volume, digitized=False).first()
    ed.post("/admin/gazetteer/section/", {"action": "mark_digitized", "_selected_action": [undigitised.pk]})
    undigitised.refresh_from_db()
    assert undigitised.digitized

    tops = list(Section.objects.filter(volume=volume, level=1).order_by("position"))
    ed.post("/admin/gazetteer/section/", {"action": "move_up", "_selected_action": [tops[2].pk]})
    assert list(Section.objects.filter(volume=volume, level=1).order_by("position"))[1] == tops[2]
    assert_book_order_is_consistent(volume)


# --- people ------------------------------------------------------------------------


def test_merging_people_through_the_admin(ed, index_restored):
    keep = Person.objects.get(name="李朝锋")
    other = Person.objects.create(name="李朝峰", region=keep.region)
    Appointment.objects.create(
        person=other, organisation=Organisation.objects.first(), volume=Volume.objects.get(slug=YEARBOOK), position=9999, title="区长"
    )
    appointments = keep.appointments.count()
    response = ed.post("/admin/gazetteer/person/", {"action": "merge_people", "_selected_action": [keep.pk, other.pk]})
    assert response.status_code == 200
    assert "选择保留哪一个人物" in response.content.decode()
    response = ed.post(
        "/admin/gazetteer/person/", {"action": "merge_people", "_selected_action": [keep.pk, other.pk], "keep": keep.pk}
    )
    assert response.status_code == 302
    keep.refresh_from_db()
    assert keep.aliases == ["李朝峰"]
    assert keep.appointments.count() == appointments + 1
    assert not Person.objects.filter(pk=other.pk).exists()
    assert Person.history.filter(id=other.pk).latest().history_type == "-"


def test_appointments_are_edited_inline_on_the_person(ed):
    person = Person.objects.get(name="李朝锋")
    url = f"/admin/gazetteer/person/{person.pk}/change/"
    data = form_data(ed.get(url))
    n = int(data["appointments-TOTAL_FORMS"])
    org = Organisation.objects.get(name="中共魏都区委", region=person.region)
    volume = Volume.objects.get(slug="weidu-newspaper-2022-12")
    data["appointments-TOTAL_FORMS"] = str(n + 1)
    data.update({f"appointments-{n}-volume": str(volume.pk), f"appointments-{n}-organisation": str(org.pk), f"appointments-{n}-title": "书记", f"appointments-{n}-person": str(person.pk)})
    data["aliases"] = json.dumps(["李朝峰"], ensure_ascii=False)
    response = ed.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    person.refresh_from_db()
    assert person.aliases == ["李朝峰"]
    added = person.appointments.get(volume=volume)
    assert (added.title, added.organisation, added.history.latest().history_user.username) == ("书记", org, "bianji")


# --- search follows admin edits -----------------------------------------------------


def test_admin_saves_and_deletes_reach_search(ed, index_restored, django_capture_on_commit_callbacks):
    target = entry("新冠肺炎疫情应急科普")
    url = f"/admin/gazetteer/entry/{target.pk}/change/"
    data = form_data(ed.get(url))
    data["title"] = "疫情防控科普宣传校订标题"
    with django_capture_on_commit_callbacks(execute=True):
        assert ed.post(url, data).status_code == 302
    indexing.process_queue()
    assert [h["title"] for h in search({"q": "校订标题"}).hits] == ["疫情防控科普宣传校订标题"]
    with django_capture_on_commit_callbacks(execute=True):
        assert ed.post(f"/admin/gazetteer/entry/{target.pk}/delete/", {"post": "yes"}).status_code == 302
    indexing.process_queue()
    assert search({"q": "校订标题"}).hits == []


@pytest.mark.parametrize("model", ["volume", "sourcefile", "section", "entry", "person", "organisation", "appointment", "caption", "byline"])
def test_every_list_and_change_page_opens_for_an_editor(ed, model):
    from django.apps import apps

    assert ed.get(f"/admin/gazetteer/{model}/").status_code == 200
    obj = apps.get_model("gazetteer", model).objects.order_by("pk").first()
    assert ed.get(f"/admin/gazetteer/{model}/{obj.pk}/change/").status_code == 200
    assert ed.get(f"/admin/gazetteer/{model}/{obj.pk}/history/").status_code == 200
    can_add = model not in ("volume", "sourcefile")
    assert ed.get(f"/admin/gazetteer/{model}/add/").status_code == (200 if can_add else 403)


def test_a_superuser_may_delete_a_volume(client, db):
    admin_user = User.objects.create_superuser("root", password=PASSWORD)
    client.force_login(admin_user)
    volume = Volume.objects.get(slug="weidu-newspaper-2022-12")
    assert client.get(f"/admin/gazetteer/volume/{volume.pk}/delete/").status_code == 200
    assert client.get("/admin/auth/user/").status_code == 200


def test_text_from_a_browser_is_kept_one_paragraph_a_line(ed):
    target = entry("新冠肺炎疫情应急科普")
    url = f"/admin/gazetteer/entry/{target.pk}/change/"
    data = form_data(ed.get(url))
    paragraphs = target.paragraphs
    data["text"] = "\r\n".join(paragraphs[:2]) + "\r\n\r\n  " + "\r\n".join(paragraphs[2:]) + "\r\n"
    assert ed.post(url, data).status_code == 302
    target.refresh_from_db()
    assert target.text == "\n".join(paragraphs)
    assert target.history.count() == 0  # nothing changed, so nothing was saved or recorded


def test_deleted_entries_are_listed_and_restored_through_the_admin(ed, index_restored):
    target = entry("新冠肺炎疫情应急科普")
    assert ed.post(f"/admin/gazetteer/entry/{target.pk}/delete/", {"post": "yes"}).status_code == 302
    assert "已删除的条目" in ed.get("/admin/gazetteer/entry/").content.decode()
    page = ed.get("/admin/gazetteer/entry/deleted/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "新冠肺炎疫情应急科普" in html and "bianji" in html
    record = Entry.history.get(id=target.pk, history_type="-")
    response = ed.post("/admin/gazetteer/entry/deleted/", {"history_id": record.history_id})
    assert response.status_code == 302 and response["Location"] == f"/admin/gazetteer/entry/{target.pk}/change/"
    assert Entry.objects.get(pk=target.pk).captions.count() == 1
    assert "没有已删除的条目" in ed.get("/admin/gazetteer/entry/deleted/").content.decode()


def test_an_editor_sets_a_dates_precision_and_the_printed_date(ed, index_restored):
    item = Entry.objects.chronicle().filter(volume__slug=YEARBOOK).order_by("position").first()
    url = f"/admin/gazetteer/entry/{item.pk}/change/"
    data = form_data(ed.get(url))
    data.update(date="2020-03-01", date_end="2020-03-31", date_precision="month", date_printed="庚子年二月", lunar="on")
    response = ed.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    item.refresh_from_db()
    assert (item.date_precision, item.date_printed, item.lunar) == ("month", "庚子年二月", True)
    kicker = re.search(r'<p class="kicker">(.*?)</p>', Client().get(item.get_absolute_url()).content.decode(), re.S).group(1)
    assert re.sub(r"<[^>]+>", "", kicker) == f"大事记 · 2020年3月（原书：庚子年二月）农历 · 原书第 {item.page} 页"
