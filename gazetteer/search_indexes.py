"""What the search index holds: entries, people and organisations.

The ``text`` field of an entry gathers everything a reader may search for in it —
kicker, title and its other spellings, subtitle, speaker, authors, body, notes, photo
captions and table cells — while ``title`` is indexed again on its own so that a
match there can be ranked higher.
Filter and facet fields are exact values (volume slug, kind, year, 类目 title …).
"""

from haystack import indexes

from .models import Entry, Organisation, Person


def searchable_parts(entry) -> list[str]:
    """Return what a reader may search for in an entry, one part per field, title first.

    The index's text and the hit's snippet are both made from these, so a match in a
    caption is found and then shown from the caption.
    """
    # The TOC's other spelling of the title finds the entry too; notes are read with the text.
    parts = [entry.title, *entry.alt_titles, entry.kicker, entry.subtitle, entry.speaker_title, entry.speaker]
    parts += [b.person.name for b in entry.bylines.all()]
    parts.append(entry.text)
    parts += entry.notes
    parts += [f"{c.text} {c.credit}" for c in entry.captions.all()]
    for table in entry.tables:
        parts.append(table.get("caption", ""))
        parts += [" ".join(cell for cell in row if cell) for row in table.get("rows", [])]
    return [p for p in parts if p]


class EntryIndex(indexes.SearchIndex, indexes.Indexable):
    text = indexes.CharField(document=True)
    title = indexes.CharField(model_attr="title")
    # The same text again as character bigrams, for exact strings inside words.
    grams = indexes.CharField(null=True)
    volume = indexes.CharField()
    kind = indexes.CharField(model_attr="kind")
    year = indexes.IntegerField(null=True)
    date = indexes.DateField(model_attr="date", null=True)
    category = indexes.CharField()
    speaker = indexes.CharField(null=True)
    authors = indexes.MultiValueField()
    region = indexes.CharField()

    def get_model(self):
        return Entry

    def index_queryset(self, using=None):
        return Entry.objects.select_related("volume", "section__parent__parent__parent").prefetch_related(
            "bylines__person", "captions"
        )

    def read_queryset(self, using=None):
        return Entry.objects.select_related("volume")

    def prepare(self, entry):
        data = super().prepare(entry)
        data["grams"] = data["grams_chars"] = data["text"]
        return data

    def prepare_text(self, entry):
        return "\n".join(searchable_parts(entry))

    def prepare_volume(self, entry):
        return entry.volume.slug

    def prepare_year(self, entry):
        return entry.date.year if entry.date else entry.volume.year_covered

    def prepare_category(self, entry):
        return entry.section.path()[0].title

    def prepare_speaker(self, entry):
        return entry.speaker or None

    def prepare_authors(self, entry):
        return [b.person.name for b in entry.bylines.all()]

    def prepare_region(self, entry):
        return entry.volume.region


class PersonIndex(indexes.SearchIndex, indexes.Indexable):
    text = indexes.CharField(document=True)
    title = indexes.CharField(model_attr="name")
    kind = indexes.CharField()
    region = indexes.CharField(model_attr="region")

    def get_model(self):
        return Person

    def index_queryset(self, using=None):
        return Person.objects.prefetch_related("appointments__organisation")

    def prepare_text(self, person):
        # The name as loaded: the text still prints it after an editor's rename.
        loaded = [person.loaded_name] if person.loaded_name not in ("", person.name) else []
        parts = [person.name, *person.aliases, *loaded, *person.notes]
        parts += [f"{a.organisation.name} {a.title}" for a in person.appointments.all()]
        return "\n".join(parts)

    def prepare_kind(self, person):
        return "person"


class OrganisationIndex(indexes.SearchIndex, indexes.Indexable):
    text = indexes.CharField(document=True)
    title = indexes.CharField(model_attr="name")
    kind = indexes.CharField()
    region = indexes.CharField(model_attr="region")

    def get_model(self):
        return Organisation

    def prepare_text(self, org):
        loaded = [org.loaded_name] if org.loaded_name not in ("", org.name) else []
        return "\n".join([org.name, *org.aliases, *loaded])

    def prepare_kind(self, org):
        return "organisation"
