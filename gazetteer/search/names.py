"""The archive's own names, for the segmenter's user dictionary.

jieba cuts names it does not know into pieces (颍汝干渠 → 颍 / 汝 / 干渠), and a query
cut the same way then also matches texts where those pieces merely stand side by side.
People and organisations come from the loaded records; place names are mined from the
text: a run of single characters that jieba could not place, or a two-character word
before a one-character place word, followed by a place word (干渠, 河, 街道, 社区 …),
that occurs at least twice.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from .analysis import segment

PLACE_SUFFIXES = (
    "干渠", "水库", "湿地", "公园", "游园", "广场", "街道", "社区", "大街", "大道",
    "河", "湖", "渠", "村", "镇", "乡", "路", "街", "山", "桥", "寨", "庄", "营",
)  # fmt: skip
# Single characters that are words of their own (particles, verbs, measure words), not
# the first character of a name.
NOT_A_NAME_START = set("的了在和与及或是为对把被从向由于以将到至等各每该其此这那本全个条座处年月日上下中内外东西南北新老大小")
_CJK = re.compile(r"^[\u3400-\u9fff]$")
MIN_OCCURRENCES = 2


def place_names(texts: Iterable[str]) -> set[str]:
    """Return place names that occur at least twice in ``texts``, as described above."""
    return {name for name, n in place_name_counts(texts).items() if n >= MIN_OCCURRENCES}


def place_name_counts(texts: Iterable[str]) -> Counter:
    """Return how often each place-name candidate occurs in ``texts`` (counts of several
    parts of the archive add up: the dictionary keeps them per volume)."""
    counts = Counter()
    for text in texts:
        words = [s.text for s in segment(text, subwords=False)]
        run: list[str] = []
        for word in words:
            if word in PLACE_SUFFIXES and run and (len(run) >= 2 or (len(run[0]) == 2 and len(word) == 1)):
                name = "".join(run) + word
                if 3 <= len(name) <= 6 and run[0][0] not in NOT_A_NAME_START:
                    counts[name] += 1
                run = []
            elif len(word) == 1 and _CJK.match(word):
                run = [*run, word][-3:] if not (run and len(run[0]) == 2) else [word]
            elif len(word) == 2 and _CJK.match(word[0]):
                # A two-character piece jieba knows (灞陵) names a place only before a
                # one-character place word (灞陵河); 加强社区 is not a place.
                run = [word]
            else:
                run = []
    return counts


def region_parts(region: str) -> list[str]:
    """Split a region into its administrative names: 许昌市魏都区 → 许昌市, 魏都区."""
    return re.findall(r".+?(?:自治州|自治县|地区|省|市|县|区|旗|盟|州)", region)


def archive_words(
    people: Iterable[str],
    organisations: Iterable[str],
    sections: Iterable[str],
    texts: Iterable[str] = (),
    regions: Iterable[str] = (),
    places: Iterable[str] = (),
) -> list[str]:
    """Return the sorted user dictionary: names of people, organisations, places, short section titles.

    Place names are mined from ``texts``, or given ready in ``places``.
    """
    words = set()
    for name in [*people, *organisations, *(part for r in regions for part in region_parts(r))]:
        name = name.strip()
        if 2 <= len(name) <= 20 and " " not in name:
            words.add(name)
    for title in sections:
        title = title.strip()
        # Long titles are sentences ("决胜全面建成小康社会取得决定性成就"): as one word they
        # would hide their own words from search.
        if 2 <= len(title) <= 6 and " " not in title:
            words.add(title)
    words |= place_names(texts)
    words |= set(places)
    return sorted(words)
