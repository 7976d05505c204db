"""Delivered orders complete (交易完成): the member's 确认收货 in the shop or the API, or the
scheduled step MERCATO_AUTO_COMPLETE_DAYS after delivery unless a return is open; the
order's points are earned then by the tier multiplier, and a refund later reverses them."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from mercato.aftersales import completion, services
from mercato.aftersales.tasks import complete_delivered_orders_task
from mercato.core.errors import Conflict, NotFound
from mercato.customers.models import Customer, PointsEntry
from mercato.orders.models import OrderEvent

# A delivered order as the returns tests make it (the shop and staff: conftest).
from .test_returns import ask, delivered_order, line_of

pytestmark = pytest.mark.django_db


def points_of(customer) -> tuple[int, int]:
    """(balance, ledger sum): always equal."""
    balance = Customer.objects.get(pk=customer.pk).points_balance
    amounts = PointsEntry.objects.filter(customer=customer).values_list("amount", flat=True)
    return balance, sum(amounts)


def later(days: int):
    return timezone.now() + timedelta(days=days)


def test_confirm_receipt_in_the_shop_completes_the_order_and_credits_points(client, shop, staff):
    customer, order = delivered_order(shop, staff, (shop["a"], 2))
    # A gold member earns 1.5 points per yuan paid for the goods (shipping not counted).
    Customer.objects.filter(pk=customer.pk).update(tier="gold")
    client.force_login(customer.user)
    page = client.get(reverse("storefront:order_detail", args=[order.number]))
    assert b'id="confirm-receipt"' in page.content

    response = client.post(reverse("storefront:order_confirm_receipt", args=[order.number]))

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == "completed"
    paid = order.total - order.shipping_fee
    assert points_of(customer) == (int(paid * Decimal("1.5")), int(paid * Decimal("1.5")))
    event = OrderEvent.objects.filter(order=order).latest("id")
    assert (event.to_status, event.actor_id) == ("completed", customer.user_id)
    # Pressed again (a second tab): refused, no second lot of points.
    client.post(reverse("storefront:order_confirm_receipt", args=[order.number]))
    assert PointsEntry.objects.filter(customer=customer, kind="earn_order").count() == 1
    page = client.get(reverse("storefront:order_detail", args=[order.number]))
    assert b'id="confirm-receipt"' not in page.content


def test_only_the_members_own_delivered_order_can_be_confirmed(client, shop, staff):
    customer, order = delivered_order(shop, staff, (shop["b"], 1))
    other, _order = delivered_order(shop, staff, (shop["b"], 1))
    with pytest.raises(NotFound):
        completion.confirm_receipt(order_number=order.number, customer_id=other.pk)
    client.force_login(other.user)
    url = reverse("storefront:order_confirm_receipt", args=[order.number])
    assert client.post(url).status_code == 404
    order.refresh_from_db()
    assert order.status == "delivered"

    from mercato.testing.fulfillment import place

    unpaid = place(customer, (shop["b"], 1), paid=False)
    with pytest.raises(Conflict):
        completion.confirm_receipt(order_number=unpaid.number, customer_id=customer.pk)
    unpaid.refresh_from_db()
    assert unpaid.status == "pending_payment"


def test_confirm_receipt_over_the_api(client, shop, staff):
    customer, order = delivered_order(shop, staff, (shop["b"], 1))
    client.force_login(customer.user)
    url = f"/api/orders/{order.number}/confirm-receipt"
    response = client.post(url)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "completed"
    again = client.post(url)
    assert again.status_code == 409
    assert client.post("/api/orders/NOPE/confirm-receipt").status_code == 404


def test_the_scheduled_step_completes_after_the_window_unless_a_return_is_open(shop, staff):
    customer, quiet = delivered_order(shop, staff, (shop["a"], 1))
    _customer, returning = delivered_order(shop, staff, (shop["b"], 1))
    ask(_customer, returning, (line_of(returning, shop["b"]).pk, 1))

    # Within the window: nothing moves.
    assert completion.complete_delivered_orders(now=later(6)) == 0
    # Past it: the quiet order completes, the one with an open return waits.
    assert completion.complete_delivered_orders(now=later(8), batch_size=1) == 1
    quiet.refresh_from_db()
    returning.refresh_from_db()
    assert (quiet.status, returning.status) == ("completed", "delivered")
    assert points_of(customer)[0] == int(quiet.total - quiet.shipping_fee)
    # Run again (beat twice, or a redelivered task): nothing changes.
    assert completion.complete_delivered_orders(now=later(8)) == 0
    assert PointsEntry.objects.filter(customer=customer).count() == 1


def test_the_task_uses_the_configured_window(shop, staff, settings):
    settings.MERCATO_AUTO_COMPLETE_DAYS = 0
    _customer, order = delivered_order(shop, staff, (shop["b"], 1))
    assert complete_delivered_orders_task.delay().get() == 1
    order.refresh_from_db()
    assert order.status == "completed"


def test_delivered_completed_points_then_a_refund_reverses_them(client, shop, staff):
    """The whole story: delivered → 确认收货 → points; a return within the window is
    refunded and the points earned on it go back in proportion."""
    customer, order = delivered_order(shop, staff, (shop["a"], 1), (shop["b"], 1))
    completion.confirm_receipt(order_number=order.number, customer_id=customer.pk)
    earned = int(order.total - order.shipping_fee)
    assert points_of(customer) == (earned, earned)

    request = ask(customer, order, (line_of(order, shop["a"]).pk, 1))
    services.decide_return(actor=staff["service"], return_id=request.pk, approve=True)
    services.receive_return(actor=staff["warehouse"], return_id=request.pk)
    rline = request.lines.get()
    services.inspect_return(
        actor=staff["warehouse"], return_id=request.pk, results={rline.pk: (1, 0)}
    )
    done = services.refund_return(actor=staff["finance"], return_id=request.pk)
    assert done.status == "completed"

    refunded = done.refund_amount + done.shipping_refund
    kept = earned - int(earned * refunded / order.total)
    assert points_of(customer) == (kept, kept)
    assert kept < earned
