"""Member tiers (会员等级): 普通会员, 银卡, 金卡, 钻石 by what the customer spent in the last
12 months, with their benefits.

Thresholds and benefits come from the setting MERCATO_TIERS (a list like DEFAULT_TIERS,
lowest first). Customers know no orders: the apps above them (orders, payments) measure the
spend and call `apply_spend` on payment, on refund and nightly (orders.tasks).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from .models import Customer


@dataclass(frozen=True)
class Tier:
    code: str
    name: str
    min_spend: Decimal  # spend over the last 12 months from which the tier is reached
    multiplier: Decimal  # points earned per yuan are multiplied by it
    free_shipping: bool
    priority_service: bool


DEFAULT_TIERS = [
    {"code": "normal", "name": _("Regular member"), "min_spend": 0, "multiplier": "1"},
    {"code": "silver", "name": _("Silver member"), "min_spend": 1000, "multiplier": "1.2"},
    {
        "code": "gold",
        "name": _("Gold member"),
        "min_spend": 5000,
        "multiplier": "1.5",
        "free_shipping": True,
    },
    {
        "code": "diamond",
        "name": _("Diamond member"),
        "min_spend": 20000,
        "multiplier": "2",
        "free_shipping": True,
        "priority_service": True,
    },
]


def tiers() -> list[Tier]:
    """The tiers, lowest first (setting MERCATO_TIERS, else DEFAULT_TIERS)."""
    return list(_current_tiers())


# Per active language (the names are translated): the setting's rows the tiers were built
# from, and the tiers. Placement asks for the member's tier on every order, and building
# them each time cost about 1 % of its CPU; rows that are no longer the setting's (another
# list, or the default again) are built anew.
_BUILT: dict[str | None, tuple[list, tuple[Tier, ...]]] = {}


def _current_tiers() -> tuple[Tier, ...]:
    rows = getattr(settings, "MERCATO_TIERS", None) or DEFAULT_TIERS
    language = translation.get_language()
    built = _BUILT.get(language)
    if built is None or built[0] is not rows:
        built = _BUILT[language] = (rows, _built_from(rows))
    return built[1]


def _built_from(rows: list[dict]) -> tuple[Tier, ...]:
    result = [
        Tier(
            code=row["code"],
            name=str(row["name"]),
            min_spend=Decimal(str(row.get("min_spend", 0))),
            multiplier=Decimal(str(row.get("multiplier", 1))),
            free_shipping=bool(row.get("free_shipping", False)),
            priority_service=bool(row.get("priority_service", False)),
        )
        for row in rows
    ]
    return tuple(sorted(result, key=lambda t: t.min_spend))


def tier_named(code: str) -> Tier:
    """The tier `code`, the lowest one for a code no longer configured."""
    all_tiers = _current_tiers()
    return next((t for t in all_tiers if t.code == code), all_tiers[0])


def tier_for_spend(spend: Decimal) -> Tier:
    """The highest tier whose threshold `spend` reaches."""
    reached = [t for t in tiers() if spend >= t.min_spend]
    return reached[-1] if reached else tiers()[0]


def next_tier(code: str) -> Tier | None:
    """The tier above `code`, None at the top."""
    all_tiers = tiers()
    codes = [t.code for t in all_tiers]
    index = codes.index(code) if code in codes else 0
    return all_tiers[index + 1] if index + 1 < len(all_tiers) else None


@dataclass(frozen=True)
class Progress:
    tier: Tier
    spend: Decimal
    next: Tier | None
    missing: Decimal  # spend still needed for `next` (0 at the top)
    percent: int  # of the way from this tier's threshold to the next one


def progress_of(customer: Customer) -> Progress:
    """Where the customer stands: tier, spend, the next tier and what is missing to it."""
    tier = tier_named(customer.tier)
    upper = next_tier(tier.code)
    spend = Decimal(customer.tier_spend)
    if upper is None:
        return Progress(tier, spend, None, Decimal("0.00"), 100)
    missing = max(upper.min_spend - spend, Decimal("0.00"))
    span = upper.min_spend - tier.min_spend
    percent = int(min(max((spend - tier.min_spend) / span * 100, 0), 100)) if span else 100
    return Progress(tier, spend, upper, missing, percent)


@transaction.atomic
def apply_spend(*, customer_id: int, spend: Decimal) -> Customer:
    """Store the customer's 12-month spend and the tier it reaches (up or down)."""
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    tier = tier_for_spend(spend)
    customer.tier_spend = Decimal(spend).quantize(Decimal("0.01"))
    customer.tier = tier.code
    customer.tier_updated_at = timezone.now()
    customer.save(update_fields=["tier", "tier_spend", "tier_updated_at", "updated_at"])
    return customer
