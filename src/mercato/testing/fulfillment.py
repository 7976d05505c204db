"""Set-up shared by the order-processing tests (fulfillment, aftersales, the back office
and API pages of the order console): a shop with warehouses, bins, SKUs with barcodes and
stock, carriers, and orders placed through checkout's real placement."""

import itertools
import uuid
from decimal import Decimal

from django.db import transaction

from mercato.cart.services import add_to_cart, get_or_create_cart
from mercato.catalog.models import ProductStatus
from mercato.checkout.placement import place_order
from mercato.checkout.services import save_shipping_zone
from mercato.core.regions import mainland_provinces
from mercato.customers.services import create_customer
from mercato.inventory.locations import define_bins, put_away
from mercato.inventory.services import create_warehouse, receive_stock
from mercato.orders.services import DeliveryAddress

from .factories import ProductFactory, SkuFactory, make_category

ADDRESS = DeliveryAddress(
    recipient="张三",
    mobile="13800138000",
    province="四川省",
    city="成都市",
    district="武侯区",
    detail="人民南路四段1号",
)
_seq = itertools.count(1)


def ean13(n: int) -> str:
    """A valid EAN-13 barcode from a running number (check digit computed)."""
    body = f"69{n:010d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def make_shop(*, provinces=("四川省", "上海市")) -> dict:
    """Shipping rates everywhere (¥10 first kilo, ¥5 per 500 g after), one warehouse per
    province given (code = province's first letters), each with zone A, bins A-01…A-20."""
    save_shipping_zone(
        name="全国",
        provinces=list(mainland_provinces()),
        first_weight_g=1000,
        first_fee=Decimal("10.00"),
        extra_weight_step_g=500,
        extra_fee=Decimal("5.00"),
    )
    warehouses = {}
    for i, province in enumerate(provinces, start=1):
        warehouse = create_warehouse(
            actor=None,
            code=f"WH{i}",
            name=f"{province[:2]}仓",
            provinces=[province],
            province=province,
            city="某市",
            district="某区",
            address="物流园1号",
            priority=i * 10,
        )
        define_bins(
            actor=None,
            warehouse_id=warehouse.pk,
            bins=[("A", f"A-{n:02d}") for n in range(1, 21)],
        )
        warehouses[province] = warehouse
    return warehouses


def make_sku(*, price="39.90", weight_g=400, volume_cm3=1000, name=None, category=None, cost=None):
    n = next(_seq)
    product = ProductFactory(
        category=category or make_category(slug=f"ful-{uuid.uuid4().hex[:8]}"),
        status=ProductStatus.ON_SALE,
        **({"name": name} if name else {}),
    )
    return SkuFactory(
        product=product,
        list_price=Decimal(price),
        weight_g=weight_g,
        volume_cm3=volume_cm3,
        barcode=ean13(n + int(uuid.uuid4().int % 10_000_000) * 100),
        **({"cost_price": Decimal(cost)} if cost is not None else {}),
    )


def costed(price: str, cost: str, category: str = "手机"):
    """A SKU at `price` with moving-average cost `cost`, in a new category `category`."""
    return make_sku(price=price, cost=cost, category=make_category(name=category))


def stock(sku, warehouse, units: int, bin_code: str | None = None):
    receive_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, quantity=units)
    if bin_code:
        put_away(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, bin_code=bin_code)


def make_customer(mobile: str | None = None, **kw):
    return create_customer(mobile=mobile or f"139{next(_seq) + 10_000_000:08d}", **kw)


def place(customer, *lines, address=ADDRESS, method="sandbox", paid=True, **kw):
    """An order of (sku, quantity) lines for `customer`, placed through checkout; paid
    (sandbox) unless `paid` is False; cash on delivery with method="cod"."""
    cart = get_or_create_cart(customer=customer)
    for sku, quantity in lines:
        add_to_cart(cart=cart, sku_id=sku.pk, quantity=quantity)
    order = place_order(
        customer=customer,
        cart=cart,
        address=address,
        payment_method=method,
        idempotency_key=uuid.uuid4().hex,
        **kw,
    ).order
    if paid and method != "cod":
        from mercato.payments.notices import apply_paid

        from .payments import make_payment

        with transaction.atomic():
            apply_paid(
                payment=make_payment(order=order, method=method), trade_no="T1", reason="test"
            )
    order.refresh_from_db()
    return order


def at(province: str, city: str, district: str, detail: str, **kw) -> DeliveryAddress:
    fields = {"recipient": "李四", "mobile": "13912345678", **kw}
    return DeliveryAddress(province=province, city=city, district=district, detail=detail, **fields)


def carriers():
    """The five carriers, rates, levels, boxes and promises of data/carriers.json."""
    from mercato.fulfillment.setup import load_carriers

    load_carriers()


def to_picking(*orders):
    """Review, allocate and put into waves (the scheduled jobs' steps) → the orders'
    parcels, in order."""
    from mercato.fulfillment.allocation import allocate_approved_orders
    from mercato.fulfillment.models import Shipment
    from mercato.fulfillment.review.services import review_paid_orders
    from mercato.fulfillment.waves import create_waves

    review_paid_orders()
    allocate_approved_orders()
    create_waves(actor=None)
    return [list(Shipment.objects.filter(order=o).order_by("pk")) for o in orders]


def packed(shipment, actor):
    """Scan every item of a parcel and close it."""
    from mercato.fulfillment import packing

    for line in shipment.lines.select_related("sku"):
        for _unit in range(line.quantity):
            packing.scan_item(actor=actor, shipment_id=shipment.pk, code=line.sku.barcode)
    return packing.finish_packing(actor=actor, shipment_id=shipment.pk, weight_g=900)


def deliver(*orders, actor, at=None):
    """Take the orders from paid to delivered through every step: review, allocation,
    wave, packing, shipping and a carrier's "delivered" event (at `at`, default now).
    Returns the orders refreshed."""
    from django.utils import timezone

    from mercato.fulfillment import shipping, tracking
    from mercato.fulfillment.models import Shipment

    parcels = [p for group in to_picking(*orders) for p in group]
    for parcel in parcels:
        packed(parcel, actor)
    shipping.ship_parcels(actor=actor, shipment_ids=[p.pk for p in parcels])
    at = at or timezone.now()
    for parcel in Shipment.objects.filter(pk__in=[p.pk for p in parcels]).select_related("carrier"):
        event = tracking.IncomingEvent(
            event_id=f"D-{parcel.waybill_no}", waybill_no=parcel.waybill_no, code="delivered",
            occurred_at=at,
        )  # fmt: skip
        with transaction.atomic():
            tracking.apply_events(carrier=parcel.carrier, events=[event], source="csv")
    for order in orders:
        order.refresh_from_db()
    return orders
