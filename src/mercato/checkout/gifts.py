"""Gifts with purchase (赠品, promotions.gifts) at checkout: which of the cart's gifts are
in stock, and the order lines they become.

A gift is an order line at price 0 (what marks it as a gift on the order pages) whose
units are reserved with the order's own lines (inventory's reservation, same reference), so
it ships in the order's parcels, is released when the order is cancelled and can be
returned (refunded at 0). A gift out of stock is
left out and the order places without it; the quote says so.
"""

from mercato.catalog.models import Sku
from mercato.core.compiled import CompiledQuery
from mercato.core.money import ZERO
from mercato.core.versioned import UNREAD
from mercato.inventory.allocation import OutOfStock, plan_with_snapshot, read_stock, sku_labels
from mercato.inventory.selectors import available_sku_ids
from mercato.orders.services import PricedLine
from mercato.promotions.gifts import Gift


def split_by_stock(*, wanted, gifts, province: str, warehouses_version=UNREAD, snapshot=None):
    """(parcels for `wanted` with the gifts in stock, gifts in stock, gifts out of stock,
    the stock snapshot those parcels were planned on: placement reserves on it):
    the gifts are planned together with the bought lines (`wanted`: [(sku id, quantity)]),
    so a gift never takes the units a bought line needs. One stock query: a gift short is
    left out and the rest planned again on the same snapshot. OutOfStock, naming the SKUs,
    when the bought lines themselves are short. `warehouses_version`: as
    inventory.allocation.read_stock takes it. `snapshot`: the stock as the caller read it
    (checkout's lines query, with the gift SKUs'); read again only when it lacks a SKU."""
    kept, out = list(gifts), []
    sku_ids = [*(sku_id for sku_id, _q in wanted), *(g.sku_id for g in kept)]
    if snapshot is None or not snapshot.has(sku_ids):
        snapshot = read_stock(sku_ids=sku_ids, warehouses_version=warehouses_version)
    while True:
        lines = [*wanted, *((g.sku_id, g.quantity) for g in kept)]
        try:
            parcels, snapshot = plan_with_snapshot(
                lines=lines, province=province, snapshot=snapshot, name_short=False
            )
            return parcels, kept, out, snapshot
        except OutOfStock as exc:
            short = set(exc.sku_ids)
            if not short & {g.sku_id for g in kept}:
                raise OutOfStock(sku_ids=exc.sku_ids, labels=sku_labels(exc.sku_ids)) from None
            out += [g for g in kept if g.sku_id in short]
            kept = [g for g in kept if g.sku_id not in short]


GIFT_SKU_FIELDS = ("pk", "product_id", "product__name", "code", "specs", "cost_price")
# Compiled once (mercato.core.compiled): an order earns one gift SKU far more often than
# several, and building this through the ORM cost more than running it (placement's path).
GIFT_SKU = CompiledQuery(
    "checkout.gift_sku",
    lambda sku_id: Sku.objects.filter(pk=sku_id).values_list(*GIFT_SKU_FIELDS),
)


def gift_lines(gifts: list[Gift]) -> list[PricedLine]:
    """The order lines of `gifts`, at price 0 (one query; none without gifts)."""
    if not gifts:
        return []
    sku_ids = list(dict.fromkeys(g.sku_id for g in gifts))
    if len(sku_ids) == 1:
        rows = GIFT_SKU.rows(sku_id=sku_ids[0])
    else:
        rows = Sku.objects.filter(pk__in=sku_ids).values_list(*GIFT_SKU_FIELDS)
    skus = {pk: fields for pk, *fields in rows}  # product_id, name, code, specs, cost_price
    return [
        PricedLine(
            sku_id=g.sku_id,
            product_id=skus[g.sku_id][0],
            product_name=skus[g.sku_id][1],
            sku_code=skus[g.sku_id][2],
            unit_price=ZERO,
            quantity=g.quantity,
            specs=skus[g.sku_id][3] or {},
            unit_cost=skus[g.sku_id][4],
        )
        for g in gifts
    ]


def gift_labels(gifts: list[Gift]) -> dict[int, str]:
    """SKU id -> what the customer calls the gift: 'product 红色/XL' (one query)."""
    if not gifts:
        return {}
    skus = Sku.objects.select_related("product").in_bulk([g.sku_id for g in gifts])
    return {
        pk: f"{sku.product.name} {'/'.join(str(v) for v in (sku.specs or {}).values())}".strip()
        for pk, sku in skus.items()
    }


def gifts_to_show(gifts: list[Gift]) -> list[dict]:
    """The cart page's 赠 lines: each gift's name, quantity and whether any warehouse has it
    (two queries; none without gifts). Checkout checks again for the delivery province."""
    if not gifts:
        return []
    labels = gift_labels(gifts)
    stocked = available_sku_ids(sku_ids=[g.sku_id for g in gifts], province=None)
    return [
        {
            "promotion": g.name,
            "name": labels.get(g.sku_id, ""),
            "quantity": g.quantity,
            "in_stock": g.sku_id in stocked,
        }
        for g in gifts
    ]
