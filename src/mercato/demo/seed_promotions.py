"""Demo promotions: the 618 campaign the home banner promises (全场满 300 减 40), and a few
others of other kinds, running from the day the demo is seeded for DAYS days.

Made through promotions.services (validated, with their event rows); found again by name,
so a second run creates nothing.
"""

from datetime import timedelta

from django.utils import timezone

from mercato.catalog.models import Category
from mercato.promotions.models import Kind, Promotion, Scope, Status
from mercato.promotions.services import create_promotion

DAYS = 60
MANJIAN_618 = "618 全场满300减40"


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
    return plan


def seed_promotions(*, bar) -> int:
    """The plan's promotions that do not exist yet, active now; how many were created."""
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
    return created
