"""Analytics pages (views_kpis), under analytics/ in the backoffice namespace."""

from django.urls import path

from . import views_kpis

urlpatterns = [
    path("supply-chain/", views_kpis.supply_kpis, name="supply_kpis"),
]
