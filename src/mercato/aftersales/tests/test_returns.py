"""Returns and exchanges: requests within the window, decisions, the parcel back,
inspection (restock and write-off ledger rows), refunds through the payment (never more
than paid for the lines returned, shipping by rule), exchanges with the price difference."""

import dataclasses
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from mercato.aftersales import services
from mercato.aftersales.models import ReturnKind, ReturnStatus
from mercato.aftersales.services import LineRequest
from mercato.aftersales.status import IllegalReturnMove
from mercato.core.errors import Conflict, NotFound, PermissionDeniedError, ValidationFailed
from mercato.fulfillment.models import Shipment, ShipmentKind
from mercato.inventory.models import Stock, StockMovement
from mercato.payments.models import Payment, Refund
from mercato.testing.fulfillment import (
    ADDRESS,
    deliver,
    make_customer,
    make_sku,
    place,
    stock,
)

pytestmark = pytest.mark.django_db


def delivered_order(shop, staff, *lines, **kw):
    customer = kw.pop("customer", None) or make_customer()
    # The customer's own number and door: many orders to one phone or one address would
    # be held for review.
    address = dataclasses.replace(
        ADDRESS, mobile=customer.mobile, detail=f"人民南路{customer.pk}号"
    )
    order = place(customer, *lines, address=address, **kw)
    deliver(order, actor=staff["warehouse"])
    assert order.status == "delivered"
    return customer, order


def line_of(order, sku):
    return order.lines.get(sku=sku)


def ask(customer, order, *items, kind="return", reason="quality", **kw):
    return services.request_return(
        customer=customer,
        order_number=order.number,
        kind=kind,
        reason=reason,
        lines=[LineRequest(*item) for item in items],
        **kw,
    )


def photo(name="p.png"):
    data = BytesIO()
    Image.new("RGB", (4, 4), "red").save(data, "PNG")
    return SimpleUploadedFile(name, data.getvalue(), content_type="image/png")


def test_full_return_flow_to_a_refund(shop, staff):
    customer, order = delivered_order(shop, staff, (shop["a"], 2), (shop["b"], 1))
    line = line_of(order, shop["a"])
    request = ask(customer, order, (line.pk, 2), photos=[photo()], description="屏幕有划痕")
    assert request.status == ReturnStatus.REQUESTED and request.photos.count() == 1
    services.decide_return(actor=staff["service"], return_id=request.pk, approve=True)
    services.record_return_parcel(customer=customer, return_id=request.pk, carrier="顺丰",
                                  waybill_no="SF1234567890")  # fmt: skip
    services.receive_return(actor=staff["warehouse"], return_id=request.pk)
    on_hand = Stock.objects.get(sku=shop["a"], warehouse=shop["cd"]).on_hand
    rline = request.lines.get()
    services.inspect_return(
        actor=staff["warehouse"], return_id=request.pk, results={rline.pk: (1, 1)}
    )
    assert Stock.objects.get(sku=shop["a"], warehouse=shop["cd"]).on_hand == on_hand + 1
    ledger = sorted(
        StockMovement.objects.filter(reference=request.number).values_list(
            "reason", "on_hand_delta"
        )
    )
    assert ledger == [("return", 1), ("return", 1), ("write_off", -1)]
    done = services.refund_return(actor=staff["finance"], return_id=request.pk)
    assert done.status == ReturnStatus.COMPLETED
    # Two units of ¥100, and the shipping (a quality problem: the shop's fault).
    assert done.refund_amount == Decimal("200.00")
    assert done.shipping_refund == order.shipping_fee
    refunds = Refund.objects.filter(refund_no__in=done.refund_numbers)
    assert sum(r.amount for r in refunds) == Decimal("200.00") + order.shipping_fee
    assert Payment.objects.get(order=order).status == "partially_refunded"
    assert list(done.events.values_list("to_status", flat=True)) == [
        "requested", "approved", "returning", "received", "inspected", "refunding", "completed",
    ]  # fmt: skip


def test_no_reason_returns_do_not_refund_shipping(shop, staff):
    customer, order = delivered_order(shop, staff, (shop["b"], 1))
    request = ask(customer, order, (line_of(order, shop["b"]).pk, 1), reason="no_reason")
    services.decide_return(actor=staff["service"], return_id=request.pk, approve=True)
    services.receive_return(actor=staff["warehouse"], return_id=request.pk)
    services.inspect_return(actor=staff["warehouse"], return_id=request.pk,
                            results={request.lines.get().pk: (1, 0)})  # fmt: skip
    done = services.refund_return(actor=staff["finance"], return_id=request.pk)
    assert (done.refund_amount, done.shipping_refund) == (Decimal("30.00"), Decimal("0.00"))


def test_bad_requests_change_nothing(shop, staff):
    customer, order = delivered_order(shop, staff, (shop["a"], 2))
    line = line_of(order, shop["a"])
    with pytest.raises(ValidationFailed, match="Invalid input"):
        ask(customer, order, (line.pk, 3))
    with pytest.raises(NotFound):
        ask(make_customer(), order, (line.pk, 1))
    with pytest.raises(ValidationFailed):
        ask(customer, order, (999999, 1))
    not_an_image = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    with pytest.raises(ValidationFailed):
        ask(customer, order, (line.pk, 1), photos=[not_an_image])
    ask(customer, order, (line.pk, 2))
    with pytest.raises(ValidationFailed):  # every unit is asked for already
        ask(customer, order, (line.pk, 1))
    assert order.returns.count() == 1


def test_the_window_is_counted_from_delivery_and_set_per_category(shop, staff, make_staff):
    customer, order = delivered_order(shop, staff, (shop["a"], 1))
    line = line_of(order, shop["a"])
    later = timezone.now() + timedelta(days=8)
    with translation.override("en"), pytest.raises(ValidationFailed) as exc:
        ask(customer, order, (line.pk, 1), now=later)
    assert "7 days" in str(exc.value.field_errors)  # the message names the window
    lead = make_staff("service", roles=["lead"])
    services.set_return_window(actor=lead, category_id=shop["a"].product.category_id, days=15)
    assert ask(customer, order, (line.pk, 1), now=later).status == ReturnStatus.REQUESTED


def test_undelivered_orders_cannot_be_returned(shop, staff):
    customer = make_customer()
    order = place(customer, (shop["a"], 1))
    with pytest.raises(Conflict):
        ask(customer, order, (line_of(order, shop["a"]).pk, 1))


def test_rejection_needs_a_reason_and_ends_the_request(shop, staff):
    customer, order = delivered_order(shop, staff, (shop["a"], 1))
    request = ask(customer, order, (line_of(order, shop["a"]).pk, 1))
    with pytest.raises(ValidationFailed):
        services.decide_return(actor=staff["service"], return_id=request.pk, approve=False)
    services.decide_return(actor=staff["service"], return_id=request.pk, approve=False,
                           note="商品已使用，影响二次销售")  # fmt: skip
    with pytest.raises(IllegalReturnMove):
        services.receive_return(actor=staff["warehouse"], return_id=request.pk)


def test_each_step_needs_its_permission(shop, staff):
    customer, order = delivered_order(shop, staff, (shop["a"], 1))
    request = ask(customer, order, (line_of(order, shop["a"]).pk, 1))
    with pytest.raises(PermissionDeniedError):
        services.decide_return(actor=staff["finance"], return_id=request.pk, approve=True)
    services.decide_return(actor=staff["service"], return_id=request.pk, approve=True)
    with pytest.raises(PermissionDeniedError):
        services.receive_return(actor=staff["service"], return_id=request.pk)


def test_inspection_must_account_for_every_unit(shop, staff):
    customer, order = delivered_order(shop, staff, (shop["a"], 2))
    request = ask(customer, order, (line_of(order, shop["a"]).pk, 2))
    services.decide_return(actor=staff["service"], return_id=request.pk, approve=True)
    services.receive_return(actor=staff["warehouse"], return_id=request.pk)
    with pytest.raises(ValidationFailed):
        services.inspect_return(actor=staff["warehouse"], return_id=request.pk,
                                results={request.lines.get().pk: (1, 0)})  # fmt: skip
    assert not StockMovement.objects.filter(reference=request.number).exists()


def test_exchange_for_a_dearer_sku_collects_the_difference_on_delivery(shop, staff):
    dearer = make_sku(price="120.00")
    stock(dearer, shop["cd"], 5, "A-09")
    customer, order = delivered_order(shop, staff, (shop["a"], 1))
    request = ask(customer, order, (line_of(order, shop["a"]).pk, 1, dearer.pk),
                  kind=ReturnKind.EXCHANGE, reason="size")  # fmt: skip
    assert request.price_difference == Decimal("20.00")
    services.decide_return(actor=staff["service"], return_id=request.pk, approve=True)
    services.receive_return(actor=staff["warehouse"], return_id=request.pk)
    services.inspect_return(actor=staff["warehouse"], return_id=request.pk,
                            results={request.lines.get().pk: (1, 0)})  # fmt: skip
    services.ship_replacement(actor=staff["service"], return_id=request.pk)
    [parcel] = Shipment.objects.filter(kind=ShipmentKind.REPLACEMENT)
    assert parcel.cod_amount == Decimal("20.00") and parcel.carrier.supports_cod
    assert list(parcel.lines.values_list("sku_id", "quantity")) == [(dearer.pk, 1)]
    # Delivered like any parcel, then the exchange completes.
    Shipment.objects.filter(pk=parcel.pk).update(status="delivered")
    assert services.complete_replaced() == 1
    request.refresh_from_db()
    assert request.status == ReturnStatus.COMPLETED


def test_exchange_for_a_cheaper_sku_refunds_the_difference(shop, staff):
    customer, order = delivered_order(shop, staff, (shop["a"], 1))
    request = ask(customer, order, (line_of(order, shop["a"]).pk, 1, shop["b"].pk),
                  kind=ReturnKind.EXCHANGE, reason="size")  # fmt: skip
    services.decide_return(actor=staff["service"], return_id=request.pk, approve=True)
    services.receive_return(actor=staff["warehouse"], return_id=request.pk)
    services.inspect_return(actor=staff["warehouse"], return_id=request.pk,
                            results={request.lines.get().pk: (1, 0)})  # fmt: skip
    services.ship_replacement(actor=staff["service"], return_id=request.pk)
    with pytest.raises(PermissionDeniedError):
        services.refund_exchange_difference(actor=staff["service"], return_id=request.pk)
    services.refund_exchange_difference(actor=staff["finance"], return_id=request.pk)
    request.refresh_from_db()
    refund = Refund.objects.get(refund_no__in=request.refund_numbers)
    assert refund.amount == Decimal("70.00") == request.refund_amount
    with pytest.raises(Conflict):  # once
        services.refund_exchange_difference(actor=staff["finance"], return_id=request.pk)


amounts = st.decimals(min_value=Decimal("1.00"), max_value=Decimal("500.00"), places=2)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    lines=st.lists(st.tuples(amounts, st.integers(1, 4)), min_size=1, max_size=3),
    picks=st.lists(st.integers(0, 4), min_size=3, max_size=3),
)
def test_refunds_never_exceed_what_was_paid_for_the_lines_returned(shop, staff, lines, picks):
    """Random orders and random partial returns, one line after another: each return's
    refund equals what was paid for its units (line total less its discount share, spread
    pro rata) and never more; all of them together never exceed the order's lines."""
    skus = [make_sku(price=str(price)) for price, _q in lines]
    for sku in skus:
        stock(sku, shop["cd"], 10)
    bought = [(sku, q) for sku, (_p, q) in zip(skus, lines, strict=True)]
    customer, order = delivered_order(shop, staff, *bought)
    refunded = Decimal("0.00")
    for sku, (_price, bought), pick in zip(skus, lines, picks[: len(lines)], strict=True):
        units = min(pick, bought)
        if not units:
            continue
        line = line_of(order, sku)
        request = ask(customer, order, (line.pk, units), reason="no_reason")
        services.decide_return(actor=staff["service"], return_id=request.pk, approve=True)
        services.receive_return(actor=staff["warehouse"], return_id=request.pk)
        services.inspect_return(actor=staff["warehouse"], return_id=request.pk,
                                results={request.lines.get().pk: (units, 0)})  # fmt: skip
        done = services.refund_return(actor=staff["finance"], return_id=request.pk)
        paid_for_line = line.line_total - line.discount_share
        assert done.refund_amount <= paid_for_line
        share = (paid_for_line * units / bought).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        assert done.refund_amount == (paid_for_line if units == bought else share)
        refunded += done.refund_amount
    assert refunded <= order.lines_total - order.discount_total
