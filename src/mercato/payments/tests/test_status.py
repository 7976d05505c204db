"""The payment and refund status machines: every status has its row; illegal moves are
refused and change nothing."""

import pytest

from mercato.payments.models import PaymentEvent, PaymentStatus, RefundStatus
from mercato.payments.status import (
    PAYMENT_ALLOWED,
    REFUND_ALLOWED,
    IllegalPaymentTransition,
    move_payment,
)
from mercato.testing.payments import make_payment


def test_every_status_has_a_row_in_its_table():
    assert set(PAYMENT_ALLOWED) == set(PaymentStatus.values)
    assert set(REFUND_ALLOWED) == set(RefundStatus.values)
    for table in (PAYMENT_ALLOWED, REFUND_ALLOWED):
        assert all(targets <= set(table) for targets in table.values())


ILLEGAL = [
    (current, target)
    for current in PaymentStatus.values
    for target in PaymentStatus.values
    if target not in PAYMENT_ALLOWED[current]
]


@pytest.mark.django_db
@pytest.mark.parametrize(("current", "target"), ILLEGAL)
def test_an_illegal_payment_move_raises_and_changes_nothing(counterpart, current, target):
    payment = make_payment(method="sandbox")
    payment.status = current
    payment.save()
    events = PaymentEvent.objects.count()
    with pytest.raises(IllegalPaymentTransition) as error:
        move_payment(payment=payment, to=target, actor=None)
    assert error.value.code == "illegal_transition" and error.value.field == "status"
    payment.refresh_from_db()
    assert payment.status == current and PaymentEvent.objects.count() == events


@pytest.mark.django_db
def test_a_legal_move_writes_its_event(counterpart):
    payment = make_payment(method="sandbox")
    event = move_payment(payment=payment, to=PaymentStatus.PAID, actor=None, reason="why")
    assert (event.from_status, event.to_status, event.reason) == ("pending", "paid", "why")
