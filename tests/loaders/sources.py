"""Real sample files cut in two, as a book delivered in several files is cut."""

from pathlib import Path

from loaders.text import Source, read_source


def cut(path: Path, after: int) -> list[Source]:
    """Return the file as two sources: its first ``after`` lines, and the rest.

    The halves are named ``<stem>-a.txt`` and ``<stem>-b.txt``; the second numbers its
    lines from 1 again, as a next file does.
    """
    source = read_source(path)
    lines = source.text.split("\n")
    stem = path.name.removesuffix(".txt")
    return [
        Source(f"{stem}-a.txt", "\n".join(lines[:after]), source.encoding),
        Source(f"{stem}-b.txt", "\n".join(lines[after:]), source.encoding),
    ]
