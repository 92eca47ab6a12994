"""Which characters of a stored text can fold to a given one: a test, cheaper than
folding, that a text cannot contain a term.

A search page finds each hit's snippet by folding the hit's text (``analysis.fold``:
OpenCC t2s and the fold table) and looking for the query's folded terms in it: about
0.26–0.47 ms for a 5,000-character speech, folded in full even when the match is elsewhere
(李朝锋's speeches have his name in the speaker column only, and each of the twenty
hits' texts was folded for nothing). ``prefilter(terms)`` is an expression over the
*unfolded* text that finds every place where a term could be after folding, so a text
it finds nothing in is left unfolded: no match can be there.

It is exact because ``fold`` keeps every character where it was. A character of the
folded text comes from the character at the same place in the original, either

- on its own: the fold table (Ａ → a, compatibility ideographs), then OpenCC's
  character tables (鋒 → 锋). These are read from OpenCC itself, every code point that
  can be in a table converted once (``_singles``; the classes take ~75 ms once per process);
- or inside one of OpenCC's phrases (``opencc-phrases.json``: 乾隆 keeps 乾, which on
  its own becomes 干; 瞭解 → 了解). OpenCC keeps its phrase table only compiled, so
  its keys are written down here, for the OpenCC version pinned in requirements.txt,
  by ``python -m gazetteer.search.unfold --write`` (which needs ``pip install
  marisa-trie``, not a dependency of the archive). With another OpenCC installed there
  is no prefilter: every text is folded, as before.

White space next to a CJK character is dropped before matching (``query.normalize``),
so any white space may stand between two characters of a term.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterable
from importlib.metadata import version
from pathlib import Path

from .analysis import _FOLD_TABLE, _converter, fold

log = logging.getLogger(__name__)

PHRASES_FILE = Path(__file__).with_name("opencc-phrases.json")
# Every code point OpenCC's t2s tables hold (U+346E … U+30EDE) and more: the CJK
# radicals and punctuation, the BMP's ideographs, compatibility forms and full-width
# letters, Extensions B–H. Surrogates and private use are left out.
_RANGES = ((0x20, 0x7F), (0x2E80, 0xD800), (0xF900, 0x10000), (0x20000, 0x2FA20), (0x30000, 0x323B0))

_lock = threading.Lock()
_classes: dict[str, str] | None = None


def _singles() -> dict[str, set[str]]:
    """{folded character: the characters that fold to it on their own (itself not included)}."""
    chars = [chr(c) for lo, hi in _RANGES for c in range(lo, hi)]
    # One call for all: a line break between them, so that no two form an OpenCC phrase.
    folded = fold("\n".join(chars)).split("\n")
    out: dict[str, set[str]] = {}
    if len(folded) != len(chars):  # not one character each: no prefilter can be built
        raise ValueError("fold() did not keep the characters apart")
    for c, f in zip(chars, folded, strict=True):
        if f != c:
            out.setdefault(f, set()).add(c)
    return out


def _phrase_pairs(phrases: Iterable[str]) -> set[tuple[str, str]]:
    """(character in a phrase, what it becomes there) for every OpenCC phrase."""
    pairs = set()
    convert = _converter().convert
    for phrase in phrases:
        value = convert(phrase)
        if len(value) == len(phrase):  # others are folded character by character (fold())
            pairs.update(zip(phrase, value, strict=True))
    return pairs


def _pre_folds() -> dict[str, set[str]]:
    """{character: the characters the fold table turns into it before OpenCC matches its
    phrases} (Ａ → a, compatibility ideographs and Kangxi radicals → unified ones)."""
    out: dict[str, set[str]] = {}
    for c, f in _FOLD_TABLE.items():
        out.setdefault(f, set()).add(c)
    return out


def classes() -> dict[str, str] | None:
    """{folded character: every other character that can fold to it}, or None when the
    phrase list does not belong to the installed OpenCC."""
    global _classes
    if _classes is None:
        with _lock:
            if _classes is None:
                _classes = _build()
    return _classes or None


def _build() -> dict[str, str]:
    try:
        saved = json.loads(PHRASES_FILE.read_text(encoding="utf-8"))
        installed = version("OpenCC")
    except (OSError, ValueError, ImportError) as error:
        log.warning("no snippet prefilter: %s", error)
        return {}
    if saved.get("opencc") != installed:
        log.warning(
            "no snippet prefilter: %s lists OpenCC %s's phrases, %s is installed "
            "(python -m gazetteer.search.unfold --write)",
            PHRASES_FILE.name, saved.get("opencc"), installed,
        )  # fmt: skip
        return {}
    sources = _singles()
    pre = _pre_folds()
    for before, after in _phrase_pairs(saved["phrases"]):
        sources.setdefault(after, set()).update({before} | pre.get(before, set()))
    return {f: "".join(sorted(cs - {f})) for f, cs in sources.items() if cs - {f}}


def _char_class(char: str, table: dict[str, str]) -> str:
    if char.isspace():
        return ""
    others = table.get(char)
    return f"[{re.escape(char + others)}]" if others else re.escape(char)


def prefilter(terms: Iterable[str]) -> re.Pattern | None:
    """An expression that finds, in unfolded text, every place where one of ``terms``
    (folded and normalised, as ``query.normalize`` returns them) can be after folding;
    None if there is none to be had (no terms, or no phrase list for this OpenCC)."""
    table = classes()
    terms = [t for t in terms if t.strip()]
    if table is None or not terms:
        return None
    alternatives = []
    for term in terms:
        parts = [p for p in (_char_class(c, table) for c in term) if p]
        alternatives.append(r"\s*".join(parts))
    return re.compile("|".join(alternatives))


def _write() -> None:  # pragma: no cover - run by hand when OpenCC is upgraded
    """Write the installed OpenCC's t2s phrase keys to ``PHRASES_FILE``."""
    import marisa_trie  # pip install marisa-trie: only for this
    import opencc

    data = Path(opencc.__file__).parent / "clib" / "share" / "opencc" / "TSPhrases.ocd2"
    raw = data.read_bytes()
    header = b"OPENCC_MARISA_0.2.5"
    if not raw.startswith(header):
        raise SystemExit(f"{data}: not an OpenCC marisa dictionary")
    trie = marisa_trie.Trie()
    trie.frombytes(raw[len(header) :])
    phrases = sorted(trie.keys())
    payload = {"opencc": version("OpenCC"), "config": "t2s", "dictionary": "TSPhrases", "phrases": phrases}
    PHRASES_FILE.write_text(json.dumps(payload, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"{PHRASES_FILE}: {len(phrases)} phrases of OpenCC {payload['opencc']}")


if __name__ == "__main__":  # pragma: no cover
    import sys

    if sys.argv[1:] != ["--write"]:
        raise SystemExit("usage: python -m gazetteer.search.unfold --write")
    _write()
