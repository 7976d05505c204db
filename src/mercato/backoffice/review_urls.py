"""Order review (views_review.py), included under review/ in the backoffice namespace."""

from django.urls import path

from . import views_review as views

urlpatterns = [
    path("", views.review_queue, name="review_queue"),
    path("approve/", views.review_bulk_approve, name="review_bulk_approve"),
    path("rules/", views.review_rules, name="review_rules"),
    path("blacklist/", views.blacklist, name="blacklist"),
    path("blacklist/<int:entry_id>/remove/", views.blacklist_remove, name="blacklist_remove"),
    path("check/", views.address_check, name="address_check"),
    path("<str:number>/", views.review_detail, name="review_detail"),
    path("<str:number>/fix/", views.review_fix, name="review_fix"),
    path("<str:number>/approve/", views.review_approve, name="review_approve"),
    path("<str:number>/cancel/", views.review_cancel, name="review_cancel"),
]
