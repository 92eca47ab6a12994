"""Chinese reckonings of the year: reign eras (年号), 干支, Chinese numerals.

The table of eras is data (``data/eras.tsv``), not code: a county's chronicle names
eras from 晋献公 to 民国, and a missing one is added there. Years are Gregorian and
historical: 公元前651年 is -651 and there is no year 0, as the gazetteers print them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

TABLE = Path(__file__).with_name("data") / "eras.tsv"

STEMS = "甲乙丙丁戊己庚辛壬癸"
BRANCHES = "子丑寅卯辰巳午未申酉戌亥"
# Misprints that are common enough in digitised texts to be read as what they stand
# for: 戍 (garrison) and 已 for the branches 戌 and 巳, 已 for the stem 己.
_BRANCH_VARIANTS = {"戍": "戌", "已": "巳"}
_STEM_VARIANTS = {"已": "己"}

_DIGITS = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "O": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
           "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
NUMERAL = "〇零○一二三四五六七八九十廿卅百两"


@dataclass(frozen=True)
class Era:
    dynasty: str  # as in the table: 北宋, 清, 春秋
    name: str  # 乾隆, 晋献公
    first: int  # Gregorian year of its 元年
    last: int  # its last year

    def year(self, n: int) -> int:
        """Return the Gregorian year of the era's n-th year (n = 1 for 元年)."""
        return add_years(self.first, n - 1)


def add_years(year: int, n: int) -> int:
    """Add n years to a historical year, skipping the year 0 that the calendar lacks."""
    astronomical = year + 1 if year < 0 else year
    astronomical += n
    return astronomical - 1 if astronomical <= 0 else astronomical


def chinese_number(text: str) -> int | None:
    """Return the value of 元, 十七, 二十九, 廿三, 一百二十, 27 (or None if it is none of these)."""
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        return int(text)
    if text in ("元", "正"):
        return 1
    total, current = 0, None
    for c in text:
        if c in _DIGITS:
            if current is not None:
                return None  # 二三: not a numeral of this kind
            current = _DIGITS[c]
        elif c == "十":
            total += (current or 1) * 10
            current = None
        elif c == "廿":
            total += 20
            current = None
        elif c == "卅":
            total += 30
            current = None
        elif c == "百":
            total += (current or 1) * 100
            current = None
        else:
            return None
    return total + (current or 0)


def digit_year(text: str) -> int | None:
    """Return 1987 for 一九八七 (a year written digit by digit), else None."""
    if len(text) != 4 or any(c not in _DIGITS for c in text):
        return None
    return int("".join(str(_DIGITS[c]) for c in text))


def ganzhi(year: int) -> str:
    """Return the 干支 of a Gregorian year: 1984 → 甲子."""
    astronomical = year + 1 if year < 0 else year
    k = (astronomical - 4) % 60
    return STEMS[k % 10] + BRANCHES[k % 12]


def ganzhi_index(text: str) -> int | None:
    """Return the place (0 = 甲子) of a 干支 in the sixty-year cycle, or None."""
    if len(text) != 2:
        return None
    stem, branch = _STEM_VARIANTS.get(text[0], text[0]), _BRANCH_VARIANTS.get(text[1], text[1])
    if stem not in STEMS or branch not in BRANCHES:
        return None
    s, b = STEMS.index(stem), BRANCHES.index(branch)
    for k in range(60):
        if k % 10 == s and k % 12 == b:
            return k
    return None  # a stem and branch that never pair (甲丑)


def year_of_ganzhi(text: str, after: int) -> int | None:
    """Return the first year from ``after`` on (``after`` included) whose 干支 is ``text``."""
    k = ganzhi_index(text)
    if k is None:
        return None
    for n in range(60):
        year = add_years(after, n)
        if ganzhi(year) == STEMS[k % 10] + BRANCHES[k % 12]:
            return year
    return None


# ---------------------------------------------------------------------------
# The table


@cache
def eras() -> tuple[Era, ...]:
    """Return every era of the table; an era without ``last`` ends where the next begins."""
    rows = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cells = (line.split("\t") + ["", "", ""])[:5]
        dynasty, name, first, last, aliases = cells
        rows.append((dynasty, name, int(first), int(last) if last else None, aliases))
    out = []
    for i, (dynasty, name, first, last, aliases) in enumerate(rows):
        if last is None:
            later = [r[2] for r in rows[i + 1 :] if r[0] == dynasty and r[2] > first]
            last = max(first, min(later) - 1) if later else first
        for spelling in [name, *filter(None, aliases.split(","))]:
            out.append(Era(dynasty, spelling, first, last))
    return tuple(out)


@cache
def _by_name() -> dict[str, list[Era]]:
    table: dict[str, list[Era]] = {}
    for era in eras():
        table.setdefault(era.name, []).append(era)
    return table


# Dynasty names as printed in headings and before an era, and the table's dynasties
# they cover: 宋 is 北宋 and 南宋, 三国魏 is 魏.
_DYNASTY_ALIASES = {
    "汉": ("西汉", "东汉", "蜀汉"),
    "前汉": ("西汉",),
    "后汉": ("东汉", "后汉"),
    "三国": ("魏", "蜀汉", "吴"),
    "三国魏": ("魏",),
    "曹魏": ("魏",),
    "蜀": ("蜀汉",),
    "晋": ("西晋", "东晋"),
    "南朝": ("南朝宋", "南齐", "梁", "陈"),
    "北朝": ("北魏", "东魏", "北齐", "北周"),
    "南北朝": ("南朝宋", "南齐", "梁", "陈", "北魏", "东魏", "北齐", "北周"),
    "齐": ("南齐", "北齐"),
    "周": ("北周", "后周"),
    "五代": ("后梁", "后唐", "后晋", "后汉", "后周"),
    "宋": ("北宋", "南宋"),
    "中华民国": ("民国",),
    "民国": ("民国",),
    "清朝": ("清",),
    "明朝": ("明",),
    "元朝": ("元",),
}


def dynasties(name: str) -> tuple[str, ...]:
    """Return the table's dynasties a printed dynasty name covers (none if it is not one)."""
    name = name.strip()
    if name in _DYNASTY_ALIASES:
        return _DYNASTY_ALIASES[name]
    if any(era.dynasty == name for era in eras()):
        return (name,)
    return ()


@cache
def dynasty_names() -> tuple[str, ...]:
    """Every printed dynasty name, longest first (for matching at the start of a text)."""
    names = set(_DYNASTY_ALIASES) | {era.dynasty for era in eras()}
    return tuple(sorted(names, key=len, reverse=True))


def resolve(name: str, *, dynasty: str | None = None, near: int | None = None) -> Era | None:
    """Return the era ``name`` stands for.

    An era name used by two dynasties (太和, 至元, 建兴) is settled by the dynasty in
    force (a heading, or a prefix such as 清乾隆) and then by the year of the text
    around it: the first such era that has not ended before ``near``.
    """
    found = _by_name().get(name, [])
    if dynasty:
        covered = dynasties(dynasty)
        narrowed = [e for e in found if e.dynasty in covered]
        if narrowed:
            found = narrowed
    if not found:
        return None
    if near is not None:
        current = [e for e in found if e.last >= near]
        return min(current, key=lambda e: e.first) if current else max(found, key=lambda e: e.first)
    return found[0]


@cache
def _era_pattern() -> re.Pattern:
    names = sorted(_by_name(), key=len, reverse=True)
    dyn = "|".join(map(re.escape, dynasty_names()))
    return re.compile(
        rf"^(?P<dynasty>{dyn})?(?P<ruler>[\u4e00-\u9fff]{{1,2}}[帝宗祖])?"
        rf"(?P<era>{'|'.join(map(re.escape, names))})"
        rf"(?P<gz1>[{STEMS}已][{BRANCHES}戍已])?(?P<n>元|[{NUMERAL}]+|\d{{1,3}})年"
        rf"(?:[，,]?(?P<gz2>[{STEMS}已][{BRANCHES}戍已])(?:年|岁)?)?"
    )


@cache
def _era_name_pattern() -> re.Pattern:
    names = sorted(_by_name(), key=len, reverse=True)
    dyn = "|".join(map(re.escape, dynasty_names()))
    return re.compile(
        rf"^(?P<dynasty>{dyn})?(?P<ruler>[\u4e00-\u9fff]{{1,2}}[帝宗祖])?(?P<era>{'|'.join(map(re.escape, names))})"
    )


def match_era_name(text: str, *, dynasty: str | None = None, near: int | None = None) -> tuple[Era, int] | None:
    """Read an era's name at the start of ``text`` (洪武 of 洪武中); return it and its length."""
    m = _era_name_pattern().match(text)
    if not m:
        return None
    era = resolve(m.group("era"), dynasty=m.group("dynasty") or dynasty, near=near)
    return (era, m.end()) if era else None


@dataclass(frozen=True)
class EraYear:
    era: Era
    number: int  # the n of "n年"
    year: int  # Gregorian
    printed: str  # the text matched: 清乾隆十七年, 咸丰丙辰六年
    ganzhi: str = ""  # the 干支 printed with it, if any


def match_era_year(text: str, *, dynasty: str | None = None, near: int | None = None) -> EraYear | None:
    """Read an era year at the start of ``text``: 清乾隆十七年, 民国27年, 晋献公二十六年, 咸丰丙辰六年."""
    m = _era_pattern().match(text)
    if not m:
        return None
    n = chinese_number(m.group("n"))
    if not n:
        return None
    era = resolve(m.group("era"), dynasty=m.group("dynasty") or dynasty, near=near)
    if era is None:
        return None
    return EraYear(era, n, era.year(n), m.group(0), m.group("gz1") or m.group("gz2") or "")


def convert(text: str, *, dynasty: str | None = None, near: int | None = None) -> int | None:
    """Return the Gregorian year of an era year (清乾隆十七年 → 1752), or None."""
    found = match_era_year(text.strip(), dynasty=dynasty, near=near)
    return found.year if found else None
