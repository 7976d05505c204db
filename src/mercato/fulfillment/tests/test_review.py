"""The automatic review of paid and COD orders, the reviewers' decisions, rule settings
and the blacklist."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from mercato.core.errors import PermissionDeniedError, ValidationFailed
from mercato.fulfillment.models import OrderReview, Shipment, ShipmentStatus
from mercato.fulfillment.review import services
from mercato.orders.errors import IllegalTransition
from mercato.orders.models import EventKind, Order, OrderStatus
from mercato.testing.fulfillment import at, make_customer, make_shop, make_sku, place, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db):
    warehouses = make_shop()
    sku = make_sku(price="100.00")
    for warehouse in warehouses.values():
        stock(sku, warehouse, 500)
    return {"sku": sku, "warehouses": warehouses}


def order(shop, quantity=1, **kw):
    return place(kw.pop("customer", None) or make_customer(), (shop["sku"], quantity), **kw)


def review():
    return services.review_paid_orders(batch_size=100)


def status(o) -> str:
    return Order.objects.values_list("status", flat=True).get(pk=o.pk)


def test_clean_orders_pass_straight_to_approved(shop):
    paid, cod = order(shop), order(shop, method="cod")
    unpaid = order(shop, paid=False)
    assert review().passed == 2
    assert status(paid) == status(cod) == OrderStatus.APPROVED
    assert status(unpaid) == OrderStatus.PENDING_PAYMENT
    event = Order.objects.get(pk=paid.pk).events.last()
    assert (event.from_status, event.to_status, event.actor) == ("paid", "approved", None)
    assert OrderReview.objects.get(order=paid).outcome == OrderReview.Outcome.PASSED


def test_a_held_order_waits_under_review_with_its_reasons(shop):
    bad = order(shop, address=at("江苏省", "南京市", "鼓楼区", "附近", recipient="asdfgh"))
    batch = review()
    assert (batch.passed, batch.held) == (0, 1)
    assert status(bad) == OrderStatus.UNDER_REVIEW
    found = OrderReview.objects.get(order=bad)
    assert found.outcome == OrderReview.Outcome.HELD
    assert found.reasons == ["address", "malicious"]
    assert {f["rule"] for f in found.findings} == {"address_detail", "name_gibberish"}
    assert Order.objects.get(pk=bad.pk).events.last().data == {"reasons": ["address", "malicious"]}


def test_detail_naming_another_region_is_held(shop):
    o = order(shop, address=at("四川省", "成都市", "武侯区", "上海市浦东新区碧波路690号"))
    review()
    assert OrderReview.objects.get(order=o).reasons == ["address"]


def test_many_orders_from_one_phone_are_malicious(shop):
    same = at("四川省", "成都市", "武侯区", "人民南路四段1号", mobile="13711112222")
    orders = [order(shop, address=same) for _ in range(6)]
    review()
    reasons = [OrderReview.objects.get(order=o).reasons for o in orders]
    assert all(r == ["malicious"] for r in reasons)  # 6 > 5 in an hour, to one address too


def test_many_orders_from_one_ip_are_malicious(shop):
    addresses = [
        at("四川省", "成都市", "武侯区", f"人民南路{i}号", mobile=f"1371111{i:04d}")
        for i in range(11)
    ]
    orders = [order(shop, address=a, client_ip="203.0.113.7") for a in addresses]
    review()
    assert {tuple(OrderReview.objects.get(order=o).reasons) for o in orders} == {("malicious",)}
    rules = {f["rule"] for f in OrderReview.objects.get(order=orders[0]).findings}
    assert rules == {"orders_per_ip"}


def test_large_quantity_and_cod_amount(shop):
    big = order(shop, quantity=21)
    fine = order(shop, quantity=20, method="cod")  # ¥2000: not above
    dear_sku = make_sku(price="2000.01")
    stock(dear_sku, shop["warehouses"]["四川省"], 5)
    dear = place(make_customer(), (dear_sku, 1), method="cod")
    review()
    assert OrderReview.objects.get(order=big).reasons == ["malicious"]
    assert OrderReview.objects.get(order=dear).reasons == ["cod-risk"]
    assert OrderReview.objects.get(order=fine).outcome == OrderReview.Outcome.PASSED


def test_a_customer_who_refused_cod_before_is_a_cod_risk(shop):
    customer = make_customer()
    earlier = order(shop, customer=customer, method="cod")
    Shipment.objects.create(
        number=f"{earlier.number}-1", order=earlier, reference=earlier.number,
        warehouse=shop["warehouses"]["四川省"], province="四川省", cod_amount=earlier.total,
        status=ShipmentStatus.REFUSED,
    )  # fmt: skip
    Order.objects.filter(pk=earlier.pk).update(status=OrderStatus.SHIPPED)
    again = order(shop, customer=customer, method="cod")
    online = order(shop, customer=customer)
    review()
    assert OrderReview.objects.get(order=again).reasons == ["cod-risk"]
    assert OrderReview.objects.get(order=online).outcome == OrderReview.Outcome.PASSED


def test_blacklisted_phone_address_ip_and_name_are_held(shop, make_staff):
    lead = make_staff("procurement", roles=["order_processing"])
    services.add_to_blacklist(actor=lead, kind="phone", value="+86 137 0000 1111", reason="骗单")
    services.add_to_blacklist(
        actor=lead, kind="address", value="武侯区人民南路九段 8 号", reason="x"
    )
    by_phone = order(
        shop, address=at("四川省", "成都市", "武侯区", "人民南路1号", mobile="13700001111")
    )
    by_address = order(shop, address=at("四川省", "成都市", "武侯区", "人民南路九段8号3栋"))
    clean = order(shop)
    review()
    for o in (by_phone, by_address):
        assert [f["rule"] for f in OrderReview.objects.get(order=o).findings] == ["blacklist"]
    assert status(clean) == OrderStatus.APPROVED
    with pytest.raises(ValidationFailed):
        services.add_to_blacklist(actor=lead, kind="ip", value="not-an-ip", reason="x")


def test_the_lead_switches_rules_and_sets_thresholds(shop, make_staff):
    lead = make_staff("procurement", roles=["lead", "order_processing"])
    clerk = make_staff("procurement")
    with pytest.raises(PermissionDeniedError):
        services.set_rule(actor=clerk, code="large_quantity", enabled=False)
    services.set_rule(actor=lead, code="large_quantity", enabled=True, threshold=50)
    services.set_rule(actor=lead, code="address_detail", enabled=False)
    kept = order(shop, quantity=30)
    vague = order(shop, address=at("江苏省", "南京市", "鼓楼区", "附近"))
    review()
    assert status(kept) == status(vague) == OrderStatus.APPROVED
    with pytest.raises(ValidationFailed):
        services.set_rule(actor=lead, code="orders_per_ip", enabled=True, threshold=-1)


def test_orders_on_hold_wait_for_the_release(shop, make_staff):
    from mercato.orders.actions import hold_order

    o = order(shop)
    hold_order(order_id=o.pk, actor=make_staff("service"), reason="客户要求暂缓")
    assert review().total == 0
    assert status(o) == OrderStatus.PAID


def test_reviewer_fixes_the_address_and_approves(shop, make_staff):
    reviewer = make_staff("procurement", roles=["order_processing"])
    o = order(shop, address=at("江苏省", "南京市", "鼓楼区", "附近"))
    review()
    fixed = at("江苏省", "南京市", "鼓楼区", "汉口路22号南京大学")
    result = services.fix_address(
        order_id=o.pk, actor=reviewer, address=fixed, confirmation="电话确认新地址"
    )
    assert result.outcome == OrderReview.Outcome.PASSED and result.findings == []
    services.approve_order(order_id=o.pk, actor=reviewer)
    current = Order.objects.get(pk=o.pk)
    assert current.status == OrderStatus.APPROVED and current.detail == "汉口路22号南京大学"
    kinds = list(current.events.values_list("kind", "to_status"))
    assert kinds[-3:] == [
        (EventKind.ADDRESS, "under_review"),
        (EventKind.REVIEW, "under_review"),
        (EventKind.STATUS, "approved"),
    ]
    assert OrderReview.objects.get(order=o).decided_by == reviewer


def test_reviewer_cancels_with_a_reason_and_stock_is_released(shop, make_staff):
    reviewer = make_staff("procurement", roles=["order_processing"])
    o = order(shop, quantity=3, address=at("江苏省", "南京市", "鼓楼区", "附近", recipient="测试"))
    review()
    with pytest.raises(ValidationFailed):
        services.reject_order(order_id=o.pk, actor=reviewer, reason="")
    services.reject_order(order_id=o.pk, actor=reviewer, reason="测试单")
    assert status(o) == OrderStatus.CANCELLED
    assert OrderReview.objects.get(order=o).outcome == OrderReview.Outcome.CANCELLED
    stock_row = shop["sku"].stocks.get(warehouse=shop["warehouses"]["四川省"])
    assert stock_row.reserved == 0


def test_decisions_need_the_permission_and_a_waiting_order(shop, make_staff):
    o = order(shop)
    with pytest.raises(IllegalTransition):
        services.approve_order(
            order_id=o.pk, actor=make_staff("procurement", roles=["order_processing"])
        )
    with pytest.raises(PermissionDeniedError):
        services.approve_order(order_id=o.pk, actor=make_staff("finance"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_never_review_the_same_order(shop):
    """Two batches at once (SKIP LOCKED): every order reviewed exactly once."""
    orders = [order(shop) for _ in range(30)]
    gate, results = threading.Barrier(2), []

    def work():
        try:
            gate.wait()
            results.append(services.review_paid_orders(batch_size=20).total)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.append(services.review_paid_orders(batch_size=20).total)
    assert sum(results) == 30
    for o in orders:
        # Approved or held (one phone for all 30): reviewed once either way.
        assert Order.objects.get(pk=o.pk).events.filter(from_status="paid").count() == 1
    assert Decimal(OrderReview.objects.count()) == 30
