"""People and organisations keep who they are: editors' renames, merges, splits and
aliases survive re-loads, namesakes are told apart by the evidence, and the review
queue proposes what the evidence leaves open."""

import io
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from gazetteer import editing, identity, store
from gazetteer.management.commands import load_volume as load_volume_command
from gazetteer.models import Appointment, Entry, Organisation, Person, ReviewDecision, Tombstone, Volume
from loaders.document import Appointment as Parsed
from tests.test_admin import form_data

SOURCE = Path(__file__).parent / "data" / "yearbook" / "qingshi-yearbook-2020.txt"
SLUG = "qingshi-2020"
REGION = "青石县"
WEIDU = "许昌市魏都区"


@pytest.fixture
def ed(editor):
    client = Client()
    client.force_login(editor)
    return client


@pytest.fixture
def source(tmp_path, monkeypatch, db):
    # Mentions are linked as after a real load; the search index is not this test's concern.
    monkeypatch.setattr(
        load_volume_command, "after_load", lambda results, progress=None: store.link_mentions([r.volume for r in results])
    )
    path = tmp_path / "qingshi.txt"
    shutil.copy(SOURCE, path)
    load(path)
    return path


def load(path, *options):
    out = io.StringIO()
    call_command(
        "load_volume", str(path), *options, kind="yearbook", title="青石年鉴（2020）", year=2020, slug=SLUG, region=REGION, stdout=out
    )
    return out.getvalue()


def change_file(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def person(name, region=REGION):
    return Person.objects.get(name=name, region=region)


def rename_in_admin(ed, model, obj, name):
    url = f"/admin/gazetteer/{model}/{obj.pk}/change/"
    data = form_data(ed.get(url))
    data["name"] = name
    response = ed.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]


def revert_in_admin(ed, model, obj):
    """Bring back the version the loader made, through the admin's history page."""
    loaded = type(obj).history.filter(id=obj.pk).order_by("history_date", "history_id").first()
    url = f"/admin/gazetteer/{model}/{obj.pk}/history/{loaded.history_id}/"
    assert ed.post(url, form_data(ed.get(url))).status_code == 302


# --- renames and other edits survive --keep-edits ---------------------------------------


def test_a_renamed_person_keeps_appointments_and_mentions_across_a_reload(ed, editor, source):
    zhao = person("赵志刚")
    mentions = set(zhao.mentioned_in.values_list("pk", flat=True))
    assert len(mentions) == 2 and zhao.speeches.count() == 1
    rename_in_admin(ed, "person", zhao, "赵志强")
    change_file(source, "全面完成了年度目标任务", "圆满完成了年度目标任务")
    with pytest.raises(CommandError) as refused:
        load(source)
    assert f"人物 #{zhao.pk}「赵志强」修改（bianji，" in str(refused.value)
    out = load(source, "--keep-edits")
    assert "人物「赵志强」：保留编辑版本" in out
    zhao.refresh_from_db()
    assert (zhao.name, zhao.loaded_name) == ("赵志强", "赵志刚")
    assert not Person.objects.filter(name="赵志刚", region=REGION).exists()
    assert list(Appointment.objects.filter(volume__slug=SLUG, person=zhao).values_list("title", flat=True)) == ["书记"]
    assert zhao.speeches.count() == 1
    # The text still prints 赵志刚: the entries that name him link to the renamed record.
    assert len(set(zhao.mentioned_in.values_list("pk", flat=True))) == 2
    latest = zhao.history.latest()
    assert latest.history_user == editor and latest.name == "赵志强"
    revert_in_admin(ed, "person", zhao)
    zhao.refresh_from_db()
    assert zhao.name == "赵志刚"


def test_a_removed_note_stays_removed_after_keep_edits(ed, source):
    sun = person("孙丽")
    assert sun.notes == ["女"]
    url = f"/admin/gazetteer/person/{sun.pk}/change/"
    data = form_data(ed.get(url))
    data["notes"] = "[]"
    assert ed.post(url, data).status_code == 302
    change_file(source, "全面完成了年度目标任务", "圆满完成了年度目标任务")
    load(source, "--keep-edits")
    sun.refresh_from_db()
    assert sun.notes == []


def test_a_renamed_organisation_keeps_its_lists_across_a_reload(ed, editor, source):
    office = Organisation.objects.get(name="县委办公室", region=REGION)
    rename_in_admin(ed, "organisation", office, "中共青石县委办公室")
    change_file(source, "全面完成了年度目标任务", "圆满完成了年度目标任务")
    with pytest.raises(CommandError, match=f"机构 #{office.pk}「中共青石县委办公室」修改"):
        load(source)
    out = load(source, "--keep-edits")
    assert "机构「中共青石县委办公室」：保留编辑版本" in out
    office.refresh_from_db()
    assert office.name == "中共青石县委办公室"
    assert not Organisation.objects.filter(name="县委办公室", region=REGION).exists()
    assert sorted(office.appointments.values_list("person__name", flat=True)) == ["吴敏", "郑涛"]
    assert office.history.latest().history_user == editor
    revert_in_admin(ed, "organisation", office)
    office.refresh_from_db()
    assert office.name == "县委办公室"


def test_discard_edits_says_people_are_shared_and_keeps_them(ed, source):
    rename_in_admin(ed, "person", person("周强"), "周强华")
    change_file(source, "全面完成了年度目标任务", "圆满完成了年度目标任务")
    out = load(source, "--discard-edits")
    assert "「周强华」修改" in out and "人物、机构为各卷共用，不随本卷重新载入撤销" in out
    assert Appointment.objects.get(volume__slug=SLUG, title="副书记", person__loaded_name="周强").person.name == "周强华"


def test_merged_people_stay_merged_and_the_old_url_redirects(editor, source, client):
    keep, other = person("周强"), person("钱进")
    editing.merge_people(keep, [other], user=editor)
    assert client.get(f"/people/{other.pk}/").status_code == 301
    assert client.get(f"/people/{other.pk}/")["Location"] == f"/people/{keep.pk}/"
    assert client.get(f"/api/people/{other.pk}")["Location"] == f"/api/people/{keep.pk}"
    change_file(source, "全面完成了年度目标任务", "圆满完成了年度目标任务")
    load(source, "--keep-edits")
    keep.refresh_from_db()
    assert not Person.objects.filter(name="钱进", region=REGION).exists()
    assert keep.aliases == ["钱进"] and "回" in keep.notes
    assert sorted(keep.appointments.values_list("title", flat=True)) == ["副书记", "常委"]
    assert keep.history.latest().history_change_reason.startswith("重新载入后保留编辑")
    assert Person.history.filter(id=other.pk, history_type="-").get().history_user == editor
    # The editors' way back from a merge is a split.
    back = editing.split_person(keep, appointments=keep.appointments.filter(title="常委"), name="钱进", user=editor)
    assert list(back.appointments.values_list("title", flat=True)) == ["常委"]


def test_a_split_person_stays_split_after_keep_edits(editor, source):
    zhao = person("赵志刚")
    speech = zhao.speeches.get()
    appointment = zhao.appointments.get()
    new = editing.split_person(zhao, appointments=[appointment.pk], user=editor)
    assert new.name == "赵志刚" and new.pk != zhao.pk
    assert (new.context, person_context(zhao)) == (["中共青石县委"], [])
    assert Person.history.filter(id=new.pk).get().history_user == editor
    change_file(source, "全面完成了年度目标任务", "圆满完成了年度目标任务")
    with pytest.raises(CommandError, match=f"人物 #{new.pk}「赵志刚」新增"):
        load(source)
    load(source, "--keep-edits")
    # The list goes to the new person (its organisation is the evidence), the speech stays.
    assert Appointment.objects.get(volume__slug=SLUG, title="书记").person_id == new.pk
    assert Entry.objects.get(volume__slug=SLUG, title=speech.title).speaker_person_id == zhao.pk
    assert Person.objects.filter(name="赵志刚", region=REGION).count() == 2


def person_context(p):
    p.refresh_from_db()
    return p.context


def test_split_moves_only_what_the_editor_chose(editor, source):
    zhao = person("赵志刚")
    speech = zhao.speeches.get()
    new = editing.split_person(zhao, speeches=[speech.pk], name="赵志钢", user=editor)
    assert (new.speeches.get(), zhao.appointments.count(), new.appointments.count()) == (speech, 1, 0)
    with pytest.raises(Exception, match="请至少选择"):
        editing.split_person(zhao)


def test_an_alias_survives_keep_edits_and_links_the_text_that_uses_it(editor, source):
    wang = person("王大明")
    linked = identity.add_alias(wang, "王大名", user=editor)
    assert linked == []  # no text spells it so yet
    change_file(source, "县长王大明出席会议并讲话", "县长王大名出席会议并讲话")
    with pytest.raises(CommandError, match=f"人物 #{wang.pk}「王大明」修改"):
        load(source)
    load(source, "--keep-edits")
    wang.refresh_from_db()
    assert wang.aliases == ["王大名"]
    item = Entry.objects.get(volume__slug=SLUG, text__contains="县长王大名出席")
    assert wang in item.people.all()
    assert wang.history.filter(history_change_reason="加别名：王大名", history_user=editor).exists()


# --- telling people apart ---------------------------------------------------------------


def listed(person, organisation, title, line, notes=()):
    return Parsed(organisation=organisation, title=title, person=person, person_notes=list(notes), source_file="a.txt", line=line)


def test_lists_tell_namesakes_apart_by_notes_and_unrelated_organisations():
    # 杨帆（女） at a school and 杨帆 at the 爱卫办: the notes disagree.
    assert len(identity.clusters([listed("杨帆", "许昌市健康路小学", "副校长", 2929, ["女"]), listed("杨帆", "爱卫办", "副主任", 2974)])) == 2
    # 张磊 under five bodies that have nothing to do with each other.
    zhang = [
        listed("张磊", "区纪委", "常委", 2447),
        listed("张磊", "应急管理局", "党委书记、局长", 3062),
        listed("张磊", "东大街道办事处", "社会管理综合服务中心主任", 3140),
        listed("张磊", "新兴街道办事处", "办事处副主任", 3389),
        listed("张磊", "灞陵街道办事处", "党工委书记（正科级）", 3402),
    ]
    assert identity.clusters(zhang) == [[0], [1], [2], [3], [4]]


def test_posts_held_together_stay_one_person():
    # A 区委 leader is also the 区长; the 纪委 and 监委 are one body; 兼职 posts sit beside another.
    assert identity.clusters(
        [
            listed("李朝锋", "中共魏都区委", "区委副书记", 2216),
            listed("李朝锋", "魏都区人民政府", "区长", 2248),
            listed("李朝锋", "宣传部", "部长", 2340),
        ]
    ) == [[0, 1, 2]]
    assert identity.clusters([listed("刘庆", "区纪委", "书记", 2441), listed("刘庆", "区监委", "代主任", 2453)]) == [[0, 1]]
    assert identity.clusters([listed("徐杰安", "科协", "兼职副主席", 2537), listed("徐杰安", "二院", "党委书记", 3004)]) == [[0, 1]]
    # Two lists printed a few lines apart: the 统战部 and the bureau it runs.
    assert identity.clusters([listed("黄香玲", "统战部", "副部长", 2354), listed("黄香玲", "民族宗教事务局", "局长", 2359)]) == [[0, 1]]


def test_the_sample_corpus_keeps_namesakes_apart(db):
    zhang = Person.objects.filter(name="张磊", region=WEIDU).order_by("pk")
    assert [list(p.appointments.values_list("organisation__name", flat=True)) for p in zhang] == [
        ["区纪委"], ["应急管理局"], ["东大街道办事处"], ["新兴街道办事处"], ["灞陵街道办事处"]
    ]
    yang = Person.objects.filter(name="杨帆", region=WEIDU).order_by("pk")
    assert [(p.notes, p.context) for p in yang] == [(["女"], ["许昌市健康路小学"]), ([], ["爱卫办"])]
    for name in ("张建军", "李静", "李磊", "张浩", "李进"):
        assert Person.objects.filter(name=name, region=WEIDU).count() == 2, name
    for name, count in (("李朝锋", 3), ("刘庆", 3), ("张楠", 3), ("魏琦", 2), ("郑晓伟", 2), ("黄香玲", 2)):
        assert Person.objects.get(name=name, region=WEIDU).appointments.count() == count, name
    assert Person.objects.count() == 714  # 698 names + 16 namesakes told apart


def test_a_forced_reload_of_the_corpus_keeps_every_person_and_organisation_url(db, monkeypatch, client):
    from gazetteer import corpus

    monkeypatch.setattr(corpus, "after_load", lambda results, progress=None: store.link_mentions())
    people = dict(Person.objects.values_list("pk", "name"))
    organisations = dict(Organisation.objects.values_list("pk", "name"))
    mentions = {p.pk: set(p.mentioned_in.values_list("pk", flat=True)) for p in Person.objects.filter(name__in=["刘庆", "张磊"])}
    call_command("load_corpus", "--force", stdout=io.StringIO())
    assert dict(Person.objects.values_list("pk", "name")) == people
    assert dict(Organisation.objects.values_list("pk", "name")) == organisations
    assert {p.pk: set(p.mentioned_in.values_list("pk", flat=True)) for p in Person.objects.filter(pk__in=mentions)}.keys() == mentions.keys()
    for pk in people:
        assert client.get(f"/people/{pk}/").status_code == 200
    for pk in organisations:
        assert client.get(f"/organisations/{pk}/").status_code == 200


# --- the review queue -------------------------------------------------------------------


def test_the_review_queue_proposes_li_chaofeng_as_a_variant_with_its_evidence(db):
    found = {p.key: p for p in identity.proposals(WEIDU)}
    variant = found[f"variant|{WEIDU}|李朝峰/李朝锋"]
    assert variant.variant == "李朝峰" and variant.people == [Person.objects.get(name="李朝锋")]
    places = [line for line in variant.evidence if "weidu-newspaper-2022-12.txt:" in line or "part2.txt:677" in line]
    assert [line.split("：")[0].rsplit(":", 1)[1] for line in places] == ["13", "77", "80", "82", "92", "94", "677"]
    assert "文中“李朝峰”前后的职务与“李朝锋”的任职相同：区委常委、区长" in variant.evidence
    assert variant.actions == ["alias", "dismiss"]


def test_the_review_queue_proposes_the_two_yang_fan_as_distinct_people(db):
    found = {p.key: p for p in identity.proposals(WEIDU)}
    yang = found[f"homonym|{WEIDU}|杨帆"]
    assert [p.notes for p in yang.people] == [["女"], []]
    assert yang.evidence[-1] == "附注不同（性别或民族）"
    assert yang.actions == ["dismiss", "merge"]


def test_everything_the_queue_proposes_on_the_sample(db, capsys):
    found = identity.proposals()
    with capsys.disabled():
        print("\nreview queue on the sample corpus:")
        for p in found:
            print(f"  {p.title} — {'/'.join(p.actions)}; {p.evidence[-1][:80]}")
    assert [p.title for p in found] == [
        f"同名异人：{name}（{WEIDU}）"
        for name in ("唐伯川", "张建军", "张浩", "张磊", "朱玉仓", "李磊", "李红晓", "李进", "李静", "杨帆", "毛黎明", "贾腾", "黄涛")
    ] + [f"异写：李朝峰 / 李朝锋（{WEIDU}）", f"异写：柏凤杰 / 柏风杰（{WEIDU}）"]


def test_accepting_the_variant_links_the_newspaper_and_the_api_finds_the_alias(
    ed, editor, client, index_restored, django_capture_on_commit_callbacks
):
    li = Person.objects.get(name="李朝锋")
    newspaper = Entry.objects.filter(volume__slug="weidu-newspaper-2022-12")
    assert not newspaper.filter(people=li).exists()
    assert client.get("/api/people", {"q": "李朝峰"}).json()["people"] == []
    # The search page keeps the archive's aliases (figures.Figures.aliased): read now…
    assert "（人物）" not in client.get("/search/", {"q": "李朝峰"}).content.decode()
    assert "李朝峰" in ed.get("/admin/gazetteer/reviewdecision/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # the index tasks, queued at commit
        response = ed.post(
            "/admin/gazetteer/reviewdecision/decide/", {"key": f"variant|{WEIDU}|李朝峰/李朝锋", "action": "alias"}
        )
    assert response.status_code == 302
    li.refresh_from_db()
    assert li.aliases == ["李朝峰"]
    assert newspaper.filter(people=li).count() == 3
    # … and the yearbook entry whose photo caption names him so.
    assert li.mentioned_in.filter(captions__text__contains="区长李朝峰调研").exists()
    decision = ReviewDecision.objects.get(key=f"variant|{WEIDU}|李朝峰/李朝锋")
    assert (decision.action, decision.user, decision.names) == ("alias", editor, ["李朝峰", "李朝锋"])
    found = client.get("/api/people", {"q": "李朝峰"}).json()["people"]
    assert [(p["name"], p["matched_alias"]) for p in found] == [("李朝锋", "李朝峰")]
    # … and read again once the alias is saved: the next search leads to his page.
    page = client.get("/search/", {"q": "李朝峰"}).content.decode()
    assert f'<p class="names"><a href="/people/{li.pk}/">李朝锋</a>（人物）</p>' in page
    assert [n["name"] for n in client.get("/api/search", {"q": "李朝峰"}).json()["names"]] == ["李朝锋"]
    # The proposal is settled: the spelling is now an alias, and the decision is kept by names.
    assert f"variant|{WEIDU}|李朝峰/李朝锋" not in {p.key for p in identity.proposals(WEIDU)}
    # A re-load links the newspaper through the alias again.
    store.link_mentions(Volume.objects.filter(region=WEIDU))
    assert newspaper.filter(people=li).count() == 3
    assert li.mentioned_in.filter(captions__text__contains="区长李朝峰调研").exists()


def test_a_dismissed_proposal_stays_dismissed_across_a_reload(ed, editor, monkeypatch):
    from gazetteer import corpus

    key = f"homonym|{WEIDU}|杨帆"
    identity.decide(key, "dismiss", user=editor)
    monkeypatch.setattr(corpus, "after_load", lambda results, progress=None: store.link_mentions())
    call_command("load_corpus", "--only", "weidu-yearbook-2021", "--force", stdout=io.StringIO())
    assert next(p for p in identity.proposals(WEIDU) if p.key == key).decision.action == "dismiss"
    assert "杨帆" not in ed.get("/admin/gazetteer/reviewdecision/").content.decode().split("已处理")[0]


def test_one_record_whose_lists_disagree_is_proposed_for_a_split(editor, index_restored):
    first, second = Person.objects.filter(name="张浩", region=WEIDU).order_by("pk")
    editing.merge_people(first, [second], user=editor)
    key = f"homonym|{WEIDU}|张浩"
    proposal = next(p for p in identity.proposals(WEIDU) if p.key == key)
    assert proposal.actions == ["dismiss", "split"] and proposal.people == [first]
    assert "高桥营街道办事处 综治办专职副主任" in proposal.evidence[-1] and "南关街道办事处 办事处副主任" in proposal.evidence[-1]
    identity.decide(key, "split", user=editor)
    records = Person.objects.filter(name="张浩", region=WEIDU).order_by("pk")
    assert [list(p.appointments.values_list("organisation__name", flat=True)) for p in records] == [
        ["高桥营街道办事处"], ["南关街道办事处"]
    ]
    assert ReviewDecision.objects.get(key=key).action == "split"


def test_the_api_finds_a_renamed_person_by_the_name_the_source_prints(client, db):
    liu = Person.objects.get(name="刘庆", region=WEIDU)
    Person.objects.filter(pk=liu.pk).update(name="刘青")
    found = client.get("/api/people", {"q": "刘庆"}).json()["people"]
    # (Other people whose names contain 刘庆 are found by name.)
    assert [(p["name"], p["matched_alias"]) for p in found if p["id"] == liu.pk] == [("刘青", "刘庆")]
    assert "matched_alias" not in client.get("/api/people", {"q": "刘青"}).json()["people"][0]


def test_accepting_a_merge_makes_one_record_of_the_namesakes(editor, index_restored):
    key = f"homonym|{WEIDU}|张浩"
    identity.decide(key, "merge", user=editor)
    (zhang,) = Person.objects.filter(name="张浩", region=WEIDU)
    assert zhang.appointments.count() == 2
    assert Tombstone.objects.filter(model="person", reason="merged", replaced_by=zhang.pk).count() == 1
    with pytest.raises(identity.Undecidable):
        identity.decide(key, "merge", user=editor)


# --- a person across volumes --------------------------------------------------------------


@pytest.mark.parametrize("name", ["李朝锋", "许廷合"])
def test_the_person_page_counts_what_the_search_finds(client, db, name):
    from gazetteer.search.service import SearchForm, search
    from gazetteer.timeline import person_timeline

    someone = Person.objects.get(name=name)
    timeline = person_timeline(someone)
    form = SearchForm({"q": timeline.search_query})
    assert form.is_valid()
    assert search(form.cleaned_data).total == timeline.related_count
    text = " ".join(client.get(someone.get_absolute_url()).content.decode().split())
    assert f"共 {timeline.related_count} 条相关条目" in text


def test_the_person_timeline_goes_year_by_year_over_every_volume(db):
    from gazetteer.timeline import person_timeline

    li = Person.objects.get(name="李朝锋")
    timeline = person_timeline(li)
    assert [(y.year, len(y.volumes), len(y.speeches), len(y.authored), len(y.photos), y.mentions) for y in timeline.years] == [
        (2020, 1, 2, 0, 0, 73),
        (2021, 0, 1, 0, 0, 0),
    ]
    assert (timeline.appointment_count, timeline.mention_count, timeline.related_count) == (3, 73, 76)


def test_long_lists_on_a_person_page_are_paginated_not_cut(client, db, editor):
    li = Person.objects.get(name="李朝锋")
    entries = list(Entry.objects.filter(volume__slug="weidu-yearbook-2021", bylines=None)[:55])
    from gazetteer.models import Byline

    Byline.objects.bulk_create(Byline(entry=e, person=li, position=9) for e in entries)
    page = " ".join(client.get(li.get_absolute_url()).content.decode().split())
    assert "撰稿 55 篇" in page and f"{li.get_absolute_url()}?authored_page=2" in page
    second = client.get(li.get_absolute_url(), {"authored_page": 2}).content.decode()
    assert entries[-1].get_absolute_url() in second or entries[0].get_absolute_url() in second


def test_splitting_a_person_through_the_admin(ed, editor, index_restored):
    li = Person.objects.get(name="李朝锋")
    url = f"/admin/gazetteer/person/{li.pk}/split/"
    assert f'href="{url}"' in ed.get(f"/admin/gazetteer/person/{li.pk}/change/").content.decode()
    page = ed.get(url).content.decode()
    mayor = li.appointments.get(title="区长")
    assert f'name="appointments" value="{mayor.pk}"' in page
    speech = li.speeches.order_by("date").first()
    response = ed.post(url, {"name": "李朝锋", "appointments": [mayor.pk], "speeches": [speech.pk]})
    new = Person.objects.filter(name="李朝锋").exclude(pk=li.pk).get()
    assert response["Location"] == f"/admin/gazetteer/person/{new.pk}/change/"
    assert list(new.appointments.values_list("title", flat=True)) == ["区长"]
    assert list(new.speeches.all()) == [Entry.objects.get(pk=speech.pk)]
    assert li.appointments.count() == 2 and li.speeches.count() == 2
    assert new.history.get().history_user == editor
    nothing = ed.post(url, {"name": "李朝锋"})
    assert nothing.status_code == 200 and "请至少选择" in nothing.content.decode()


def test_an_organisation_merged_in_the_admin_stays_merged_after_keep_edits(ed, editor, source, client):
    keep = Organisation.objects.get(name="县委办公室", region=REGION)
    other = Organisation.objects.get(name="中共青石县委", region=REGION)
    theirs = set(other.mentioned_in.values_list("pk", flat=True))
    mentions = theirs | set(keep.mentioned_in.values_list("pk", flat=True))
    assert len(theirs) == 2 and len(mentions) > 2
    chosen = {"action": "merge_organisations", "_selected_action": [keep.pk, other.pk]}
    page = ed.post("/admin/gazetteer/organisation/", chosen)
    assert page.status_code == 200 and f'name="keep" value="{other.pk}"' in page.content.decode()
    response = ed.post("/admin/gazetteer/organisation/", {**chosen, "keep": keep.pk})
    assert response["Location"] == f"/admin/gazetteer/organisation/{keep.pk}/change/"
    everyone = sorted(["赵志刚", "王大明", "孙丽", "周强", "钱进", "吴敏", "郑涛"])

    def check():
        keep.refresh_from_db()
        assert keep.aliases == ["中共青石县委"]
        assert sorted(keep.appointments.values_list("person__name", flat=True)) == everyone
        assert set(keep.mentioned_in.values_list("pk", flat=True)) == mentions
        assert not Organisation.objects.filter(name="中共青石县委").exists()
        answer = client.get(f"/organisations/{other.pk}/")
        assert (answer.status_code, answer["Location"]) == (301, f"/organisations/{keep.pk}/")

    check()
    assert Organisation.history.filter(id=other.pk, history_type="-").get().history_user == editor
    change_file(source, "全面完成了年度目标任务", "圆满完成了年度目标任务")
    with pytest.raises(CommandError, match=f"机构 #{keep.pk}「县委办公室」修改"):
        load(source)
    load(source, "--keep-edits")
    check()
    # A forced load without edits since finds the old name among the aliases too.
    call_command("load_volume", str(source), "--force", "--keep-edits", kind="yearbook", title="青石年鉴（2020）",
                 year=2020, slug=SLUG, region=REGION, stdout=io.StringIO())  # fmt: skip
    check()


def test_mentions_moved_by_a_person_split_stay_moved_after_keep_edits(ed, editor, source):
    zhao = person("赵志刚")
    first, second = sorted(zhao.mentioned_in.values_list("pk", flat=True))
    response = ed.post(f"/admin/gazetteer/person/{zhao.pk}/split/", {"name": "赵志刚", "mentions": [first]})
    new = Person.objects.filter(name="赵志刚", region=REGION).exclude(pk=zhao.pk).get()
    assert response["Location"] == f"/admin/gazetteer/person/{new.pk}/change/"
    assert Entry.objects.get(pk=first).mentions_edited
    change_file(source, "全面完成了年度目标任务", "圆满完成了年度目标任务")
    with pytest.raises(CommandError, match=f"条目 #{first}「"):
        load(source)
    load(source, "--keep-edits")
    assert list(new.mentioned_in.values_list("pk", flat=True)) == [first]
    assert list(zhao.mentioned_in.values_list("pk", flat=True)) == [second]
    assert Entry.objects.get(pk=first).history.latest().history_user == editor
