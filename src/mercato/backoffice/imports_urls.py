"""Catalogue import/export pages, included under catalog/imports/ in the backoffice namespace."""

from django.urls import path

from . import views_imports

urlpatterns = [
    path("", views_imports.imports, name="imports"),
    path("export/", views_imports.export, name="export_products"),
    path("<int:job_id>/", views_imports.import_job, name="import_job"),
    path("<int:job_id>/progress/", views_imports.import_job_progress, name="import_job_progress"),
]
