"""Names however typed: pinyin for the archive's names, and the name a variant stands for.

- ``pinyin_names("zhang shujie")`` → ["张书杰"]: a query of Latin letters only (with or
  without spaces, tone marks or tone digits) that spells the pinyin of names the archive
  knows — the user dictionary's people, organisations, places and regions (许昌市 is
  also 许昌, so ``Xuchang`` finds it) — is searched as those names.
- ``other_names("李朝峰", …)`` → 李朝峰 — 也写作 李朝锋，共 76 条: a query that is an alias
  of a person or organisation, or one character away from a known name of three or
  more characters, suggests the name the archive uses.

Both read per-process tables that are rebuilt when the user dictionary changes (every
load regenerates it), like the segmenter's own words.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import defaultdict

from django.db.models import Q, Value
from django.urls import reverse

from ..models import Organisation, Person
from . import analysis, dictionary

_PINYIN_QUERY = re.compile(r"[a-zA-Z\u00c0-\u024f\u0300-\u036f1-5' \-]+")
_CJK_NAME = re.compile(r"^[\u3400-\u9fff]{2,12}$")
_SUFFIXES = ("自治县", "街道", "市", "区", "县", "省", "镇", "乡")
MAX_NAMES = 5
MAX_SUGGESTIONS = 3  # each costs a search (with a small budget of its own)

_lock = threading.Lock()
_tables: dict = {"stamp": object()}


def _stamp():
    try:
        return dictionary.path().stat().st_mtime_ns
    except FileNotFoundError:
        return None


def _words() -> list[str]:
    words = [w if isinstance(w, str) else w[0] for w in analysis.load_user_dict(dictionary.path())]
    names = {n for n in words if _CJK_NAME.match(n)}
    for name in list(names):
        for suffix in _SUFFIXES:
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                names.add(name[: -len(suffix)])
    return sorted(names)


def _key(text: str) -> str:
    """Return pinyin as a lookup key: no tone marks or digits, no spaces, ü as v."""
    text = unicodedata.normalize("NFKD", text.replace("ü", "v").replace("Ü", "v"))
    return re.sub(r"[^a-z]", "", "".join(c for c in text if not unicodedata.combining(c)).lower())


def _readings(char: str, cache={}) -> tuple[str, ...]:  # noqa: B006 - a per-process cache
    """Return every toneless reading of a character (曾: zeng, ceng), or () if it has none."""
    if char not in cache:
        from pypinyin.pinyin_dict import pinyin_dict

        cache[char] = tuple(dict.fromkeys(_key(r) for r in pinyin_dict.get(ord(char), "").split(",") if r))
    return cache[char]


def _spellings(name: str, limit: int = 16) -> set[str]:
    """Return the pinyin keys of ``name``, one per combination of readings (at most ``limit``)."""
    keys = {""}
    for char in name:
        readings = _readings(char)
        if not readings:
            return set()
        keys = {k + r for k in keys for r in readings}
        if len(keys) > limit:  # a long name of many polyphones: the first readings only
            keys = set(sorted(keys)[:limit])
    return keys


def _build_pinyin():
    # pypinyin's character table rather than lazy_pinyin(): 20× faster (the table of a
    # 30× archive is built in well under a second) and it gives every reading of a
    # polyphone, so 曾 is found as zeng and as ceng.
    by_pinyin = defaultdict(set)
    for name in _words():
        for key in _spellings(name):
            by_pinyin[key].add(name)
    return by_pinyin


def _build_names():
    # A one-character variant of a known name of 3+ characters: index each name under
    # every form with one character masked.
    masked = defaultdict(set)
    canonical = set(Person.objects.values_list("name", flat=True))
    canonical |= set(Organisation.objects.values_list("name", flat=True))
    for name in canonical:
        if 3 <= len(name) <= 12:
            for i in range(len(name)):
                masked[name[:i] + "\0" + name[i + 1 :]].add(name)
    return masked, canonical


_BUILDERS = {"pinyin": _build_pinyin, "names": _build_names}


def _table(name: str):
    """Return a table built by _BUILDERS, built again when the user dictionary changed."""
    stamp = _stamp()
    with _lock:
        if _tables["stamp"] != stamp:
            _tables.clear()
            _tables["stamp"] = stamp
        if name not in _tables:
            _tables[name] = _BUILDERS[name]()
        return _tables[name]


def pinyin_names(text: str) -> list[str]:
    """Return the archive's names spelt by ``text`` in pinyin (none if it is not pinyin)."""
    text = (text or "").strip()
    if not text or not _PINYIN_QUERY.fullmatch(text):
        return []
    key = _key(text)
    if len(key) < 4:  # "li", "he": too many names, and ordinary Latin words
        return []
    names = _table("pinyin").get(key, ())
    # The longest first: 许昌市 before 许昌 would find the same entries twice over.
    return sorted(names, key=lambda n: (len(n), n))[:MAX_NAMES]


def _cjk_names(names) -> list[str]:
    return [analysis.fold(n.strip()) for n in names if n and _CJK_NAME.match(n.strip())]


def aliased(names: list[str], among: dict | None = None) -> dict:
    """Return {model: [rows]} of the people and organisations with one of ``names`` as an
    alias: a scan of the rows that have aliases (a partial index holds them; no index
    can find a word inside the alias lists), shared by ``pages_named`` and
    ``other_names``. Unordered: sorted by the callers.

    ``among``: {model: [rows]} of every person and organisation with aliases, if the
    caller keeps them (``figures.Figures.aliased``): then nothing is read.
    """
    names = _cjk_names(names)
    out = {}
    for model in (Person, Organisation):
        if not names:
            out[model] = []
            continue
        if among is not None:
            out[model] = [obj for obj in among.get(model, ()) if set(obj.aliases) & set(names)]
            continue
        like = Q()
        for name in names:
            like |= Q(aliases__icontains=name)  # the LIKE narrows, the list check decides
        # Only the rows with aliases: a partial index holds them (person_aliased).
        rows = model.objects.exclude(aliases=[]).filter(like).order_by()
        out[model] = [obj for obj in rows if set(obj.aliases) & set(names)]
    return out


def pages_named(names: list[str], aliases: dict | None = None) -> list[dict]:
    """Return the person and organisation pages of ``names`` (by name or alias), people first.

    ``aliases``: what ``aliased(names)`` returns, if already read.
    """
    names = _cjk_names(names)
    aliases = aliased(names) if aliases is None else aliases
    if not names:
        return []
    # Both tables in one query, each by name through its index, without ORDER BY
    # (ordered by name, the database walked the whole name index: 27 ms at 30×).
    people = Person.objects.filter(name__in=names).order_by().values_list("pk", "name", Value("person"))
    orgs = (
        Organisation.objects.filter(name__in=names)
        .order_by()
        .values_list("pk", "name", Value("organisation"))
    )
    found = {(kind, pk): name for pk, name, kind in people.union(orgs, all=True)}
    for model, kind in ((Person, "person"), (Organisation, "organisation")):
        found.update(((kind, obj.pk), obj.name) for obj in aliases.get(model, ()))
    out = []
    for kind in ("person", "organisation"):
        pages = sorted((name, pk) for (k, pk), name in found.items() if k == kind)[:MAX_NAMES]
        out.extend(
            {"kind": kind, "id": pk, "name": name, "url": reverse(kind, args=[pk])} for name, pk in pages
        )
    return out[:MAX_NAMES]


def other_names(query: str, total: int, *, count, aliases: dict | None = None) -> list[dict]:
    """Return the names the archive uses for ``query``, if it is an alias or a variant.

    ``count(name)`` returns how many entries a name finds; names that find none are left
    out. ``aliases``: what ``aliased([query])`` returns, if already read. Each suggestion is {"query", "name", "reason" ("alias" | "variant"), "count",
    "label"}.
    """
    query = (query or "").strip()
    if not _CJK_NAME.match(query):
        return []
    query = analysis.fold(query)
    aliases = aliased([query]) if aliases is None else aliases
    found: dict[str, str] = {}
    for model in (Person, Organisation):
        for obj in sorted(aliases.get(model, ()), key=lambda o: (o.name, o.region, o.pk)):
            if query in obj.aliases and obj.name != query:
                found.setdefault(obj.name, "alias")
    masked, canonical = _table("names")
    if not found and query not in canonical and len(query) >= 3:
        for i in range(len(query)):
            for name in sorted(masked.get(query[:i] + "\0" + query[i + 1 :], ())):
                if name != query:
                    found.setdefault(name, "variant")
    out = []
    for name, reason in list(found.items())[:MAX_SUGGESTIONS]:
        n = count(name)
        # A variant is suggested when the archive uses the name more than the query.
        if n and (reason == "alias" or n > total):
            out.append(
                {"query": query, "name": name, "reason": reason, "count": n,
                 "label": f"{query} — 也写作 {name}，共 {n} 条"}
            )  # fmt: skip
    return out
