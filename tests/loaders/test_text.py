"""Reading source files (loaders/text.py), and every parser's robustness to damaged text."""

import importlib
import importlib.util
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loaders import KINDS, LoaderError, parse_files
from loaders.text import Source, decode, join_paragraphs, normalise, read_source, squeeze

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
CORPUS_FILES = sorted(CORPUS.glob("*.txt"))
SAMPLE = "魏都区地处许昌市中心城区。\n【区域位置】魏都区位于许昌市区中部。\n"


def write(tmp_path, data: bytes, name="sample.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- decoding -------------------------------------------------------------------


def test_utf8_is_read_as_utf8(tmp_path):
    source = read_source(write(tmp_path, SAMPLE.encode("utf-8")))
    assert source.encoding == "utf-8"
    assert source.text == SAMPLE
    assert source.name == "sample.txt"


def test_utf8_bom_is_dropped(tmp_path):
    source = read_source(write(tmp_path, SAMPLE.encode("utf-8-sig")))
    assert source.encoding == "utf-8-sig"
    assert source.text == SAMPLE


def test_gb18030_is_read_when_it_reads_as_chinese(tmp_path):
    source = read_source(write(tmp_path, SAMPLE.encode("gb18030")))
    assert source.encoding == "gb18030"
    assert source.text == SAMPLE


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_bom_is_read(tmp_path, codec):
    data = SAMPLE.encode(codec)
    if codec != "utf-16":
        data = ("\ufeff" + SAMPLE).encode(codec)
    source = read_source(write(tmp_path, data))
    assert source.encoding == "utf-16"
    assert source.text == SAMPLE


def test_ascii_utf16_without_bom_is_recognised():
    text, encoding = decode("Weidu district yearbook\n".encode("utf-16-le"))
    assert (text, encoding) == ("Weidu district yearbook\n", "utf-16-le")


@pytest.mark.parametrize("ending", ["\r\n", "\r"])
def test_crlf_and_cr_become_lf(tmp_path, ending):
    data = SAMPLE.replace("\n", ending).encode("utf-8")
    assert read_source(write(tmp_path, data)).text == SAMPLE


def test_full_width_and_no_break_spaces_become_plain_spaces():
    assert normalise("第一章\u3000开启\u00a0新征程") == "第一章 开启 新征程"


def test_trailing_spaces_are_removed_but_leading_tabs_kept():
    assert normalise("\t序号  \n正文\t") == "\t序号\n正文"


def test_nul_and_control_characters_are_stripped(tmp_path):
    data = ("魏都区\x00地处\x07许昌市\x0c中心城区。" + "正文" * 100 + "\n").encode("utf-8")
    text = read_source(write(tmp_path, data)).text
    assert text.startswith("魏都区地处许昌市中心城区。")
    assert not any(c in text for c in "\x00\x07\x0c")


def test_zero_width_characters_are_stripped():
    text = "\ufeff魏都\u200b区" + "地处许昌市中心城区" * 5
    assert normalise(text) == "魏都区" + "地处许昌市中心城区" * 5


def test_text_is_nfc():
    assert normalise("e\u0301") == "\u00e9"


def test_full_width_punctuation_is_kept():
    assert normalise("（一）魏都，许昌。") == "（一）魏都，许昌。"


def test_binary_file_is_refused(tmp_path):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)) * 4
    with pytest.raises(LoaderError) as error:
        read_source(write(tmp_path, png, "photo.png"))
    assert "photo.png" in str(error.value)


def test_mostly_control_characters_is_refused_as_binary():
    with pytest.raises(LoaderError, match="binary"):
        normalise("\x01\x02\x03\x04abc", "x.txt")


@pytest.mark.parametrize("data", [b"", b"  \r\n\n\t ", b"\x00\x00"])
def test_empty_file_is_refused(tmp_path, data):
    with pytest.raises(LoaderError, match="empty") as error:
        read_source(write(tmp_path, data, "empty.txt"))
    assert error.value.file == "empty.txt"


@pytest.mark.parametrize(
    "data", [b"\xef\xbb\xbf", b"\xff\xfe", b"\xef\xbb\xbf\r\n  ", "\ufeff \n".encode("utf-16")]
)
def test_a_file_of_only_a_bom_is_refused_as_empty(tmp_path, data):
    with pytest.raises(LoaderError, match="empty"):
        read_source(write(tmp_path, data, "bom.txt"))


def test_undecodable_bytes_are_refused_with_their_offset(tmp_path):
    data = "魏都区".encode() + b"\xff\xfe\xfa" + b"abc"
    with pytest.raises(LoaderError, match=r"offset 9\b") as error:
        read_source(write(tmp_path, data, "bad.txt"))
    assert error.value.file == "bad.txt"


def test_invalid_utf16_after_a_bom_is_refused_with_its_offset():
    data = "\ufeff魏都".encode("utf-16-le") + b"\x00\xdc"  # an unpaired low surrogate
    with pytest.raises(LoaderError, match="offset"):
        decode(data, "bad16.txt")


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(LoaderError, match="no such file") as error:
        read_source(tmp_path / "nowhere.txt")
    assert "nowhere.txt" in str(error.value)


def test_a_directory_is_refused(tmp_path):
    with pytest.raises(LoaderError, match="not a file"):
        read_source(tmp_path)


def test_squeeze_removes_alignment_padding():
    assert squeeze(" 刘 明 ") == "刘明"
    assert squeeze("主 任") == "主任"
    assert squeeze("PM2.5 浓度") == "PM2.5 浓度"


def test_join_paragraphs_rejoins_a_sentence_cut_by_a_page_break():
    paragraphs = [("组建帮", 1, 1), ("扶办，并组成了工作组。", 3, 3), ("（二）下一项。", 5, 5)]
    assert join_paragraphs(paragraphs) == [("组建帮扶办，并组成了工作组。", 1, 3), ("（二）下一项。", 5, 5)]


def test_join_paragraphs_does_not_glue_a_numbered_item_to_an_unfinished_line():
    paragraphs = [("一是提振", 1, 1), ("二、下一节", 3, 3)]
    assert join_paragraphs(paragraphs) == paragraphs


# --- every parser, fed every file and damaged text ---------------------------------

PARSERS = [kind for kind, module in KINDS.items() if importlib.util.find_spec(module) is not None]


@pytest.mark.parametrize("kind", PARSERS)
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_every_parser_reads_every_corpus_file_or_refuses_it(kind, path):
    try:
        document = parse_files([path], kind)
    except LoaderError as error:
        assert path.name in str(error)
    else:
        assert document.kind == kind


def _parse_bytes(kind: str, data: bytes, name: str) -> None:
    try:
        text, encoding = decode(data, name)
        source = Source(name, normalise(text, name), encoding)
        if not source.text.strip():
            return
        importlib.import_module(KINDS[kind]).parse([source])
    except LoaderError:
        pass


TEXTS = {path.name: path.read_bytes() for path in CORPUS_FILES}
BOUNDED = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def damaged(draw):
    """Draw (kind, name, bytes): a corpus file truncated, sliced, or re-encoded."""
    kind = draw(st.sampled_from(PARSERS))
    name = draw(st.sampled_from(sorted(TEXTS)))
    data = TEXTS[name]
    start = draw(st.integers(0, len(data)))
    end = draw(st.integers(start, len(data)))
    how = draw(st.sampled_from(["truncate", "slice", "gb18030", "utf-16", "utf-8-sig"]))
    if how == "truncate":
        return kind, name, data[:end]
    if how == "slice":
        return kind, name, data[start:end]
    text = data.decode("utf-8")
    a = draw(st.integers(0, len(text)))
    b = draw(st.integers(a, len(text)))
    return kind, name, text[a:b].encode(how)


@BOUNDED
@given(damaged())
def test_parsers_raise_nothing_but_loader_error_on_damaged_text(case):
    kind, name, data = case
    _parse_bytes(kind, data, name)


@BOUNDED
@given(st.sampled_from(sorted(TEXTS)), st.integers(0, 10**6), st.integers(1, 4000))
def test_parsers_raise_nothing_but_loader_error_on_short_windows(name, at, size):
    data = TEXTS[name].decode("utf-8")
    window = data[at % max(len(data), 1) :][:size].encode("utf-8")
    for kind in PARSERS:
        _parse_bytes(kind, window, name)


@BOUNDED
@given(st.data())
def test_yearbook_raises_nothing_but_loader_error_on_damaged_text(data):
    pytest.importorskip("loaders.yearbook")
    name = data.draw(st.sampled_from(sorted(TEXTS)))
    raw = TEXTS[name]
    end = data.draw(st.integers(0, len(raw)))
    _parse_bytes("yearbook", raw[:end], name)
