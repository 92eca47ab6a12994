"""Reading source files: decoding, normalising, and re-joining page-broken paragraphs.

Every loader reads its files through ``read_source`` so that one set of rules decides
what a file's text is. What cannot be decoded is refused with the byte offset of the
first bad byte; nothing is guessed silently.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .document import LoaderError

# A paragraph that ends in one of these is complete; one that does not was cut by a
# page break (or is a heading, which parsers take out before joining).
SENTENCE_END = set("。！？!?；;：:…”’」』）)】》.")

# Control characters other than tab and newline: NUL padding, form feeds from page
# breaks, stray escape codes from OCR exports. Taken out, not refused, unless a file
# is mostly made of them (then it is not text).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\ufeff]")
_SPACES = re.compile(r"[\u3000\u00a0\u2002-\u200a\u202f\u205f]")


@dataclass(frozen=True)
class Line:
    """One line of a source file: where it stands, and its normalised text."""

    file: str
    number: int  # 1-based
    text: str


@dataclass(frozen=True)
class Source:
    """A decoded source file."""

    name: str  # the file name the archive cites (no directory)
    text: str
    encoding: str

    def lines(self) -> list[Line]:
        return [Line(self.name, n, t) for n, t in enumerate(self.text.split("\n"), 1)]


def decode(data: bytes, name: str = "") -> tuple[str, str]:
    """Return (text, encoding) for the bytes of a source file, or raise LoaderError.

    Accepted: UTF-8 (with or without BOM), UTF-16 (with BOM, or unmistakably UTF-16 by
    its zero bytes), GB18030 (which includes GBK and GB2312) when the result reads as
    Chinese. Anything else is refused with the offset of the first byte that is not
    UTF-8. A file with no visible text, BOM or not, is refused as empty.
    """
    text, encoding = _decode(data, name)
    if not text.strip(" \t\r\n\x00\ufeff\u3000"):
        raise LoaderError("file is empty", file=name)
    return text, encoding


def _decode(data: bytes, name: str) -> tuple[str, str]:
    if not data:
        raise LoaderError("file is empty", file=name)
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict(data[3:], "utf-8", name), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict(data, "utf-16", name), "utf-16"
    utf16 = _utf16_without_bom(data)
    if utf16:
        return _strict(data, utf16, name), utf16
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        offset = utf8_error.start
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is None or not _reads_as_chinese(text):
        raise LoaderError(
            f"not UTF-8, UTF-16 or GB18030 text (first undecodable byte at offset {offset})", file=name
        )
    return text, "gb18030"


def _strict(data: bytes, encoding: str, name: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as e:
        raise LoaderError(
            f"not valid {encoding.upper()} (undecodable byte at offset {e.start})", file=name
        ) from None


def _utf16_without_bom(data: bytes) -> str | None:
    sample = data[:4000]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    # ASCII-heavy UTF-16 has a zero in every other byte; Chinese UTF-16 has none in
    # either position, so only the ASCII case can be told without a BOM.
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _reads_as_chinese(text: str) -> bool:
    """Tell GB18030 that really is Chinese from bytes that merely decode as it.

    Almost any byte pair from 0x81 up decodes as *some* GB18030 character, so a Latin-1
    `für` would pass as `f黵`. Real Chinese text is mostly common hanzi and punctuation.
    """
    visible = [c for c in text if not c.isspace()]
    wide = [c for c in visible if ord(c) > 0x7F]
    if not wide:
        return False
    common = sum(1 for c in wide if "\u4e00" <= c <= "\u9fff" or "\u3000" <= c <= "\u303f" or "\uff00" <= c <= "\uffef")
    return common / len(wide) > 0.9 and common / len(visible) > 0.3


def normalise(text: str, name: str = "") -> str:
    """Return text with LF line ends, plain spaces, no control characters, NFC.

    Refuse text that is mostly control characters: that is a binary file.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    controls = len(_CONTROL.findall(text))
    if controls > 0.05 * max(len(text), 1):
        raise LoaderError("binary file, not text", file=name)
    text = _CONTROL.sub("", text)
    text = _SPACES.sub(" ", text)
    # NFC only: NFKC would turn full-width punctuation （，） into ASCII and change
    # what the archive quotes.
    text = unicodedata.normalize("NFC", text)
    return "\n".join(line.rstrip() for line in text.split("\n"))


def read_source(path: str | Path) -> Source:
    """Read, decode and normalise one source file, or raise LoaderError naming it."""
    path = Path(path)
    name = path.name
    if not path.exists():
        raise LoaderError("no such file", file=str(path))
    if not path.is_file():
        raise LoaderError("not a file", file=str(path))
    return source_from_bytes(name, path.read_bytes())


def source_from_bytes(name: str, data: bytes) -> Source:
    """Decode and normalise the bytes of a file called ``name``."""
    text, encoding = decode(data, name)
    return Source(name, normalise(text, name), encoding)


def source_from_text(name: str, text: str) -> Source:
    """Make a Source from text already in memory (tests, the admin)."""
    if not text.strip():
        raise LoaderError("file is empty", file=name)
    return Source(name, normalise(text, name), "utf-8")


def squeeze(s: str) -> str:
    """Remove the spaces that pad names and titles for alignment: 刘 明 → 刘明, 主 任 → 主任."""
    return re.sub(r"(?<=[^\x00-\x7f]) +(?=[^\x00-\x7f])", "", s.strip())


def is_complete(paragraph: str) -> bool:
    """Whether a paragraph ends a sentence (so a blank line after it is a real break)."""
    paragraph = paragraph.rstrip()
    return not paragraph or paragraph[-1] in SENTENCE_END


def join_paragraphs(paragraphs: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Re-join paragraphs a page break cut mid-sentence.

    Takes and returns (text, first_line, last_line) triples. A paragraph that does not
    end a sentence continues in the next one: `…组建帮` + `扶办，并组成了…` is one
    paragraph. Headings must already be taken out, or they would swallow the text
    after them.
    """
    out: list[tuple[str, int, int]] = []
    for text, first, last in paragraphs:
        if out and not is_complete(out[-1][0]) and not _starts_new_item(text):
            prev, pfirst, _ = out[-1]
            out[-1] = (prev + text, pfirst, last)
        else:
            out.append((text, first, last))
    return out


_NEW_ITEM = re.compile(
    r"^(?:[（(]?[一二三四五六七八九十]+[、）)]|[（(]?\d+[、.．）)]|【|第[一二三四五六七八九十\d]+[章节条部分])"
)


def _starts_new_item(text: str) -> bool:
    """A numbered point or 【标题】 starts something new even after an unfinished line."""
    return bool(_NEW_ITEM.match(text))


def blocks(lines: list[Line]) -> list[tuple[str, int, int]]:
    """Group lines into paragraphs: each non-blank line is one, as in these exports."""
    return [(line.text.strip(), line.number, line.number) for line in lines if line.text.strip()]


def is_hard_wrapped(lines: list[Line]) -> bool:
    """Whether a text was wrapped at a fixed width, so that a line end is not a paragraph end.

    Such texts (scanned books converted line by line) mark a paragraph by indenting its
    first line; most of their lines run to the same length.
    """
    lengths = [len(ln.text.strip()) for ln in lines if ln.text.strip() and not ln.text.startswith("\t")]
    if len(lengths) < 5:
        return _indents_mark_paragraphs(lines)
    width = sorted(lengths)[int(len(lengths) * 0.8)]
    full = sum(1 for n in lengths if width - 2 <= n <= width + 1)
    indented = sum(1 for ln in lines if re.match(r"^(?: {2,}|\u3000)\S", ln.text))
    return (width >= 15 and full >= 0.4 * len(lengths) and indented >= 1) or _indents_mark_paragraphs(lines)


def _indents_mark_paragraphs(lines: list[Line]) -> bool:
    """Whether paragraphs start indented and run on in flush-left lines right below."""
    starts = continued = loose = 0
    previous = ""
    for ln in lines:
        text = ln.text
        if text.strip() and not text.startswith("\t"):
            if re.match(r"^ {2,}\S", text):
                starts += 1
            elif previous.strip():
                continued += 1
            else:
                loose += 1
        previous = text
    return starts >= 2 and continued >= 2 and loose <= continued // 4


def join_wrapped(lines: list[Line]) -> list[tuple[str, int, int]]:
    """Re-join the lines of a hard-wrapped text into paragraphs.

    A paragraph starts at an indented line or after a blank line; every other line
    continues the one before it, whatever it ends with (the wrap falls anywhere, also
    right after a full stop). Returns (text, first_line, last_line) triples.
    """
    out: list[tuple[str, int, int]] = []
    gap = True
    for ln in lines:
        text = ln.text.strip()
        if not text:
            gap = True
            continue
        starts = gap or ln.text[:1] in (" ", "\t")
        if starts or not out:
            out.append((text, ln.number, ln.number))
        else:
            prev, first, _ = out[-1]
            out[-1] = (prev + text, first, ln.number)
        gap = False
    return out
