"""A memory-mapped index is read through a view of the map, not a copy of it."""

import io
import pickle
import random

from whoosh import query as wq
from whoosh.fields import ID, TEXT, Schema
from whoosh.filedb import structfile
from whoosh.filedb.filestore import FileStorage

from gazetteer.search.mapped import MappedStream


def both(data: bytes):
    return MappedStream(memoryview(data)), io.BytesIO(data)


def test_the_stream_reads_as_bytesio_does():
    rnd = random.Random(7)
    data = b"".join(pickle.dumps(o, p) for o, p in [({"a": [1, 2]}, 0), ("字" * 900, 2), ((1.5, b"\n"), 4)])
    data += bytes(rnd.randrange(256) for _ in range(20_000)) + b"\nend\nlast"
    mine, theirs = both(data)
    assert [pickle.load(mine) for _ in range(3)] == [pickle.load(theirs) for _ in range(3)]
    # What pickle.load reads ahead is not consumed.
    at = mine.tell()
    assert mine.peek(1)[:5] == data[at : at + 5] and mine.tell() == at
    for _ in range(2_000):
        op = rnd.choice(["read", "readline", "seek", "seek_cur", "seek_end", "readinto"])
        n = rnd.choice([-1, 0, 1, 2, 7, 4096, 5000, None])
        if op == "read":
            got = [f.read(n) for f in (mine, theirs)]
        elif op == "readline":
            got = [f.readline(n) for f in (mine, theirs)]
        elif op == "readinto":
            size = rnd.randrange(20)
            bufs = [bytearray(size), bytearray(size)]
            got = [f.readinto(b) for f, b in zip((mine, theirs), bufs, strict=True)] + [bufs[0] == bufs[1]]
            assert got[-1]
        else:
            pos = rnd.randrange(len(data) + 10)
            whence = {"seek": 0, "seek_cur": 1, "seek_end": 2}[op]
            offset = (
                pos if whence == 0 else rnd.randrange(-min(mine.tell(), 100) if whence == 1 else -100, 10)
            )
            got = [f.seek(offset, whence) for f in (mine, theirs)]
        assert got[0] == got[1], op
        assert mine.tell() == theirs.tell()


def test_a_file_index_opens_without_copying_and_answers_the_same(tmp_path, monkeypatch):
    schema = Schema(id=ID(stored=True, unique=True), text=TEXT(phrase=True))
    ix = FileStorage(str(tmp_path)).create_index(schema)
    rnd = random.Random(3)
    words = "alpha beta gamma delta epsilon zeta eta theta".split()
    with ix.writer() as w:
        for i in range(3_000):
            w.add_document(id=str(i), text=" ".join(rnd.choices(words, k=rnd.randint(1, 40))))
    queries = [
        wq.Term("text", "beta"),
        wq.Phrase("text", ["gamma", "delta"]),
        wq.And([wq.Term("text", "eta"), wq.Not(wq.Term("text", "zeta"))]),
    ]

    def answers():
        copies = []
        original = io.BytesIO
        monkeypatch.setattr(structfile, "BytesIO", lambda b=b"": copies.append(len(b)) or original(b))
        with FileStorage(str(tmp_path)).open_index().searcher() as s:
            found = [sorted(h["id"] for h in s.search(q, limit=None)) for q in queries]
            stored = s.stored_fields(2_999)
        monkeypatch.undo()
        return found, stored, copies

    found, stored, copies = answers()
    assert copies == []  # nothing the size of a file was copied
    assert stored == {"id": "2999"}
    assert all(found) and len(found[0]) > 1_000

    # The same answers from Whoosh's own BufferFile (a BytesIO copy of each file).
    from gazetteer.search import mapped

    monkeypatch.setattr(structfile.BufferFile, "__init__", mapped._original_init)
    again = answers()
    assert again[:2] == (found, stored)
    assert max(again[2]) > 10_000  # Whoosh's own: a copy of each file
