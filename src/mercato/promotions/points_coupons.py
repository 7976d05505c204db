"""Points for coupons (积分兑换优惠券): a member spends points and gets a coupon of a
template, all or nothing. What a coupon costs is the template's `points_price` (set on the
back office's coupon form), else the setting MERCATO_POINTS_COUPONS: {template name:
points}; a template with neither cannot be bought with points."""

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from mercato.core.errors import DomainError
from mercato.customers.models import PointsKind
from mercato.customers.points import spend

from .coupons import issue_reward
from .models import Coupon, CouponTemplate


def points_price(template: CouponTemplate) -> int | None:
    """Points a coupon of `template` costs, None when it is not for points."""
    if template.points_price:
        return template.points_price
    price = dict(getattr(settings, "MERCATO_POINTS_COUPONS", {})).get(template.name)
    return int(price) if price else None


def coupons_for_points() -> list[tuple[CouponTemplate, int]]:
    """(template, points price) of the active templates members may exchange points for,
    cheapest first (one query)."""
    named = dict(getattr(settings, "MERCATO_POINTS_COUPONS", {}))
    templates = CouponTemplate.objects.filter(active=True).filter(
        Q(points_price__isnull=False) | Q(name__in=list(named))
    )
    offers = [(t, price) for t in templates if (price := points_price(t))]
    return sorted(offers, key=lambda pair: (pair[1], pair[0].pk))


@transaction.atomic
def exchange_points_for_coupon(*, customer_id: int, template_id: int) -> Coupon:
    """Spend the template's points price and issue the coupon (issue_reward: the template's
    limits hold). DomainError naming "points" when the balance is short or the template is
    not for points; CouponError when the template's limits are reached; nothing changes."""
    template = CouponTemplate.objects.filter(pk=template_id).first()
    price = points_price(template) if template is not None else None
    if price is None:
        raise DomainError(_("This coupon cannot be exchanged for points."), field="points")
    entry = spend(customer_id=customer_id, points=price, kind=PointsKind.REDEEM_COUPON)
    coupon = issue_reward(customer_id=customer_id, template_id=template_id, note=_("Points"))
    entry.note = f"coupon:{coupon.code}"
    entry.save(update_fields=["note"])
    return coupon
