"""Gateway notices, return pages and the sandbox pay page, under /payments/."""

app_name = "payments"
urlpatterns: list = []
