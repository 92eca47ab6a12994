"""How an entry is cited: GB/T 7714-2015 text, and the formats reference managers read.

Zotero's browser connector reads the Highwire ``citation_*`` meta tags of the entry
page; RIS, BibTeX and CSL-JSON are the files EndNote, JabRef, Zotero and citeproc
import. All are built from one ``reference`` record, so they never disagree.
"""

from __future__ import annotations

import json

from .models import Volume

# GB/T 7714-2015 文献类型标识: 年鉴 are cited as books (M), a collection of speeches as a
# 汇编 (G), a newspaper as N; a plan outline (a draft government document) and other
# texts fit no listed type and take Z (其他). "/OL" marks the online copy (载体标识),
# which the standard asks for together with 引用日期 and the access URL.
DOCUMENT_TYPES = {
    Volume.Kind.YEARBOOK: "M",
    Volume.Kind.SPEECHES: "G",
    Volume.Kind.PLAN: "Z",
    Volume.Kind.NEWSPAPER: "N",
    Volume.Kind.GAZETTEER: "M",
    Volume.Kind.CHRONICLE: "M",
    Volume.Kind.TEXT: "Z",
}


def entry_authors(entry):
    """Return the names responsible for an entry: its bylines, or else the speaker."""
    names = [b.person.name for b in entry.bylines.all()]
    if not names and entry.speaker:
        names = [entry.speaker]
    return names


def citation(entry, url, cited_on):
    """Return the GB/T 7714-2015 reference for an entry, as a contribution to its volume.

    专著中的析出文献 (8.1, 4.2):
        析出责任者. 析出题名[类型/OL]//专著主要责任者. 专著题名. 出版地: 出版者, 出版年: 页码[引用日期]. URL.
    报纸中的析出文献 (4.4):
        析出责任者. 析出题名[N/OL]. 报纸名, 出版日期(版次)[引用日期]. URL.

    Parts the archive does not know are left out rather than invented: 出版地 and 出版者
    (never recorded), the compiler when the manifest gives none, the page where the
    目录 gives none, a newspaper's issue date and 版次 (the datelines date events, not
    the issue, so only the year is given). An entry without a byline or speaker starts
    with its title, as the standard allows for 顺序编码制 (8.1.1).
    """
    volume = entry.volume
    names = entry_authors(entry)
    if len(names) > 3:  # 8.1.2: up to three names, then "等"
        names = [*names[:3], "等"]
    head = (", ".join(names) + ". ") if names else ""
    kind = DOCUMENT_TYPES.get(volume.kind, "Z")
    head += f"{entry.title}[{kind}/OL]"
    if volume.kind == Volume.Kind.NEWSPAPER:
        when = volume.date.isoformat() if volume.date else (str(volume.year) if volume.year else "")
        text = f"{head}. {volume.title}" + (f", {when}" if when else "")
    else:
        book = f"{volume.compiler}. {volume.title}" if volume.compiler else volume.title
        text = f"{head}//{book}"
        if volume.year:
            text += f". {volume.year}"
            if entry.page:
                text += f": {entry.page}"
    return f"{text}[{cited_on:%Y-%m-%d}]. {url}."



def reference(entry, url):
    """The facts every format cites, and nothing the archive does not know."""
    volume = entry.volume
    names = entry_authors(entry)
    date = volume.date
    parts = [date.year, date.month, date.day] if date else ([volume.year] if volume.year else [])
    return {
        "title": entry.title,
        # No byline or speaker: the compiler is responsible for the entry.
        "authors": names or ([volume.compiler] if volume.compiler else []),
        "compiler": volume.compiler,
        "book": volume.title,
        "newspaper": volume.kind == Volume.Kind.NEWSPAPER,
        "date_parts": parts,
        "page": entry.page,
        "url": url,
        "id": f"gazetteer-entry-{entry.pk}",
    }


def highwire(entry, url):
    """Return the (name, content) pairs of the Highwire Press meta tags for the entry page."""
    ref = reference(entry, url)
    tags = [("citation_title", ref["title"])]
    tags += [("citation_author", name) for name in ref["authors"]]
    if ref["newspaper"]:
        tags.append(("citation_journal_title", ref["book"]))
    else:
        tags += [("citation_inbook_title", ref["book"]), ("citation_book_title", ref["book"])]
        if ref["compiler"]:
            tags.append(("citation_publisher", ref["compiler"]))
    if ref["date_parts"]:
        tags.append(("citation_publication_date", "/".join(f"{p:02d}" if i else str(p) for i, p in enumerate(ref["date_parts"]))))
    if ref["page"]:
        tags.append(("citation_firstpage", str(ref["page"])))
    tags += [("citation_language", "zh"), ("citation_public_url", ref["url"])]
    return tags


def ris(entry, url, accessed):
    ref = reference(entry, url)
    lines = [("TY", "NEWS" if ref["newspaper"] else "CHAP"), ("TI", ref["title"])]
    lines += [("AU", name) for name in ref["authors"]]
    lines.append(("JO" if ref["newspaper"] else "T2", ref["book"]))
    if ref["compiler"] and not ref["newspaper"]:
        lines.append(("PB", ref["compiler"]))
    if ref["date_parts"]:
        lines.append(("PY", str(ref["date_parts"][0])))
        if len(ref["date_parts"]) == 3:
            lines.append(("DA", "/".join(f"{p:02d}" if i else str(p) for i, p in enumerate(ref["date_parts"]))))
    if ref["page"]:
        lines.append(("SP", str(ref["page"])))
    lines += [("UR", ref["url"]), ("Y2", accessed.isoformat()), ("LA", "zh"), ("DB", "方志档案"), ("ID", ref["id"]), ("ER", "")]
    return "".join(f"{tag}  - {value}\r\n" for tag, value in lines)


_BIB_ESCAPES = str.maketrans({"\\": "\\textbackslash{}", "{": "\\{", "}": "\\}"})


def _bib(value):
    return str(value).translate(_BIB_ESCAPES)


def bibtex(entry, url, accessed):
    ref = reference(entry, url)
    fields = [("title", ref["title"])]
    if ref["authors"]:
        # Braces keep a Chinese name (or a body's name) one unsplit literal.
        fields.append(("author", " and ".join("{" + _bib(n) + "}" for n in ref["authors"])))
    fields.append(("journal" if ref["newspaper"] else "booktitle", ref["book"]))
    if ref["compiler"] and not ref["newspaper"]:
        fields.append(("publisher", ref["compiler"]))
    if ref["date_parts"]:
        fields.append(("year", ref["date_parts"][0]))
    if ref["page"]:
        fields.append(("pages", ref["page"]))
    fields += [("url", ref["url"]), ("urldate", accessed.isoformat()), ("language", "chinese")]
    body = ",\n".join(f"  {name} = {{{_bib(value) if name != 'author' else value}}}" for name, value in fields)
    return f"@{'article' if ref['newspaper'] else 'incollection'}{{{ref['id']},\n{body}\n}}\n"


def csl_json(entry, url, accessed):
    ref = reference(entry, url)
    item = {
        "id": ref["id"],
        "type": "article-newspaper" if ref["newspaper"] else "chapter",
        "title": ref["title"],
        "author": [{"literal": n} for n in ref["authors"]],
        "container-title": ref["book"],
        "URL": ref["url"],
        "accessed": {"date-parts": [[accessed.year, accessed.month, accessed.day]]},
        "language": "zh-CN",
    }
    if ref["compiler"] and not ref["newspaper"]:
        item["publisher"] = ref["compiler"]
    if ref["date_parts"]:
        item["issued"] = {"date-parts": [ref["date_parts"]]}
    if ref["page"]:
        item["page"] = str(ref["page"])
    return json.dumps([item], ensure_ascii=False, indent=2)


FORMATS = {
    "ris": (ris, "application/x-research-info-systems"),
    "bib": (bibtex, "application/x-bibtex"),
    "json": (csl_json, "application/vnd.citationstyles.csl+json"),
}


def export(entry, url, fmt, accessed):
    """Return (body, content type) of the entry in one of FORMATS."""
    build, content_type = FORMATS[fmt]
    return build(entry, url, accessed), content_type
