from django.urls import include, path

from . import views

app_name = "storefront"
urlpatterns = [
    path("", views.home, name="home"),
    # Each part of the shop has its own module: pages (views.py), search, accounts.
    path("search/", include("mercato.storefront.search_urls")),
    path("account/", include("mercato.storefront.account_urls")),
]
