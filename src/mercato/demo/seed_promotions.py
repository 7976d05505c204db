"""Demo promotions: the 618 campaign the home banner promises (全场满 300 减 40), and a few
others of other kinds (a gift with purchase over ¥499 among them), running from the day
the demo is seeded for DAYS days; and coupons:
three to claim in the coupon center (满200减30, 9折最高减50, 包邮券), the shared code
WELCOME618, and a reward coupon in the first demo shopper's account; a flash sale (秒杀)
starting FLASH_STARTS_IN after the seeding, linked from the home page; and a 双11 campaign
planned (a draft on the next 11 November, from the campaign calendar), so the calendar shows
a running and a planned campaign.

Made through promotions.services (validated, with their event rows); found again by name,
so a second run creates nothing.
"""

from datetime import timedelta

from django.utils import timezone

from mercato.catalog.models import Category, Sku
from mercato.customers.models import Customer
from mercato.inventory.models import Stock
from mercato.promotions import campaign_calendar, coupon_templates, coupons, flash
from mercato.promotions.models import (
    CouponKind,
    CouponTemplate,
    FlashSale,
    Kind,
    Promotion,
    Scope,
    Status,
)
from mercato.promotions.services import create_promotion

from .data import DEMO_SHOPPERS

DAYS = 60
FLASH_SALE = "整点秒杀"
FLASH_STARTS_IN = timedelta(minutes=5)
MANJIAN_618 = "618 全场满300减40"
PLANNED_1111 = "双11 全场满300减50"
GIFT_499 = "满499赠好礼"


def promotion_plan() -> list[dict]:
    plan = [
        {
            "name": MANJIAN_618,
            "kind": Kind.SPEND_SAVE,
            # The banner's tier, and a higher one (还差 ¥… 可减 90 in the cart).
            "tiers": [
                {"threshold": "300.00", "amount": "40.00"},
                {"threshold": "600.00", "amount": "90.00"},
            ],
            "exclusive_group": "满减",
            "priority": 10,
        },
        {
            "name": "新人专享 95 折",
            "kind": Kind.PERCENT_OFF,
            "percent": "5",
            "target": "new",
            "per_customer_limit": 1,
        },
        {
            "name": "江浙沪满 59 包邮",
            "kind": Kind.FREE_SHIPPING,
            "min_amount": "59.00",
            "provinces": ["上海市", "江苏省", "浙江省"],
        },
    ]
    top = Category.objects.filter(depth=1).order_by("path").first()
    if top is not None:
        plan.append(
            {
                "name": f"{top.name}第二件半价",
                "kind": Kind.NTH_ITEM,
                "nth": 2,
                "percent": "50",
                "scope": Scope.CATEGORIES,
                "scope_ids": [top.pk],
                "exclusive_group": "单品",
            }
        )
    gift = _gift_sku_id()
    if gift is not None:
        plan.append(
            {
                "name": GIFT_499,
                "kind": Kind.GIFT,
                "get_sku_id": gift,
                "get_quantity": 1,
                "min_amount": "499.00",
            }
        )
    return plan


def _stocked_on_sale(*, min_price: int):
    """Stock rows of 40 units or more, in active warehouses, of active SKUs on sale at
    `min_price` yuan or more."""
    return Stock.objects.filter(
        on_hand__gte=40,
        warehouse__is_active=True,
        sku__is_active=True,
        sku__product__status="on_sale",
        sku__list_price__gte=min_price,
    )


def _gift_sku_id() -> int | None:
    """The cheapest stocked SKU on sale (¥10 or more), as the gift with purchase."""
    return (
        _stocked_on_sale(min_price=10)
        .order_by("sku__list_price", "sku_id")
        .values_list("sku_id", flat=True)
        .first()
    )


WELCOME = "WELCOME618"
REWARD = "售后补偿券 ¥20"


def coupon_plan() -> list[dict]:
    return [
        {"name": "满200减30", "kind": CouponKind.AMOUNT_OFF, "amount": "30.00",
         "threshold": "200.00", "claimable": True, "valid_days": 30, "issue_limit": 5000},
        {"name": "9折券 最高减50", "kind": CouponKind.PERCENT_OFF, "percent": "10",
         "cap": "50.00", "claimable": True, "valid_days": 14, "issue_limit": 2000},
        {"name": "包邮券", "kind": CouponKind.FREE_SHIPPING, "claimable": True, "valid_days": 7,
         "per_customer_limit": 2},
        {"name": "新人礼 WELCOME618", "kind": CouponKind.AMOUNT_OFF, "amount": "10.00",
         "threshold": "99.00", "shared_code": WELCOME, "shared_limit": 1000},
        {"name": REWARD, "kind": CouponKind.AMOUNT_OFF, "amount": "20.00", "valid_days": 90,
         "per_customer_limit": 5,
         "stackable": False},
    ]  # fmt: skip


def seed_coupons(*, starts) -> int:
    """The coupon plan's templates that do not exist yet (a shared code runs DAYS days), and
    the reward coupon for the first demo shopper; how many templates were created."""
    existing = set(CouponTemplate.objects.values_list("name", flat=True))
    created = 0
    for fields in coupon_plan():
        if fields["name"] in existing:
            continue
        if fields.get("shared_code"):
            fields = fields | {"valid_from": starts, "valid_until": starts + timedelta(days=DAYS)}
        template = coupon_templates.create_template(**fields)
        created += 1
        shopper = Customer.objects.filter(mobile=DEMO_SHOPPERS[0][0]).first()
        if template.name == REWARD and shopper is not None:
            coupons.issue_reward(
                customer_id=shopper.pk, template_id=template.pk, note="demo: 快递破损补偿"
            )
    return created


def seed_promotions(*, bar) -> int:
    """The plan's promotions that do not exist yet, active now, and the coupons; how many
    promotions were created."""
    starts = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(days=1)
    existing = set(Promotion.objects.values_list("name", flat=True))
    created = 0
    for fields in promotion_plan():
        if fields["name"] not in existing:
            create_promotion(
                status=Status.ACTIVE,
                starts_at=starts,
                ends_at=starts + timedelta(days=DAYS),
                **fields,
            )
            created += 1
        bar.update(1)
    created += seed_planned()
    seed_coupons(starts=starts)
    seed_flash_sale()
    return created


def seed_flash_sale(*, now=None) -> FlashSale | None:
    """A flash sale of two stocked SKUs at half price, 20 units each, one per customer,
    starting FLASH_STARTS_IN from now for two hours; none when one of that name has not
    ended yet (a second run) or no SKU has the stock."""
    now = now or timezone.now()
    if FlashSale.objects.filter(name=FLASH_SALE, ends_at__gt=now).exists():
        return None
    sku_ids = list(
        _stocked_on_sale(min_price=20)
        .filter(reserved=0)
        .order_by("-sku__list_price", "sku_id")
        .values_list("sku_id", flat=True)
        .distinct()[:2]
    )
    if not sku_ids:
        return None
    prices = dict(Sku.objects.filter(pk__in=sku_ids).values_list("pk", "list_price"))
    starts = (now + FLASH_STARTS_IN).replace(second=0, microsecond=0)
    return flash.create_flash_sale(
        name=FLASH_SALE,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        items=[
            flash.ItemSpec(pk, (prices[pk] / 2).quantize(prices[pk]), 20, per_customer_limit=1)
            for pk in sku_ids
        ],
    )


def seed_planned() -> int:
    """The 双11 campaign, a draft on the next 11 November (1 when created)."""
    if Promotion.objects.filter(name=PLANNED_1111).exists():
        return 0
    today = timezone.localdate(timezone.now(), campaign_calendar.SHANGHAI)
    day = campaign_calendar.next_occurrence("1111", today=today)
    create_promotion(
        status=Status.DRAFT,
        name=PLANNED_1111,
        kind=Kind.SPEND_SAVE,
        tiers=[
            {"threshold": "300.00", "amount": "50.00"},
            {"threshold": "1000.00", "amount": "200.00"},
        ],
        exclusive_group="满减",
        priority=10,
        starts_at=campaign_calendar.local_midnight(day.first),
        ends_at=campaign_calendar.local_midnight(day.last + timedelta(days=1)),
    )
    return 1
