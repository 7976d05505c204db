"""Reading promotions: the running ones as engine offers, and a customer's past uses.

`running_offers` is read on every quote and placement, so the list is kept in the cache:
one query when it is not there (two when a promotion is scoped by category: the
categories' tree paths), none when it is. Every save or delete of a promotion forgets it
(apps.py), as do the services; it also expires after OFFERS_CACHE_SECONDS as a safety net.
The schedule is checked against the clock on every use (engine.is_eligible), so a cached
promotion starts and ends on time.

Placement also keeps the list in the process, under the promotions' version
(`offers_version`, renewed in the transaction of every change that forgets the list): its
lines query reads the version as a column, and while it is the one the process's list was
kept under (and for at most OFFERS_CACHE_SECONDS), the list is used without a cache call.
"""

from datetime import datetime
from decimal import Decimal

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from mercato.catalog.versions import named_version, renew_named_version
from mercato.core.compiled import CompiledQuery
from mercato.core.versioned import UNREAD, KeptUnderVersion

from . import engine
from .models import CustomerUse, Promotion, Scope, Status

OFFERS_CACHE_KEY = "promotions:running"
OFFERS_CACHE_SECONDS = 300
OFFERS_VERSION = "promotions"  # catalog.versions' named version of the running offers


def offer_of(promotion: Promotion, category_paths: dict[int, str] | None = None) -> engine.Offer:
    """The engine's view of a promotion row; `category_paths`: category id -> tree path."""
    ids = frozenset(int(pk) for pk in promotion.scope_ids or ())
    paths = ()
    if promotion.scope == Scope.CATEGORIES:
        paths = tuple(sorted((category_paths or {}).get(pk, "") for pk in ids))
    return engine.Offer(
        id=promotion.pk,
        name=promotion.name,
        kind=promotion.kind,
        scope=promotion.scope,
        scope_ids=ids,
        category_paths=tuple(p for p in paths if p),
        percent=promotion.percent,
        amount=promotion.amount,
        tiers=tuple(
            engine.Tier(threshold=Decimal(str(t["threshold"])), amount=Decimal(str(t["amount"])))
            for t in promotion.tiers or ()
        ),
        min_amount=promotion.min_amount,
        provinces=frozenset(promotion.provinces or ()),
        nth=promotion.nth,
        buy_quantity=promotion.buy_quantity,
        get_quantity=promotion.get_quantity,
        get_sku_id=promotion.get_sku_id,
        starts_at=promotion.starts_at,
        ends_at=promotion.ends_at,
        channel=promotion.channel,
        target=promotion.target,
        tier_code=promotion.tier_code,
        usage_limit=promotion.usage_limit,
        used=promotion.used,
        per_customer_limit=promotion.per_customer_limit,
        priority=promotion.priority,
        group=promotion.exclusive_group,
        stackable=promotion.stackable,
    )


def _paths_of(category_ids) -> dict[int, str]:
    """Category id -> tree path: one query."""
    from mercato.catalog.models import Category

    return dict(Category.objects.filter(pk__in=set(category_ids)).values_list("pk", "path"))


def _category_paths(promotions) -> dict[int, str]:
    ids = {int(pk) for p in promotions if p.scope == Scope.CATEGORIES for pk in p.scope_ids or ()}
    return _paths_of(ids) if ids else {}


def load_offers(*, now: datetime | None = None) -> list[engine.Offer]:
    """Active promotions that have not ended by `now`, as offers (uncached)."""
    now = now or timezone.now()
    rows = list(Promotion.objects.filter(status=Status.ACTIVE, ends_at__gt=now))
    paths = _category_paths(rows)
    return [offer_of(p, paths) for p in rows]


def offers_version():
    """An ORM expression for the promotions' version (NULL before the first change), for a
    caller that reads it in one of its own queries and hands it to running_offers."""
    return named_version(OFFERS_VERSION)


_KEPT = KeptUnderVersion(OFFERS_CACHE_SECONDS)


def _cached_offers() -> list[engine.Offer]:
    offers = cache.get(OFFERS_CACHE_KEY)
    if offers is None:
        offers = load_offers()
        cache.set(OFFERS_CACHE_KEY, offers, OFFERS_CACHE_SECONDS)
    return offers


def running_offers(
    *, channel: str = "web", now: datetime | None = None, version=UNREAD
) -> list[engine.Offer]:
    """The promotions running now on `channel` (engine.Offer), from the cache when kept.

    `version`: the promotions' version as the caller's query read it (offers_version):
    while the list this process kept is of that version and younger than
    OFFERS_CACHE_SECONDS, it is used without a cache call (core.versioned).

    Uses left are as of the cached read: placement claims each use with a conditional
    statement (services.claim_uses, customer_claims), which is what guarantees the limit.
    """
    offers = _KEPT.get(version, _cached_offers)
    now = now or timezone.now()
    return [
        o
        for o in offers
        if (o.starts_at is None or o.starts_at <= now)
        and (o.ends_at is None or now < o.ends_at)
        and o.channel in (engine.ANY_CHANNEL, channel)
    ]


def forget_offers(**_signal_kwargs) -> None:
    """Drop the cached promotions now and again at commit (a request that read the old rows
    while the change was uncommitted cannot leave a stale list behind), and renew their
    version with the change (the lists processes keep under the old one are not used)."""
    renew_named_version(OFFERS_VERSION)
    cache.delete(OFFERS_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(OFFERS_CACHE_KEY))


def category_paths(*, offers, category_ids) -> dict[int, str]:
    """Tree paths of `category_ids` when an offer is scoped by category (one query), else
    {}: what a caller needs to build engine.Line's category_path from products' ids."""
    if not any(o.scope == engine.CATEGORIES for o in offers) or not category_ids:
        return {}
    return _paths_of(category_ids)


def uses_of_customer(*, customer_id):
    """The customer's CustomerUse rows (one per limited promotion they ever had), in
    promotion order: a query, or a subquery of a caller's (`customer_id` an OuterRef:
    checkout's lines query reads them as two arrays on PostgreSQL)."""
    return CustomerUse.objects.filter(customer_id=customer_id).order_by("promotion_id")


def gift_sku_ids():
    """The SKUs the active gift promotions give (those running among them: more is
    harmless), as a subquery of ids for a caller's query (checkout's lines query reads
    their stock with the lines' on PostgreSQL, so an earned gift's check reads none)."""
    return Promotion.objects.filter(
        kind=engine.GIFT, status=Status.ACTIVE, get_sku_id__isnull=False
    ).values("get_sku_id")


# Compiled once (mercato.core.compiled): read at every placement while a promotion limited
# per customer runs, unless the caller's query read them (checkout on PostgreSQL).
USES_OF_CUSTOMER = CompiledQuery(
    "promotions.uses_of_customer",
    lambda customer_id: uses_of_customer(customer_id=customer_id).values_list(
        "promotion_id", "used"
    ),
)


def customer_uses(*, customer_id: int, promotion_ids, read=None) -> dict[int, int]:
    """How many times the customer had each of the promotions: one query, none when the
    caller `read` the customer's (promotion id, used) pairs already (uses_of_customer)."""
    wanted = set(promotion_ids)
    if read is None:
        read = USES_OF_CUSTOMER.rows(customer_id=customer_id)
    return {promotion_id: used for promotion_id, used in read if promotion_id in wanted}


# Coupons -----------------------------------------------------------------------------------


def claimable_templates(*, now: datetime | None = None):
    """The coupons on the coupon page (领券中心): claimable, issuing, not ended, not all
    claimed; newest first."""
    from django.db.models import F, Q

    from .models import CouponTemplate

    now = now or timezone.now()
    return (
        CouponTemplate.objects.filter(claimable=True, active=True)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now))
        .filter(Q(issue_limit__isnull=True) | Q(issued__lt=F("issue_limit")))
        .order_by("-id")
    )


def held_counts(*, customer_id: int, template_ids) -> dict[int, int]:
    """How many coupons of each template the customer holds: one query."""
    from django.db.models import Count

    from .models import Coupon

    return dict(
        Coupon.objects.filter(customer_id=customer_id, template_id__in=list(template_ids))
        .values_list("template_id")
        .annotate(n=Count("id"))
    )


def coupons_of(*, customer_id: int):
    """A customer's coupons with their templates, soonest to end first."""
    from .models import Coupon

    return (
        Coupon.objects.filter(customer_id=customer_id)
        .select_related("template")
        .order_by("valid_until", "id")
    )


def coupon_use_of_order(*, order_number: str):
    """The coupon use of an order (not given back), with its coupon and template, or None."""
    from .models import CouponUse

    return (
        CouponUse.objects.filter(order_number=order_number, returned_at__isnull=True)
        .select_related("coupon__template")
        .first()
    )


def usable_coupons(*, customer_id: int, now: datetime | None = None):
    """The customer's coupons that can be used now (the checkout's choice), soonest to end
    first."""
    now = now or timezone.now()
    return coupons_of(customer_id=customer_id).filter(
        status="available", valid_from__lte=now, valid_until__gt=now
    )


def flash_sales_to_show(*, now=None, within_hours: int = 24):
    """Flash sales (秒杀) running now or starting within `within_hours`, soonest first,
    for the home page's banner."""
    from datetime import timedelta

    from django.utils import timezone

    from .models import FlashSale, FlashSaleStatus

    now = now or timezone.now()
    return FlashSale.objects.filter(
        status=FlashSaleStatus.SCHEDULED,
        ends_at__gt=now,
        starts_at__lte=now + timedelta(hours=within_hours),
    ).order_by("starts_at", "id")


def flash_sale_with_items(*, sale_id: int):
    """The sale with its items, their SKUs and products (two queries), or None."""
    from .models import FlashSale

    return FlashSale.objects.filter(pk=sale_id).prefetch_related("items__sku__product").first()
