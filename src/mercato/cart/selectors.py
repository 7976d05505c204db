"""What the cart page shows: current prices, price-change and stock notices, totals."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Sum

from mercato.catalog.models import ProductStatus
from mercato.inventory.allocation import check_province
from mercato.inventory.models import Stock

from .models import Cart, CartLine, CartPurpose


@dataclass(frozen=True)
class LineView:
    line: CartLine
    unit_price: Decimal  # the current list price
    price_changed: bool
    old_price: Decimal | None  # the price the customer last saw, when it changed
    on_sale: bool  # the SKU is active and its product on sale
    available: int  # units available across the active warehouses
    insufficient: bool  # fewer available than the quantity
    subtotal: Decimal


@dataclass(frozen=True)
class CartSummary:
    cart: Cart
    lines: list[LineView]
    selected_count: int  # units in the selected lines that can be bought
    total: Decimal  # of those lines at the current prices

    @property
    def has_notices(self) -> bool:
        return any(v.price_changed or v.insufficient or not v.on_sale for v in self.lines)


def find_cart(*, customer=None, session_key: str | None = None) -> Cart | None:
    """The customer's cart, else the guest cart of `session_key`; None when there is none.

    The one lookup the shop's pages, the cart API and the orders API share (no write)."""
    if customer is not None:
        return Cart.objects.filter(customer=customer, purpose=CartPurpose.SHOP).first()
    if not session_key:
        return None
    return Cart.objects.filter(customer=None, session_key=session_key).first()


def available_units(*, sku_ids) -> dict[int, int]:
    """Units of each SKU on hand beyond reservations in the active warehouses (one query).

    Every active warehouse counts whatever the delivery province: allocation ships from
    the nearest ones and splits the order when one cannot fill it (inventory.allocation).
    """
    rows = (
        Stock.objects.filter(
            sku_id__in=list(sku_ids), warehouse__is_active=True, on_hand__gt=F("reserved")
        )
        .values("sku_id")
        .annotate(units=Sum(F("on_hand") - F("reserved")))
    )
    return {row["sku_id"]: row["units"] for row in rows}


def cart_summary(*, cart: Cart, province: str | None = None) -> CartSummary:
    """The cart re-checked against current prices and stock, in two queries."""
    if province:
        check_province(province)
    lines = list(CartLine.objects.filter(cart=cart).select_related("sku__product"))
    stock = available_units(sku_ids=[line.sku_id for line in lines]) if lines else {}
    views = []
    total = Decimal("0.00")
    units = 0
    for line in lines:
        sku = line.sku
        price = sku.list_price
        changed = price != line.price_seen
        on_sale = sku.is_active and sku.product.status == ProductStatus.ON_SALE
        available = stock.get(line.sku_id, 0)
        subtotal = price * line.quantity
        views.append(
            LineView(
                line=line,
                unit_price=price,
                price_changed=changed,
                old_price=line.price_seen if changed else None,
                on_sale=on_sale,
                available=available,
                insufficient=available < line.quantity,
                subtotal=subtotal,
            )
        )
        if line.selected and on_sale:
            total += subtotal
            units += line.quantity
    return CartSummary(cart=cart, lines=views, selected_count=units, total=total)


# What checkout prices and places: each selected line with its SKU's data, by name.
SELECTED_LINE_FIELDS = {
    "purchase_limit": F("sku__cart_limit__max_per_order"),  # None: only the site maximum
    "product_id": F("sku__product_id"),
    "product_name": F("sku__product__name"),
    "sku_code": F("sku__code"),
    "specs": F("sku__specs"),
    "list_price": F("sku__list_price"),
    "unit_cost": F("sku__cost_price"),  # recorded on the order line for margin reports
    "weight_g": F("sku__weight_g"),
}


def selected_lines(*, cart_id: int):
    """The cart's selected lines that can be bought now, in the order they were added, as
    dicts: id, sku_id, quantity and SELECTED_LINE_FIELDS. One query (a values() queryset,
    so checkout can add its own columns to the same statement).

    A line whose SKU or product went off sale stays in the cart (the cart page says so)
    but is not among these: it is neither quoted nor placed.
    """
    return (
        CartLine.objects.filter(
            cart_id=cart_id,
            selected=True,
            sku__is_active=True,
            sku__product__status=ProductStatus.ON_SALE,
        )
        .order_by("added_at", "id")
        .values("id", "sku_id", "quantity", **SELECTED_LINE_FIELDS)
    )


def carts_to_lock(*, customer_id: int | None, session_key: str = "", cart_id: int | None = None):
    """The cart a placement takes, as a queryset locked FOR UPDATE (on engines that lock
    rows): `cart_id` if given (and the customer's or the guest session's), else the
    customer's shopping cart (not a phone order's), else the guest cart of `session_key`.
    Checkout adds what it reads with the lock (orders' key check, the order number)."""
    if customer_id is not None:
        carts = Cart.objects.filter(customer_id=customer_id)
        if cart_id is None:
            carts = carts.filter(purpose=CartPurpose.SHOP)
    else:
        carts = Cart.objects.filter(customer=None, session_key=session_key)
    if cart_id is not None:
        carts = carts.filter(pk=cart_id)
    return carts.order_by("pk").select_for_update()
