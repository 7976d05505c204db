"""Customers (客户查询, the customer's whole story): found from the number a caller gives,
one page with their orders, payments, notes and flags, masked for staff who may not see
phone numbers in full, in a fixed number of queries."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from mercato.fulfillment.models import Shipment, ShipmentStatus
from mercato.fulfillment.review.services import add_to_blacklist
from mercato.orders.actions import add_note
from mercato.testing.fulfillment import at, make_customer, make_shop, make_sku, stock
from mercato.testing.fulfillment import place as place_order

pytestmark = pytest.mark.django_db
MOBILE = "13800138000"
BUDGET = 17


@pytest.fixture
def shop(db):
    warehouses = make_shop()
    sku = make_sku(price="50.00")
    for warehouse in warehouses.values():
        stock(sku, warehouse, 100)
    return {"warehouses": warehouses, "sku": sku}


def place(shop, customer, **kw):
    return place_order(customer, (shop["sku"], kw.pop("quantity", 1)), **kw)


def test_the_number_a_caller_gives_opens_their_story(client, make_staff, shop):
    """Spaces, +86 and dashes as a caller says it; one account opens at once, with its
    orders (newest first), payments, the notes on its orders and what it spent."""
    customer = make_customer(MOBILE, name="王芳")
    first = place(shop, customer, quantity=2)
    second = place(shop, customer, method="cod")
    unpaid = place(shop, customer, paid=False)
    agent = make_staff("service")
    add_note(order_id=second.pk, actor=agent, text="客户来电催发货")
    client.force_login(agent)
    response = client.get(reverse("backoffice:customer_search"), {"phone": "+86 138-0013-8000"})
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:customer_detail", args=[customer.pk])
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and "王芳" in html and MOBILE in html
    story = page.context["story"]
    assert [o.number for o in story.orders] == [unpaid.number, second.number, first.number]
    # Paid and cash-on-delivery orders count as spent; the unpaid one does not.
    assert story.spent_12_months == first.total + second.total
    assert story.order_count == 3
    assert first.number in html and "客户来电催发货" in html
    assert [p.order.number for p in story.payments] == [second.number, first.number]


def test_staff_without_the_phone_permission_see_the_number_masked(client, make_staff, shop):
    customer = make_customer(MOBILE, name="王芳")
    address = at("上海市", "上海市", "浦东新区", "碧波路690号", recipient="王芳", mobile=MOBILE)
    place(shop, customer, address=address)
    viewer = make_staff("tech")
    viewer.user_permissions.add(Permission.objects.get(codename="view_customer"))
    client.force_login(viewer)
    html = client.get(reverse("backoffice:customer_detail", args=[customer.pk])).content.decode()
    assert MOBILE not in html and "138****8000" in html
    assert "碧波路690号" not in html


def test_flags_show_a_blacklisted_phone_and_refused_cash_on_delivery(client, make_staff, shop):
    customer = make_customer(MOBILE)
    orders = [place(shop, customer, method="cod") for _ in range(2)]
    for order in orders:
        Shipment.objects.create(
            number=f"{order.number}-1", order=order, reference=order.number,
            warehouse=shop["warehouses"]["上海市"], province="上海市", cod_amount=order.total,
            status=ShipmentStatus.REFUSED,
        )  # fmt: skip
    add_to_blacklist(
        actor=make_staff("procurement", roles=["order_processing"]),
        kind="phone",
        value=MOBILE,
        reason="恶意拒收",
    )
    client.force_login(make_staff("service"))
    page = client.get(reverse("backoffice:customer_detail", args=[customer.pk]))
    flags = page.content.decode().split('id="flags"')[1].split("</ul>")[0]
    assert "恶意拒收" in flags and "2" in flags
    assert page.context["story"].refuses_cod


def test_a_number_without_an_account_lists_its_guest_orders(client, make_staff, shop):
    from mercato.orders.models import Order

    member = make_customer()
    order = place(shop, member, address=at("四川省", "成都市", "锦江区", "春熙路1号",
                                            mobile="13712345678"))  # fmt: skip
    Order.objects.filter(pk=order.pk).update(customer=None)  # as a guest's order is
    client.force_login(make_staff("service"))
    response = client.get(reverse("backoffice:customer_search"), {"phone": "137 1234 5678"})
    html = response.content.decode()
    assert response.status_code == 200 and 'id="no-account"' in html
    assert order.number in html


def test_what_is_not_a_mobile_number_is_named(client, make_staff):
    client.force_login(make_staff("service"))
    response = client.get(reverse("backoffice:customer_search"), {"phone": "12345"})
    assert response.status_code == 400
    assert "11" in response.content.decode()


def test_only_staff_with_the_permission_may_look(client, make_staff, shop):
    customer = make_customer(MOBILE)
    client.force_login(make_staff("marketing"))
    assert client.get(reverse("backoffice:customer_search")).status_code == 403
    url = reverse("backoffice:customer_detail", args=[customer.pk])
    assert client.get(url).status_code == 403
    client.force_login(make_staff("service"))
    assert client.get(reverse("backoffice:customer_detail", args=[999999])).status_code == 404


def test_the_story_takes_the_same_queries_for_2_and_8_orders(client, make_staff, shop):
    """However long the story: the session and user, the customer, the order figures and
    the latest orders, addresses, blacklist, payments, refunds, returns, notes, tickets,
    refused parcels, callbacks."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    agent = make_staff("service")
    few, many = make_customer(), make_customer()
    for customer, n in ((few, 2), (many, 8)):
        for _ in range(n):
            order = place(shop, customer)
            add_note(order_id=order.pk, actor=agent, text="回访")
    client.force_login(agent)
    client.get(reverse("backoffice:customer_detail", args=[few.pk]))  # warm the session
    counts = []
    for customer in (few, many):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("backoffice:customer_detail", args=[customer.pk]))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts == [BUDGET, BUDGET]


def test_the_staff_api_finds_the_caller_and_tells_their_story(client, make_staff, shop):
    """/api/staff/customers?phone= and /api/staff/customers/{id}: the same story, masked
    for staff without core.view_full_phone; a number that is no mobile is a 422 naming the
    field; other departments get 403."""
    customer = make_customer(MOBILE, name="王芳")
    order = place(shop, customer)
    client.force_login(make_staff("service"))
    found = client.get("/api/staff/customers", {"phone": "138 0013 8000"}).json()
    assert [c["id"] for c in found["customers"]] == [customer.pk]
    assert found["customers"][0]["mobile"] == MOBILE
    story = client.get(f"/api/staff/customers/{customer.pk}").json()
    assert story["order_count"] == 1 and story["orders"][0]["number"] == order.number
    assert Decimal(story["spent_12_months"]) == order.total and story["flags"] == []
    bad = client.get("/api/staff/customers", {"phone": "12345"})
    assert bad.status_code == 422 and "phone" in bad.content.decode()
    viewer = make_staff("tech")
    viewer.user_permissions.add(Permission.objects.get(codename="view_customer"))
    client.force_login(viewer)
    masked = client.get(f"/api/staff/customers/{customer.pk}").json()
    assert masked["customer"]["mobile"] == "138****8000"
    client.force_login(make_staff("marketing"))
    assert client.get(f"/api/staff/customers/{customer.pk}").status_code == 403


def test_tier_points_vip_and_chats_are_on_the_story(client, make_staff, shop):
    """The member's tier and points from the customer's row; a tier with priority
    service is flagged VIP; the customer's live chats, with the ticket each became."""
    from mercato.service import chat

    customer = make_customer(MOBILE, name="王芳")
    customer.tier, customer.points_balance = "diamond", 1234
    customer.save(update_fields=["tier", "points_balance"])
    conversation = chat.open_conversation(customer_id=customer.pk, body="在吗")
    agent = make_staff("service")
    client.force_login(agent)
    html = client.get(reverse("backoffice:customer_detail", args=[customer.pk])).content.decode()
    assert 'id="tier">钻石会员<' in html and 'id="points">1234<' in html
    assert "VIP · 钻石会员" in html
    story = client.get(reverse("backoffice:customer_detail", args=[customer.pk])).context["story"]
    assert [c.pk for c in story.chats] == [conversation.pk] and story.vip
