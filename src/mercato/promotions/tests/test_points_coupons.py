"""Points for coupons: all or nothing, at the price the settings give."""

import pytest

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
