"""Analytics pages (views_kpis, views_margins), under analytics/ in the backoffice namespace."""

from django.urls import path

from . import views_kpis, views_margins

urlpatterns = [
    path("supply-chain/", views_kpis.supply_kpis, name="supply_kpis"),
    path("margins/", views_margins.margin_report, name="margin_report"),
]
