"""Coupons (views_coupons), included under coupons/ in the backoffice namespace."""

from django.urls import path

from . import views_coupons as views

urlpatterns = [
    path("", views.template_list, name="coupon_templates"),
    path("new/", views.template_edit, name="coupon_template_new"),
    path("find/", views.coupon_find, name="coupon_find"),
    path("<int:template_id>/", views.template_detail, name="coupon_template"),
    path("<int:template_id>/edit/", views.template_edit, name="coupon_template_edit"),
    path("<int:template_id>/issue/", views.bulk_issue, name="coupon_bulk_issue"),
    path("jobs/<int:job_id>/", views.job_detail, name="coupon_job"),
    path("jobs/<int:job_id>/progress/", views.job_progress, name="coupon_job_progress"),
    path("code/<str:code>/", views.coupon_detail, name="coupon_detail"),
    path("code/<str:code>/void/", views.coupon_void, name="coupon_void"),
]
