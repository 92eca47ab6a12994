import pytest

from gazetteer import store
from gazetteer.models import Appointment, Caption, Entry, Person, Section, Volume
from tests.factories import small_document

META = store.VolumeMeta(slug="test-yearbook", title="测试年鉴", kind="yearbook", region="测试区", year=2021, year_covered=2020)
FILES = [store.StoredFile("test.txt", "0" * 64, "utf-8", "第一行\n第二行")]


@pytest.mark.django_db
def test_store_creates_the_volume_tree_in_book_order():
    result = store.store_document(small_document(), META, FILES)
    assert result.status == "created"
    volume = Volume.objects.get(slug="test-yearbook")
    assert [s.title for s in Section.objects.filter(volume=volume)] == ["特载", "大事记", "1月", "区情概况", "位置 境域", "文化"]
    assert [e.title for e in Entry.objects.filter(volume=volume)] == ["在全区工作会议上的讲话", "举行春节团拜会", "区域位置"]
    assert result.not_digitized == ["文化"]
    month = Section.objects.get(volume=volume, title="1月")
    assert month.parent.title == "大事记" and month.level == 2


@pytest.mark.django_db
def test_store_keeps_speakers_bylines_captions_and_appointments():
    store.store_document(small_document(), META, FILES)
    speech = Entry.objects.get(volume__slug="test-yearbook", kind="speech")
    assert (speech.speaker, speech.speaker_title, speech.date.isoformat()) == ("王五", "区委书记", "2020-04-29")
    assert speech.speaker_person.name == "王五"
    item = Entry.objects.get(volume__slug="test-yearbook", title="区域位置")
    assert item.text == "本区位于许昌市中心。\n面积三十平方公里。"
    assert [b.person.name for b in item.bylines.all()] == ["宋岩", "李阳"]
    assert [(c.text, c.credit, c.credit_person and c.credit_person.name) for c in Caption.objects.filter(entry=item)] == [
        ("区政府大楼", "卜丽君", "卜丽君"),
        ("会议现场", "组织部", None),
    ]
    assert item.tables == [{"caption": "表1", "rows": [["指标", "数值"], ["面积", "30"]]}]
    zhang = Appointment.objects.get(volume__slug="test-yearbook", person__name="张楠")
    assert (zhang.title, zhang.note, zhang.end_month, zhang.person.notes) == ("区委副书记", "12月离", 12, ["女"])


@pytest.mark.django_db
def test_storing_the_same_files_again_changes_nothing():
    store.store_document(small_document(), META, FILES)
    ids = list(Entry.objects.filter(volume__slug="test-yearbook").values_list("id", flat=True))
    result = store.store_document(small_document(), META, FILES)
    assert result.status == "unchanged"
    assert list(Entry.objects.filter(volume__slug="test-yearbook").values_list("id", flat=True)) == ids


@pytest.mark.django_db
def test_storing_changed_files_replaces_the_volume_rows():
    store.store_document(small_document(), META, FILES)
    doc = small_document()
    doc.sections = doc.sections[:1]
    changed = [store.StoredFile("test.txt", "1" * 64, "utf-8", "改过的")]
    result = store.store_document(doc, META, changed)
    assert result.status == "updated"
    assert Entry.objects.filter(volume__slug="test-yearbook").count() == 1
    assert Section.objects.filter(volume__slug="test-yearbook").count() == 1
    # People are shared across volumes and survive a reload.
    assert Person.objects.filter(name="张楠").exists()


@pytest.mark.django_db
def test_mentions_link_the_longest_known_name():
    store.store_document(small_document(), META, FILES)
    store.link_mentions()
    chronicle = Entry.objects.get(volume__slug="test-yearbook", kind="chronicle")
    assert [p.name for p in chronicle.people.all()] == ["王五"]
