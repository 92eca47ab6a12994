"""End to end in headless Chromium against the archive served by gunicorn.

A historian's path: home → search 疫情防控 → a result → the breadcrumb to the volume's
目录 → back to the entry → a person named in it → back → copy the GB/T 7714 citation.
Each page is saved as a screenshot in tests/artifacts/screenshots/; any console error
fails the test.
"""

import datetime
import json
import re
import urllib.parse
import urllib.request
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.browser_helpers import CHROMIUM, CHROMIUM_ARGS, archive_server

SCREENSHOTS = Path(__file__).resolve().parent / "artifacts" / "screenshots"
IMPORT_TEXT = Path(__file__).resolve().parent / "data" / "import" / "lanxi-yearbook-2020.txt"
EDITOR = ("import-editor", "a-long-editor-password-2")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing (Debian package chromium)"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with archive_server(tmp_path_factory.mktemp("browser-data"), editor=EDITOR) as base:
        yield base


def api(base, path):
    with urllib.request.urlopen(base + path, timeout=10) as response:
        return json.load(response)


def expected_citation(base, entry_id):
    """Build the GB/T 7714 reference independently, from the JSON API."""
    entry = api(base, f"/api/entries/{entry_id}")
    volume = next(v for v in api(base, "/api/volumes")["volumes"] if v["slug"] == entry["volume"])
    assert volume["kind"] == "yearbook"
    names = entry["authors"] or ([entry["speaker"]] if entry["speaker"] else [])
    head = (", ".join(names) + ". ") if names else ""
    page = f": {entry['page']}" if entry["page"] else ""
    today = datetime.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    return (
        f"{head}{entry['title']}[M/OL]//{volume['compiler']}. {volume['title']}. {volume['year']}{page}"
        f"[{today}]. {base}/entries/{entry_id}/."
    )


def test_a_reader_searches_reads_browses_and_cites(server):
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    errors = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": 1200, "height": 800},
            locale="zh-CN",
            permissions=["clipboard-read", "clipboard-write"],
        )
        page = context.new_page()
        page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
        page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))

        def shot(name):
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))

        try:
            # Home: the search box is there and says what the archive holds.
            page.goto(server + "/")
            assert page.title() == "方志档案 · 许昌地方文献全文档案"
            assert "收录 4 种文献" in page.locator(".lead").inner_text()
            # Static files come cache-busted from whitenoise.
            css = page.locator('link[rel="stylesheet"]').get_attribute("href")
            assert re.fullmatch(r"/static/css/site\.[0-9a-f]{12}\.css", css), css
            shot("1-home")

            page.get_by_label("检索全文").fill("疫情防控")
            page.get_by_label("检索全文").press("Enter")
            page.wait_for_url("**/search/?q=*")
            assert "共 79 条结果" in page.locator(".count").inner_text()
            assert page.locator(".hits mark").first.inner_text() == "疫情防控"
            shot("2-search")

            # Open results in order until one names people (the first few do not).
            links = page.locator(".hits h2 a")
            hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
            for href in hrefs:
                page.goto(server + href)
                if page.locator(".entry-side a[href^='/people/']").count():
                    break
            else:
                pytest.fail("no result on the first page names a person")
            entry_id = int(re.search(r"/entries/(\d+)/", page.url).group(1))
            assert page.locator(".entry mark").count() > 0
            assert page.locator("[data-hit-count]").inner_text().startswith("（共 ")
            shot("3-entry")
            entry_url = page.url

            # Breadcrumb → the volume's 目录, collapsed; a toggle opens a 类目.
            page.locator(".crumbs a").nth(1).click()
            page.wait_for_url("**/volumes/*/")
            assert page.locator("h1").inner_text() == "魏都年鉴（2021）"
            first_toggle = page.locator("#toc button.toggle").first
            assert first_toggle.get_attribute("aria-expanded") == "false"
            assert not page.locator("#toc .toc-body").first.is_visible()
            first_toggle.focus()
            page.keyboard.press("Enter")  # the tree works from the keyboard
            assert first_toggle.get_attribute("aria-expanded") == "true"
            assert page.locator("#toc .toc-body").first.is_visible()
            missing = page.locator("#toc .missing .toc-title").first
            assert missing.evaluate("e => e.tagName") == "SPAN"
            shot("4-volume")

            # Back to the entry → a person named in it.
            page.goto(entry_url)
            person = page.locator(".entry-side a[href^='/people/']").first
            name = person.inner_text()
            person.click()
            page.wait_for_url("**/people/*/")
            assert page.locator("h1").inner_text().startswith(name)
            assert page.locator("#mentioned-title").is_visible()
            assert page.locator(f".entry-list a[href^='/entries/{entry_id}/']").count() == 1
            shot("5-person")

            # Back to the entry → copy its citation and read the clipboard.
            page.go_back()
            page.wait_for_url(entry_url)
            page.get_by_role("button", name="复制引文").click()
            page.locator(".copy-status").filter(has_text="已复制").wait_for()
            copied = page.evaluate("navigator.clipboard.readText()")
            assert copied == expected_citation(server, entry_id)
            page.locator("#citation").scroll_into_view_if_needed()
            shot("6-citation")
        finally:
            context.close()
            browser.close()
    assert errors == []


def test_static_files_are_served_compressed_and_cached_for_good(server):
    """Whitenoise serves the hashed CSS with a far-future cache and a compressed variant."""
    with urllib.request.urlopen(server + "/", timeout=10) as response:
        html = response.read().decode()
    css = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', html).group(1)
    request = urllib.request.Request(server + css, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Encoding"] == "gzip"
        assert "max-age=315360000" in response.headers["Cache-Control"]
    quoted = urllib.parse.quote("疫情防控")
    with urllib.request.urlopen(f"{server}/search/?q={quoted}", timeout=10) as response:
        assert response.status == 200


def test_an_editor_imports_a_text_through_the_admin(server):
    """Sign in, upload a small yearbook (the upload goes through the progress-bar script),
    read the preview, confirm, land on the volume's load report; then read it on the site."""
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    errors, uploads = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1200, "height": 800}, locale="zh-CN")
        page = context.new_page()
        page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
        page.on("request", lambda r: uploads.append(r.url) if r.url.endswith("/import/upload/") else None)
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        try:
            page.goto(server + "/admin/login/?next=/admin/gazetteer/volume/")
            page.fill("#id_username", EDITOR[0])
            page.fill("#id_password", EDITOR[1])
            page.get_by_role("button", name="登录").click()
            page.wait_for_url("**/admin/gazetteer/volume/")
            page.get_by_role("link", name="导入文本").click()
            page.wait_for_url("**/volume/import/")

            page.set_input_files("#id_files", str(IMPORT_TEXT))
            page.fill("#id_title", "兰溪年鉴（2020）")
            page.fill("#id_region", "兰溪县")
            page.fill("#id_year_covered", "2019")
            page.get_by_role("button", name="上传并预览").click()
            page.wait_for_selector("#confirm-form")
            assert uploads == [server + "/admin/gazetteer/volume/import/upload/"]  # the script sent the files
            summary = page.locator(".summary").inner_text()
            assert "年鉴（自动识别：yearbook: 《…年鉴》 ×1, 编辑说明 ×1, 目录 ×1, 【条目】 ×2），4 个目录节点，18 个条目，12 条警告" in summary
            assert page.locator(".first-entries").first.locator("tbody tr").first.inner_text().split("\t") == [
                "全县春季植树活动启动", "2019年3月5日", "日", "lanxi-yearbook-2020.txt:26",
            ]  # fmt: skip
            page.screenshot(path=str(SCREENSHOTS / "7-import-preview.png"), full_page=True)

            page.get_by_role("button", name="确认载入").click()
            page.wait_for_url("**/load-report/")
            assert "已载入《兰溪年鉴（2020）》：18 个条目，12 条警告。" in page.locator(".messagelist").inner_text()
            assert page.locator("td.where a").count() == 12
            page.locator("td.where a").first.click()
            page.wait_for_url("**/source/0/?line=37#L37")
            assert page.locator("tr.here").inner_text().split("\t") == ["37", "31日 兰溪县第1次防汛调度会议召开。"]
            page.screenshot(path=str(SCREENSHOTS / "8-load-report-source.png"))

            page.goto(server + "/volumes/lanxi-nianjian-2020/")
            assert page.locator("h1").inner_text() == "兰溪年鉴（2020）"
        finally:
            context.close()
            browser.close()
    assert errors == []
