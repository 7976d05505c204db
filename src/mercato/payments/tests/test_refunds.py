"""Refunds: amounts, lines, idempotency, the gateways' other side, the order and stock."""

from decimal import Decimal
from urllib.parse import parse_qsl

import pytest

from mercato.core.errors import Conflict, PermissionDeniedError, ValidationFailed
from mercato.inventory.models import Reservation, Stock, StockMovement
from mercato.inventory.reservations import deduct_on_shipment, reserve_stock
from mercato.inventory.services import receive_stock
from mercato.orders.models import Order, OrderStatus
from mercato.payments.models import NoticeAction, Payment, PaymentEvent, Refund, RefundEvent
from mercato.payments.services import handle_notice, record_cod_collection, refund_payment
from mercato.testing.factories import SkuFactory, make_warehouse
from mercato.testing.payments import make_order, paid_payment, priced_line

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(make_staff):
    return make_staff("finance")


def refund(payment, finance, no, **kw):
    kw.setdefault("reason", "客户要求")
    return refund_payment(payment=payment, refund_no=no, actor=finance, **kw)


def snapshot(payment):
    payment.refresh_from_db()
    return (
        payment.status,
        list(payment.refunds.values_list("refund_no", "amount", "status")),
        Order.objects.get(pk=payment.order_id).status,
    )


def test_partial_then_partial_then_over_refund_is_refused(counterpart, finance):
    """208.00 paid: 50 and 100 go back; 58.01 more is refused naming the amount, and
    nothing is written; 58.00 refunds the rest and cancels the unshipped order."""
    payment = paid_payment(method="sandbox")
    assert payment.amount == Decimal("208.00")
    first = refund(payment, finance, "R0000000001", amount=Decimal("50.00"))
    assert first.status == "succeeded" and first.gateway_refund_id == "SBRR0000000001"
    refund(payment, finance, "R0000000002", amount="100.00")
    payment.refresh_from_db()
    assert payment.status == "partially_refunded"
    before = snapshot(payment)
    with pytest.raises(ValidationFailed) as error:
        refund(payment, finance, "R0000000003", amount=Decimal("58.01"))
    assert "amount" in error.value.field_errors
    assert "58.00" in str(error.value.field_errors["amount"][0])
    assert snapshot(payment) == before
    refund(payment, finance, "R0000000004", amount=Decimal("58.00"))
    payment.refresh_from_db()
    order = Order.objects.get(pk=payment.order_id)
    assert payment.status == "refunded" and order.status == OrderStatus.CANCELLED
    moves = list(PaymentEvent.objects.filter(payment=payment).values_list("to_status", flat=True))
    assert moves == ["pending", "paid", "partially_refunded", "partially_refunded", "refunded"]


def test_the_same_refund_number_twice_is_one_refund(counterpart, finance):
    payment = paid_payment(method="sandbox")
    first = refund(payment, finance, "R0000000001", amount=Decimal("10.00"))
    again = refund(payment, finance, "R0000000001", amount=Decimal("10.00"))
    assert again.pk == first.pk and Refund.objects.count() == 1
    assert RefundEvent.objects.filter(refund=first).count() == 2  # requested, succeeded
    other = paid_payment(method="sandbox")
    with pytest.raises(Conflict):
        refund(other, finance, "R0000000001", amount=Decimal("10.00"))


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"amount": Decimal("0")}, "amount"),
        ({"amount": Decimal("-1")}, "amount"),
        ({"amount": Decimal("1.001")}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"refund_no": "R-1"}, "refund_no"),
        ({"reason": " "}, "reason"),
        ({"lines": [(999999, 1)]}, "lines.0.order_line"),
        ({"amount": Decimal("1"), "lines": [(1, 1)]}, "amount"),
    ],
)
def test_bad_refund_input_names_the_field_and_changes_nothing(counterpart, finance, kw, field):
    payment = paid_payment(method="sandbox")
    before = snapshot(payment)
    kw = {"amount": None, "refund_no": "R0000000001", **kw}
    with pytest.raises(ValidationFailed) as error:
        refund(payment, finance, kw.pop("refund_no"), **kw)
    assert field in error.value.field_errors
    assert snapshot(payment) == before


def test_refund_needs_the_permission(counterpart, make_staff):
    """客服部 may see payments but not refund: PermissionDeniedError, nothing written."""
    payment = paid_payment(method="sandbox")
    with pytest.raises(PermissionDeniedError):
        refund(payment, make_staff("service"), "R0000000001", amount=Decimal("1.00"))
    assert not Refund.objects.exists()


def test_an_unpaid_payment_cannot_be_refunded(counterpart, finance):
    from mercato.testing.payments import make_payment

    payment = make_payment(method="sandbox")
    with pytest.raises(Conflict):
        refund(payment, finance, "R0000000001", amount=Decimal("1.00"))


def shipped_order(lines):
    """An order reserved in one warehouse, paid, and shipped."""
    warehouse = make_warehouse("GZ", "广东省")
    for line in lines:
        receive_stock(actor=None, sku_id=line.sku_id, warehouse_id=warehouse.pk, quantity=10)
    payment = paid_payment(method="sandbox", lines=lines)
    order = Order.objects.get(pk=payment.order_id)
    reserve_stock(
        lines=[(ln.sku_id, ln.quantity) for ln in lines], province="广东省", reference=order.number
    )
    deduct_on_shipment(reference=order.number)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.SHIPPED)
    return payment, warehouse


def test_per_line_refund_with_restock_puts_the_goods_back(counterpart, finance):
    """2 of 3 units of one line came back: refunded at the line's price after its discount
    share, and on-hand stock rises by 2 with a 'return' ledger row naming the refund."""
    sku, other = SkuFactory(), SkuFactory()
    lines = [
        priced_line(sku=sku, unit_price="30.00", quantity=3, discount_share="10.00"),
        priced_line(sku=other, unit_price="20.00", quantity=1),
    ]
    payment, warehouse = shipped_order(lines)
    line = Order.objects.get(pk=payment.order_id).lines.get(sku=sku)
    done = refund(payment, finance, "R0000000001", lines=[(line.pk, 2)], restock=True)
    assert done.status == "succeeded" and done.amount == Decimal("53.33")  # 80 × 2/3
    stock = Stock.objects.get(sku=sku, warehouse=warehouse)
    assert (stock.on_hand, stock.reserved) == (9, 0)
    movement = StockMovement.objects.get(reason="return")
    assert movement.reference == "R0000000001" and movement.on_hand_delta == 2
    # The last unit takes the remainder: the line adds up to what was paid for it.
    last = refund(payment, finance, "R0000000002", lines=[(line.pk, 1)])
    assert last.amount == Decimal("26.67")
    with pytest.raises(ValidationFailed):
        refund(payment, finance, "R0000000003", lines=[(line.pk, 1)])


def test_full_refund_after_shipment_closes_the_order(counterpart, finance):
    sku = SkuFactory()
    payment, _ = shipped_order([priced_line(sku=sku, quantity=1)])
    refund(payment, finance, "R0000000001", amount=payment.amount)
    assert Order.objects.get(pk=payment.order_id).status == OrderStatus.CLOSED


def test_full_refund_before_shipment_cancels_and_releases_stock(counterpart, finance):
    sku, warehouse = SkuFactory(), make_warehouse("SZ", "广东省")
    receive_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, quantity=5)
    payment = paid_payment(method="sandbox", lines=[priced_line(sku=sku, quantity=2)])
    order = Order.objects.get(pk=payment.order_id)
    reserve_stock(lines=[(sku.pk, 2)], province="广东省", reference=order.number)
    refund(payment, finance, "R0000000001", amount=payment.amount, restock=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert Reservation.objects.get(reference=order.number).status == "released"
    assert Stock.objects.get(sku=sku).reserved == 0


def test_restock_of_goods_that_never_shipped_is_refused_for_a_partial_refund(counterpart, finance):
    payment = paid_payment(method="sandbox")
    line = Order.objects.get(pk=payment.order_id).lines.get()
    with pytest.raises(ValidationFailed) as error:
        refund(payment, finance, "R0000000001", lines=[(line.pk, 1)], restock=True)
    assert "restock" in error.value.field_errors


def test_alipay_refund_reaches_alipay_and_succeeds(counterpart, finance):
    counterpart.refunds_succeed()
    payment = paid_payment(method="alipay_page")
    done = refund(payment, finance, "R0000000001", amount=Decimal("8.00"))
    assert done.status == "succeeded"
    (call,) = counterpart.server.calls
    assert "alipay.trade.refund" in call.body.decode()


def test_wechat_refund_is_processing_until_its_notice(counterpart, finance):
    """WeChat Pay accepts (PROCESSING); its signed REFUND.SUCCESS notice completes it, once."""
    counterpart.refunds_succeed()
    payment = paid_payment(method="wechat_native")
    done = refund(payment, finance, "R0000000001", amount=Decimal("8.00"))
    assert done.status == "processing" and done.gateway_refund_id == "5030R0000000001"
    assert counterpart.server.calls[0].path == "/v3/refund/domestic/refunds"
    headers, body = counterpart.wechat_refund_notice(payment, done)
    for _ in range(2):
        notice, reply = handle_notice(gateway="wechatpay", headers=headers, body=body)
        assert reply.status == 204
    done.refresh_from_db()
    payment.refresh_from_db()
    assert done.status == "succeeded" and payment.status == "partially_refunded"
    assert notice.action == NoticeAction.DUPLICATE


def test_unionpay_refund_is_sent_against_the_query_id_and_its_notice_completes_it(
    counterpart, finance
):
    counterpart.refunds_succeed()
    payment = paid_payment(method="unionpay_pc", trade_no="772611271200000000011")
    done = refund(payment, finance, "R0000000001", amount=payment.amount)
    assert done.status == "processing"
    assert "origQryId=772611271200000000011" in counterpart.server.calls[0].body.decode()
    handle_notice(
        gateway="unionpay",
        **dict(zip(("headers", "body"), counterpart.unionpay_refund_notice(done), strict=True)),
    )
    done.refresh_from_db()
    assert done.status == "succeeded"
    assert Payment.objects.get(pk=payment.pk).status == "refunded"
    assert Order.objects.get(pk=payment.order_id).status == OrderStatus.CANCELLED


def test_a_refund_the_gateway_refuses_is_failed_and_frees_the_amount(counterpart, finance):
    counterpart.answers[("alipay", "alipay.trade.refund")] = lambda biz: {
        "code": "40004",
        "msg": "Business Failed",
        "sub_code": "ACQ.SELLER_BALANCE_NOT_ENOUGH",
    }
    payment = paid_payment(method="alipay_page")
    failed = refund(payment, finance, "R0000000001", amount=payment.amount)
    assert failed.status == "failed" and "BALANCE" in failed.problem
    counterpart.refunds_succeed()
    assert refund(payment, finance, "R0000000002", amount=payment.amount).status == "succeeded"


def test_an_unreachable_gateway_leaves_the_outcome_unknown_and_the_same_number_settles_it(
    counterpart, finance, settings
):
    """A timeout says nothing about the money: the refund stays processing with its amount
    held, no other refund of the payment may start, and sending the same number again
    (the gateway queried first: it never got it) settles it."""
    payment = paid_payment(method="alipay_page")
    url = settings.MERCATO_PAYMENTS["ALIPAY_GATEWAY_URL"]
    settings.MERCATO_PAYMENTS = {
        **settings.MERCATO_PAYMENTS,
        "ALIPAY_GATEWAY_URL": "http://127.0.0.1:9/",
    }
    pending = refund(payment, finance, "R0000000001", amount=Decimal("5.00"))
    assert pending.status == "processing" and "unknown" in pending.problem.lower()
    with pytest.raises(Conflict) as error:
        refund(payment, finance, "R0000000002", amount=Decimal("5.00"))
    assert error.value.code == "refund_in_progress"
    settings.MERCATO_PAYMENTS = {**settings.MERCATO_PAYMENTS, "ALIPAY_GATEWAY_URL": url}
    counterpart.refunds_succeed()
    again = refund(payment, finance, "R0000000001", amount=Decimal("5.00"))
    assert again.pk == pending.pk and again.status == "succeeded"
    methods = [dict(parse_qsl(c.body.decode()))["method"] for c in counterpart.server.calls]
    assert methods == ["alipay.trade.fastpay.refund.query", "alipay.trade.refund"]
    assert counterpart.paid_out == {("alipay", "R0000000001"): Decimal("5.00")}


def test_cod_refund_is_a_manual_record(counterpart, finance):
    """Cash on delivery: collected by the courier, then refunded by finance by hand."""
    from mercato.payments.services import create_cod_payment

    order = make_order(payment_method="cod")
    payment = create_cod_payment(order=order)
    assert create_cod_payment(order=order).pk == payment.pk
    assert payment.status == "awaiting_collection" and payment.amount == order.total
    with pytest.raises(ValidationFailed) as error:
        record_cod_collection(order=order, amount=order.total - 1, actor=finance)
    assert "amount" in error.value.field_errors
    record_cod_collection(order=order, amount=str(order.total), actor=finance)
    record_cod_collection(order=order, amount=order.total, actor=finance)  # again: no change
    payment.refresh_from_db()
    assert payment.status == "paid" and payment.events.count() == 2
    done = refund(payment, finance, "R0000000001", amount=Decimal("5.00"))
    assert done.status == "succeeded" and done.manual


def test_alipays_refund_notice_with_the_running_total_is_a_duplicate(counterpart, finance):
    """Alipay answers refunds at once and notifies afterwards with refund_fee = the total
    refunded so far: the notice of a second partial refund changes nothing, flags nothing."""
    counterpart.refunds_succeed()
    payment = paid_payment(method="alipay_page")
    refund(payment, finance, "R0000000001", amount=Decimal("8.00"))
    refund(payment, finance, "R0000000002", amount=Decimal("10.00"))
    headers, body = counterpart.alipay_notice(
        payment, refund_fee="18.00", out_biz_no="R0000000002", gmt_refund="2026-11-27 12:00:00"
    )
    notice, reply = handle_notice(gateway="alipay", headers=headers, body=body)
    assert reply.body == "success" and notice.action == NoticeAction.DUPLICATE
    assert not notice.needs_review


def test_a_refund_notice_with_another_amount_is_flagged_and_changes_nothing(counterpart, finance):
    from types import SimpleNamespace

    counterpart.refunds_succeed()
    payment = paid_payment(method="wechat_native")
    pending = refund(payment, finance, "R0000000001", amount=Decimal("8.00"))
    other = SimpleNamespace(refund_no=pending.refund_no, amount=Decimal("80.00"))
    notice, _ = handle_notice(
        gateway="wechatpay",
        **dict(
            zip(("headers", "body"), counterpart.wechat_refund_notice(payment, other), strict=True)
        ),
    )
    assert notice.needs_review and notice.action == NoticeAction.FLAGGED
    pending.refresh_from_db()
    assert pending.status == "processing"
