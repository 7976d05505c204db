"""Returns and exchanges (views_returns.py), under returns/ in the backoffice namespace."""

from django.urls import path

from . import views_returns as views

urlpatterns = [
    path("", views.return_list, name="return_list"),
    path("<str:number>/", views.return_detail, name="return_detail"),
    path("<str:number>/decide/", views.return_decide, name="return_decide"),
    path("<str:number>/receive/", views.return_receive, name="return_receive"),
    path("<str:number>/inspect/", views.return_inspect, name="return_inspect"),
    path("<str:number>/refund/", views.return_refund, name="return_refund"),
    path("<str:number>/replace/", views.return_replace, name="return_replace"),
    path(
        "<str:number>/refund-difference/",
        views.return_refund_difference,
        name="return_refund_difference",
    ),
]
