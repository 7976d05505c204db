"""Turning a cart into an order: the quote shown before paying, and placement.

Placement is one transaction: re-price the selected cart lines from the database (never
from the client), write the order, reserve stock in the warehouses allocation picks
(splitting when one cannot fill the order), and take the lines out of the cart. A repeated
idempotency key answers with the order the first request placed.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from mercato.cart.models import Cart, CartLine
from mercato.catalog.models import ProductStatus
from mercato.core.errors import NotFound, ValidationFailed
from mercato.customers.services import check_region, validate_cn_mobile
from mercato.inventory.allocation import OutOfStock, Parcel, plan_parcels
from mercato.inventory.reservations import reserve_stock_for_new_reference
from mercato.orders.models import InvoiceType, Order
from mercato.orders.selectors import order_for_idempotency_key
from mercato.orders.services import (
    COD,
    DeliveryAddress,
    Invoice,
    PricedLine,
    write_order_record,
)
from mercato.payments.gateways import enabled_methods
from mercato.payments.services import create_cod_payment

from .services import INVOICE_COMPANY, INVOICE_PERSONAL, shipping_fee, validate_invoice
from .totals import ZERO, Totals, compute_totals, to_fen

MAX_KEY_LENGTH = 64  # Order.idempotency_key
INVOICE_KINDS = {InvoiceType.PERSONAL: INVOICE_PERSONAL, InvoiceType.COMPANY: INVOICE_COMPANY}


@dataclass(frozen=True)
class CheckoutQuote:
    lines: list[PricedLine]  # the selected, on-sale cart lines at current prices
    parcels: list[Parcel]  # how the order would ship if placed now (拆单 when > 1)
    weight_g: int
    shipping_fee: Decimal
    totals: Totals


@dataclass(frozen=True)
class Placement:
    order: Order
    created: bool  # False: the idempotency key was seen before; `order` is the first one


@dataclass(frozen=True)
class _Priced:
    """The selected lines priced now: what both the quote and placement start from."""

    cart_lines: list[CartLine]
    lines: list[PricedLine]
    weight_g: int
    shipping_fee: Decimal
    totals: Totals

    @property
    def wanted(self) -> list[tuple[int, int]]:
        return [(line.sku_id, line.quantity) for line in self.cart_lines]


def _selected_lines(cart: Cart) -> list[CartLine]:
    """The cart's selected lines that can be bought now, SKU and product joined (one query).

    A line whose SKU or product went off sale stays in the cart (the cart page says so)
    but is neither quoted nor placed.
    """
    lines = list(
        CartLine.objects.filter(
            cart=cart,
            selected=True,
            sku__is_active=True,
            sku__product__status=ProductStatus.ON_SALE,
        )
        .select_related("sku__product")
        # The SKU's purchase limit in the same query (NULL: no limit).
        .annotate(purchase_limit=F("sku__cart_limit__max_per_order"))
        .order_by("added_at", "id")
    )
    if not lines:
        raise ValidationFailed({"lines": [_("Select at least one item on sale to check out.")]})
    return lines


def _check_limits(cart_lines: list[CartLine]) -> None:
    """Purchase limits (限购) hold at checkout too: one set after the items went into the
    cart is not bypassed by placing the old quantity (`purchase_limit` comes with the lines)."""
    site_max = getattr(settings, "MERCATO_CART_MAX_QUANTITY", 99)
    errors = [
        _("At most %(max)d of %(item)s per order; change the quantity in the cart.")
        % {"max": cap, "item": line_label(line)}
        for line in cart_lines
        if line.quantity > (cap := min(site_max, line.purchase_limit or site_max))
    ]
    if errors:
        raise ValidationFailed({"lines": errors})


def line_label(line: CartLine) -> str:
    """What a customer calls a cart line: 'product 红色/XL', never a bare SKU code."""
    specs = "/".join(str(v) for v in (line.sku.specs or {}).values())
    return f"{line.sku.product.name} {specs}".strip()


def _sold_out(exc: OutOfStock, cart_lines: list[CartLine]) -> OutOfStock:
    """The same OutOfStock, naming the products and specs the customer chose."""
    labels = {line.sku_id: line_label(line) for line in cart_lines}
    return OutOfStock(sku_ids=exc.sku_ids, labels=[labels.get(pk, str(pk)) for pk in exc.sku_ids])


def _price(cart_lines: list[CartLine], *, province: str) -> _Priced:
    """Current list prices and weights, the shipping fee and the totals (one query: the rate)."""
    weight_g = sum(line.sku.weight_g * line.quantity for line in cart_lines)
    goods = [(line.sku.list_price, line.quantity) for line in cart_lines]
    goods_total = sum((to_fen(price * qty) for price, qty in goods), ZERO)
    # One fee for the whole order, by its total weight: a split (拆单) is the shop's
    # choice, so the customer does not pay for a second parcel.
    fee = shipping_fee(province=province, weight_g=weight_g, goods_total=goods_total)
    totals = compute_totals(lines=goods, shipping_fee=fee)
    lines = [
        PricedLine(
            sku_id=line.sku_id,
            product_id=line.sku.product_id,
            product_name=line.sku.product.name,
            sku_code=line.sku.code,
            unit_price=line.sku.list_price,
            quantity=line.quantity,
            specs=dict(line.sku.specs or {}),
            discount_share=share.discount_share,
        )
        for line, share in zip(cart_lines, totals.lines, strict=True)
    ]
    return _Priced(cart_lines, lines, weight_g, totals.shipping_fee, totals)


def quote_checkout(*, cart, province: str) -> CheckoutQuote:
    """What the order would cost and how it would ship to `province`, read only.

    ValidationFailed when no line is selected or one exceeds its purchase limit; OutOfStock
    naming the products short. Five queries whatever the number of lines: lines with their
    purchase limits, warehouses (2), stock, shipping rate.
    """
    cart_lines = _selected_lines(cart)
    _check_limits(cart_lines)
    try:
        # First: it checks the province, so a wrong one is named before the rate lookup.
        parcels = plan_parcels(
            lines=[(line.sku_id, line.quantity) for line in cart_lines], province=province
        )
    except OutOfStock as exc:
        raise _sold_out(exc, cart_lines) from None
    priced = _price(cart_lines, province=province)
    return CheckoutQuote(
        lines=priced.lines,
        parcels=parcels,
        weight_g=priced.weight_g,
        shipping_fee=priced.shipping_fee,
        totals=priced.totals,
    )


# Checking the request: pure, before any lock is taken or row written ----------------------


def _check_payment_method(payment_method) -> str:
    codes = [method.code for method in enabled_methods()]
    if payment_method not in codes:
        raise ValidationFailed({"payment_method": [_("Choose one of the payment methods shown.")]})
    return payment_method


def _check_key(idempotency_key) -> str:
    key = str(idempotency_key or "").strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed(
            {"idempotency_key": [_("The checkout form is stale; reload the page and try again.")]}
        )
    return key


def clean_address(address: DeliveryAddress) -> DeliveryAddress:
    """The address with a real mainland region and mobile number, or ValidationFailed."""
    recipient = (address.recipient or "").strip()
    detail = (address.detail or "").strip()
    if not recipient:
        raise ValidationFailed({"recipient": [_("Enter the recipient's name.")]})
    check_region(province=address.province, city=address.city, district=address.district)
    mobile = validate_cn_mobile(address.mobile)
    if not detail:
        raise ValidationFailed({"detail": [_("Enter the street address.")]})
    return DeliveryAddress(
        recipient=recipient,
        mobile=mobile,
        province=address.province,
        city=address.city,
        district=address.district,
        detail=detail,
    )


def _clean_invoice(invoice: Invoice | None) -> Invoice:
    if invoice is None or invoice.type == InvoiceType.NONE:
        return Invoice()
    if invoice.type not in INVOICE_KINDS:
        raise ValidationFailed({"invoice_kind": [_("Choose a personal or a company invoice.")]})
    try:
        clean = validate_invoice(
            kind=INVOICE_KINDS[invoice.type], title=invoice.title, tax_id=invoice.tax_id
        )
    except ValidationFailed as exc:
        # The checkout form names its invoice fields invoice_title, invoice_tax_id.
        raise ValidationFailed({f"invoice_{k}": v for k, v in exc.field_errors.items()}) from None
    return Invoice(type=invoice.type, title=clean["title"], tax_id=clean["tax_id"])


def _check_expected_total(expected_total) -> Decimal | None:
    if expected_total is None or expected_total == "":
        return None
    try:
        value = Decimal(str(expected_total))
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise ValidationFailed({"expected_total": [_("The total shown is not an amount.")]})
    return value


def place_order(
    *,
    cart,
    customer,
    address: DeliveryAddress,
    payment_method: str,
    idempotency_key: str,
    invoice: Invoice | None = None,
    note: str = "",
    expected_total: Decimal | None = None,
    actor=None,
) -> Placement:
    """Place the cart's selected lines as one order, all or nothing.

    `payment_method` must be one of payments.gateways.enabled_methods(). When
    `expected_total` (what the customer saw) differs from the total computed now, raises
    ValidationFailed on "expected_total" and changes nothing. OutOfStock names the products
    that ran out. A repeated `idempotency_key` returns Placement(created=False).
    """
    request = {
        "payment_method": _check_payment_method(payment_method),
        "idempotency_key": _check_key(idempotency_key),
        "address": clean_address(address),
        "invoice": _clean_invoice(invoice),
        "note": (note or "").strip(),
        "expected_total": _check_expected_total(expected_total),
    }
    try:
        return _place(cart=cart, customer=customer, actor=actor, **request)
    except IntegrityError:
        # The same key won the order's unique constraint in another cart or session a
        # moment ago; everything this request wrote was rolled back with the exception.
        first = order_for_idempotency_key(customer=customer, key=request["idempotency_key"])
        if first is None:
            raise
        return Placement(order=first, created=False)


@transaction.atomic
def _place(
    *,
    cart,
    customer,
    payment_method: str,
    idempotency_key: str,
    address: DeliveryAddress,
    invoice: Invoice,
    note: str,
    expected_total: Decimal | None,
    actor,
) -> Placement:
    # 1. The cart row lock makes a double submit of this cart wait for the first one to
    #    commit; the second then finds the first order by its key (next step) instead of
    #    an empty cart or a sold-out SKU.
    locked = Cart.objects.select_for_update().filter(pk=cart.pk, customer=customer)
    if not list(locked.values_list("pk", flat=True)):
        raise NotFound(_("This cart no longer exists."), field="cart")
    if first := order_for_idempotency_key(customer=customer, key=idempotency_key):
        return Placement(order=first, created=False)

    # 2. Prices, weight and fee from the database as they are now.
    cart_lines = _selected_lines(cart)
    _check_limits(cart_lines)
    priced = _price(cart_lines, province=address.province)
    totals = priced.totals
    if expected_total is not None and expected_total != totals.total:
        changed = _("Prices have changed: the total is now ¥%(total)s. Check it and submit again.")
        raise ValidationFailed({"expected_total": [changed % {"total": totals.total}]})

    # 3. The order before the reservation: the order row takes the idempotency key's unique
    #    slot first, so a concurrent repeat waits there and never locks or plans stock (else
    #    it could answer "sold out" for units its own first request holds). Any error from
    #    here on rolls back order, reservation, ledger rows and the cart change together.
    order = write_order_record(
        customer=customer,
        lines=priced.lines,
        lines_total=totals.lines_total,
        shipping_fee=totals.shipping_fee,
        discount_total=totals.discount_total,
        total=totals.total,
        payment_method=payment_method,
        address=address,
        invoice=invoice,
        note=note,
        idempotency_key=idempotency_key,
        actor=actor,
    )
    _remove_placed_lines(cart_lines)
    if payment_method == COD:
        create_cod_payment(order=order)
    # 4. Stock last: its row locks are held until commit, so everything else is written
    #    first and other buyers of the same SKUs wait only for this step and the commit.
    #    Plans again on locked stock rows: the parcels may differ from the quote's if stock
    #    moved since, and the reservation rows are the parcels that ship.
    try:
        reserve_stock_for_new_reference(
            lines=priced.wanted, province=address.province, reference=order.number, actor=actor
        )
    except OutOfStock as exc:
        raise _sold_out(exc, cart_lines) from None
    return Placement(order=order, created=True)


def _remove_placed_lines(cart_lines: list[CartLine]) -> None:
    """Take the placed lines out of the cart; unselected and off-sale lines stay."""
    CartLine.objects.filter(pk__in=[line.pk for line in cart_lines]).delete()
