"""Whoosh's segment writer with the overhead this archive does not need taken out,
and a full build by several writer processes (``ProcessBuild``).

A profile of ``indexing.rebuild()`` (5× the sample corpus, 2.1 million postings) put
most of Whoosh's own time in two places that do nothing for this archive's index:

- **The posting pool.** ``PostingPool.add`` asserts types and estimates the size of
  every posting; past its memory limit it sorts all postings by (field, term, document)
  with tuple comparisons, pickles them to a run file one by one and merges the runs
  back posting by posting. Here postings are grouped by (field, term) as they arrive:
  documents are numbered in the order they are added, so each term's postings are
  already in order; only the distinct terms are sorted, and a run file holds one
  pickled list per term.
- **Field lengths of unscored fields.** For every posting the commit asks the new
  segment for the document's field length; for a field without lengths (the n-gram
  fields, IDs, keywords) Whoosh's reader does not remember that the column is absent
  and asks the file system again: one ``stat()`` per posting. Here the answer is kept.

- **Blocks pickled with protocol 2.** Whoosh pickles each posting block with pickle's
  protocol 2, which has no opcode for bytes: every posting's value (an n-gram's
  positions) is written as a call of ``_codecs.encode(str, "latin1")`` and read back by
  making that call. Here blocks are pickled with the highest protocol, which writes
  bytes as bytes: the n-gram blocks are half the size and read ~4× faster (许昌's 145
  blocks at 100× the sample: 14.1 → 3.5 ms). Whoosh's reader unpickles any protocol.

And adding a volume spent most of its index time in Whoosh's ``update_document``
opening a new reader of every segment per document; ``ArchiveWriter`` keeps one.

The segments written are the ordinary Whoosh 2.7 format: nothing reading the index
needs this module. Whoosh and the analyzer; no Django.
"""

from __future__ import annotations

import heapq
import io
import pickle
import queue
import zlib

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3PerDocReader, W3PostingsWriter
from whoosh.searching import Searcher
from whoosh.util import random_name
from whoosh.util.numeric import length_to_byte
from whoosh.writing import SegmentWriter

from . import mapped  # noqa: F401 (opens the index without copying it)

# Postings kept in memory before a run is written: about 100 bytes each in CPython
# (the posting's tuple and its bytes), so the default is ~250 MB at most.
POSTINGS_PER_RUN = 2_500_000


class TermPool:
    """Whoosh's posting pool, grouped by term (see the module's docstring).

    Keeps Whoosh's interface: ``add(posting)``, ``iter_postings()`` in (field, term,
    document) order, ``cleanup()``. A posting is (fieldname, term bytes, docnum,
    weight, value bytes). Whoosh numbers documents in the order it adds them (merged
    segments' too), so a term's postings arrive in order; one that does not is noted
    and its term sorted at the end.
    """

    def __init__(self, tempstore, postings_per_run=POSTINGS_PER_RUN):
        self.tempstore = tempstore
        self.postings_per_run = postings_per_run
        self.terms: dict[tuple[str, bytes], list] = {}
        self.unordered: set[tuple[str, bytes]] = set()
        self.count = 0
        self.runs: list[str] = []

    def add(self, posting):
        key = posting[0], posting[1]
        postings = self.terms.get(key)
        if postings is None:
            self.terms[key] = [posting]
        else:
            if posting[2] <= postings[-1][2]:
                self.unordered.add(key)
            postings.append(posting)
        self.count += 1
        if self.count >= self.postings_per_run:
            self._write_run()

    def _write_run(self):
        name = f"{random_name()}.run"  # a second writer may share the temporary folder
        terms, unordered = self.terms, self.unordered
        f = self.tempstore.create_file(name)  # closed through Whoosh: RamStorage keeps it then
        dump = pickle.Pickler(f.raw_file(), pickle.HIGHEST_PROTOCOL).dump
        for key in sorted(terms):
            dump((key, terms[key], key in unordered))
        f.close()
        self.runs.append(name)
        self.terms, self.unordered, self.count = {}, set(), 0

    def _read_run(self, index, name):
        f = self.tempstore.open_file(name)
        raw = f.raw_file()
        load = pickle.Unpickler(raw if hasattr(raw, "readline") else io.BytesIO(bytes(raw))).load
        try:
            while True:
                try:
                    key, postings, unordered = load()
                except EOFError:
                    return
                yield key, index, postings, unordered
        finally:
            f.close()

    def _in_memory(self, index):
        terms, unordered = self.terms, self.unordered
        for key in sorted(terms):
            yield key, index, terms[key], key in unordered

    def iter_postings(self):
        if not self.runs:
            for _key, _index, postings, unordered in self._in_memory(0):
                yield from _by_document(postings) if unordered else postings
            return
        # Runs were written in the order their documents were added: for one term, run
        # i's postings come before run i + 1's (the heap breaks ties by run index).
        sources = [self._read_run(i, name) for i, name in enumerate(self.runs)]
        sources.append(self._in_memory(len(self.runs)))
        group_key, group, unordered = None, [], False
        for key, _index, postings, flag in heapq.merge(*sources):
            if key != group_key:
                if group:
                    yield from _by_document(group) if unordered else group
                group_key, group, unordered = key, list(postings), flag
            else:
                unordered = unordered or flag or postings[0][2] <= group[-1][2]
                group.extend(postings)
        if group:
            yield from _by_document(group) if unordered else group

    def cleanup(self):
        for name in self.runs:
            try:
                self.tempstore.delete_file(name)
            except OSError:
                pass
        self.runs = []
        self.terms, self.unordered, self.count = {}, set(), 0


def _by_document(postings):
    return sorted(postings, key=lambda p: p[2])


class BlockWriter(W3PostingsWriter):
    """Whoosh's posting writer, its blocks pickled with the highest protocol (see the
    module's docstring). The block is Whoosh's own otherwise: the same tuple of minified
    ids, weights and values, the same block info, compression and length prefix."""

    def _write_block(self, last=False):
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        data = (self._mini_ids(), self._mini_weights(), self._mini_values())
        databytes = pickle.dumps(data, pickle.HIGHEST_PROTOCOL)
        comp = self._compression
        if comp:
            databytes = zlib.compress(databytes, comp)
        ids = self._ids
        info = (len(ids), ids[-1], self._maxweight, comp, length_to_byte(self._minlength), length_to_byte(self._maxlength))
        # The block info stays protocol 2: Whoosh skips blocks by reading it, and it holds no bytes.
        infobytes = pickle.dumps(info, 2)
        length = len(infobytes) + len(databytes)
        self._postfile.write_int(-length if last else length)
        self._postfile.write(infobytes)
        self._postfile.write(databytes)
        self._blockcount += 1
        self._new_block()


class _BlockCodec(W3Codec):
    """Whoosh 3's codec with the ``BlockWriter``: only a field writer holds one."""

    def postings_writer(self, dbfile, byteids=False):
        return BlockWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )


class _LengthsReader(W3PerDocReader):
    """The new segment's per-document reader, remembering which length columns are absent."""

    def _cached_reader(self, fieldname, column):
        try:
            return self._readers[fieldname]
        except KeyError:
            reader = super()._cached_reader(fieldname, column)
            self._readers[fieldname] = reader  # None when the column does not exist
            return reader


class _KeptSearcher(Searcher):
    """A searcher that outlives the ``with`` blocks Whoosh's writer opens it in."""

    def close(self):
        pass

    def close_for_good(self):
        super().close()


class ArchiveWriter(SegmentWriter):
    """``SegmentWriter`` with the ``TermPool``, the remembered field lengths, and one
    searcher over the existing segments for the writer's life.

    Whoosh's ``update_document`` and ``delete_by_term`` open a new reader of every
    segment per call (the terms file of each is read again): at 100× the sample, 14
    updates spent 4 s there. The segments do not change while the writer lives, and a
    deletion is recorded on the segment objects the kept reader reads too.
    """

    def __init__(self, ix, **kwargs):
        super().__init__(ix, **kwargs)
        self.pool = TermPool(self._tempstorage)
        self._kept = None
        # The field writer's codec swapped, not the segment's: the segment (and its
        # codec) is pickled into the index's table of contents, which stays plain Whoosh.
        stock = self.fieldwriter._codec
        self.fieldwriter._codec = _BlockCodec(stock._blocklimit, stock._compression, stock._inlinelimit)

    def searcher(self, **kwargs):
        if kwargs:
            return super().searcher(**kwargs)
        if self._kept is None:
            self._kept = _KeptSearcher(self.reader())
        return self._kept

    def _close_kept(self):
        if self._kept is not None:
            self._kept.close_for_good()
            self._kept = None

    def commit(self, *args, **kwargs):
        self._close_kept()
        super().commit(*args, **kwargs)

    def cancel(self):
        self._close_kept()
        super().cancel()

    def _close_segment(self):
        self._close_kept()
        super()._close_segment()

    def per_document_reader(self):
        if not self.perdocwriter.is_closed:
            raise Exception("Per-doc writer is still open")
        return _LengthsReader(self.storage, self.get_segment())


class ProcessBuild:
    """Write a new, empty index with writer processes: Whoosh's work per posting is pure
    Python, so one process uses one core.

    Each writer is spawned (nothing of the caller's threads or connections is inherited)
    and sets up its segmenter from the dictionary file, as a new web worker does: the
    index agrees with how a fresh worker cuts a query, whatever words the calling
    process has seen. This process prepares the documents and hands writer *i* the
    *i*-th stream, in turns; each writer writes a segment, and the index lists them in
    stream order, so documents are numbered as one writer would number the streams
    one after the other.
    """

    BATCH = 200
    QUEUED = 20  # batches waiting per writer, at most

    def __init__(self, ix, writers: int, *, data_dir, user_words, engine):
        import multiprocessing

        self.lock_holder = ArchiveWriter(ix)  # holds the index's lock, writes the TOC
        ctx = multiprocessing.get_context("spawn")
        self.results = ctx.Queue()
        self.queues, self.processes = [], []
        for number in range(writers):
            documents = ctx.Queue(self.QUEUED)
            process = ctx.Process(
                target=_writer_process,
                args=(number, ix.storage.folder, ix.indexname, str(data_dir), list(user_words), engine, documents, self.results),
                daemon=True,
            )  # fmt: skip
            process.start()
            self.queues.append(documents)
            self.processes.append(process)

    def write(self, streams) -> int:
        """Send each stream of documents (dicts of fields) to its writer, in turns; commit."""
        written = 0
        batches = [_batched(stream, self.BATCH) for stream in streams]
        assert len(batches) == len(self.queues)
        active = list(range(len(batches)))
        while active:
            for number in list(active):
                batch = next(batches[number], None)
                if batch is None:
                    self.queues[number].put(None)
                    active.remove(number)
                else:
                    self._put(number, batch)
                    written += len(batch)
        segments = {}
        while len(segments) < len(self.processes):
            number, status, value = self._result()
            if status != "ok":
                raise RuntimeError(f"index writer {number} failed:\n{value}")
            segments[number] = value
        for process in self.processes:
            process.join()
        writer = self.lock_holder
        writer._close_segment()
        writer._commit_toc([segments[n] for n in sorted(segments) if segments[n] is not None])
        writer._finish()
        return written

    def _put(self, number, batch):
        while True:
            try:
                self.queues[number].put(batch, timeout=1.0)
                return
            except queue.Full:
                self._check_alive()

    def _result(self):
        while True:
            try:
                return self.results.get(timeout=1.0)
            except queue.Empty:
                self._check_alive()

    def _check_alive(self):
        for number, process in enumerate(self.processes):
            if process.exitcode not in (None, 0):
                raise RuntimeError(f"index writer {number} exited with code {process.exitcode}")

    def cancel(self):
        for process in self.processes:
            if process.is_alive():
                process.terminate()
            process.join()
        self.lock_holder.cancel()


def _batched(stream, size):
    batch = []
    for item in stream:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _writer_process(number, folder, indexname, data_dir, user_words, engine, documents, results):
    """One writer of ``ProcessBuild``: index what arrives, return the segment."""
    import traceback

    from whoosh.filedb.filestore import FileStorage

    from . import analysis

    try:
        analysis.configure(data_dir, user_words, engine=engine)
        ix = FileStorage(folder).open_index(indexname)
        writer = ArchiveWriter(ix, _lk=False)
        while (batch := documents.get()) is not None:
            for fields in batch:
                writer.add_document(**fields)
        if not writer._added:
            writer._close_segment()
            results.put((number, "ok", None))
            return
        results.put((number, "ok", writer._finalize_segment()))
    except BaseException:
        results.put((number, "error", traceback.format_exc()))
