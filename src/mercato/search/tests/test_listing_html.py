"""The search page's listing written in Python (storefront.search_listing) gives exactly
the markup of the readable templates (storefront/search/_listing.html, _facets.html,
_summary.html) for every kind of result page, in both languages."""

from dataclasses import replace

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation

from mercato.catalog.facets import Facet, FacetValue
from mercato.search import selectors
from mercato.storefront.search_listing import listing_html
from mercato.storefront.views_search import listing_context

from .test_defects import catalogue  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

QUERIES = [
    {"q": "手机"},  # facets, related products
    {"q": "冲峰衣"},  # spelling corrected
    {"q": "小米 快充 冰箱"},  # loosened: some words matched
    {"q": "华为 手机 1000元以下"},  # price words
    {"q": "华为 Mate 斯瓦希里"},  # a word no product holds, left out
    {"q": "zzqqxx"},  # nothing found: top categories
    {"q": "<b>&'\"", "brand": "no-such"},  # escaped
    {"q": "手机", "brand": "huawei", "sort": "price_asc"},  # filtered, sorted
    {"q": "手机", "price": "0-1"},  # filtered to nothing
    {"q": "手机", "page": "9"},  # past the last page
]


def both(context) -> tuple[str, str]:
    return render_to_string("storefront/search/_listing.html", context), listing_html(**context)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_python_listing_is_the_template_listing(catalogue, language):  # noqa: F811
    seen = set()
    with translation.override(language):
        for params in QUERIES:
            request = RequestFactory().get("/search/", params)
            page = selectors.search_products(
                query=params["q"], params=request.GET, page=params.get("page", 1)
            )
            context = listing_context(request, page)
            template, python = both(context)
            assert python == template, params
            seen |= {marker for marker in MARKERS if marker in python}
            # The same page as page 3 of 5, with a facet long enough to fold.
            values = [
                FacetValue(f"v{i}", f"值 <{i}>", 12 - i, i == 10, f"q=x&v={i}") for i in range(12)
            ]
            folded = replace(
                page, page=3, pages=5, facets=[*page.facets, Facet("spec:色", "颜色", values)]
            )
            if not page.total:  # and two spellings to try
                tries = [{"text": "华为 <手机>", "qs": "q=a&b"}, {"text": "苹果", "qs": "q=c"}]
                folded = replace(folded, suggestions=tries)
            context = listing_context(request, folded)
            context["filtered"] = True
            template, python = both(context)
            assert python == template, params
            seen |= {marker for marker in MARKERS if marker in python}
    assert seen == set(MARKERS)  # every part of the listing was compared


MARKERS = [
    'class="facet"', 'class="more"', 'class="clear-filters"', 'aria-current="true"',
    'class="pager"', 'rel="prev"', 'rel="next"', 'class="related"', 'class="empty"',
    "<strong>", 'class="search-note"', 'class="no-results"', 'class="did-you-mean"',
    'class="top-cats"',
]  # fmt: skip
