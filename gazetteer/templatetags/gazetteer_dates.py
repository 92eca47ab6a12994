from django import template

from gazetteer.dates import entry_date_html

register = template.Library()


@register.filter
def entry_date(entry, form="label"):
    """{{ entry|entry_date }} → 1987年3月5日 at the entry's real precision; {{ entry|entry_date:"in_month" }} → 5日."""
    return entry_date_html(entry, form)
