"""The accessibility walk's page list comes from the URL configuration (issue 18): a page
added later is walked without anyone adding it to a list."""

import pytest
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path

from mercato.testing.pages import is_page, pages
from mercato.urls import urlpatterns as project_urlpatterns


def later_page(request, slug):
    """A page a later issue might add: it takes a category's slug."""
    return render(request, "storefront/404.html", {"slug": slug})


def later_partial(request):
    return HttpResponse("<p>a fragment for htmx</p>")


# This module is the URL configuration of the tests below: the project's, plus two more.
urlpatterns = [
    path("later/<slug:slug>/", later_page, name="later_page"),
    path("later-partial/", later_partial, name="later_partial"),
    *project_urlpatterns,
]


@pytest.mark.django_db
def test_a_page_added_to_the_urls_is_walked(client, settings, phone_shop):
    settings.ROOT_URLCONF = __name__
    urls = pages(client, prefix="", exclude=("backoffice/", "admin/", "api/"))
    # Found and given a real category's slug; a fragment, a POST-only action and a
    # redirect are not pages.
    assert "/later/shuma/" in urls or "/later/shouji/" in urls
    assert "/later-partial/" not in urls
    assert "/cart/add/" not in urls and "/account/" not in urls
    assert {"/", "/c/shuma/", "/cart/", "/search/"} <= set(urls)


@pytest.mark.django_db
def test_a_page_is_a_whole_html_document(client):
    assert is_page(client.get("/cart/"))
    assert not is_page(client.get("/cart/mini/"))  # the header's mini-cart, for htmx
    assert not is_page(client.get("/robots.txt"))
