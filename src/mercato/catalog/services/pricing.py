from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mercato.core.audit import record_changes
from mercato.core.errors import Conflict, ValidationFailed
from mercato.core.permissions import require_perm

from ..models import Sku
from .products import refresh_price_range, to_money

FEN = Decimal("0.01")
MODES = {"percent", "amount", "set"}
MAX_SKUS = 5000


@dataclass(frozen=True)
class PriceChange:
    sku_id: int
    sku_code: str
    product_name: str
    specs: str
    old_price: Decimal
    new_price: Decimal
    problem: str = ""


def _new_price(old: Decimal, mode: str, value: Decimal) -> Decimal:
    if mode == "percent":
        return (old * (Decimal(100) + value) / Decimal(100)).quantize(FEN, ROUND_HALF_UP)
    if mode == "amount":
        return (old + value).quantize(FEN, ROUND_HALF_UP)
    return value


def _parse(mode: str, value, sku_ids) -> tuple[Decimal, list[int]]:
    errors: dict[str, list[str]] = {}
    if mode not in MODES:
        errors["mode"] = [_("Choose one of %(choices)s") % {"choices": ", ".join(sorted(MODES))}]
    try:
        parsed = Decimal(str(value).strip())
        if not parsed.is_finite():
            raise ValueError
    except (ValueError, ArithmeticError):
        errors["value"] = [_("Not a number: %(value)r") % {"value": value}]
        parsed = Decimal(0)
    if mode == "percent" and not errors and not Decimal(-99) <= parsed <= Decimal(1000):
        errors["value"] = [_("A percentage change must be between -99 and 1000")]
    if mode == "set" and not errors:
        parsed = to_money(parsed, "value")
    ids = sorted({int(i) for i in sku_ids or []})
    if not ids:
        errors["skus"] = [_("Choose at least one SKU")]
    elif len(ids) > MAX_SKUS:
        errors["skus"] = [_("At most %(n)s SKUs at once") % {"n": MAX_SKUS}]
    if errors:
        raise ValidationFailed(errors)
    return parsed, ids


def _changes(skus, mode: str, value: Decimal) -> list[PriceChange]:
    result = []
    for sku in skus:
        new = _new_price(sku.list_price, mode, value)
        problem = "" if new > 0 else _("The new price would not be above zero")
        result.append(
            PriceChange(
                sku_id=sku.pk,
                sku_code=sku.code,
                product_name=sku.product.name,
                specs=sku.spec_label,
                old_price=sku.list_price,
                new_price=new,
                problem=problem,
            )
        )
    return result


def preview_price_change(*, actor, sku_ids, mode: str, value) -> list[PriceChange]:
    """What a bulk price change would do, SKU by SKU. Writes nothing."""
    require_perm(actor, "catalog.change_price")
    parsed, ids = _parse(mode, value, sku_ids)
    skus = Sku.objects.filter(pk__in=ids).select_related("product").order_by("pk")
    return _changes(skus, mode, parsed)


@transaction.atomic
def apply_price_change(
    *, actor, sku_ids, mode: str, value, expected: dict[int, Decimal] | None = None
) -> list[PriceChange]:
    """Apply a bulk price change in one transaction, or nothing at all.

    `expected` maps SKU id → the old price the user saw in the preview; if any SKU's price
    moved since, nothing changes and Conflict names them.
    """
    require_perm(actor, "catalog.change_price")
    parsed, ids = _parse(mode, value, sku_ids)
    # Lock in primary-key order so two concurrent bulk changes cannot deadlock.
    skus = list(
        Sku.objects.select_for_update().filter(pk__in=ids).select_related("product").order_by("pk")
    )
    if expected:
        moved = [s.code for s in skus if s.pk in expected and expected[s.pk] != s.list_price]
        if moved:
            raise Conflict(
                _("Prices changed since the preview: %(codes)s") % {"codes": ", ".join(moved[:10])},
                code="stale_preview",
            )
    changes = _changes(skus, mode, parsed)
    bad = [c for c in changes if c.problem]
    if bad:
        raise ValidationFailed(
            {"value": [f"{c.sku_code}: {c.problem} ({c.new_price})" for c in bad[:20]]}
        )
    by_id = {c.sku_id: c for c in changes}
    now = timezone.now()
    for sku in skus:
        sku.list_price = by_id[sku.pk].new_price
        sku.updated_at = now  # bulk_update skips auto_now
    Sku.objects.bulk_update(skus, ["list_price", "updated_at"], batch_size=500)
    record_changes(
        actor=actor,
        model=Sku,
        changes_by_object=(
            (sku, {"list_price": [by_id[sku.pk].old_price, by_id[sku.pk].new_price]})
            for sku in skus
            if by_id[sku.pk].old_price != by_id[sku.pk].new_price
        ),
    )
    refresh_price_range({s.product_id for s in skus})
    return changes


@transaction.atomic
def record_received_cost(*, sku_id: int, units_before: int, units: int, unit_cost) -> Decimal:
    """The SKU's cost price as the moving average after `units` came in at `unit_cost` on
    top of `units_before` units on hand (all warehouses) at the old cost; rounded half-up
    to the fen once per receipt. Called by procurement when goods are received."""
    sku = Sku.objects.select_for_update().filter(pk=sku_id).first()
    if sku is None:
        raise ValidationFailed({"sku": [_("SKU not found")]})
    if units <= 0 or units_before < 0:
        raise ValidationFailed({"units": [_("Enter a whole number of units above zero")]})
    unit_cost = Decimal(unit_cost)
    if units_before == 0:
        average = unit_cost
    else:
        average = (sku.cost_price * units_before + unit_cost * units) / (units_before + units)
    average = average.quantize(FEN, ROUND_HALF_UP)
    Sku.objects.filter(pk=sku_id).update(cost_price=average, updated_at=timezone.now())
    return average
