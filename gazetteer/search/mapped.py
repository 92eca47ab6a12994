"""Open a memory-mapped index without copying it.

Whoosh opens each file inside a segment as a ``BufferFile`` over the segment's memory
map, and that constructor wraps the buffer in ``io.BytesIO``, which copies it: every
searcher or writer that opens an index copied the whole postings and terms files into
memory (430 MB at 100× the corpus, 0.2–1 s per open; three opens when a volume is
added). Here the stream a ``BufferFile`` reads from is a view of the map: reading
copies only the bytes read. Imported by ``backend`` (serving processes) and ``writer``
(writer processes); ``tests/search/test_mapped.py`` checks it.
"""

from __future__ import annotations

import os

from whoosh.filedb import structfile

# What ``peek`` returns: more than a posting block's pickled header (about 30 bytes).
_PEEK = 256


class MappedStream:
    """A read-only binary stream over a buffer (a memoryview of the map), as much of
    ``io.BytesIO`` as Whoosh's readers and ``pickle.load`` use."""

    __slots__ = ("_buf", "_pos", "_len")

    def __init__(self, buf):
        self._buf = memoryview(buf)
        self._pos = 0
        self._len = len(self._buf)

    def read(self, size=-1):
        start = self._pos
        end = self._len if size is None or size < 0 else min(self._len, start + size)
        self._pos = max(start, end)
        return self._buf[start:end].tobytes()

    def peek(self, size=0):
        """Bytes from the position on, without moving it: ``pickle.load`` reads what it
        needs from these and then consumes it with one ``read`` (without ``peek`` it
        calls ``read`` once per opcode: ~20 calls in Python for each posting block's
        header). A block's header is far shorter than what is returned."""
        return self._buf[self._pos : self._pos + _PEEK].tobytes()

    def readinto(self, b):
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def readline(self, size=-1):
        start = self._pos
        stop = self._len if size is None or size < 0 else min(self._len, start + size)
        end = start
        while end < stop:  # a block at a time, not the rest of the map
            block = self._buf[end : min(stop, end + 4096)].tobytes()
            cut = block.find(b"\n")
            if cut >= 0:
                end += cut + 1
                break
            end += len(block)
        self._pos = end
        return self._buf[start:end].tobytes()

    def seek(self, offset, whence=os.SEEK_SET):
        if whence == os.SEEK_CUR:
            offset += self._pos
        elif whence == os.SEEK_END:
            offset += self._len
        if offset < 0:
            raise ValueError(f"negative seek position {offset}")
        self._pos = offset
        return offset

    def tell(self):
        return self._pos

    def readable(self):
        return True

    def seekable(self):
        return True

    def flush(self):
        pass

    def close(self):
        self._buf = memoryview(b"")
        self._len = self._pos = 0


def _init(self, buf, name=None, onclose=None):
    self._buf = buf
    self._name = name
    self.file = MappedStream(buf)
    self.onclose = onclose
    self.is_real = False
    self.is_closed = False


_original_init = getattr(structfile.BufferFile, "_original_init", structfile.BufferFile.__init__)
structfile.BufferFile._original_init = _original_init
structfile.BufferFile.__init__ = _init
