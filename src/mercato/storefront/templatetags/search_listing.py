"""The search page's long lists written in Python: a facet's value links.

A search results page lists up to a few hundred facet links; written by the template
language they were a third of an uncached search's time (docs/search.md, "Speed").
"""

from django import template
from django.utils.safestring import mark_safe

from ..markup import e

register = template.Library()


@register.filter
def facet_links(values) -> str:
    """<li><a href="?…">label <small>count</small></a></li> for each catalog FacetValue
    (markup.e escapes as conditional_escape does, without its lazy-string wrapper)."""
    out = []
    for v in values:
        current = ' aria-current="true" class="on"' if v.selected else ""
        out.append(
            f'<li><a href="?{e(v.url_params)}" rel="nofollow"{current}>'
            f"{e(v.label)} <small>{int(v.count)}</small></a></li>"
        )
    return mark_safe("".join(out))  # noqa: S308 - every value escaped above
