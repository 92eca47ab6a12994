import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from gazetteer.corpus import slug_for
from gazetteer.models import Entry, Organisation, Person, Volume
from gazetteer.search import versions

ROOT = Path(__file__).resolve().parent.parent


def snapshot():
    """Row counts of every model: what 'the database is unchanged' means here."""
    return {m.__name__: m.objects.count() for m in apps.get_app_config("gazetteer").get_models()}


def load_volume(*files, kind="yearbook"):
    out = io.StringIO()
    call_command("load_volume", *map(str, files), kind=kind, title="测试", year=2021, slug="bad-input", stdout=out)
    return out.getvalue()


@pytest.fixture
def write(tmp_path):
    def write(name, data):
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name, data, message",
    [
        ("empty.txt", b"", "empty.txt: file is empty"),
        ("blank.txt", b"\n \r\n\t\n", "blank.txt: file is empty"),
        ("binary.txt", bytes(range(256)) * 40, "binary.txt: not UTF-8, UTF-16 or GB18030 text (first undecodable byte at offset 128)"),
        ("latin1.txt", "Jahrbuch für Xuchang\n".encode("latin-1"), "latin1.txt: not UTF-8, UTF-16 or GB18030 text (first undecodable byte at offset 10)"),
        ("notoc-gbk.txt", "魏都年鉴\n\n【区域位置】 魏都区位于许昌市中心。\n".encode("gb18030"), "notoc-gbk.txt: no 目录"),
        ("notoc-utf16.txt", "魏都年鉴\n\n【区域位置】 魏都区位于许昌市中心。\n".encode("utf-16"), "notoc-utf16.txt: no 目录"),
    ],
)
def test_bad_input_is_refused_with_the_file_name_and_changes_nothing(write, name, data, message):
    before = snapshot()
    with pytest.raises(CommandError) as error:
        load_volume(write(name, data))
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)
    assert snapshot() == before


@pytest.mark.django_db
def test_a_missing_file_is_named(tmp_path):
    before = snapshot()
    with pytest.raises(CommandError, match=r"missing\.txt: no such file"):
        load_volume(tmp_path / "missing.txt")
    assert snapshot() == before


@pytest.mark.django_db
def test_an_unknown_kind_is_refused_by_the_command_line(tmp_path):
    with pytest.raises(CommandError, match="invalid choice: 'atlas'"):
        load_volume(tmp_path / "x.txt", kind="atlas")


def test_a_failed_load_exits_non_zero_with_one_line(tmp_path):
    missing = tmp_path / "missing.txt"
    run = subprocess.run(
        [sys.executable, "manage.py", "load_volume", str(missing), "--kind", "yearbook", "--title", "x", "--slug", "x"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1
    assert run.stderr.strip() == f"CommandError: {missing}: no such file"


@pytest.mark.django_db
def test_a_broken_manifest_is_named(tmp_path):
    manifest = tmp_path / "volumes.toml"
    manifest.write_text('[[volume]]\ntitle = "无名"\nkind = "yearbook"\nfiles = ["a.txt"]\n', encoding="utf-8")
    with pytest.raises(CommandError, match=r"volumes\.toml: \[\[volume\]\] #1: missing slug"):
        call_command("load_corpus", manifest=str(manifest), stdout=io.StringIO())


@pytest.mark.django_db
def test_loading_the_unchanged_corpus_again_changes_nothing():
    before = snapshot()
    out = io.StringIO()
    call_command("load_corpus", stdout=out)
    assert "4 volume(s): 4 unchanged" in out.getvalue()
    assert snapshot() == before


@pytest.mark.django_db
def test_any_utf8_text_loads_with_kind_text(write, monkeypatch):
    # Keep this throw-away volume out of the session's search index.
    monkeypatch.setattr("gazetteer.management.commands.load_volume.after_load", lambda results, progress=None: None)
    path = write("notes.txt", "魏都旧事\n\n一、城垣\n\n许昌城始建于汉代。\n\n二、河渠\n\n清潩河穿城而过。\n".encode())
    out = io.StringIO()
    call_command("load_volume", str(path), kind="text", title="魏都旧事", year=2024, slug="notes", stdout=out)
    assert "notes: created" in out.getvalue()
    assert [(e.title, e.text) for e in Entry.objects.filter(volume__slug="notes")] == [
        ("一、城垣", "许昌城始建于汉代。"),
        ("二、河渠", "清潩河穿城而过。"),
    ]


def test_the_wsgi_module_loads_the_segmenter_and_the_views_once_in_the_master(tmp_path):
    # gunicorn --preload imports the app in the master: the dictionary must be loaded
    # there, from the data dir, so that workers start with it.
    (tmp_path / "userdict.txt").write_text("颍汝干渠\n", encoding="utf-8")
    script = (
        "import gc, sys\n"
        "import gazetteer.wsgi\n"
        "from gazetteer.search import analysis\n"
        "print(analysis._engine is not None, analysis.tokens('颍汝干渠', mode='query'))\n"
        "print(gc.get_freeze_count(), 'pypinyin' in sys.modules)\n"
    )
    env = {**os.environ, "GAZETTEER_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "tests.settings"}
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, env=env, check=True)
    segmenter, frozen = run.stdout.strip().split("\n")
    assert segmenter == "True ['颍汝干渠']"
    # The views are imported and what was loaded is frozen out of the garbage collector's
    # sight: pypinyin's tables alone are 194,000 lists, and every full collection walked
    # them, pausing a worker for 100-130 ms in the middle of some request.
    count, views_loaded = frozen.split()
    assert views_loaded == "True" and int(count) > 194_000


@pytest.mark.django_db
def test_a_database_error_during_a_load_is_one_line_and_changes_nothing():
    from django.db import OperationalError, connection

    def full_disk(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("INSERT"):
            raise OperationalError("database or disk is full")
        return execute(sql, params, many, context)

    before = snapshot()
    news = ROOT / "corpus" / "weidu-newspaper-2022-12.txt"
    with connection.execute_wrapper(full_disk), pytest.raises(CommandError) as error:
        call_command("load_volume", str(news), kind="newspaper", title="测试", slug="disk-full", stdout=io.StringIO())
    assert str(error.value) == "database error, the volume being loaded was left unchanged: database or disk is full"
    assert snapshot() == before


@pytest.mark.django_db
def test_load_corpus_rebuilds_an_index_that_was_lost():

    from django.conf import settings

    from gazetteer.search.indexing import backend
    from gazetteer.search.service import search

    versions.remove(settings.HAYSTACK_CONNECTIONS["default"]["PATH"])
    backend().reset()
    out = io.StringIO()
    call_command("load_corpus", stdout=out)
    documents = Entry.objects.count() + Person.objects.count() + Organisation.objects.count()
    assert f"search index rebuilt (it did not match the database): {documents} documents" in out.getvalue()
    assert search({"q": "建置沿革"}).hits[0]["title"] == "建置沿革"


@pytest.mark.django_db
def test_a_forced_reload_counts_only_new_people_and_uses_plural_forms(write, monkeypatch):
    monkeypatch.setattr("gazetteer.management.commands.load_volume.after_load", lambda results, progress=None: None)
    path = write("notes.txt", "魏都旧事\n\n一、城垣\n\n许昌城始建于汉代。\n".encode())
    options = {"kind": "text", "title": "魏都旧事", "slug": "notes", "year": 2024}
    call_command("load_volume", str(path), **options, stdout=io.StringIO())
    out = io.StringIO()
    call_command("load_volume", str(path), **options, force=True, stdout=out)
    line = next(line for line in out.getvalue().splitlines() if "notes: updated" in line)
    assert "2 sections (" in line and "1 entry (text 1)" in line
    assert "0 new people, 0 new organisations, 0 appointments, 0 captions, 0 bylines" in line


LANXI = ROOT / "tests" / "data" / "import" / "lanxi-yearbook-2020.txt"
LANXI_WARNINGS = [
    f"    lanxi-yearbook-2020.txt:{37 + 2 * i} — impossible date in 31日 兰溪县第{i + 1}次防汛调度会议召开。" for i in range(12)
]


@pytest.fixture
def no_index(monkeypatch):
    # Keep these throw-away volumes out of the session's search index.
    monkeypatch.setattr("gazetteer.management.commands.load_volume.after_load", lambda results, progress=None: None)


def load_lanxi(*args, **options):
    out = io.StringIO()
    call_command("load_volume", str(LANXI), *args, title="兰溪年鉴（2020）", region="兰溪县", year_covered=2019, stdout=out, **options)
    return out.getvalue().splitlines()


@pytest.mark.django_db
def test_load_volume_detects_the_kind_by_default_and_says_why(no_index):
    out = load_lanxi()
    assert out[0] == f"lanxi-nianjian-2020: {LANXI}"
    assert out[1] == "    kind detected: yearbook — yearbook: 《…年鉴》 ×1, 编辑说明 ×1, 目录 ×1, 【条目】 ×2"
    volume = Volume.objects.get(slug="lanxi-nianjian-2020")
    assert (volume.kind, volume.year_covered, volume.load_report["detected"]) == ("yearbook", 2019, "yearbook: 《…年鉴》 ×1, 编辑说明 ×1, 目录 ×1, 【条目】 ×2")


@pytest.mark.django_db
def test_an_explicit_kind_is_not_reported_as_detected(no_index):
    out = load_lanxi(kind="yearbook")
    assert not any("kind detected" in line for line in out)


@pytest.mark.django_db
def test_the_first_ten_warnings_are_printed_with_file_and_line(no_index):
    out = load_lanxi()
    start = out.index("lanxi-nianjian-2020: 12 warning(s)")
    assert out[start + 1 : start + 12] == [*LANXI_WARNINGS[:10], "    … and 2 more (-v 2 shows all)"]


@pytest.mark.django_db
def test_verbosity_2_prints_every_warning(no_index):
    out = load_lanxi(verbosity=2)
    start = out.index("lanxi-nianjian-2020: 12 warning(s)")
    assert out[start + 1 : start + 13] == LANXI_WARNINGS
    assert not any("more (-v 2 shows all)" in line for line in out)


@pytest.mark.django_db
def test_verbosity_0_prints_no_warnings_but_stores_them(no_index):
    out = load_lanxi(verbosity=0)
    assert len(out) == 1 and out[0].startswith("1 volume(s): 1 created in ")
    report = Volume.objects.get(slug="lanxi-nianjian-2020").load_report
    assert report["warnings"][0] == {"file": "lanxi-yearbook-2020.txt", "line": 37, "message": "impossible date in 31日 兰溪县第1次防汛调度会议召开。"}
    assert len(report["warnings"]) == 12


@pytest.mark.django_db
def test_load_corpus_prints_each_volumes_warnings(tmp_path, monkeypatch):
    monkeypatch.setattr("gazetteer.corpus.after_load", lambda results, progress=None: None)
    (tmp_path / "lanxi.txt").write_bytes(LANXI.read_bytes())
    manifest = tmp_path / "volumes.toml"
    manifest.write_text(
        '[[volume]]\nslug = "lanxi-2020"\ntitle = "兰溪年鉴（2020）"\nkind = "auto"\nyear_covered = 2019\nfiles = ["lanxi.txt"]\n',
        encoding="utf-8",
    )
    out = io.StringIO()
    call_command("load_corpus", manifest=str(manifest), stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[1] == "    kind detected: yearbook — yearbook: 《…年鉴》 ×1, 编辑说明 ×1, 目录 ×1, 【条目】 ×2"
    start = lines.index("lanxi-2020: 12 warning(s)")
    assert lines[start + 1] == LANXI_WARNINGS[0].replace("lanxi-yearbook-2020.txt", "lanxi.txt")
    assert lines[start + 11] == "    … and 2 more (-v 2 shows all)"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "title, year, slug",
    [
        ("东明县志", 1990, "dongming-xianzhi-1990"),
        ("东明县志", None, "dongming-xianzhi"),
        ("兰溪年鉴（2020）", 2021, "lanxi-nianjian-2020"),  # the year in the title is the one it is known by
        ("南平县大事记", 1938, "nanpingxian-dashiji-1938"),
        ("Qingshi Notes 青石", None, "qingshi-notes-qingshi"),
    ],
)
def test_the_slug_is_the_titles_pinyin_and_year(title, year, slug):
    assert slug_for(title, year) == slug


@pytest.mark.django_db
def test_the_slug_is_stable_for_a_title_and_unique_across_titles(no_index):
    load_lanxi()
    assert slug_for("兰溪年鉴（2020）") == "lanxi-nianjian-2020"  # the same volume: a re-load
    assert slug_for("蓝溪年鉴（2020）") == "lanxi-nianjian-2020-2"  # reads the same, another volume


@pytest.mark.django_db
def test_a_title_without_letters_needs_a_slug(no_index):
    with pytest.raises(CommandError, match=r"cannot make a slug from the title '（）': give --slug"):
        call_command("load_volume", str(LANXI), title="（）", stdout=io.StringIO())


def test_load_volume_in_a_new_data_dir_needs_no_secret_key_and_creates_the_database(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GAZETTEER_", "DATABASE_URL"))}
    env |= {"DJANGO_SETTINGS_MODULE": "gazetteer.settings", "GAZETTEER_DATA_DIR": str(tmp_path / "new")}
    text = ROOT / "tests" / "data" / "other" / "speech-excerpt.txt"
    command = [sys.executable, "manage.py", "load_volume", str(text), "--kind", "text", "--title", "讲话", "--year", "2021"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "migrating a new database (manage.py migrate)"
    assert any("jianghua-2021: created" in line for line in lines)
    assert not (tmp_path / "new" / "secret_key").exists()  # nothing was written that bin/serve should make
    # Serving still needs a real key.
    check = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert check.returncode != 0 and "DJANGO_SECRET_KEY is not set" in check.stderr
