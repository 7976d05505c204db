"""What a sample cart would pay with a promotion: priced by the engine without
promotions, with this promotion alone, and with it among the other running ones. Works for
a promotion not saved yet (the form's values). Nothing is written.

The sample shopper is one the promotion is for (a new customer for a new-customer offer,
a member of its tier, on its channel, to one of its provinces), with no past uses; the
sample shipping fee is SAMPLE_SHIPPING.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from . import engine
from .models import Promotion
from .selectors import _category_paths, load_offers, offer_of

SAMPLE_SHIPPING = Decimal("10.00")
SAMPLE_SIZE = 3
SAMPLE_CUSTOMER = -1  # no one: a shopper the promotion is for


@dataclass(frozen=True)
class SampleLine:
    sku_id: int
    sku_code: str
    product_name: str
    unit_price: Decimal
    quantity: int


@dataclass(frozen=True)
class Preview:
    lines: tuple[SampleLine, ...]
    without: engine.Pricing  # no promotion
    alone: engine.Pricing  # this promotion only
    together: engine.Pricing  # with the other running promotions
    others: tuple[str, ...]  # the names of the other running promotions applied


def offer_from(fields: dict, *, pk: int | None = None) -> engine.Offer:
    """The engine's Offer from a promotion's cleaned fields (services.clean_promotion), saved
    or not (id 0 when not)."""
    promotion = Promotion(pk=pk or 0, **fields)
    return offer_of(promotion, _category_paths([promotion]))


def _lines(sample: list[tuple[int, int]]):
    from mercato.catalog.models import Sku

    quantities: dict[int, int] = {}
    for sku_id, quantity in sample:
        quantities[sku_id] = quantities.get(sku_id, 0) + quantity
    skus = Sku.objects.filter(pk__in=list(quantities)).select_related(
        "product", "product__category"
    )
    skus = sorted(skus, key=lambda s: list(quantities).index(s.pk))
    sample_lines = tuple(
        SampleLine(s.pk, s.code, s.product.name, s.list_price, quantities[s.pk]) for s in skus
    )
    engine_lines = [
        engine.Line(
            sku_id=s.pk,
            product_id=s.product_id,
            unit_price=s.list_price,
            quantity=quantities[s.pk],
            category_path=s.product.category.path if s.product.category_id else "",
            brand_id=s.product.brand_id,
        )
        for s in skus
    ]
    return sample_lines, engine_lines


def preview(*, offer: engine.Offer, sample: list[tuple[int, int]], now=None) -> Preview:
    """`sample`: (sku id, quantity) pairs. The promotion is priced whatever its schedule
    and status (it is being planned); the others are the active ones running at `now`."""
    now = now or timezone.now()
    sample_lines, lines = _lines(sample)
    shopper = engine.Shopper(
        customer_id=SAMPLE_CUSTOMER,
        is_new=offer.target == engine.NEW_CUSTOMERS,
        tier_code=offer.tier_code,
        channel=offer.channel if offer.channel != engine.ANY_CHANNEL else "web",
        province=min(offer.provinces) if offer.provinces else "",
    )
    others = [
        o
        for o in load_offers(now=now)
        if o.id != offer.id
        and (o.starts_at is None or o.starts_at <= now)
        and engine.is_eligible(o, shopper)
    ]

    def price(offers):
        return engine.price(
            lines=lines, offers=offers, shopper=shopper, shipping_fee=SAMPLE_SHIPPING
        )

    together = price([offer, *others])
    return Preview(
        lines=sample_lines,
        without=price([]),
        alone=price([offer]),
        together=together,
        others=tuple(a.name for a in together.applied if a.id != offer.id),
    )
