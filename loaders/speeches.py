"""Collections of speeches and work reports (长葛市领导讲话及政府工作报告).

Each speech opens with a header of a few short lines::

    在市委十三届十一次全体会议暨 全市领导干部会议上的讲话     title (one or two lines)
    市委书记 尹俊营                                             speaker line
    （2020年8月17日）                                           date line

or, for a work report, with the date inside an occasion line before the speaker::

    政府工作报告
    2021 年 7 月 17 日在市十五届人大五次会议上
    人民政府代市长 张晓丽

The speaker line is the anchor: the title and the date are looked for around it.
Text before the first header is the end of a speech whose title was lost; it is kept
as an untitled entry. All speeches go into one level-1 section, "讲话", in the order
of the text: the volume is not chronological and years would split it arbitrarily.
"""

from __future__ import annotations

import re

from .document import Document, Entry, EntryKind, LoaderError, Section
from .furniture import clean_sources
from .text import Line, Source, is_complete, join_paragraphs

SECTION_TITLE = "讲话"
UNTITLED = "（标题缺失）"

_CJK = "\u4e00-\u9fff"
# 市委书记 尹俊营 / 人民政府代市长 张晓丽: an office ending in a title word, then a name
# (possibly padded for alignment: 张 晓丽).
_SPEAKER = re.compile(
    rf"^(?P<title>[{_CJK}（）]{{1,20}}?(?:书记|长|主任|主席|委员|常委|部长))\s+"
    rf"(?P<name>[{_CJK}](?:\s?[{_CJK}]){{1,3}})$"
)
_DATE = r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"
# （2020年8月17日）, (2020 年 9 月 29 日), (2020年4月29日,根据录音整理)
_DATE_LINE = re.compile(rf"^[（(]\s*{_DATE}\s*(?:[,，、]\s*(?P<note>[^)）]{{1,30}}))?[)）]$")
# 2021 年 7 月 17 日在市十五届人大五次会议上; ——2025年1月14日在…会议上
_OCCASION = re.compile(rf"^(?:——\s*)?{_DATE}\s*[在于].{{2,60}}$")
# The occasion and the speaker in one sentence, the name glued to the title:
# 2025年1月13日在省十四届人大三次会议上省人民政府省长王某某作政府工作报告。
_MERGED = re.compile(
    rf"^(?:——\s*)?(?P<occasion>{_DATE}\s*[在于].{{2,60}}?会议上)"
    rf"\s*(?P<title>[{_CJK}]{{1,20}}?(?:书记|长|主任|主席))\s*(?P<name>[{_CJK}]{{2,3}})(?:作(?P<what>[{_CJK}]{{2,20}}))?。?$"
)
# 一、准确把握形势… / （二）抓实六稳六保… : a heading inside a speech
_HEADING = re.compile(r"^(?:[一二三四五六七八九十]+、|[（(]\s*[一二三四五六七八九十]+\s*[）)])")
_MAX_TITLE = 60


def parse(sources: list[Source], *, year_covered: int | None = None) -> Document:
    """Return the speeches of the sources as one section of speech entries."""
    doc = Document(kind="speeches")
    cleaned = clean_sources(sources, doc.warn)  # 来源： lines and the like are not the speech
    lines = [line for line in cleaned.lines if line.text.strip()]
    name = sources[0].name if sources else ""
    headers = _find_headers(lines)
    if not headers:
        raise LoaderError("no speech found: expected a title, a speaker line and a date", file=name)

    entries = []
    if headers[0]["start"] > 0:
        # The volume opens mid-speech: keep that text, under a title we must make up.
        opening = lines[: headers[0]["start"]]
        entries.append(_entry(UNTITLED, opening, opening, untitled=True))
    for n, header in enumerate(headers):
        end = headers[n + 1]["start"] if n + 1 < len(headers) else len(lines)
        body = lines[header["body"] : end]
        entry = _entry(header["title"], lines[header["start"] : end], body)
        entry.speaker = header["speaker"]
        entry.speaker_title = header["speaker_title"]
        entry.subtitle = header["subtitle"]
        entry.date = header["date"]
        entry.notes = header["notes"]
        entries.append(entry)

    section = Section(SECTION_TITLE, level=1, entries=entries, line=lines[0].number, source_file=name)
    doc.sections = [section]
    return doc


def _find_headers(lines: list[Line]) -> list[dict]:
    """Return a header (title, speaker, date, where the body starts) per speaker line."""
    headers: list[dict] = []
    for i, line in enumerate(lines):
        match = _SPEAKER.match(line.text.strip())
        merged = None if match else _MERGED.match(line.text.strip())
        if not match and not merged:
            continue
        floor = headers[-1]["body"] if headers else 0
        j = i - 1
        subtitle = date = ""
        if merged:
            subtitle, date = tidy(merged["occasion"]), _iso(merged)
            match = merged
        elif j >= floor and (occasion := _OCCASION.match(lines[j].text.strip())):
            subtitle, date = tidy(lines[j].text).lstrip("—").strip(), _iso(occasion)
            j -= 1
        title_lines = []
        while j >= floor and len(title_lines) < 2 and _title_like(lines[j].text):
            title_lines.insert(0, lines[j])
            j -= 1
        if not title_lines:
            continue
        if len(title_lines) == 2 and j >= floor and not is_complete(lines[j].text):
            # The line before is an unfinished sentence: the first "title" line is
            # really its end, so only the second line is the title.
            title_lines = title_lines[1:]
        start = i - len(title_lines) - (1 if subtitle and not merged else 0)
        body = i + 1
        notes = []
        if body < len(lines) and (dated := _DATE_LINE.match(lines[body].text.strip())):
            date = date or _iso(dated)
            # 根据录音整理: how the text was made, a note on it, not the occasion.
            notes = [dated["note"].strip()] if dated["note"] and dated["note"].strip() else []
            body += 1
        if not date:
            continue
        headers.append(
            {
                "start": start,
                "body": body,
                "title": tidy("".join(line.text.strip() for line in title_lines)),
                "speaker": re.sub(r"\s", "", match["name"]),
                "speaker_title": re.sub(r"\s", "", match["title"]),
                "subtitle": subtitle,
                "date": date,
                "notes": notes,
            }
        )
    return headers


def _title_like(text: str) -> bool:
    text = text.strip()
    return (
        0 < len(text) <= _MAX_TITLE
        and not is_complete(text)
        and not _HEADING.match(text)
        and not _SPEAKER.match(text)
        and not _DATE_LINE.match(text)
    )


def _entry(title: str, span: list[Line], body: list[Line], untitled: bool = False) -> Entry:
    entry = Entry(
        title=title,
        kind=EntryKind.SPEECH,
        source_file=span[0].file,
        line_start=span[0].number,
        line_end=span[0].number,
        paragraphs=paragraphs(body),
        untitled=untitled,
    )
    entry.end_at(span[-1])
    return entry


def paragraphs(lines: list[Line]) -> list[str]:
    """Return the paragraphs of a speech, page-broken ones re-joined, headings kept apart."""
    out: list[str] = []
    run: list[tuple[str, int, int]] = []
    for line in lines:
        text = line.text.strip()
        if _HEADING.match(text) and len(text) <= _MAX_TITLE and not is_complete(text):
            # A heading does not end a sentence, so join_paragraphs would glue the
            # next paragraph onto it: join the runs between headings only.
            out += [p for p, _, _ in join_paragraphs(run)]
            out.append(text)
            run = []
        else:
            run.append((text, line.number, line.number))
    out += [p for p, _, _ in join_paragraphs(run)]
    return out


def tidy(text: str) -> str:
    """Remove the spaces typesetting put around digits and inside Chinese titles.

    ``全体会议暨 全市领导干部会议`` → ``全体会议暨全市领导干部会议``,
    ``2021 年 7 月`` → ``2021年7月``.
    """
    text = re.sub(r"\s+", " ", text.strip())
    wide = rf"[{_CJK}（）“”]"
    return re.sub(rf"(?<={wide}) (?=[\d{_CJK}（）“”])|(?<=\d) (?={wide})", "", text)


def _iso(match: re.Match) -> str:
    return f"{int(match['y']):04d}-{int(match['m']):02d}-{int(match['d']):02d}"
