"""The search page's listing (facets, summary, sorts, cards, pages, related products, or
the zero-result page) as HTML, written in Python.

Rendered by the template language, the listing's loops and tags were a fifth of an
uncached search's CPU time (docs/performance.md, "Uncached search"). This writes the same
markup; storefront/templates/storefront/search/_listing.html (with _facets.html and
_summary.html) stays as the readable reference, and storefront/tests/test_search_listing.py
checks both give the same HTML for every kind of result page.
"""

from django.utils.translation import gettext, ngettext

from .markup import e, slug_url_maker, word
from .templatetags.search_listing import facet_links

CURRENT = ' aria-current="true" class="on"'


def _facets(facets, *, filtered: bool, clear_url: str) -> str:
    if not facets:
        return "\n"
    clear = ""
    if filtered:
        link = f'<a href="{e(clear_url)}">{word("clear all")}</a>'
        clear = f'<p class="clear-filters">{link}</p>'
    sections = []
    for f in facets:
        more = ""
        if f["more"]:
            n = len(f["more"])
            counted = ngettext("%(n)s more", "%(n)s more", n) % {"n": n}
            more = (
                f'<details class="more"><summary>{counted}</summary>\n'
                f"      <ul>{facet_links(f['more'])}</ul>\n    </details>"
            )
        sections.append(
            f'<section class="facet" data-facet="{e(f["key"])}">\n'
            f"    <h2>{e(f['label'])}</h2>\n"
            f"    <ul>{facet_links(f['shown'])}</ul>\n"
            f"    {more}\n  </section>"
        )
    return (
        f'\n<aside class="facets" aria-label="{word("Filters")}">\n  \n'
        f"  <details open data-fold-small><summary "
        f'data-active-label="{word("Filters, {n} active")}">{word("Filters")} '
        f'<span class="filter-count" data-filter-count hidden></span></summary>\n'
        f"  {clear}\n  {''.join(sections)}\n  </details>\n</aside>\n\n"
    )


def _words(words) -> str:
    return e("、").join(e(w) for w in words)


def _summary(result) -> str:
    n = result.total
    found = ngettext("%(n)s product for “%(q)s”", "%(n)s products for “%(q)s”", n)
    out = [
        '<p class="search-summary" data-announce data-focus-target>'
        f"{found % {'n': n, 'q': e(result.query)}}</p>\n"
    ]
    if result.corrections:
        fixed = "、".join(
            f'<strong>{e(right)}</strong> <span class="muted">('
            f"{gettext('you typed %(typed)s') % {'typed': e(wrong)}})</span>"
            for wrong, right in result.corrections.items()
        )
        out.append(
            f'<p class="search-note" role="status">{word("Showing results for")} {fixed}</p>'
        )
    out.append("\n")
    if result.price_note:
        out.append(f'<p class="search-note" role="status">{e(result.price_note)}</p>')
    out.append("\n")
    if result.loosened:
        text = gettext("No product matches every word of “%(q)s”: these match “%(words)s”.")
        words = {"q": e(result.query), "words": e(result.kept_words)}
        out.append(f'<p class="search-note" role="status">{text % words}</p>')
    out.append("\n")
    if result.ignored:
        text = gettext("No product mentions %(words)s; it was left out.")
        out.append(f'<p class="search-note">{text % {"words": _words(result.ignored)}}</p>')
    out.append("\n")
    return "".join(out)


def _pager(result, *, page_links, prev_qs: str, next_qs: str) -> str:
    if result.pages <= 1:
        return ""
    prev = f'<a rel="prev" href="?{e(prev_qs)}">{word("Previous")}</a>' if prev_qs else ""
    links = "".join(
        f'<span aria-current="page">{n}</span>'
        if n == result.page
        else f'<a href="?{e(qs)}">{n}</a>'
        for n, qs in page_links
    )
    of = gettext("Page %(page)s of %(pages)s") % {"page": result.page, "pages": result.pages}
    after = f'<a rel="next" href="?{e(next_qs)}">{word("Next")}</a>' if next_qs else ""
    return (
        f'<nav class="pager" aria-label="{word("Pages")}">\n    {prev}\n    {links}\n'
        f'    <span class="of">{of}</span>\n    {after}\n  </nav>'
    )


def _results(result, *, cards, related, sorts, clear_url, page_links, prev_qs, next_qs) -> str:
    sort_links = "".join(
        f'<a href="?{e(qs)}" rel="nofollow"{CURRENT if on else ""}>{e(label)}</a>'
        for _key, label, qs, on in sorts
    )
    n = result.total
    count = ngettext("%(n)s product", "%(n)s products", n) % {"n": n}
    if cards:
        shown = f'<ul class="cards">{"".join(cards)}</ul>\n  '
    else:
        shown = (
            f'<p class="empty">{word("No product matches these filters.")} '
            f'<a href="{e(clear_url)}">{word("Clear the filters")}</a></p>'
        )
    more = ""
    if related:
        matching = gettext("Matching “%(words)s”, not every word you searched for.")
        more = (
            '<section class="related" aria-labelledby="related-title">\n'
            f'    <h2 id="related-title">{word("Related products")}</h2>\n'
            f'    <p class="muted">{matching % {"words": e(result.kept_words)}}</p>\n'
            f'    <ul class="cards">{"".join(related)}</ul>\n  </section>'
        )
    pager = _pager(result, page_links=page_links, prev_qs=prev_qs, next_qs=next_qs)
    return (
        f'<section class="results" aria-label="{word("Search results")}">\n'
        f"  {_summary(result)}\n"
        f'  <nav class="sorts" aria-label="{word("Sort")}">{sort_links}\n'
        f'    <span class="count">{count}</span></nav>\n'
        f"  {shown}\n  {pager}\n  {more}\n</section>\n"
    )


def _nothing_found(result, *, top_categories) -> str:
    title = gettext("Nothing found for “%(q)s”") % {"q": e(result.query)}
    ignored = ""
    if result.ignored:
        text = gettext("No product mentions %(words)s.")
        ignored = f"<p>{text % {'words': _words(result.ignored)}}</p>"
    tries = ""
    if result.suggestions:
        links = "、".join(f'<a href="?{e(s["qs"])}">{e(s["text"])}</a>' for s in result.suggestions)
        tries = f'<p class="did-you-mean">{word("Did you mean:")} {links}</p>'
    categories = ""
    if top_categories:
        url = slug_url_maker("storefront:category")
        links = "".join(f'<a href="{e(url(c.slug))}">{e(c.name)}</a>' for c in top_categories)
        categories = f'<nav class="top-cats" aria-label="{word("Categories")}">{links}</nav>'
    advice = word("Check the spelling, or try a shorter or more general word.")
    return (
        f'\n<section class="no-results">\n  <h2>{title}</h2>\n  {ignored}\n  {tries}\n'
        f"  <p>{advice}</p>\n  {categories}\n</section>\n\n"
    )


def listing_html(
    *,
    result,
    cards,
    related,
    facets,
    filtered,
    sorts,
    clear_url,
    page_links,
    prev_qs,
    next_qs,
    top_categories,
) -> str:
    """storefront/search/_listing.html's output for the same context (`facets` as
    views_search._folded gives them, `cards` and `related` as cards' HTML)."""
    if not result.total:
        return _nothing_found(result, top_categories=top_categories)
    return (
        '\n<div class="listing">\n'
        + _facets(facets, filtered=filtered, clear_url=clear_url)
        + "\n"
        + _results(
            result,
            cards=cards,
            related=related,
            sorts=sorts,
            clear_url=clear_url,
            page_links=page_links,
            prev_qs=prev_qs,
            next_qs=next_qs,
        )
        + "</div>\n\n"
    )
