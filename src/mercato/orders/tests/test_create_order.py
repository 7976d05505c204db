import re
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from mercato.core import outbox
from mercato.core.errors import ValidationFailed
from mercato.core.models import OutboxMessage
from mercato.orders import services
from mercato.orders.errors import DuplicateOrder
from mercato.orders.models import Order, OrderLine, OrderNumberCounter, OrderStatus
from mercato.orders.services import Invoice, create_order_record
from mercato.testing.factories import ORDER_ADDRESS as ADDRESS
from mercato.testing.factories import make_customer, make_order, priced_line

pytestmark = pytest.mark.django_db


def test_an_order_keeps_what_was_sold_as_it_was():
    """The order copies name, SKU code, specs and price, and starts with one event."""
    customer = make_customer()
    line = priced_line(unit_price="12.30", quantity=3, discount_share="1.00")
    order = make_order(customer=customer, lines=[line], shipping="8.00")

    assert re.fullmatch(r"\d{8}-\d{6}", order.number)
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert (order.lines_total, order.discount_total, order.total) == (
        Decimal("36.90"),
        Decimal("1.00"),
        Decimal("43.90"),
    )
    saved = OrderLine.objects.get(order=order)
    assert (saved.product_name, saved.sku_code, saved.specs) == (
        line.product_name,
        line.sku_code,
        line.specs,
    )
    assert saved.line_total == Decimal("36.90")
    assert [(e.from_status, e.to_status) for e in order.events.all()] == [
        ("", OrderStatus.PENDING_PAYMENT)
    ]
    assert order.guest_token == ""  # members reach orders through their account


def test_the_snapshot_survives_the_product_being_renamed_and_the_sku_deleted():
    """Renaming the product and deleting the SKU leave the order line as it was sold."""
    line = priced_line()
    order = make_order(lines=[line])
    sku = OrderLine.objects.get(order=order).sku
    sku.product.name = "新名字"
    sku.product.save()
    sku.delete()
    saved = OrderLine.objects.get(order=order)
    assert saved.sku is None
    assert saved.product_name == line.product_name


def test_numbers_follow_a_daily_sequence():
    """Orders are numbered by day, then sequence: 000001, 000002, ... On SQLite the next
    day starts again; on PostgreSQL a database sequence runs on (no lock to queue on)."""
    first, second = make_order(), make_order()
    day = timezone.localdate()
    assert re.fullmatch(rf"{day:%Y%m%d}-\d{{6,}}", first.number)
    assert int(second.number.split("-")[1]) == int(first.number.split("-")[1]) + 1
    tomorrow = timezone.now() + timedelta(days=1)
    later = services.next_order_number(now=tomorrow)
    assert later.startswith(f"{timezone.localdate(tomorrow):%Y%m%d}-")
    if connection.vendor == "sqlite":
        assert first.number == f"{day:%Y%m%d}-000001"
        assert later.endswith("-000001")
        assert OrderNumberCounter.objects.count() == 2
    else:
        assert int(later.split("-")[1]) == int(second.number.split("-")[1]) + 1
        assert not OrderNumberCounter.objects.exists()


def test_an_unpaid_order_is_due_after_the_configured_minutes(settings):
    """expires_at = placement + MERCATO_UNPAID_ORDER_MINUTES."""
    settings.MERCATO_UNPAID_ORDER_MINUTES = 45
    order = make_order()
    assert order.expires_at - order.placed_at == timedelta(minutes=45)


def test_the_auto_cancel_is_written_with_the_order_and_left_to_the_relay(
    settings, django_capture_on_commit_callbacks
):
    """The auto-cancel timer is an outbox row written in the order's transaction; nothing
    is sent at the commit (the request spends nothing on the broker): the relay's next run
    sends it, due at the deadline plus the grace a last-second payment gets, and deletes
    the row."""
    settings.MERCATO_UNPAID_ORDER_MINUTES = 30
    settings.MERCATO_UNPAID_ORDER_GRACE_SECONDS = 60
    with mock.patch("mercato.orders.tasks.cancel_unpaid_order_task.apply_async") as queued:
        with django_capture_on_commit_callbacks(execute=True):
            order = make_order()
        row = OutboxMessage.objects.get(task="mercato.orders.tasks.cancel_unpaid_order_task")
        due = order.placed_at + timedelta(minutes=31)
        assert row.args == [order.pk]
        assert row.eta == order.expires_at + timedelta(seconds=60) == due
        assert row.next_attempt_at <= timezone.now()  # due for the relay's next run
        queued.assert_not_called()  # not at the commit
        assert outbox.relay_outbox() == 1
    queued.assert_called_once_with(
        args=[order.pk], kwargs={}, retry=True, eta=due, retry_policy=mock.ANY
    )
    assert not OutboxMessage.objects.filter(pk=row.pk).exists()


def test_cash_on_delivery_goes_to_review_without_a_deadline(django_capture_on_commit_callbacks):
    """A COD order starts cod_confirmed, never expires and schedules no auto-cancel."""
    with mock.patch("mercato.orders.tasks.cancel_unpaid_order_task.apply_async") as queued:
        with django_capture_on_commit_callbacks(execute=True):
            order = make_order(payment_method="cod")
    assert order.status == OrderStatus.COD_CONFIRMED
    assert order.expires_at is None
    queued.assert_not_called()
    assert not OutboxMessage.objects.filter(task__startswith="mercato.orders.").exists()


def test_a_guest_order_gets_an_unguessable_token():
    """Guest orders carry a long random token; two orders never share one."""
    a, b = make_order(), make_order()
    assert len(a.guest_token) >= 32 and a.guest_token != b.guest_token


def _place(**overrides):
    kw = {
        "customer": None,
        "lines": overrides.get("lines") or [priced_line(unit_price="10.00", quantity=2)],
        "lines_total": Decimal("20.00"),
        "shipping_fee": Decimal("5.00"),
        "discount_total": Decimal("0.00"),
        "total": Decimal("25.00"),
        "payment_method": "sandbox",
        "address": ADDRESS,
    }
    return create_order_record(**{**kw, **overrides})


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"lines_total": Decimal("20.01"), "total": Decimal("25.01")}, "lines_total"),
        ({"total": Decimal("24.99")}, "total"),
        ({"discount_total": Decimal("1.00"), "total": Decimal("24.00")}, "discount_total"),
        ({"shipping_fee": Decimal("-5.00"), "total": Decimal("15.00")}, "shipping_fee"),
        ({"total": 25.0}, "total"),
        ({"total": Decimal("25.001")}, "total"),
        ({"total": Decimal("NaN")}, "total"),
        ({"lines": []}, "lines"),
        ({"lines": lambda: [priced_line(quantity=0)]}, "lines.0.quantity"),
        ({"lines": lambda: [priced_line(quantity=-1)]}, "lines.0.quantity"),
        ({"lines": lambda: [priced_line(quantity=10**9)]}, "lines.0.quantity"),
        (
            {"lines": lambda: [priced_line(unit_price="10", quantity=2, discount_share="21")]},
            "lines.0.discount_share",
        ),  # fmt: skip
        ({"payment_method": ""}, "payment_method"),
        ({"invoice": Invoice(type="company", title="某公司")}, "invoice_tax_id"),
        ({"address": ADDRESS.__class__(**{**ADDRESS.__dict__, "mobile": "12345"})}, "mobile"),
        ({"address": ADDRESS.__class__(**{**ADDRESS.__dict__, "recipient": ""})}, "recipient"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(overrides, field):
    """Amounts that don't add up to the fen, floats, bad quantities, unknown payment
    methods and incomplete addresses raise ValidationFailed naming the field; no order,
    line or number is written."""
    overrides = {k: v() if callable(v) else v for k, v in overrides.items()}
    with pytest.raises(ValidationFailed) as exc:
        _place(**overrides)
    assert field in exc.value.field_errors
    assert exc.value.status == 422
    assert not Order.objects.exists() and not OrderLine.objects.exists()


def test_a_repeated_idempotency_key_places_one_order():
    """The same customer and key again raises DuplicateOrder naming the first order."""
    customer = make_customer()
    first = make_order(customer=customer, idempotency_key="k-1")
    with pytest.raises(DuplicateOrder) as exc:
        make_order(customer=customer, idempotency_key="k-1")
    assert exc.value.number == first.number
    assert Order.objects.count() == 1
    # Another customer may use the same key: keys are per customer.
    make_order(customer=make_customer(), idempotency_key="k-1")
    assert Order.objects.count() == 2


def test_awkward_decimals_add_up_on_every_database():
    """0.10 + 0.20 − 0.00 = 0.30 passes the database's total constraint (no float error)."""
    order = _place(
        lines=[priced_line(unit_price="0.10", quantity=1)],
        lines_total=Decimal("0.10"),
        shipping_fee=Decimal("0.20"),
        total=Decimal("0.30"),
    )
    assert Order.objects.get(pk=order.pk).total == Decimal("0.30")
