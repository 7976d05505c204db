"""Payments for 财务部 (views_payments.py), included under payments/ in the backoffice
namespace."""

from django.urls import path

from . import views_payments

urlpatterns = [
    path("", views_payments.payment_list, name="payment_list"),
    path("<int:payment_id>/", views_payments.payment_detail, name="payment_detail"),
    path("<int:payment_id>/refund/", views_payments.payment_refund, name="payment_refund"),
    path("notices/<int:notice_id>/reviewed/", views_payments.notice_review, name="notice_review"),
    path("refunds/<int:refund_id>/settle/", views_payments.refund_resolve, name="refund_resolve"),
    path("refunds/<int:refund_id>/check/", views_payments.refund_check, name="refund_check"),
]
