"""Cycle counts (views_counts), under stock/counts/ in the backoffice namespace."""

from django.urls import path

from . import views_counts as vc

urlpatterns = [
    path("", vc.count_list, name="count_list"),
    path("<str:number>/", vc.count_detail, name="count_detail"),
    path("<str:number>/<str:step>/", vc.count_step, name="count_step"),
]
