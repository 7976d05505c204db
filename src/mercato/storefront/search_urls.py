from django.urls import path

from . import views_search

# Included at /search/ by storefront/urls.py, inside the "storefront" namespace.
urlpatterns = [
    path("", views_search.search_page, name="search"),
    path("suggest/", views_search.suggest, name="search_suggest"),
]
