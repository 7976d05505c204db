"""Orders with payments, for the payment tests and the pages that show them."""

from mercato.payments.gateways import METHODS
from mercato.payments.models import Payment, PaymentEvent, PaymentStatus
from mercato.payments.notices import apply_paid
from mercato.payments.services import new_payment_number
from mercato.testing.factories import make_customer, make_order, priced_line

__all__ = ["make_customer", "make_order", "make_payment", "paid_payment", "priced_line"]


def make_payment(*, order=None, method="sandbox", **order_kw) -> Payment:
    """A pending payment attempt for a new (or the given) order, as start_payment makes."""
    order = order or make_order(payment_method=method, **order_kw)
    payment = Payment.objects.create(
        order=order,
        number=new_payment_number(order),
        method=method,
        gateway=METHODS[method].gateway,
        channel=METHODS[method].channel,
        amount=order.total,
    )
    PaymentEvent.objects.create(payment=payment, to_status=PaymentStatus.PENDING)
    return payment


def paid_payment(*, trade_no="4200000001", **kw) -> Payment:
    """A payment (and its order) paid through the path a verified notice takes."""
    payment = make_payment(**kw)
    apply_paid(payment=payment, trade_no=trade_no, reason="test")
    payment.refresh_from_db()
    return payment
