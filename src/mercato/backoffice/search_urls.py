"""Search pages (synonyms, hot searches, zero-result log), included under search/ in the
backoffice namespace."""

from django.urls import path

from . import views_search

urlpatterns = [
    path("", views_search.search_overview, name="search_overview"),
    path("synonyms/", views_search.synonym_save, name="search_synonym_save"),
    path("synonyms/<int:group_id>/", views_search.synonym_save, name="search_synonym_edit"),
    path(
        "synonyms/<int:group_id>/delete/", views_search.synonym_delete, name="search_synonym_delete"
    ),
    path("hot/", views_search.hot_search_toggle, name="search_hot_toggle"),
]
