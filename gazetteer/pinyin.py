"""The pinyin order of names: the people and organisations indexes sort by it.

``pinyin_key`` is the order itself; ``sort_key`` is the same key as stored in the
database (``Person.sort_key``, ``Organisation.sort_key``), written in hexadecimal UTF-8
so that every database and collation (SQLite's bytes, PostgreSQL's en_US or C) orders
it exactly as Python orders the keys.
"""

from __future__ import annotations

import functools

from pypinyin import Style, lazy_pinyin

# Surnames whose reading differs from the character's most common one (曾 is zēng, not
# céng, as a surname); pypinyin reads characters out of context.
SURNAME_READINGS = {
    "曾": "zeng",
    "单": "shan",
    "解": "xie",
    "仇": "qiu",
    "区": "ou",
    "查": "zha",
    "朴": "piao",
    "覃": "qin",
    "盖": "ge",
    "乐": "yue",
    "缪": "miao",
    "种": "chong",
    "折": "she",
    "尉": "yu",
    "翟": "zhai",
    "召": "shao",
    "秘": "bi",
    "长": "chang",
    "重": "chong",
    "员": "yun",
    "藏": "zang",
}


@functools.lru_cache(maxsize=200_000)
def pinyin_key(name):
    """Return the sort key of a Chinese name: its pinyin, then its tones, then the characters.

    One string, so that comparing keys is a plain string comparison: the syllables
    joined by spaces (which sort before letters: "li ming" before "lin"), the tones,
    the name, separated by U+0001.
    """
    plain = [s.lower() for s in lazy_pinyin(name)]
    tones = lazy_pinyin(name, style=Style.TONE3, neutral_tone_with_five=True)
    if plain and name[:1] in SURNAME_READINGS:
        plain[0] = SURNAME_READINGS[name[0]]
    return f"{' '.join(plain)}\x01{' '.join(tones)}\x01{name}"


def pinyin_initial(name):
    letter = pinyin_key(name)[:1].upper()
    return letter if "A" <= letter <= "Z" else "#"


def sort_key(name: str) -> str:
    """Return ``pinyin_key(name)`` as stored: hexadecimal of its UTF-8 bytes."""
    return pinyin_key(name).encode().hex()


def initial_of_sort_key(key: str) -> str:
    """Return the index letter (A–Z, or #) of a stored sort key."""
    letter = bytes.fromhex(key[:2]).decode(errors="replace").upper() if key else ""
    return letter if "A" <= letter <= "Z" else "#"
