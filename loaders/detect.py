"""``--kind auto``: tell which kind of publication a text is, and say why.

Each kind is scored by signs that only its layout has, counted over the text's
lines; the best score wins and the reason names the signs and their counts, so the
person loading can see (and overrule) the choice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .text import Source

# (kind, sign, pattern, weight): a line matching ``pattern`` is evidence for ``kind``.
_SIGNS = [
    ("yearbook", "目录", re.compile(r"^\s*目\s*录\s*$"), 3),
    ("yearbook", "【条目】", re.compile(r"^\s*【[^】]{2,30}】"), 1),
    ("yearbook", "年鉴", re.compile(r"年鉴"), 1),
    ("plan", "第X章", re.compile(r"^\s*第[一二三四五六七八九十百\d]+章"), 2),
    ("plan", "第X节", re.compile(r"^\s*第[一二三四五六七八九十百\d]+节"), 1),
    ("plan", "规划纲要", re.compile(r"规划.{0,20}纲要"), 3),
    ("newspaper", "本报记者", re.compile(r"本报(?:记者|讯)"), 3),
    ("speeches", "各位代表/同志们", re.compile(r"^\s*(?:各位代表|同志们)[：:！!，,]"), 3),
    (
        "speeches",
        "讲话人",
        re.compile(
            r"^\s*(?:[\u4e00-\u9fff]{1,12}(?:书记|市长|区长|县长|省长|主席))\s+[\u4e00-\u9fff]{2,4}\s*$"
        ),
        2,
    ),
]


@dataclass(frozen=True)
class Detection:
    kind: str
    reason: str  # 中文 or English, shown as printed: "目录 ×1, 【条目】 ×270"


def detect(sources: list[Source]) -> Detection:
    """Return the kind the sources most look like; ``text`` when nothing stands out."""
    counts: dict[tuple[str, str], int] = {}
    weights: dict[tuple[str, str], int] = {}
    for source in sources:
        for line in source.text.split("\n")[:20000]:
            for kind, sign, pattern, weight in _SIGNS:
                if pattern.search(line):
                    counts[kind, sign] = counts.get((kind, sign), 0) + 1
                    weights[kind, sign] = weight
    scores: dict[str, int] = {}
    for (kind, sign), n in counts.items():
        # Saturate: a hundred 【】 lines are not a hundred times the evidence of one.
        scores[kind] = scores.get(kind, 0) + weights[kind, sign] * min(n, 5)
    if not scores or max(scores.values()) < 3:
        return Detection("text", "no layout recognised: loaded as plain text under its headings")
    kind = max(scores, key=lambda k: (scores[k], k))
    signs = ", ".join(f"{sign} ×{n}" for (k, sign), n in sorted(counts.items()) if k == kind)
    return Detection(kind, f"{kind}: {signs}")
