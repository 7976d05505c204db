"""The order review pages: queue, one order (fix, approve, cancel), rules, blacklist and
the address check form."""

import pytest
from django.urls import reverse

from mercato.fulfillment.models import BlacklistEntry, ReviewRule
from mercato.fulfillment.review.services import review_paid_orders
from mercato.orders.models import Order, OrderStatus
from mercato.testing.fulfillment import at, make_customer, make_shop, make_sku, place, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db):
    warehouses = make_shop(provinces=("江苏省",))
    sku = make_sku()
    stock(sku, warehouses["江苏省"], 50)
    return {"sku": sku}


@pytest.fixture
def reviewer(client, make_staff):
    user = make_staff("procurement", roles=["order_processing"])
    client.force_login(user)
    return user


def held(shop, **address):
    order = place(
        make_customer(),
        (shop["sku"], 1),
        address=at("江苏省", "南京市", "鼓楼区", address.pop("detail", "附近"), **address),
    )
    review_paid_orders()
    order.refresh_from_db()
    assert order.status == OrderStatus.UNDER_REVIEW
    return order


def test_queue_lists_held_orders_with_their_reasons_and_filters(client, reviewer, shop):
    vague = held(shop)
    gibberish = held(shop, detail="汉口路22号", recipient="asdfgh")
    response = client.get(reverse("backoffice:review_queue"))
    assert [o.number for o in response.context["page"].object_list] == [
        vague.number,
        gibberish.number,
    ]
    filtered = client.get(reverse("backoffice:review_queue"), {"reason": "malicious"})
    assert [o.number for o in filtered.context["page"].object_list] == [gibberish.number]


def test_fix_then_approve(client, reviewer, shop):
    order = held(shop)
    form = {
        "recipient": "李四", "mobile": "13912345678", "province": "江苏省", "city": "南京市",
        "district": "鼓楼区", "detail": "汉口路22号南京大学", "confirmation": "来电确认",
    }  # fmt: skip
    response = client.post(reverse("backoffice:review_fix", args=[order.number]), form)
    assert response.status_code == 302
    page = client.get(reverse("backoffice:review_detail", args=[order.number]))
    assert page.context["review"].findings == []
    client.post(reverse("backoffice:review_approve", args=[order.number]))
    order.refresh_from_db()
    assert order.status == OrderStatus.APPROVED and order.detail == "汉口路22号南京大学"


def test_fix_without_confirmation_is_refused(client, reviewer, shop):
    order = held(shop)
    form = {
        "recipient": "李四", "mobile": "13912345678", "province": "江苏省", "city": "南京市",
        "district": "鼓楼区", "detail": "汉口路22号", "confirmation": "",
    }  # fmt: skip
    response = client.post(reverse("backoffice:review_fix", args=[order.number]), form)
    assert response.status_code == 400
    order.refresh_from_db()
    assert order.detail == "附近"


def test_cancel_needs_a_reason(client, reviewer, shop):
    order = held(shop)
    url = reverse("backoffice:review_cancel", args=[order.number])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "恶意订单"}).status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED


def test_bulk_approve(client, reviewer, shop):
    orders = [held(shop) for _ in range(3)]
    client.post(reverse("backoffice:review_bulk_approve"), {"order": [o.pk for o in orders[:2]]})
    statuses = [Order.objects.get(pk=o.pk).status for o in orders]
    assert statuses == [OrderStatus.APPROVED, OrderStatus.APPROVED, OrderStatus.UNDER_REVIEW]


def test_buyers_of_the_department_cannot_review(client, make_staff, shop):
    order = held(shop)
    client.force_login(make_staff("procurement"))
    assert client.get(reverse("backoffice:review_queue")).status_code == 403
    client.post(reverse("backoffice:review_approve", args=[order.number]))
    order.refresh_from_db()
    assert order.status == OrderStatus.UNDER_REVIEW


def test_the_lead_sets_rules(client, make_staff):
    client.force_login(make_staff("procurement", roles=["lead"]))
    url = reverse("backoffice:review_rules")
    assert client.get(url).status_code == 200
    client.post(url, {"cod_amount-enabled": "on", "cod_amount-threshold": "5000"})
    assert ReviewRule.objects.get(code="cod_amount").threshold == 5000
    assert ReviewRule.objects.get(code="address_detail").enabled is False  # left unticked
    client.force_login(make_staff("procurement", roles=["order_processing"]))
    assert client.get(url).status_code == 403


def test_blacklist_add_and_remove(client, reviewer):
    url = reverse("backoffice:blacklist")
    response = client.post(url, {"kind": "phone", "value": "12", "reason": "x"})
    assert response.status_code == 400
    client.post(url, {"kind": "phone", "value": "137 0000 1111", "reason": "骗单"})
    entry = BlacklistEntry.objects.get()
    assert entry.value == "13700001111"
    client.post(reverse("backoffice:blacklist_remove", args=[entry.pk]))
    assert not BlacklistEntry.objects.exists()


def test_the_check_form_gives_the_commands_verdict(client, reviewer):
    url = reverse("backoffice:address_check")
    good = client.get(url, {"recipient": "张伟", "phone": "13800138000",
                            "address": "广东省深圳市南山区科苑路15号"})  # fmt: skip
    assert good.context["result"]["verdict"] == "pass"
    bad = client.get(url, {"recipient": "", "phone": "010-62751234", "address": "北京市海淀区"})
    assert bad.context["result"]["verdict"] == "hold:address,phone,incomplete"
