"""The Django admin shows payments, refunds and notices read-only."""

import pytest

from mercato.testing.payments import paid_payment

pytestmark = pytest.mark.django_db


def test_admin_lists_and_shows_payments_read_only(admin_client, counterpart):
    payment = paid_payment(method="sandbox")
    for path in ("payment", "refund", "paymentnotice"):
        assert admin_client.get(f"/admin/payments/{path}/").status_code == 200
        assert admin_client.get(f"/admin/payments/{path}/add/").status_code == 403
    page = admin_client.get(f"/admin/payments/payment/{payment.pk}/change/")
    assert page.status_code == 200 and payment.number in page.content.decode()
