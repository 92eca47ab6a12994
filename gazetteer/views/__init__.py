"""The reader's pages: home, volume 目录, section, entry, search, 大事记, people, organisations.

Every view reads its input (a form where there are parameters), runs a fixed number of
queries whatever the size of the archive, and renders. Lists paginate; a page number out
of range is a 404, like an unknown id. One module per concern; the URLconf and the
tests take the views and helpers from here.
"""

from ..citations import DOCUMENT_TYPES, citation
from ..pinyin import pinyin_initial, pinyin_key
from .browse import entry, entry_cite, home, section, volume, volumes
from .chronicle import chronicle
from .helpers import letter_starts, url_with
from .names import organisation, organisations, people, person
from .search import _facet_urls, search_page

__all__ = [
    "DOCUMENT_TYPES", "citation", "pinyin_initial", "pinyin_key", "letter_starts", "url_with", "_facet_urls",
    "home", "volumes", "volume", "section", "entry", "entry_cite", "search_page", "chronicle",
    "people", "person", "organisations", "organisation",
]  # fmt: skip
