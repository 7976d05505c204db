"""Coupons for tests: templates made through the services, valid for 30 days unless told."""

from datetime import timedelta

from django.utils import timezone

from mercato.promotions.coupon_templates import create_template
from mercato.promotions.coupons import issue_coupon
from mercato.promotions.models import CouponKind, IssuedVia


def make_template(kind=CouponKind.AMOUNT_OFF, *, name=None, **fields):
    if kind == CouponKind.AMOUNT_OFF:
        fields.setdefault("amount", "30.00")
    if kind == CouponKind.PERCENT_OFF:
        fields.setdefault("percent", "10")
    if fields.get("shared_code"):
        now = timezone.now()
        fields.setdefault("valid_from", now - timedelta(hours=1))
        fields.setdefault("valid_until", now + timedelta(days=30))
    elif "valid_from" not in fields:
        fields.setdefault("valid_days", 30)
    return create_template(kind=kind, name=name or f"{kind} coupon", **fields)


def give_coupon(template, customer, via=IssuedVia.REWARD):
    return issue_coupon(template_id=template.pk, customer_id=customer.pk, via=via)
