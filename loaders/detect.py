"""``--kind auto``: tell which kind of publication a text is, and say why.

Each kind is scored by signs that only its layout has, counted over the text's lines
(furniture taken out first, so a ``# source:`` comment or a web bar says nothing);
the best score wins and the reason names the signs and their counts, so the person
loading can see (and overrule) the choice.

Signs are shapes, never names of places: a 《…年鉴》 title and 【条目】 heads for a
yearbook; 各位代表 and a speaker line for speeches; 第X章/节 with 规划 for a plan;
本报记者 for a newspaper; a …志 title, 凡例, 概述, 大事记, 卷X, 第X编/卷 for a
gazetteer; and for a chronicle, a text most of whose paragraphs open with a date or
an era year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .furniture import clean_sources
from .headings import is_dynasty
from .text import Source

_N = "一二三四五六七八九十百零〇"
# A paragraph that opens with a date: 1987年, 公元前651年, 3月5日, 建安元年, 乾隆十七年, 是年.
_DATED = re.compile(
    rf"^(?:公元前?\d{{1,4}}年|\d{{3,4}}年|\d{{1,2}}月(?:\d{{1,2}}日)?"
    rf"|[\u4e00-\u9fff]{{2,4}}?(?:[甲乙丙丁戊己庚辛壬癸][子丑寅卯辰巳午未申酉戌亥])?(?:元|[{_N}]{{1,3}})年"
    rf"|[{_N}]{{1,3}}年|[甲乙丙丁戊己庚辛壬癸][子丑寅卯辰巳午未申酉戌亥]|(?:是|本|该|同)[年月日]|[春夏秋冬][，,季\s]"
    # A yearbook 大事记's day items: 3日, 16—19日, 上旬, △ (another item of the same day).
    rf"|\d{{1,2}}\s*日|\d{{1,2}}\s*[—\-~～至]\s*\d{{1,2}}\s*日|[上中下]旬|△)"
)

# (kind, sign, pattern, weight, cap): each matching line adds ``weight``, up to ``cap`` times.
_SIGNS = [
    ("yearbook", "《…年鉴》", re.compile(r"年[鉴鑑鑒]\s*[（(]\s*\d{4}\s*[）)]|《[^》]{0,20}年[鉴鑑鑒]"), 4, 2),
    ("yearbook", "目录", re.compile(r"^目\s*[录錄録]$"), 2, 1),
    ("yearbook", "编辑说明", re.compile(r"^[编編]\s*[辑輯]\s*[说說]\s*明$"), 3, 1),  # a 志 has 凡例 instead
    ("yearbook", "【条目】", re.compile(r"^【[^】]{2,30}】\s*\S"), 1, 12),
    ("speeches", "各位代表/同志们", re.compile(r"^(?:各位代表|同志们)[：:！!，,]"), 3, 2),
    (
        "speeches",
        "讲话人",
        re.compile(r"^[\u4e00-\u9fff]{0,12}(?:书记|市长|区长|县长|省长|主席|主任)\s+[\u4e00-\u9fff](?:\s?[\u4e00-\u9fff]){1,2}$"),
        3,
        3,
    ),
    (
        "speeches",
        "会议日期",
        re.compile(r"^(?:——)?\s*[（(]?\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日.{0,40}(?:会议上|[）)]$)"),
        2,
        3,
    ),
    ("speeches", "工作报告", re.compile(r"^.{0,20}(?:工作报告|的讲话)$"), 2, 2),
    ("plan", "第X章", re.compile(rf"^第[{_N}\d]+章"), 1, 6),
    ("plan", "规划纲要", re.compile(r"规划.{0,20}纲要|五年规划|远景目标"), 3, 2),
    ("newspaper", "本报记者", re.compile(r"本报(?:记者|讯)"), 3, 3),
    ("newspaper", "记者/通讯员", re.compile(r"^(?:记者|通讯员)\s*[\u4e00-\u9fff]{2,4}(?:\s|$)"), 2, 2),
    ("gazetteer", "…志 title", re.compile(r"^[《]?[\u4e00-\u9fff]{1,6}[县縣州府厅廳市区區郡]志(?:[》]|\s|[巻卷]|$)|^[\u4e00-\u9fff]{2}志[巻卷]"), 4, 2),
    ("gazetteer", "#+TITLE: …志", re.compile(r"^#\+TITLE:\s*\S{1,8}志\s*$"), 4, 1),
    ("gazetteer", "凡例/概述/序", re.compile(r"^(?:#+\s*)?(?:●\s*)?(?:凡\s*例|概\s*述|序\s*言?|[编編][后後][记記]|附\s*[录錄録])$"), 2, 3),
    ("gazetteer", "第X编/卷/类/辑", re.compile(rf"^(?:#+\s*)?第[{_N}\d]+[编編卷巻类類辑輯](?:\s|$)"), 2, 4),
    ("gazetteer", "第X章/节/目", re.compile(rf"^第[{_N}\d]+[章节節目](?:\s|$)"), 1, 4),
    ("gazetteer", "卷X", re.compile(rf"^[卷巻]\s*[{_N}]+$"), 1, 8),
    ("gazetteer", "…志第N / …志N", re.compile(rf"^[\u4e00-\u9fff]{{1,4}}志(?:第)?[{_N}]+(?:\s|$)"), 2, 3),
    ("gazetteer", "修志姓氏/官绅", re.compile(r"修志姓氏|官绅姓名|纂修姓氏|^\S{0,8}志\S{0,4}(?:姓名|姓氏)$"), 3, 1),
    ("gazetteer", "目録/目录 of 志", re.compile(r"^\S{0,6}志\s*目[録录](?:\s|$)"), 2, 1),
]


@dataclass(frozen=True)
class Detection:
    kind: str
    reason: str  # shown as printed: "yearbook: 《…年鉴》 ×2, 【条目】 ×270"


def detect(sources: list[Source], kinds=None) -> Detection:
    """Return the kind the sources most look like; ``text`` when nothing stands out.

    ``kinds``: the kinds that can be loaded; a kind not among them is never chosen.
    """
    lines = [ln.text.strip() for ln in clean_sources(sources).lines]
    lines = [t.removesuffix("¶").strip() for t in lines if t]
    # The furniture pass drops mandoku headers; their #+TITLE: still names the book.
    titles = re.findall(r"^#\+TITLE:.*$", "\n".join(s.text for s in sources), re.M)
    counts: dict[tuple[str, str], int] = {}
    for text in titles + lines[:40000]:
        for kind, sign, pattern, _, _ in _SIGNS:
            if pattern.search(text):
                counts[kind, sign] = counts.get((kind, sign), 0) + 1
    scores: dict[str, int] = {}
    for kind, sign, _, weight, cap in _SIGNS:
        n = counts.get((kind, sign), 0)
        scores[kind] = scores.get(kind, 0) + weight * min(n, cap)
    signs = {kind: [f"{sign} ×{n}" for (k, sign), n in counts.items() if k == kind] for kind in scores}

    # A chronicle: most paragraphs open with a date or an era year; dynasty lines help.
    body = [t for t in lines if len(t) > 6]
    dated = sum(1 for t in body if _DATED.match(t))
    dynasties = sum(1 for t in lines if is_dynasty(t))
    if body and dated >= 5 and dated / len(body) >= 0.35:
        scores["chronicle"] = 10 + min(dynasties, 5) + int(20 * dated / len(body))
        signs["chronicle"] = [f"dated paragraphs {dated}/{len(body)}"] + ([f"dynasty headings ×{dynasties}"] if dynasties else [])
        # A book's own 大事记 does not make it a chronicle: a 目录, 编辑说明 or 凡例 says the
        # text is the whole book (a short yearbook can be mostly 大事记).
        front = sum(counts.get(key, 0) for key in (("yearbook", "目录"), ("yearbook", "编辑说明")))
        front += sum(1 for t in lines if re.fullmatch(r"凡\s*例", t))
        others = max((v for k, v in scores.items() if k != "chronicle"), default=0)
        if front and others >= 3:
            scores["chronicle"] = min(scores["chronicle"], others - 1)
    if not counts.get(("plan", "规划纲要")):
        scores["plan"] = 0  # 第X章 alone is any book's; a plan names itself
    else:
        scores["gazetteer"] -= min(counts.get(("gazetteer", "第X章/节/目"), 0), 4)
        signs["gazetteer"] = [s for s in signs["gazetteer"] if not s.startswith("第X章")]
    if "chronicle" in scores and counts.get(("yearbook", "《…年鉴》")) and (
        counts.get(("yearbook", "编辑说明")) or counts.get(("yearbook", "【条目】"))
    ):
        # A yearbook whose digitised part is mostly its 大事记 is still a yearbook: its
        # title and its 编辑说明 or 【条目】 say what the book is.
        scores["chronicle"] = min(scores["chronicle"], scores["yearbook"] - 1)
    if "speeches" in scores and counts.get(("yearbook", "【条目】"), 0) >= 10:
        # A yearbook's 特载 holds speeches; hundreds of 【条目】 say what the book is.
        scores["speeches"] = min(scores["speeches"], 6)
    if kinds is not None:
        scores = {k: v for k, v in scores.items() if k in kinds}
    if not scores or max(scores.values()) < 3:
        return Detection("text", "no layout recognised: loaded as plain text under its headings")
    kind = max(scores, key=lambda k: (scores[k], k))
    return Detection(kind, f"{kind}: {', '.join(signs.get(kind, []))}")
