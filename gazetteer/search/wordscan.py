"""Which indexed documents a new dictionary word cuts differently.

jieba (and jieba-rs) cut a text along the most probable path through the graph of the
dictionary words found in it. A new word adds edges only where it occurs, so a text
that does not contain it gets the same graph — and the same cut — as before; the only
other thing that moves is the dictionary's total frequency, which shifts every path by
a constant per word and, on the whole sample corpus, changes no cut
(tests/test_incremental_index.py checks both on real text). The search-mode sub-words
depend on the dictionary only through words inside a token, which the text contains too.

So after a load, the documents to re-index for new words are those whose analysed text
contains one of them: the text as the analyzer sees it — folded to simplified
characters, single characters spread out with spaces ("王 焱") joined. Entries are
found through the search index's n-grams (each word is an exact string there); people
and organisations are scanned for all the words at once with one regular expression.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator

from . import analysis


def analysed_form(text: str) -> str:
    """Return ``text`` as the segmenter receives it (see ``analysis._iter_segments``)."""
    folded = analysis.fold(text)
    return analysis.remove_spans(folded, analysis.space_runs(folded, singles_only=True))[0]


def pattern(words: Iterable[str]) -> re.Pattern | None:
    """Return one regular expression finding any of ``words`` (as the segmenter folds them)."""
    folded = {analysis.fold(w.strip()) for w in words}
    folded = sorted((w for w in folded if w), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, folded))) if folded else None


def entry_texts() -> Iterator[tuple[int, str]]:
    """Yield (id, text) for every entry: what ``EntryIndex`` analyses, read as plain columns."""
    from ..models import Byline, Caption, Entry

    extra = defaultdict(list)
    for entry_id, name in Byline.objects.values_list("entry_id", "person__name").iterator(5000):
        extra[entry_id].append(name)
    for entry_id, text, credit in Caption.objects.values_list("entry_id", "text", "credit").iterator(5000):
        extra[entry_id].append(f"{text} {credit}")
    columns = ("id", "kicker", "title", "alt_titles", "subtitle", "speaker_title", "speaker", "text", "notes", "tables")
    for pk, kicker, title, alt, subtitle, speaker_title, speaker, text, notes, tables in (
        Entry.objects.values_list(*columns).iterator(2000)
    ):
        parts = [kicker, title, *alt, subtitle, speaker_title, speaker, text, *notes, *extra.get(pk, ())]
        for table in tables or ():
            parts.append(table.get("caption", ""))
            parts += [" ".join(cell for cell in row if cell) for row in table.get("rows", [])]
        yield pk, "\n".join(p for p in parts if p)


def person_texts() -> Iterator[tuple[int, str]]:
    from ..models import Appointment, Person

    extra = defaultdict(list)
    for person_id, org, title in Appointment.objects.values_list("person_id", "organisation__name", "title").iterator(
        5000
    ):
        extra[person_id].append(f"{org} {title}")
    for pk, name, aliases, notes in Person.objects.values_list("id", "name", "aliases", "notes").iterator(5000):
        yield pk, "\n".join([name, *aliases, *notes, *extra.get(pk, ())])


def organisation_texts() -> Iterator[tuple[int, str]]:
    from ..models import Organisation

    for pk, name, aliases in Organisation.objects.values_list("id", "name", "aliases").iterator(5000):
        yield pk, "\n".join([name, *aliases])


def documents_containing(
    words: Iterable[str], entries_with: Callable[[str], set[int]] | None = None
) -> dict[type, set[int]]:
    """Return {model: ids} of the indexed documents whose analysed text contains any of ``words``.

    ``entries_with(word)``, if given, answers for the entries: the ids of those whose
    indexed text has the (folded) word, read from the search index's n-gram field in
    milliseconds instead of scanning every stored text (27.7M characters at 100× the
    sample). The n-grams leave out every space next to a Chinese character, the
    segmenter only those of "王 焱": they find the same entries and, rarely, a few more
    (re-indexed for nothing). People and organisations, whose documents have no n-grams,
    are scanned: short texts.
    """
    from ..models import Entry, Organisation, Person

    found = {Entry: set(), Person: set(), Organisation: set()}
    regex = pattern(words)
    if regex is None:
        return found
    sources = [(Entry, entry_texts()), (Person, person_texts()), (Organisation, organisation_texts())]
    if entries_with is not None:
        for word in {analysis.fold(w.strip()) for w in words if w.strip()}:
            found[Entry] |= entries_with(word)
        sources = sources[1:]
    for model, rows in sources:
        for pk, text in rows:
            if regex.search(analysed_form(text)):
                found[model].add(pk)
    return found
