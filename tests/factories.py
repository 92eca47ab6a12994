"""Small parsed documents for store and API tests that need no real parser."""

from loaders.document import Appointment, Caption, Document, Entry, EntryKind, Section, Table


def small_document():
    speech = Entry(
        title="在全区工作会议上的讲话",
        kind=EntryKind.SPEECH,
        source_file="test.txt",
        line_start=3,
        line_end=9,
        paragraphs=["同志们：", "今天召开会议。"],
        page=3,
        date="2020-04-29",
        speaker="王 五".replace(" ", ""),
        speaker_title="区委书记",
    )
    item = Entry(
        title="区域位置",
        kind=EntryKind.ENTRY,
        source_file="test.txt",
        line_start=12,
        line_end=14,
        paragraphs=["本区位于许昌市中心。", "面积三十平方公里。"],
        page=53,
        authors=["宋岩", "李阳"],
        captions=[Caption("区政府大楼", "卜丽君", 13), Caption("会议现场", "组织部", 14)],
        tables=[Table("表1", [["指标", "数值"], ["面积", "30"]])],
    )
    chronicle = Entry(
        title="举行春节团拜会",
        kind=EntryKind.CHRONICLE,
        source_file="test.txt",
        line_start=20,
        line_end=20,
        paragraphs=["魏都区举行春节团拜会。王五出席。"],
        date="2020-01-02",
    )
    return Document(
        kind="yearbook",
        title="测试年鉴",
        sections=[
            Section("特载", 1, page=3, entries=[speech]),
            Section("大事记", 1, page=35, children=[Section("1月", 2, page=35, entries=[chronicle])]),
            Section("区情概况", 1, page=53, children=[Section("位置 境域", 2, page=53, entries=[item])]),
            Section("文化", 1, page=300, digitized=False),
        ],
        appointments=[
            Appointment("中共测试区委", "区委书记", "王五", [], "", None, None, "test.txt", 30),
            Appointment("中共测试区委", "区委副书记", "张楠", ["女"], "12月离", None, 12, "test.txt", 31),
        ],
    )
