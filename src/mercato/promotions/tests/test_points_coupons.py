"""Points for coupons: all or nothing, at the price the settings give."""

import pytest
from django.urls import reverse

from mercato.core.errors import DomainError
from mercato.customers import points
from mercato.customers.models import Customer, PointsEntry
from mercato.promotions.models import Coupon
from mercato.promotions.points_coupons import exchange_points_for_coupon
from mercato.testing.coupons import make_template
from mercato.testing.factories import make_customer

pytestmark = pytest.mark.django_db


def test_points_buy_a_coupon_and_a_short_balance_buys_nothing(settings):
    settings.MERCATO_POINTS_COUPONS = {"满100减10": 1000}
    template = make_template(
        name="满100减10", amount="10.00", threshold="100.00", per_customer_limit=5
    )
    other = make_template(name="不卖")
    member = make_customer()
    points.adjust(customer_id=member.pk, points=1500, note="test")
    coupon = exchange_points_for_coupon(customer_id=member.pk, template_id=template.pk)
    assert coupon.customer_id == member.pk
    assert Customer.objects.get(pk=member.pk).points_balance == 500
    assert PointsEntry.objects.get(kind="redeem_coupon").note == f"coupon:{coupon.code}"
    with pytest.raises(DomainError, match="500"):
        exchange_points_for_coupon(customer_id=member.pk, template_id=template.pk)
    with pytest.raises(DomainError):
        exchange_points_for_coupon(customer_id=member.pk, template_id=other.pk)
    assert Coupon.objects.count() == 1
    assert Customer.objects.get(pk=member.pk).points_balance == 500
    # The template's limit reached: the points are not spent.
    points.adjust(customer_id=member.pk, points=5000, note="test")
    settings.MERCATO_POINTS_COUPONS = {"满100减10": 1000, "不卖": 100}
    exchange_points_for_coupon(customer_id=member.pk, template_id=other.pk)
    with pytest.raises(DomainError):
        exchange_points_for_coupon(customer_id=member.pk, template_id=other.pk)
    assert Customer.objects.get(pk=member.pk).points_balance == 5400


def test_the_member_exchanges_points_on_the_shop_page(client):
    """积分兑券: a template with a points price is listed with the member's balance; the
    exchange spends the price and the coupon is the member's; short, nothing changes."""
    template = make_template(name="满200减30", amount="30.00", threshold="200.00",
                             points_price=2000, per_customer_limit=3)  # fmt: skip
    make_template(name="不卖")
    member = make_customer()
    points.adjust(customer_id=member.pk, points=2500, note="test")
    client.force_login(member.user)
    page = client.get(reverse("storefront:points_coupons")).content.decode()
    assert "满200减30" in page and "不卖" not in page and "2500" in page

    client.post(reverse("storefront:points_exchange", args=[template.pk]))
    assert Coupon.objects.get().customer_id == member.pk
    assert Customer.objects.get(pk=member.pk).points_balance == 500
    response = client.post(reverse("storefront:points_exchange", args=[template.pk]), follow=True)
    assert "500" in response.content.decode()
    assert Coupon.objects.count() == 1


def test_staff_see_a_members_points_and_adjust_them_with_a_reason(client, make_staff):
    member = make_customer()
    points.adjust(customer_id=member.pk, points=300, note="签到")
    agent = make_staff("service")
    client.force_login(agent)
    url = reverse("backoffice:customer_points", args=[member.pk])
    page = client.get(url).content.decode()
    assert 'id="points-balance">300<' in page and "签到" in page

    refused = client.post(url, {"points": "50", "note": ""})
    assert refused.status_code == 200
    assert Customer.objects.get(pk=member.pk).points_balance == 300
    client.post(url, {"points": "-100", "note": "重复发放"})
    assert Customer.objects.get(pk=member.pk).points_balance == 200
    entry = PointsEntry.objects.filter(kind="adjust").latest("id")
    assert entry.amount == -100 and entry.note.startswith("重复发放")

    client.force_login(make_staff("finance"))
    assert client.post(url, {"points": "100", "note": "x"}).status_code == 403
    assert Customer.objects.get(pk=member.pk).points_balance == 200
