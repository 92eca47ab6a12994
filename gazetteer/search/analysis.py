"""The one analyzer used for indexing and for queries: OpenCC folding + jieba segmentation.

Pure Python (Whoosh, jieba, OpenCC); no Django. The pipeline for a text is

    fold()      traditional → simplified (OpenCC t2s), full-width letters and digits
                → ASCII, Latin lower-cased, compatibility ideographs and Kangxi radicals
                → unified ideographs. Always the same length as its input, so offsets in
                the folded text are offsets in the original.
    space_runs()
                "王 焱", "特 载": single characters spread out with spaces in the
                yearbook's lists are read as one word.
    segment()   jieba precise segmentation; positions 0, 1, 2 … per precise token, so
                Whoosh phrase queries work; search-mode sub-words (all 2-grams and the
                dictionary words inside longer tokens) at the position of their parent.

jieba is loaded lazily on first use; call ``configure()`` at process start to choose the
data dir (for its cache) and load the archive's names as a user dictionary.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from whoosh.analysis import CompositeAnalyzer, Token, Tokenizer

# "jieba" or "rjieba" (jieba-rs with jieba's dictionary, ~25× faster). On the sample
# corpus with the same user words, rjieba's own cut agrees with jieba's on 99.994% of
# tokens (the rest: it keeps "2020-2024" whole), and this module's output agrees on 100%
# (tests/search/test_analysis.py checks it). Index and queries must use the same engine:
# switching it means rebuilding the index.
ENGINE = "rjieba"

# Every CJK ideograph block, not just jieba's [\u4E00-\u9FA5]: Extension A–G, the
# compatibility ideographs, and 〇 (U+3007), which the plans write in 二〇三五年.
CJK = (
    "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\U00020000-\U0002a6df\U0002a700-\U0002ebef\U0002f800-\U0002fa1f\U00030000-\U0003134f"
)
_CJK_CHAR = re.compile(f"[{CJK}]")
# A token is kept if it has a letter or digit of any script; punctuation is dropped.
_WORDLIKE = re.compile(r"[^\W_]")
# Characters jieba keeps inside a Latin/number token ("PM2.5", "88.9%", "2020-2025").
_INNER_PUNCT = re.compile(r"[._%+#&]")
_INNER_PARTS = re.compile(r"[^._%+#&]+")
_EDGE_PUNCT = "._%+#&-"
_HYPHENATED = re.compile(r"[^-]+")
_HSPACE = re.compile("[ \t\u3000\u00a0]+")
# Runs of white space (those next to a CJK character are kept by ``space_runs``).
_SPACE_RUN = re.compile(r"\s+")

# The longest dictionary word emitted as a sub-word of a longer token.
_MAX_SUBWORD = 4


def _fold_table() -> dict[str, str]:
    table = {chr(c): chr(c + 32) for c in range(ord("A"), ord("Z") + 1)}
    # Full-width letters and digits (ＰＭ２．５) → ASCII, lower-cased. Full-width
    # punctuation stays: it is in every line and means the same to the tokenizer.
    for c in range(0xFF01, 0xFF5F):
        if chr(c).isalnum() or chr(c) in "．％＋＃＆－＿":
            table[chr(c)] = chr(c - 0xFEE0).lower()
    table["\u3000"] = " "
    # Compatibility ideographs and Kangxi radicals (common in PDF exports) have a
    # one-character NFKC form; anything that would change the length is left alone.
    for lo, hi in ((0x2F00, 0x2FD6), (0xF900, 0xFB00), (0x2F800, 0x2FA20)):
        for c in range(lo, hi):
            n = unicodedata.normalize("NFKC", chr(c))
            if len(n) == 1 and n != chr(c):
                table[chr(c)] = n
    return table


_FOLD_TABLE = _fold_table()
# str.translate() with a dict costs 0.1 µs a character; most characters need nothing.
_FOLDABLE = re.compile(
    "[A-Z\u3000\u2f00-\u2fd5\uf900-\ufaff\uff03\uff05\uff06\uff0b\uff0d\uff0e\uff10-\uff19\uff21-\uff3a\uff3f\uff41-\uff5a"
    "\U0002f800-\U0002fa1f]+"
)
_FOLD_TRANS = str.maketrans(_FOLD_TABLE)

_lock = threading.RLock()
_opencc = None
_engine = None
_engine_name = None
_user_words: set[str] = set()


# ---------------------------------------------------------------- folding


def _converter():
    global _opencc
    if _opencc is None:
        with _lock:
            if _opencc is None:
                import opencc

                _opencc = opencc.OpenCC("t2s")
    return _opencc


def fold(text: str) -> str:
    """Return ``text`` folded for matching, with exactly the same length as ``text``."""
    text = _FOLDABLE.sub(lambda m: m.group().translate(_FOLD_TRANS), text)
    folded = _converter().convert(text)
    if len(folded) == len(text):
        return folded
    # OpenCC converts phrases, and a few phrase entries change the length. Convert piece
    # by piece then, and character by character where a piece still does not fit.
    out = []
    for piece in re.split(f"([^{CJK}]+)", text):
        conv = _converter().convert(piece)
        if len(conv) != len(piece):
            conv = "".join(c2 if len(c2 := _converter().convert(c)) == 1 else c for c in piece)
        out.append(conv)
    return "".join(out)


class _OffsetMap:
    """Map offsets in a text with some spans removed back to the original text."""

    def __init__(self, cuts: list[tuple[int, int]]):
        # cuts: (position in the shortened text, total chars removed up to there)
        self.at = [c for c, _ in cuts]
        self.shift = [s for _, s in cuts]

    def start(self, i: int) -> int:
        k = bisect_right(self.at, i)
        return i + (self.shift[k - 1] if k else 0)

    def end(self, i: int) -> int:
        return self.start(i - 1) + 1 if i > 0 else 0


def remove_spans(text: str, spans: Iterable[tuple[int, int]]) -> tuple[str, _OffsetMap | None]:
    """Return ``text`` without ``spans`` (ordered, not overlapping) and a map back to ``text``."""
    pieces, cuts, prev, removed = [], [], 0, 0
    for start, end in spans:
        pieces.append(text[prev:start])
        removed += end - start
        cuts.append((end - removed, removed))
        prev = end
    if not cuts:
        return text, None
    pieces.append(text[prev:])
    return "".join(pieces), _OffsetMap(cuts)


def is_cjk(char: str) -> bool:
    return _CJK_CHAR.match(char) is not None


def space_runs(text: str, *, singles_only: bool = False) -> list[tuple[int, int]]:
    """Return the spans of white space next to a CJK character.

    With ``singles_only``, only horizontal space between two CJK characters that stand
    alone, as in the lists' "主 任" and "王 焱".
    """
    if not singles_only:
        # Every run of white space, then a look at the character on either side: three
        # times faster on long texts (snippets of speeches) than one expression with
        # look-behind and look-ahead, which tries both at every character.
        cjk, n = _CJK_CHAR.match, len(text)
        return [
            (s, e)
            for s, e in (m.span() for m in _SPACE_RUN.finditer(text))
            if (s and cjk(text, s - 1)) or (e < n and cjk(text, e))
        ]
    spans = []
    n = len(text)
    for m in _HSPACE.finditer(text):
        s, e = m.span()
        before = s > 0 and is_cjk(text[s - 1])
        after = e < n and is_cjk(text[e])
        if before and after and (s < 2 or not is_cjk(text[s - 2])) and (e + 1 >= n or not is_cjk(text[e + 1])):
            spans.append((s, e))
    return spans


# ---------------------------------------------------------------- engine


class _Jieba:
    name = "jieba"

    def __init__(self, data_dir: Path | None):
        import jieba

        jieba.setLogLevel(logging.WARNING)
        # jieba writes a pickled dictionary cache to the system temp dir by default;
        # keep it in the archive's data dir instead.
        self.dt = jieba.dt
        self.dt.tmp_dir = str(data_dir) if data_dir else tempfile.gettempdir()
        self.dt.cache_file = "jieba.cache"
        self.dt.initialize()

    def cut(self, text: str) -> list[str]:
        return self.dt.lcut(text, HMM=True)

    def has_word(self, word: str) -> bool:
        # FREQ also holds every prefix of a word with frequency 0; those are not words.
        return self.dt.FREQ.get(word, 0) > 0

    def add_word(self, word: str, freq: int | None) -> None:
        self.dt.add_word(word, freq)


class _RJieba:
    name = "rjieba"

    def __init__(self, data_dir: Path | None):
        import rjieba

        self.rj = rjieba

    def cut(self, text: str) -> list[str]:
        return self.rj.cut(text, True)

    def has_word(self, word: str) -> bool:
        return self.rj.has_word(word)

    def add_word(self, word: str, freq: int | None) -> None:
        self.rj.add_word(word, freq, None)


def _get_engine():
    if _engine is None:
        configure(None)
    return _engine


def configure(
    data_dir: Path | str | None,
    user_words: Iterable[str | tuple[str, int]] = (),
    *,
    engine: str | None = None,
) -> None:
    """Initialise the segmenter once per process and add ``user_words`` to its dictionary.

    ``data_dir`` receives jieba's dictionary cache (instead of /tmp). ``user_words`` are
    the archive's own names (people, organisations, places, section titles), given as
    words or (word, frequency) pairs; without a frequency jieba picks one that keeps the
    word whole. Safe to call again and from several threads: words already added are
    skipped, and the engine is only created once (a different ``engine`` is refused).
    """
    global _engine, _engine_name
    with _lock:
        name = engine or _engine_name or ENGINE
        if _engine is None:
            if data_dir is not None:
                Path(data_dir).mkdir(parents=True, exist_ok=True)
            _engine = {"jieba": _Jieba, "rjieba": _RJieba}[name](
                Path(data_dir) if data_dir is not None else None
            )
            _engine_name = name
        elif name != _engine_name:
            raise ValueError(f"segmenter already configured as {_engine_name!r}")
        for item in user_words:
            word, freq = (item, None) if isinstance(item, str) else (item[0], int(item[1]))
            word = fold(word.strip())
            if word and not any(c.isspace() for c in word) and word not in _user_words:
                _engine.add_word(word, freq)
                _user_words.add(word)
                _word_cache.clear()


def engine_name() -> str:
    """Return the name of the segmentation engine in use ("jieba" or "rjieba")."""
    return _get_engine().name


def write_user_dict(path: Path | str, words: Iterable[str | tuple[str, int]]) -> int:
    """Write ``words`` as a jieba user dictionary ("word [freq]" per line); return the count.

    The file is replaced atomically, so a worker starting meanwhile reads the old or the
    new dictionary, never half of one.
    """
    path = Path(path)
    seen: dict[str, int | None] = {}
    for item in words:
        word, freq = (item, None) if isinstance(item, str) else (item[0], int(item[1]))
        word = word.strip()
        if word and not any(c.isspace() for c in word):
            seen.setdefault(word, freq)
    lines = [w if f is None else f"{w} {f}" for w, f in sorted(seen.items())]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))
    os.replace(tmp, path)
    return len(lines)


def load_user_dict(path: Path | str) -> list[str | tuple[str, int]]:
    """Read a dictionary written by ``write_user_dict`` (missing file: no words)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return []
    words: list[str | tuple[str, int]] = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1].isdigit():
            words.append((parts[0], int(parts[1])))
        elif parts:
            words.append(parts[0])
    return words


# ---------------------------------------------------------------- segmentation


class Segment(NamedTuple):
    text: str  # folded, lower-cased
    pos: int  # position: sub-words share their parent's
    start: int  # character offsets in the original text
    end: int
    sub: bool  # a search-mode sub-word rather than a precise token


def _subwords(word: str, engine) -> Iterator[tuple[str, int]]:
    """Yield (sub-word, offset) for the recall sub-words of one precise token."""
    n = len(word)
    if _CJK_CHAR.search(word):
        if n < 3:
            return
        seen = {word}
        # All 2-grams, so that "魏都" finds 魏都区 and "朝锋" finds 李朝锋 (jieba's own
        # search mode only emits the 2-grams that are dictionary words) ...
        for i in range(n - 1):
            if (g := word[i : i + 2]) not in seen:
                seen.add(g)
                yield g, i
        # ... and dictionary words of 3 and 4 characters inside longer tokens.
        for size in range(3, min(n - 1, _MAX_SUBWORD) + 1):
            for i in range(n - size + 1):
                g = word[i : i + size]
                if g not in seen and engine.has_word(g):
                    seen.add(g)
                    yield g, i
    elif _INNER_PUNCT.search(word):
        # "pm2.5" is one token; "pm2" and "5" are its sub-words.
        for m in _INNER_PARTS.finditer(word):
            if m.group() != word:
                yield m.group(), m.start()


def _analyse_word(word: str, engine) -> tuple:
    """Return one (token, sub-words) pair per precise token made of ``word``.

    Each entry is (text, start, end) relative to ``word``. Punctuation gives no tokens;
    Latin and numbers may give several ("2020-2024").
    """
    if not _WORDLIKE.search(word):
        return ()
    if _CJK_CHAR.search(word):
        pieces = [(word, 0)]
    else:
        # jieba cuts "2020-2024" at the hyphen, jieba-rs does not: cut it here, for
        # both. Trailing "%" or "." go too: "88.9%" is found by "88.9".
        pieces = []
        for m in _HYPHENATED.finditer(word):
            piece = m.group().strip(_EDGE_PUNCT)
            if _WORDLIKE.search(piece):
                pieces.append((piece, m.start() + m.group().index(piece)))
    groups = []
    for piece, start in pieces:
        low = piece.lower()
        if len(low) != len(piece):
            low = piece
        subs = tuple((sub, start + i, start + i + len(sub)) for sub, i in _subwords(low, engine))
        groups.append(((low, start, start + len(piece)), subs))
    return tuple(groups)


# Most of a text's words have been seen before: analyse each distinct word once.
_word_cache: dict[str, tuple] = {}
_WORD_CACHE_SIZE = 200_000


def _iter_segments(text: str, subwords: bool) -> Iterator[tuple[str, int, int, int, bool]]:
    engine = _get_engine()
    folded = fold(text)
    folded, spaces = remove_spans(folded, space_runs(folded, singles_only=True))
    cache = _word_cache
    pos = offset = 0
    for word in engine.cut(folded):
        start, offset = offset, offset + len(word)
        groups = cache.get(word)
        if groups is None:
            if len(cache) >= _WORD_CACHE_SIZE:
                cache.clear()
            groups = cache[word] = _analyse_word(word, engine)
        for (word_, s, e), subs in groups:
            if spaces:
                yield word_, pos, spaces.start(start + s), spaces.end(start + e), False
            else:
                yield word_, pos, start + s, start + e, False
            if subwords:
                for sub, s, e in subs:
                    if spaces:
                        yield sub, pos, spaces.start(start + s), spaces.end(start + e), True
                    else:
                        yield sub, pos, start + s, start + e, True
            pos += 1
    if offset != len(folded):  # the engine dropped or changed characters: never seen
        raise RuntimeError(f"{engine.name} did not return the whole text")


def segment(text: str, *, subwords: bool = True) -> list[Segment]:
    """Return the tokens of ``text``: precise tokens numbered 0, 1, 2 … and sub-words."""
    return [Segment(*item) for item in _iter_segments(text, subwords)]


def tokens(text: str, *, mode: str = "index") -> list[str]:
    """Return the token strings of ``text``; mode="query" leaves out the sub-words."""
    return [s.text for s in segment(text, subwords=mode != "query")]


# ---------------------------------------------------------------- Whoosh


class ChineseTokenizer(Tokenizer):
    """A Whoosh tokenizer for Chinese text built on ``segment()``.

    In mode="query" only the precise tokens are produced; otherwise sub-words too, at
    the position of their parent. It folds and lower-cases itself, so no filters are
    needed after it.
    """

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            t.original, t.text = value, fold(value)
            t.boost = 1.0
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar, t.endchar = start_char, start_char + len(value)
            yield t
            return
        for text, pos, start, end, _sub in _iter_segments(value, mode != "query"):
            t.text = text
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = value[start:end]
            if positions:
                t.pos = start_pos + pos
            if chars:
                t.startchar, t.endchar = start_char + start, start_char + end
            yield t


def ChineseAnalyzer() -> CompositeAnalyzer:
    """Return the archive's analyzer: use it for the index and for queries.

    No stop words: Whoosh's StopFilter renumbers positions, which would break both the
    shared positions of sub-words and phrase queries.
    """
    return CompositeAnalyzer(ChineseTokenizer())
