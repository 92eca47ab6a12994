"""The reader's pages, through Django's test client, on the whole sample corpus."""

import csv
import datetime
import io
import re
from html import unescape
from pathlib import Path

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gazetteer import citations, pinyin, store, views
from gazetteer.models import Appointment, Caption, Entry, Organisation, Person, Section, Volume
from loaders import parse_sources
from tests.loaders.sources import cut

YEARBOOK = "weidu-yearbook-2021"
pytestmark = pytest.mark.django_db


def text_of(response):
    """Return the page's text with tags removed and entities decoded, spaces collapsed."""
    html = response.content.decode()
    html = re.sub(r"<script.*?</script>|<style.*?</style>", "", html, flags=re.S)
    html = re.sub(r"</?(?:a|strong|span|mark|time|em|code)\b[^>]*>", "", html)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def hrefs(response):
    return [unescape(h) for h in re.findall(r'href="([^"]*)"', response.content.decode())]


def today():
    return timezone.localdate().isoformat()


# --- every page ----------------------------------------------------------------------


def all_pages():
    entry = Entry.objects.get(title="区域位置")
    person = Person.objects.get(name="李朝锋")
    org = Organisation.objects.get(name="中共魏都区委")
    section = Section.objects.get(volume__slug=YEARBOOK, title="大事记", level=1)
    return [
        "/",
        f"/volumes/{YEARBOOK}/",
        section.get_absolute_url(),
        entry.get_absolute_url(),
        entry.get_absolute_url() + "?q=许昌",
        "/search/",
        "/search/?q=疫情防控",
        "/search/?q=没有这种词语的检索式",
        "/chronicle/",
        "/volumes/",
        "/people/",
        person.get_absolute_url(),
        "/organisations/",
        org.get_absolute_url(),
    ]


def test_every_page_has_a_title_a_description_and_the_site_language(client):
    for url in all_pages():
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert '<html lang="zh-CN">' in html
        title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
        assert title.strip().endswith("方志档案") or title.startswith("方志档案"), url
        description = re.search(r'<meta name="description" content="([^"]*)"', html).group(1)
        assert len(description) > 10, url
        assert html.count("<h1") == 1, url


def test_pages_load_nothing_from_outside_and_have_no_inline_script_or_style(client):
    for url in all_pages():
        html = client.get(url).content.decode()
        for tag in re.findall(r"<(?:script|link|img)\b[^>]*>", html):
            assert "//" not in re.sub(r'href="https?://testserver/[^"]*"', "", tag), (url, tag)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert not re.search(r"<style\b", html), url
        assert not re.search(r'\sstyle="', html), url
        assert not re.search(r"\son[a-z]+=", html), url
        assert '<script src="/static/js/site.js" defer></script>' in html
        assert '<link rel="stylesheet" href="/static/css/site.css">' in html


def test_static_files_are_served(client):
    for path in ("/static/css/site.css", "/static/js/site.js", "/static/favicon.svg"):
        response = client.get(path)
        assert response.status_code == 200, path
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert b"http://" not in body.replace(b"http://www.w3.org/2000/svg", b"")
        assert b"https://" not in body


def test_unknown_ids_answer_a_styled_404(client):
    for url in (
        "/volumes/no-such-volume/",
        f"/volumes/{YEARBOOK}/sections/999999/",
        # A section exists, but in another volume than the URL says.
        f"/volumes/weidu-14th-five-year-plan/sections/{Section.objects.get(volume__slug=YEARBOOK, title='大事记', level=1).pk}/",
        "/entries/999999/",
        "/people/999999/",
        "/organisations/999999/",
        "/no/such/page/",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "找不到这个页面" in text_of(response)
        assert "/static/css/site.css" in response.content.decode()


def test_the_500_page_renders_without_a_request():
    html = render_to_string("500.html")
    assert "服务器出错了" in html and 'lang="zh-CN"' in html and "/static/css/site.css" in html


# --- home ----------------------------------------------------------------------------


def test_home_shows_the_holdings_counts_search_box_and_latest_chronicle_days(
    client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(9):
        response = client.get("/")
    text = text_of(response)
    assert "收录 4 种文献、690 个条目，其中大事记 228 则、讲话 9 篇；" in text
    assert f"人物 {Person.objects.count()} 位，机构 {Organisation.objects.count()} 个" in text
    for kind in ("年鉴 1 种", "讲话汇编 1 种", "规划纲要 1 种", "报纸 1 种"):
        assert kind in text
    assert "魏都年鉴（2021） 许昌市魏都区 · 2021年 · 613 条" in text
    html = response.content.decode()
    assert '<form class="big-search" role="search" action="/search/" method="get">' in html
    assert '<label for="home-q">检索全文</label>' in html
    # The latest chronicle days, newest first: 2020-12-30 has two items.
    assert "最近的大事记 2020年12月30日" in text
    latest = Entry.objects.chronicle().filter(date=datetime.date(2020, 12, 30))
    assert latest.count() == 2
    for e in latest:
        assert e.get_absolute_url() in hrefs(response)
    for url in ("/chronicle/", "/people/", "/organisations/", f"/volumes/{YEARBOOK}/"):
        assert url in hrefs(response)


def test_home_counts_the_archive_once_per_change_of_it(client, django_capture_on_commit_callbacks):
    def get_home():
        with CaptureQueriesContext(connection) as ctx:
            text = text_of(client.get("/"))
        archive_counts = [
            q["sql"]
            for q in ctx.captured_queries
            if re.search(r'COUNT\(\*\).* FROM "gazetteer_(entry|person|organisation)"( GROUP BY|$)', q["sql"])
        ]
        return text, archive_counts

    text, counts = get_home()
    assert "690 个条目" in text and len(counts) == 4  # entries by kind and by volume, people, organisations
    text, counts = get_home()
    assert "690 个条目" in text and counts == []  # kept: the archive has not changed
    # A change queues its reindexing when it commits: the figures are counted again.
    entry = Entry.objects.get(volume__slug=YEARBOOK, title="建置沿革")
    with django_capture_on_commit_callbacks(execute=True):
        entry.delete()
    text, counts = get_home()
    assert "收录 4 种文献、689 个条目" in text and "魏都年鉴（2021） 许昌市魏都区 · 2021年 · 612 条" in text
    assert len(counts) == 4


def test_home_names_the_regions_with_most_volumes_and_how_many_there_are(client):
    # A city archive holds many counties: the home page names twelve, /volumes/ all.
    for k in range(14):
        for copy in range(9 if k < 12 else 1):  # more volumes than the sample's region
            Volume.objects.create(slug=f"county-{k}-{copy}", title=f"县志{k}", kind="yearbook", region=f"第{k:02d}县")
    regions = Volume.objects.exclude(region="").values("region").distinct().count()
    assert regions >= 15
    text = text_of(client.get("/"))
    assert re.findall(r"地区：(.*?) 等 (\d+) 个地区", text) == [
        ("、".join(f"第{k:02d}县（9）" for k in range(12)), str(regions))
    ]
    assert "第12县" not in text and "第12县" in text_of(client.get("/volumes/"))


# --- volume --------------------------------------------------------------------------


def test_volumes_index_filters_by_kind_and_region(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        response = client.get("/volumes/")
    assert "共 4 种文献" in text_of(response)
    for v in Volume.objects.all():
        assert v.get_absolute_url() in hrefs(response)
    assert "/volumes/?kind=speeches" in hrefs(response)
    speeches = client.get("/volumes/", {"kind": "speeches"})
    assert "符合条件的 1 种文献" in text_of(speeches)
    assert "/volumes/changge-speeches-2020-2021/" in hrefs(speeches)
    assert f"/volumes/{YEARBOOK}/" not in hrefs(speeches)
    weidu = client.get("/volumes/", {"region": "许昌市魏都区"})
    assert "符合条件的 3 种文献" in text_of(weidu)
    assert client.get("/volumes/", {"kind": "nope"}).status_code == 404
    assert client.get("/volumes/", {"page": "2"}).status_code == 404


def test_volume_page_shows_metadata_and_the_whole_toc_with_pages_and_counts(
    client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        response = client.get(f"/volumes/{YEARBOOK}/")
    html = response.content.decode()
    text = text_of(response)
    assert "编纂 许昌市魏都区地方史志编纂委员会" in text
    assert "条目 613 条（条目 378，大事记 228，讲话 4，文章 3）" in text
    assert "目录 705 项，其中 644 项尚未数字化" in text
    # Every TOC node is listed, in book order, with its printed page.
    sections = Section.objects.filter(volume__slug=YEARBOOK).order_by("position")
    assert html.count('class="toc-node') == sections.count() == 705
    chronicle = sections.get(title="大事记", level=1)
    row = re.search(
        rf'<a class="toc-title" href="{chronicle.get_absolute_url()}">大事记</a>(.*?)</div>', html
    ).group(1)
    assert '<span class="count">228 条</span>' in row and ">35<" in row
    # The first month lists its entries, linked.
    first = Entry.objects.chronicle().filter(volume__slug=YEARBOOK).order_by("position").first()
    assert f'<a href="{first.get_absolute_url()}">{first.title}</a>' in html
    # Not digitised: greyed, marked, not linked.
    missing = sections.get(title="经济管理")
    assert not missing.digitized
    assert '<span class="toc-title">经济管理</span><span class="badge">未数字化</span>' in html
    assert missing.get_absolute_url() not in html
    titles = re.findall(r'class="toc-title"[^>]*>([^<]*)<', html)
    assert titles[:4] == ["特载", "大事记", "1月", "2月"]
    # Collapsible: the toggles are there for the script to show.
    assert html.count('class="toggle" aria-expanded="true"') > 100


def test_volume_toc_escapes_titles(client):
    section = Section.objects.filter(volume__slug=YEARBOOK, digitized=True).first()
    section.title = '<b onclick="x">标题</b>'
    section.save()
    entry = Entry.objects.filter(volume__slug=YEARBOOK).first()
    entry.title = "<i>条目</i>"
    entry.save()
    html = client.get(f"/volumes/{YEARBOOK}/").content.decode()
    assert "&lt;b onclick=&quot;x&quot;&gt;标题&lt;/b&gt;</a>" in html
    assert "&lt;i&gt;条目&lt;/i&gt;</a>" in html
    assert "<b onclick" not in html and "<i>" not in html


def test_volume_toc_of_a_plan_lists_its_chapters(client):
    response = client.get("/volumes/weidu-14th-five-year-plan/")
    text = text_of(response)
    assert response.status_code == 200
    assert "条目 63 条" in text
    assert "第一章 开启全面建设现代化新征程" in text
    assert "未数字化" not in text


# --- section -------------------------------------------------------------------------


def test_section_lists_its_entries_in_order_with_breadcrumbs(client, django_assert_max_num_queries):
    month = Section.objects.get(volume__slug=YEARBOOK, title="1月", parent__title="大事记", parent__level=1)
    with django_assert_max_num_queries(9):
        response = client.get(month.get_absolute_url())
    text = text_of(response)
    assert "首页 魏都年鉴（2021） 大事记 1月" in text
    assert f"/volumes/{YEARBOOK}/" in hrefs(response)
    assert month.parent.get_absolute_url() in hrefs(response)
    titles = re.findall(r'<li><a href="/entries/\d+/">([^<]*)</a>', response.content.decode())
    assert titles == list(month.entries.order_by("position").values_list("title", flat=True))
    assert "2020年1月2日" in text
    # Next section in book order at the same level.
    assert "下一节 2月" in text


def test_section_pagination_and_its_bounds(client):
    section = Section.objects.get(volume__slug=YEARBOOK, title="组织机构及领导成员")
    url = section.get_absolute_url()
    assert section.entries.count() == 104
    first = client.get(url)
    assert "104 个条目" in text_of(first)
    assert first.content.decode().count('<li><a href="/entries/') == 50
    assert f"{url}?page=2" in hrefs(first) and f"{url}?page=3" in hrefs(first)
    last = client.get(url, {"page": 3})
    assert last.content.decode().count('<li><a href="/entries/') == 4
    assert '<ol class="entry-list" start="101">' in last.content.decode()
    for bad in ("4", "0", "abc"):
        assert client.get(url, {"page": bad}).status_code == 404


def test_a_section_not_digitised_says_so(client):
    missing = Section.objects.get(volume__slug=YEARBOOK, title="经济管理")
    response = client.get(missing.get_absolute_url())
    assert response.status_code == 200
    assert "本部分原书有此目录，但文本尚未数字化。" in text_of(response)


# --- entry ---------------------------------------------------------------------------


def test_entry_page_shows_the_text_breadcrumbs_and_neighbours(client, django_assert_max_num_queries):
    entry = Entry.objects.get(title="区域位置")
    with django_assert_max_num_queries(10):
        response = client.get(entry.get_absolute_url())
    html = response.content.decode()
    text = text_of(response)
    assert "首页 魏都年鉴（2021） 区情概况 位置境域" in text
    for s in entry.section.path():
        assert s.get_absolute_url() in hrefs(response)
    assert "条目 · 原书第 53 页" in text
    assert '<h1 id="entry-title">区域位置</h1>' in html
    for paragraph in entry.paragraphs:
        assert f"<p>{paragraph}</p>" in unescape(html)
    previous = (
        Entry.objects.filter(volume=entry.volume, position__lt=entry.position).order_by("-position").first()
    )
    following = (
        Entry.objects.filter(volume=entry.volume, position__gt=entry.position).order_by("position").first()
    )
    assert f'<a rel="prev" href="{previous.get_absolute_url()}">' in html
    assert f'<a rel="next" href="{following.get_absolute_url()}">' in html
    assert f'<link rel="canonical" href="http://testserver/entries/{entry.pk}/">' in html
    assert "源文件 weidu-yearbook-2021.part1.txt，第" in text


def test_entry_citation_follows_gbt_7714(client):
    entry = Entry.objects.get(title="区域位置")
    response = client.get(entry.get_absolute_url())
    citation = re.search(r'<p class="citation" id="citation">(.*?)</p>', response.content.decode()).group(1)
    assert unescape(citation) == (
        f"区域位置[M/OL]//许昌市魏都区地方史志编纂委员会. 魏都年鉴（2021）. 2021: 53[{today()}]. "
        f"http://testserver/entries/{entry.pk}/."
    )
    assert (
        '<button type="button" class="copy" data-copy="citation">复制引文</button>'
        in response.content.decode()
    )
    assert (
        f'永久链接：<a href="http://testserver/entries/{entry.pk}/" rel="bookmark">'
        in response.content.decode()
    )


def test_citations_of_speeches_articles_and_volumes_without_compiler():
    day = datetime.date(2026, 1, 5)
    speech = Entry.objects.get(title="在全区领导干部会议上的讲话", speaker="李朝锋")
    assert views.citation(speech, "http://x/e/1/", day) == (
        "李朝锋. 在全区领导干部会议上的讲话[M/OL]//许昌市魏都区地方史志编纂委员会. 魏都年鉴（2021）. 2021: 3[2026-01-05]. http://x/e/1/."
    )
    article = Entry.objects.get(title__startswith="魏都区:“联院帮户”")
    assert views.citation(article, "http://x/e/2/", day) == (
        "许廷合, 王若晖. 魏都区:“联院帮户”精准发力 推动“新十条”落细落实[N/OL]. 魏都新闻版面（2022年12月）, 2022[2026-01-05]. http://x/e/2/."
    )
    report = Entry.objects.get(title="政府工作报告", speaker="张晓丽")
    assert views.citation(report, "http://x/e/3/", day) == (
        "张晓丽. 政府工作报告[G/OL]//长葛市领导讲话及政府工作报告（2020—2021）. 2021[2026-01-05]. http://x/e/3/."
    )
    chapter = Entry.objects.get(title="第一节 决胜全面建成小康社会取得决定性成就")
    assert views.citation(chapter, "u", day).startswith(
        "第一节 决胜全面建成小康社会取得决定性成就[Z/OL]//魏都区国民经济"
    )


def test_citation_names_three_authors_then_deng(monkeypatch):
    entry = Entry.objects.get(title="区域位置")
    monkeypatch.setattr(citations, "entry_authors", lambda e: ["甲", "乙", "丙", "丁"])
    assert citations.citation(entry, "u", datetime.date(2026, 1, 1)).startswith(
        "甲, 乙, 丙, 等. 区域位置[M/OL]//"
    )


def test_entry_from_a_search_highlights_the_terms(client):
    entry = Entry.objects.get(title__startswith="魏都区:“联院帮户”")
    response = client.get(entry.get_absolute_url(), {"q": "疫情防控"})
    html = response.content.decode()
    assert html.count("<mark>疫情防控</mark>") == entry.text.count("疫情防控") + sum(
        c.text.count("疫情防控") for c in entry.captions.all()
    )
    assert "已标出检索词“<strong>疫情防控</strong>”" in html
    assert "/search/?q=%E7%96%AB%E6%83%85%E9%98%B2%E6%8E%A7" in hrefs(response)
    # The text is still escaped: highlighting never lets markup through.
    assert "<mark>" not in client.get(entry.get_absolute_url()).content.decode()
    hostile = client.get(entry.get_absolute_url(), {"q": '<script>alert(1)</script> "疫情'})
    assert hostile.status_code == 200
    assert "<script>alert" not in hostile.content.decode()


def test_entry_shows_bylines_captions_with_credits_and_mentions(client):
    entry = Entry.objects.get(title__startswith="魏都区:“联院帮户”")
    response = client.get(entry.get_absolute_url())
    html = response.content.decode()
    for b in entry.bylines.all():
        assert f'<a href="{b.person.get_absolute_url()}">{b.person.name}</a>' in html
    caption = Caption.objects.get(entry=entry)
    assert caption.credit_person is not None
    assert (
        f'<figcaption>{caption.text} <span class="credit">（<a href="{caption.credit_person.get_absolute_url()}">{caption.credit}</a> 摄）</span></figcaption>'
        in unescape(html)
    )
    for org in entry.organisations.all():
        assert f'<a href="{org.get_absolute_url()}">{org.name}</a>' in html
    assert "文中机构" in html


def test_entry_of_a_speech_links_its_speaker_and_a_plan_chapter_shows_tables(client):
    speech = Entry.objects.get(title="在全区领导干部会议上的讲话", speaker="李朝锋")
    text = text_of(client.get(speech.get_absolute_url()))
    assert "讲话 · 2020年4月29日 · 原书第 3 页" in text
    assert (
        f'href="{speech.speaker_person.get_absolute_url()}">李朝锋</a>'
        in client.get(speech.get_absolute_url()).content.decode()
    )
    chapter = Entry.objects.get(title="第一节 决胜全面建成小康社会取得决定性成就")
    html = client.get(chapter.get_absolute_url()).content.decode()
    assert "<caption>表1：“十三五”规划主要目标完成情况</caption>" in html
    # The two-line header of the table is the <thead>.
    head = re.search(r"<thead>(.*?)</thead>", html, re.S).group(1)
    assert head.count("<tr>") == 2 and '<th scope="col">指标名称</th>' in head
    assert '<th scope="row">一、经济发展</th>' in html


def test_entry_shows_the_kicker_above_the_title_and_the_notes_under_the_text(client):
    article = Entry.objects.get(volume__slug="weidu-newspaper-2022-12", position=0)
    html = client.get(article.get_absolute_url()).content.decode()
    assert re.search(
        r'<p class="entry-kicker">认真学习贯彻党的二十大精神</p>\s*<h1 id="entry-title">中国共产党许昌市魏都区第十五届委员会第三次全体会议举行</h1>',
        html,
    )
    chapter = Entry.objects.get(title="第四节 创新投融资机制")
    html = client.get(chapter.get_absolute_url()).content.decode()
    notes = re.search(r'<section class="notes" aria-labelledby="notes-title">(.*?)</section>', html, re.S).group(1)
    assert re.findall(r"<li>(.*?)</li>", notes) == [chapter.notes[0]]
    assert notes.count("<h2") == 1 and ">注</h2>" in notes
    assert html.index('<div class="text">') < html.index('class="notes"')
    speech = Entry.objects.get(title="在全区领导干部会议上的讲话", speaker="李朝锋")
    assert "注 根据录音整理" in text_of(client.get(speech.get_absolute_url()))
    brigade = Entry.objects.get(title="推进队伍政治建设")
    assert "异写标题 推进队伍政治教育建设" in text_of(client.get(brigade.get_absolute_url()))
    assert 'class="notes"' not in client.get(brigade.get_absolute_url()).content.decode()


def test_entry_running_into_the_next_file_names_both_files_in_its_source(client):
    sources = cut(Path(__file__).resolve().parent.parent / "corpus" / "weidu-14th-five-year-plan.txt", 757)
    meta = store.VolumeMeta(slug="test-cut-plan", title="切分的规划", kind="plan", region="测试区", year=2021)
    files = [store.StoredFile(s.name, str(i) * 64, "utf-8", s.text) for i, s in enumerate(sources)]
    store.store_document(parse_sources(sources, "plan"), meta, files)
    green = Entry.objects.get(volume__slug="test-cut-plan", title="第三节 持续推进绿色低碳循环发展")
    text = text_of(client.get(green.get_absolute_url()))
    assert "源文件 weidu-14th-five-year-plan-a.txt 第 756 行—weidu-14th-five-year-plan-b.txt 第 3 行" in text
    one_file = Entry.objects.get(volume__slug="test-cut-plan", title="第四节 健全生态治理体系")
    assert "源文件 weidu-14th-five-year-plan-b.txt，第 4—7 行" in text_of(client.get(one_file.get_absolute_url()))


def test_entry_queries_do_not_grow_with_mentions(client, django_assert_max_num_queries):
    busiest = max(Entry.objects.all(), key=lambda e: e.people.count() + e.organisations.count())
    assert busiest.people.count() + busiest.organisations.count() > 5
    with django_assert_max_num_queries(10):
        client.get(busiest.get_absolute_url(), {"q": "魏都"})


# --- search --------------------------------------------------------------------------


def test_the_search_facets_name_a_renamed_volume_at_once(client, django_capture_on_commit_callbacks):
    def volume_facet_label():
        html = client.get("/search/", {"q": "疫情防控"}).content.decode()
        return re.search(rf'<a href="[^"]*volume={YEARBOOK}"[^>]*>([^<]+)</a>', html).group(1)

    assert volume_facet_label() == "魏都年鉴（2021）"
    volume = Volume.objects.get(slug=YEARBOOK)
    volume.title = "魏都年鉴（2021年卷）"
    with django_capture_on_commit_callbacks(execute=True):
        volume.save()
    assert volume_facet_label() == "魏都年鉴（2021年卷）"


def test_search_keeps_the_query_counts_and_highlights(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = client.get("/search/", {"q": "疫情防控"})
    html = response.content.decode()
    text = text_of(response)
    assert '<input id="q" name="q" type="search" value="疫情防控"' in html
    assert "“疫情防控”：共 79 条结果，第 1 / 4 页" in text
    assert html.count('<p class="snippet">') == 20
    assert "<mark>疫情防控</mark>" in html
    hit = re.search(r'<h2><a href="(/entries/\d+/\?q=[^"]+)">', html).group(1)
    assert hit.endswith("?q=%E7%96%AB%E6%83%85%E9%98%B2%E6%8E%A7")
    assert "<title>“疫情防控”的检索结果 · 方志档案</title>" in html
    # Again, with what the process keeps per version of the archive: the version, the
    # hits' rows, the person and organisation pages of the name (one query for both
    # tables) — the aliases are kept too, not scanned on every search.
    with CaptureQueriesContext(connection) as ctx:
        client.get("/search/", {"q": "疫情防控"})
    assert len(ctx.captured_queries) == 3
    assert not any("aliases" in q["sql"] for q in ctx.captured_queries)


def test_search_facets_are_links_that_combine(client):
    response = client.get("/search/", {"q": "疫情防控"})
    links = hrefs(response)
    kind_link = next(h for h in links if "kind=article" in h)
    assert kind_link == "/search/?q=%E7%96%AB%E6%83%85%E9%98%B2%E6%8E%A7&kind=article"
    narrowed = client.get(kind_link)
    assert "共 4 条结果" in text_of(narrowed)
    # Add the volume facet on top of the kind facet: both stay in the URL.
    volume_link = next(h for h in hrefs(narrowed) if "volume=weidu-newspaper-2022-12" in h)
    assert "kind=article" in volume_link and "q=" in volume_link
    both = client.get(volume_link)
    assert "共 3 条结果" in text_of(both)
    text = text_of(both)
    assert "类型：文章" in text and "卷册：魏都新闻版面（2022年12月）" in text
    # Each active filter has a link that removes just it.
    remove_kind = next(
        h for h in hrefs(both) if "volume=weidu-newspaper-2022-12" in h and "kind=" not in h and "q=" in h
    )
    assert "共 3 条结果" in text_of(client.get(remove_kind))
    # The facets of a year and a 类目.
    year = client.get("/search/", {"q": "疫情防控", "year": "2020"})
    assert "共 71 条结果" in text_of(year)
    category = client.get("/search/", {"q": "疫情防控", "category": "法治", "year": "2020"})
    assert category.status_code == 200
    assert "类目：法治" in text_of(category)


def test_search_date_range_speaker_and_sort(client):
    march = client.get(
        "/search/", {"kind": "chronicle", "date_from": "2020-03-01", "date_to": "2020-03-31", "sort": "date"}
    )
    html = march.content.decode()
    assert f"共 {Entry.objects.chronicle().filter(date__month=3, date__year=2020).count()} 条结果" in text_of(
        march
    )
    dates = re.findall(r'<time datetime="(\d{4}-\d\d-\d\d)">', html)
    assert dates == sorted(dates) and dates[0] >= "2020-03-01" and dates[-1] <= "2020-03-31"
    newest = client.get("/search/", {"kind": "chronicle", "sort": "-date"})
    dates = re.findall(r'<time datetime="(\d{4}-\d\d-\d\d)">', newest.content.decode())
    assert dates == sorted(dates, reverse=True) and dates[0] == "2020-12-30"
    speaker = client.get("/search/", {"speaker": "李朝锋", "kind": "speech"})
    assert "共 3 条结果" in text_of(speaker)
    assert '<option value="李朝锋" selected>李朝锋</option>' in speaker.content.decode()
    assert "讲话人：李朝锋" in text_of(speaker)


def test_search_pagination_and_its_bounds(client):
    page2 = client.get("/search/", {"q": "疫情防控", "page": "2"})
    assert "第 2 / 4 页" in text_of(page2)
    html = page2.content.decode()
    assert '<ol class="hits" start="21">' in html
    assert '<a href="/search/?q=%E7%96%AB%E6%83%85%E9%98%B2%E6%8E%A7" rel="prev">' in html
    assert '<a href="/search/?q=%E7%96%AB%E6%83%85%E9%98%B2%E6%8E%A7&amp;page=3" rel="next">' in html
    past = client.get("/search/", {"q": "疫情防控", "page": "5"})
    assert past.status_code == 400
    assert "没有这一页：检索结果共 4 页。" in text_of(past)
    assert "/search/?q=%E7%96%AB%E6%83%85%E9%98%B2%E6%8E%A7&page=4" in hrefs(past)
    assert client.get("/search/", {"q": "疫情防控", "page": "0"}).status_code == 400


def test_search_bad_parameters_answer_400_with_a_message(client):
    response = client.get("/search/", {"q": "许昌", "date_from": "2020-13-01"})
    assert response.status_code == 400
    assert "检索条件有误" in text_of(response)
    assert client.get("/search/", {"q": "许昌", "volume": "nope"}).status_code == 400


def test_search_without_results_suggests_what_would_find_something(client):
    response = client.get("/search/", {"q": "疫情防控 火星"})
    text = text_of(response)
    assert "共 0 条结果" in text and "没有找到相符的条目" in text
    assert "只检索“疫情防控” 79 条" in text
    assert "检索提示" in text
    filtered = client.get("/search/", {"q": "疫情防控", "kind": "chapter", "year": "2022"})
    assert "在全部文献中检索“疫情防控” 79 条" in text_of(filtered)
    # A name one character off from a name in the archive.
    typo = client.get("/search/", {"q": "李朝铎"})
    assert "李朝铎 — 也写作 李朝锋，共 76 条" in text_of(typo)


def test_empty_search_shows_the_help(client):
    response = client.get("/search/")
    assert response.status_code == 200
    text = text_of(response)
    assert "检索帮助" in text and "结果" not in text.split("检索帮助")[0].split("全文检索")[-1]


# --- 大事记 -----------------------------------------------------------------------------


def test_chronicle_is_one_timeline_by_year_and_month(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = client.get("/chronicle/")
    html = response.content.decode()
    assert "共 228 则" in text_of(response)
    assert '<h2 id="year-2020">2020年</h2>' in html
    assert '<h3 id="month-2020-1">1月</h3>' in html
    assert html.count('<time datetime="2020-') == 100
    assert "/chronicle/?page=3" in hrefs(response)
    assert client.get("/chronicle/", {"page": "4"}).status_code == 404


def test_chronicle_date_range_filter_and_exports(client):
    params = {"date_from": "2020-03-01", "date_to": "2020-03-05"}
    response = client.get("/chronicle/", params)
    expected = list(
        Entry.objects.chronicle()
        .filter(date__range=("2020-03-01", "2020-03-05"))
        .order_by("date", "position")
    )
    assert len(expected) == 8
    assert "符合条件的 8 则" in text_of(response)
    assert '<h3 id="month-2020-3">3月</h3>' in response.content.decode()
    assert '<h3 id="month-2020-1">' not in response.content.decode()
    assert "/chronicle/export.csv?date_from=2020-03-01&date_to=2020-03-05" in hrefs(response)

    exported = client.get("/chronicle/export.csv", params)
    assert exported["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0] == ["日期", "截止日期", "标题", "正文", "卷册", "页码", "链接"]
    assert [r[2] for r in rows[1:]] == [e.title for e in expected]
    assert rows[1][4] == "魏都年鉴（2021）" and rows[1][6] == f"http://testserver/entries/{expected[0].pk}/"

    ics = client.get("/chronicle/export.ics", params)
    assert ics["Content-Type"] == "text/calendar; charset=utf-8"
    body = ics.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert body.count("BEGIN:VEVENT") == 8
    assert f"UID:entry-{expected[0].pk}@testserver" in body
    assert f"DTSTART;VALUE=DATE:{expected[0].date:%Y%m%d}" in body
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    unfolded = body.replace("\r\n ", "")
    assert "SUMMARY:" + expected[0].title.replace(",", "\\,").replace(";", "\\;") in unfolded


def test_chronicle_rejects_bad_dates(client):
    response = client.get("/chronicle/", {"date_from": "2020-02-30"})
    assert response.status_code == 400
    assert "筛选条件有误" in text_of(response)
    assert (
        client.get("/chronicle/export.csv", {"date_from": "2020-05-01", "date_to": "2020-04-01"}).status_code
        == 400
    )
    assert client.get("/chronicle/export.ics", {"date_from": "x"}).status_code == 400


# --- people and organisations --------------------------------------------------------


def test_people_index_is_sorted_by_pinyin_and_paginates(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        response = client.get("/people/")
    html = response.content.decode()
    names = re.findall(r'<li><a href="/people/\d+/">([^<]*)</a>', html)
    assert len(names) == 100
    assert names == sorted(names, key=views.pinyin_key)
    assert views.pinyin_key("安") < views.pinyin_key("白") < views.pinyin_key("曾") < views.pinyin_key("张")
    # 曾 as a surname is zēng: it sorts with the Z names, not with C.
    assert views.pinyin_initial("曾凡") == "Z" and views.pinyin_initial("单田芳") == "S"
    assert re.findall(r'<h2 id="letter-([A-Z#])">', html)[0] == "A"
    pages = -(-Person.objects.count() // 100)
    assert f"/people/?page={pages}" in hrefs(response)
    assert client.get("/people/", {"page": pages + 1}).status_code == 404
    letter_z = next(h for h in hrefs(response) if h.endswith("#letter-Z"))
    assert "page=" in letter_z


def test_people_filter_box(client):
    response = client.get("/people/", {"q": "李朝"})
    names = re.findall(r'<li><a href="/people/\d+/">([^<]*)</a>', response.content.decode())
    assert set(names) == set(Person.objects.filter(name__contains="李朝").values_list("name", flat=True))
    assert "李朝锋" in names
    assert '<input id="q" name="q" type="search" value="李朝"' in response.content.decode()
    nobody = client.get("/people/", {"q": "无此人"})
    assert "没有找到含“无此人”的人物" in text_of(nobody)


def test_person_page_shows_appointments_speeches_and_mentions(client, django_assert_max_num_queries):
    person = Person.objects.get(name="李朝锋")
    with django_assert_max_num_queries(10):
        response = client.get(person.get_absolute_url())
    text = text_of(response)
    assert (
        "2020年 《魏都年鉴（2021）》 中共魏都区委 区委副书记 中共魏都区委 区委常委 魏都区人民政府 区长"
        in text
    )
    assert "讲话 3 篇" in text
    assert (
        "在区委十四届十次全会暨区委经济工作会议上的讲话 2021年1月14日 · 区委书记 · 魏都年鉴（2021）" in text
    )
    assert f"提及本人的条目 {person.mentioned_in.count()} 条" in text
    assert person.mentioned_in.count() == 73
    assert f"{person.get_absolute_url()}?page=2" in hrefs(response)
    assert client.get(person.get_absolute_url(), {"page": 3}).status_code == 404


def test_person_page_shows_notes_bylines_and_photos(client):
    appointed = Appointment.objects.filter(note="12月任").select_related("person", "organisation").first()
    text = text_of(client.get(appointed.person.get_absolute_url()))
    assert f"{appointed.organisation.name} {appointed.title} 12月任" in text
    photographer = Person.objects.get(name="许廷合")
    response = client.get(photographer.get_absolute_url())
    text = text_of(response)
    assert "撰稿 6 篇" in text and "摄影" in text
    for c in Caption.objects.filter(credit_person=photographer):
        assert c.entry.get_absolute_url() in hrefs(response)


def test_organisations_index_and_page(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        index = client.get("/organisations/")
    org = Organisation.objects.get(name="中共魏都区委")
    assert f"共 {Organisation.objects.count()} 个机构" in text_of(index)
    names = re.findall(r'<li><a href="/organisations/\d+/">([^<]*)</a>', index.content.decode())
    assert names == sorted(names, key=views.pinyin_key) and len(names) == 100
    # 中 (zhōng) is on the second page.
    assert org.get_absolute_url() in hrefs(client.get("/organisations/", {"page": 2}))
    with django_assert_max_num_queries(6):
        response = client.get(org.get_absolute_url())
    html = response.content.decode()
    text = text_of(response)
    assert "领导成员" in text and "2020年 · 《魏都年鉴（2021）》" in text
    assert html.count('<th scope="row"><a href="/people/') == org.appointments.count() == 21
    assert f"相关条目 {org.mentioned_in.count()} 条" in text
    filtered = client.get("/organisations/", {"q": "区委"})
    assert org.get_absolute_url() in hrefs(filtered)


def test_volume_kind_labels_cover_every_kind():
    assert set(views.DOCUMENT_TYPES) == set(Volume.Kind)


# --- dates at their real precision -------------------------------------------------------


@pytest.fixture
def imprecise_chronicle():
    """A 大事记 with one item of each precision, an era date, a lunar date and the year 20."""
    volume = Volume.objects.create(slug="jingyuan-dashiji", title="泾源大事记", kind="chronicle", source_hash="x")
    section = Section.objects.create(volume=volume, position=0, level=1, title="大事记")
    items = [
        ("1987-03-05", None, "day", "", False, "县城供水工程开工"),
        ("1987-03-16", "1987-03-19", "day", "", False, "县人代会召开"),
        ("1987-03-28", "1987-04-02", "day", "", False, "全县植树周"),
        ("1987-03-11", "1987-03-20", "xun", "", False, "春耕备耕检查"),
        ("1987-03-01", "1987-03-31", "month", "", False, "开展爱国卫生月活动"),
        ("1987-03-01", "1987-05-31", "season", "", False, "春旱"),
        ("1987-01-01", "1987-12-31", "year", "", False, "全县粮食总产创新高"),
        ("1938-03-01", "1938-03-31", "month", "民国27年3月", False, "县城遭日机轰炸"),
        ("1752-05-12", None, "day", "清乾隆十七年四月初一", True, "大水"),
        ("0020-03-01", None, "day", "", False, "编辑录入的早期事件"),
    ]
    entries = {}
    for position, (date, end, precision, printed, lunar, title) in enumerate(items):
        entries[title] = Entry.objects.create(
            volume=volume, section=section, position=position, kind="chronicle", title=title, text=title,
            date=date, date_end=end, date_precision=precision, date_printed=printed, lunar=lunar,
            source_file="jingyuan.txt", line_start=position + 1, line_end=position + 1,
        )  # fmt: skip
    return entries


def timeline_items(response):
    """Return (group heading, date label, title) for each item on a timeline page."""
    html = response.content.decode()
    items = []
    for heading, body in re.findall(r"<h3 [^>]*>(.*?)</h3>\s*<ol>(.*?)</ol>", html, re.S):
        for when, title in re.findall(r'<span class="when">(.*?)</span>\s*<div><a [^>]*>(.*?)</a>', body, re.S):
            items.append((heading, re.sub(r"\s+", "", unescape(re.sub(r"<[^>]+>", "", when))), title))
    return items


def test_the_timeline_shows_each_item_at_its_precision(client, imprecise_chronicle):
    response = client.get("/chronicle/", {"volume": "jingyuan-dashiji", "date_from": "1987-01-01"})
    assert response.status_code == 200
    assert timeline_items(response) == [
        ("春季", "春", "春旱"),
        ("3月", "是月", "开展爱国卫生月活动"),
        ("3月", "5日", "县城供水工程开工"),
        ("3月", "中旬", "春耕备耕检查"),
        ("3月", "16—19日", "县人代会召开"),
        ("3月", "28日—4月2日", "全县植树周"),
        ("全年", "是年", "全县粮食总产创新高"),
    ]
    html = response.content.decode()
    assert '<time datetime="1987-03">是月</time>' in html
    assert '<time datetime="1987">是年</time>' in html
    assert "1987-03-01" not in text_of(response)


def test_the_timeline_shows_printed_era_dates_and_flags_lunar_ones(client, imprecise_chronicle):
    response = client.get("/chronicle/", {"volume": "jingyuan-dashiji", "date_to": "1986-12-31"})
    assert timeline_items(response) == [
        ("3月", "1日", "编辑录入的早期事件"),
        ("5月", "12日（原书：清乾隆十七年四月初一）农历", "大水"),
        ("3月", "是月（原书：民国27年3月）", "县城遭日机轰炸"),
    ]


def test_the_timeline_answers_with_a_date_in_the_year_20(client, imprecise_chronicle):
    # The year list once asked SQLite for one column per year from 20 to 2020: too many.
    response = client.get("/chronicle/")
    assert response.status_code == 200
    years = re.search(r'<nav class="years"[^>]*>(.*?)</nav>', response.content.decode(), re.S).group(1)
    assert re.findall(r">(\d+)年</a> <span class=\"meta\">(\d+)</span>", years) == [
        ("20", "1"), ("1752", "1"), ("1938", "1"), ("1987", "7"), ("2020", "228"),
    ]  # fmt: skip
    assert "/chronicle/?date_from=0020-01-01&amp;date_to=0020-12-31" in response.content.decode()


@pytest.mark.parametrize(
    "title, label",
    [
        ("县城供水工程开工", "1987年3月5日"),
        ("县人代会召开", "1987年3月16—19日"),
        ("全县植树周", "1987年3月28日—4月2日"),
        ("春耕备耕检查", "1987年3月中旬"),
        ("开展爱国卫生月活动", "1987年3月"),
        ("春旱", "1987年春"),
        ("全县粮食总产创新高", "1987年"),
        ("县城遭日机轰炸", "1938年3月（原书：民国27年3月）"),
        ("大水", "1752年5月12日（原书：清乾隆十七年四月初一）农历"),
    ],
)
def test_the_entry_page_and_the_api_give_the_date_at_its_precision(client, imprecise_chronicle, title, label):
    entry = imprecise_chronicle[title]
    kicker = re.search(r'<p class="kicker">(.*?)</p>', client.get(entry.get_absolute_url()).content.decode(), re.S).group(1)
    assert re.sub(r"<[^>]+>", "", kicker) == f"大事记 · {label}"
    data = client.get(f"/api/entries/{entry.pk}").json()
    assert data["date_precision"] == entry.date_precision
    assert data["date_printed"] == entry.date_printed
    assert data["lunar"] is entry.lunar
    assert data["date_label"] == label.replace("（原书：", "（").replace("）农历", "，农历）")


def test_the_homes_latest_days_are_only_items_dated_to_the_day(client, imprecise_chronicle):
    section = Section.objects.get(volume__slug="jingyuan-dashiji")
    for position, (date, end, precision, title) in enumerate(
        [("2021-01-01", "2021-01-31", "month", "一月份开展安全生产大检查"), ("2021-01-05", None, "day", "县城新区开工")], 100
    ):
        Entry.objects.create(
            volume=section.volume, section=section, position=position, kind="chronicle", title=title, text=title,
            date=date, date_end=end, date_precision=precision, source_file="jingyuan.txt", line_start=1, line_end=1,
        )  # fmt: skip
    html = client.get("/").content.decode()
    days = re.findall(r'<h3><time datetime="([\d-]+)">', html)
    assert days[0] == "2021-01-05" and "2021-01-01" not in days
    assert "县城新区开工" in html and "一月份开展安全生产大检查" not in html


def test_a_renamed_person_moves_to_its_place_in_the_people_index(client):
    # The index pages through the stored pinyin key, which save() keeps with the name.
    person = Person.objects.get(name="李朝锋")
    person.name = "阿朝锋"
    person.save(update_fields=["name"])
    first = re.findall(r'<li><a href="/people/(\d+)/">', client.get("/people/").content.decode())
    assert first[0] == str(person.pk)
    assert Person.objects.get(pk=person.pk).sort_key == pinyin.sort_key("阿朝锋")
    z = client.get("/people/", {"q": "阿朝"})
    assert re.findall(r'<h2 id="letter-([A-Z#])">', z.content.decode()) == ["A"]


@pytest.mark.parametrize("query", ["q=许昌", "q=许昌&page=3", "q=a%20b&sort=date&year=2020", "", "q=区&category=大事记&page=2"])
def test_facet_links_are_the_urls_url_with_builds(query):
    # The search page encodes the rest of the query string once per facet, not per value.
    request = RequestFactory().get("/search/?" + query)
    for name in ("volume", "kind", "year", "category"):
        urls = views._facet_urls(request, name)
        for value in ["weidu-yearbook-2021", "大事 记&=?", 2020]:
            assert urls(value) == views.url_with(request, page=None, **{name: value})


def test_facet_items_are_what_the_template_loop_wrote():
    from django.template import engines

    from gazetteer.templatetags.gazetteer_facets import facet_items

    loop = engines["django"].from_string(
        '{% for v in values %}<li><a href="{{ v.url }}"{% if v.active %} aria-current="true" class="active"{% endif %}>'
        '{{ v.label }}</a> <span class="n">{{ v.count }}</span></li>{% endfor %}'
    )  # fmt: skip
    values = [
        {"url": "/search/?q=%E8%AE%B8&volume=a&kind=b", "label": "许昌年鉴<2021>", "count": 12345, "active": False},
        {"url": '/search/?q="x"&year=2020', "label": "2020年 & 'x'", "count": 1, "active": True},
    ]
    assert facet_items(values) == loop.render({"values": values}) != ""


def test_letter_index_counts_by_key_range_as_grouping_does(client):
    # /people/ counts each letter over a range of the sort key's index; a filtered list
    # groups the keys it has. Both give the same starts, "#" names before A and after Z.
    Person.objects.create(name="1号")
    Person.objects.create(name="𠀀")
    for model in (Person, Organisation):
        rows = model.objects.all()
        by_range = views.letter_starts(rows, model)
        assert by_range == views.letter_starts(rows)
        assert by_range[1] == rows.count()
    starts, _ = views.letter_starts(Person.objects.all(), Person)
    assert starts[0] == ("#", 0) and [letter for letter, _ in starts].count("#") == 1
