"""People and organisations: the letter-indexed lists and each one's page."""

from __future__ import annotations

from collections import OrderedDict

from django.db.models import Count, Q
from django.shortcuts import render

from ..models import Organisation, Person
from ..timeline import person_timeline
from .helpers import (
    PER_PAGE,
    clean_param,
    gone,
    group_by_initial,
    letter_index,
    letter_starts,
    paginate,
)

INDEX_PER_PAGE = 100

# --- people and organisations --------------------------------------------------------


def _filter_box(request):
    return clean_param(request, "q", 50)


def _name_index(request, model, template):
    """A pinyin-ordered, filterable, paginated index of people or organisations."""
    q = _filter_box(request)
    rows = model.objects.all()
    if q:
        # Aliases are a JSON list; a substring test on its text finds a name in it.
        rows = rows.filter(Q(name__contains=q) | Q(aliases__icontains=q) | Q(region__contains=q))
    # The stored pinyin key orders the rows in the database: a page reads its own rows.
    starts, total = letter_starts(rows, None if q else model)
    page = paginate(
        request, rows.order_by("sort_key", "id").values_list("id", "name"), INDEX_PER_PAGE, count=total
    )
    found = model.objects.annotate(
        appointment_count=Count("appointments", distinct=True),
        mention_count=Count("mentioned_in", distinct=True),
    ).in_bulk([pk for pk, _ in page.object_list])
    return render(
        request,
        template,
        {
            "q": q,
            "page": page,
            "groups": group_by_initial(found[pk] for pk, _ in page.object_list if pk in found),
            "letters": letter_index(request, starts, INDEX_PER_PAGE),
        },
    )


def _mentioned(request, named):
    """The entries that mention a person or an organisation, a page of them, in volume order."""
    entries = named.mentioned_in.select_related("volume").order_by("volume__year", "volume__slug", "position")
    return paginate(request, entries, PER_PAGE)


def people(request):
    return _name_index(request, Person, "gazetteer/people.html")


def person(request, pk):
    person = Person.objects.filter(pk=pk).first()
    if person is None:
        return gone(request, Person, pk)
    timeline = person_timeline(person)
    return render(
        request,
        "gazetteer/person.html",
        {
            "person": person,
            "timeline": timeline,
            "speeches": paginate(request, timeline.speeches, PER_PAGE, "speeches_page"),
            "authored": paginate(request, timeline.authored, PER_PAGE, "authored_page"),
            "photos": paginate(request, timeline.photos, PER_PAGE, "photos_page"),
            "mentioned": _mentioned(request, person),
        },
    )


def organisations(request):
    return _name_index(request, Organisation, "gazetteer/organisations.html")


def organisation(request, pk):
    org = Organisation.objects.filter(pk=pk).first()
    if org is None:
        return gone(request, Organisation, pk)
    appointments = org.appointments.select_related("person", "volume").order_by(
        "volume__year_covered", "volume__slug", "position"
    )
    leaders = OrderedDict()
    for a in appointments:
        leaders.setdefault(a.volume, []).append(a)
    return render(
        request,
        "gazetteer/organisation.html",
        {
            "organisation": org,
            "leaders": list(leaders.items()),
            "mentioned": _mentioned(request, org),
        },
    )
