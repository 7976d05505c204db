"""Gateway notices, return pages and the sandbox pay page, under /payments/."""

from django.urls import path

from . import views

app_name = "payments"
urlpatterns = [
    # One notify URL per gateway; WeChat Pay sends payment and refund notices to the same
    # one (the event_type tells them apart).
    path("notify/<slug:gateway>/", views.notify, name="notify"),
    path("return/<str:number>/", views.return_page, name="return"),
    path("sandbox/pay/", views.sandbox_pay, name="sandbox_pay"),
]
