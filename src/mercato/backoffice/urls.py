from django.urls import include, path

from . import views

app_name = "backoffice"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    # Catalogue imports and exports live in their own module (views_imports.py).
    path("catalog/imports/", include("mercato.backoffice.imports_urls")),
]
