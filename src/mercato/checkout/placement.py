"""Turning a cart into an order: the quote shown before paying, and placement.

Placement is one transaction: re-price the selected cart lines from the database (never
from the client) with the running promotions (mercato.promotions: the best allowed
combination, each discount spread over its lines to the fen, uses of limited promotions
claimed atomically), write the order, reserve stock in the warehouses allocation picks
(splitting when one cannot fill the order), and take the lines out of the cart. A repeated
idempotency key answers with the order the first request placed.
"""

import dataclasses
import ipaddress
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import partial

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Subquery
from django.utils.translation import gettext as _

from mercato.cart.selectors import carts_to_lock, selected_lines
from mercato.cart.services import remove_lines_statement
from mercato.core.compiled import CompiledQuery
from mercato.core.errors import NotFound, ValidationFailed
from mercato.core.money import ZERO, spread_discount, to_fen
from mercato.core.versioned import UNREAD
from mercato.customers.points import money_for, usable_points
from mercato.customers.points import spend as spend_points
from mercato.customers.selectors import (
    ADDRESS_FIELDS,
    SAVED_ADDRESS_COLUMNS,
    SavedAddress,
    address_fields,
    saved_address_columns,
)
from mercato.customers.services import check_region, validate_cn_mobile
from mercato.customers.tiers import tier_named
from mercato.inventory.allocation import (
    OutOfStock,
    Parcel,
    StockSnapshot,
    plan_with_snapshot,
    snapshot_of_columns,
    stock_column,
    warehouses_version,
)
from mercato.inventory.reservations import PlanOutdated, reserve_stock_for_new_reference
from mercato.orders.models import InvoiceType, Order
from mercato.orders.selectors import (
    has_placed_orders,
    order_for_stored_key,
    orders_of,
    placed_with_key,
    stored_idempotency_key,
)
from mercato.orders.services import (
    COD,
    DeliveryAddress,
    Invoice,
    PricedLine,
    next_id_value,
    next_number_value,
    order_number,
    write_order_record,
)
from mercato.payments.gateways import enabled_methods
from mercato.payments.services import create_cod_payment
from mercato.promotions import coupon_pricing
from mercato.promotions import engine as promotion_engine
from mercato.promotions.coupons import CouponError, find_coupon, redeem_coupon, refusal, terms_of
from mercato.promotions.gifts import Gift, gifts_for
from mercato.promotions.selectors import (
    customer_uses,
    forget_offers,
    gift_sku_ids,
    offers_version,
    running_offers,
    uses_of_customer,
)
from mercato.promotions.services import (
    CustomerClaims,
    UsedUp,
    claim_uses,
    customer_claims,
    redemptions_statement,
)

from .gifts import gift_lines, split_by_stock
from .services import (
    INVOICE_COMPANY,
    INVOICE_PERSONAL,
    RATE_FIELDS,
    fee_at_rate,
    shipping_rates,
    validate_invoice,
)
from .totals import Totals, compute_totals

MAX_KEY_LENGTH = 64  # Order.idempotency_key
INVOICE_KINDS = {InvoiceType.PERSONAL: INVOICE_PERSONAL, InvoiceType.COMPANY: INVOICE_COMPANY}


@dataclass(frozen=True)
class CheckoutQuote:
    lines: list[PricedLine]  # the selected, on-sale cart lines at current prices
    parcels: list[Parcel]  # how the order would ship if placed now (拆单 when > 1)
    weight_g: int
    shipping_fee: Decimal
    totals: Totals
    promotions: tuple[promotion_engine.AppliedOffer, ...] = ()  # what took money off
    coupon: coupon_pricing.CouponApplied | None = None  # the coupon applied, if any
    coupon_error: str = ""  # why the coupon asked for cannot be used, in the customer's words
    points_used: int = 0  # member points taken off as money (积分抵现)
    points_off: Decimal = ZERO  # what they take off
    points_usable: int = 0  # the most points this order may use (cap and balance)
    points_balance: int = 0  # the member's balance now
    points_error: str = ""  # why fewer points than asked are used
    gifts: tuple[Gift, ...] = ()  # gifts with purchase (赠品) added at price 0, in stock
    gifts_out: tuple[Gift, ...] = ()  # gifts earned but out of stock: not given


@dataclass(frozen=True)
class Placement:
    order: Order
    created: bool  # False: the idempotency key was seen before; `order` is the first one


@dataclass(frozen=True)
class SelectedLine:
    """A selected cart line that can be bought now, with what pricing and the order need."""

    id: int
    sku_id: int
    quantity: int
    purchase_limit: int | None  # the SKU's 限购 per order; None: only the site maximum
    product_id: int
    product_name: str
    sku_code: str
    specs: dict
    list_price: Decimal
    weight_g: int
    brand_id: int | None = None  # for promotions scoped by brand or category
    category_path: str = ""
    unit_cost: Decimal | None = None  # the SKU's cost price, kept on the order line

    @property
    def label(self) -> str:
        """What a customer calls the line: 'product 红色/XL', never a bare SKU code."""
        specs = "/".join(str(v) for v in self.specs.values())
        return f"{self.product_name} {specs}".strip()


@dataclass(frozen=True)
class _Priced:
    """The selected lines priced now: what both the quote and placement start from."""

    cart_lines: list[SelectedLine]
    lines: list[PricedLine]
    weight_g: int
    shipping_fee: Decimal
    totals: Totals
    applied: tuple[promotion_engine.AppliedOffer, ...]  # the promotions that took money off
    coupon: coupon_pricing.CouponApplied | None = None
    coupon_refused: coupon_pricing.CouponRefused | None = None
    points_used: int = 0
    points_off: Decimal = ZERO
    points_usable: int = 0
    gifts: tuple[Gift, ...] = ()  # promotions.gifts: earned (placement keeps those in stock)
    stock: StockSnapshot | None = None  # what the gifts' stock check planned on

    @property
    def wanted(self) -> list[tuple[int, int]]:
        return [(line.sku_id, line.quantity) for line in self.cart_lines]


def _lines_with_rate(cart_id: int, province: str):
    """cart.selectors.selected_lines with the shipping rate of `province` (RATE_FIELDS,
    Nones: no rate there) on every row: one statement."""
    rate = shipping_rates(province=province)
    rate_columns = {f"rate_{name}": Subquery(rate.values(name)[:1]) for name in RATE_FIELDS}
    # What promotions scope by: the product's brand and its category's tree path.
    scope_columns = {
        "brand_id": F("sku__product__brand_id"),
        "category_path": F("sku__product__category__path"),
    }
    # The cart's member: tier (benefits, tier-only promotions), points balance, and
    # whether they ordered before (promotions for new customers; a guest's: false).
    member_columns = {
        "member_tier": F("cart__customer__tier"),
        "member_points": F("cart__customer__points_balance"),
        "member_ordered": Exists(orders_of(customer_id=OuterRef("cart__customer_id"))),
    }
    if connection.vendor == "postgresql":
        # And their uses of promotions limited per customer (promotions.selectors), as two
        # arrays in promotion order: one statement fewer than reading them on their own.
        uses = uses_of_customer(customer_id=OuterRef("cart__customer_id"))
        member_columns["member_use_ids"] = ArraySubquery(uses.values("promotion_id"))
        member_columns["member_use_counts"] = ArraySubquery(uses.values("used"))
        # And the stock of each line's SKU in every warehouse (inventory.allocation): what
        # the quote and the reservation plan on, one statement fewer than reading it on
        # its own (SQLite still does); and the stock of the gifts active promotions give
        # (promotions.selectors), so an earned gift's stock check reads none either.
        gift_skus = gift_sku_ids()
        member_columns[STOCK_COLUMN] = stock_column(sku_id=OuterRef("sku_id"))
        member_columns[GIFT_SKUS_COLUMN] = ArraySubquery(gift_skus)
        member_columns[GIFT_STOCK_COLUMN] = stock_column(sku_ids=gift_skus)
    # The versions of the running promotions and of the warehouse list: placement uses the
    # lists its process kept under them (core.versioned), without a cache call.
    version_columns = {
        "offers_version": offers_version(),
        "warehouses_version": warehouses_version(),
    }
    return selected_lines(cart_id=cart_id).annotate(
        **scope_columns, **rate_columns, **member_columns, **version_columns
    )


STOCK_COLUMN, GIFT_SKUS_COLUMN, GIFT_STOCK_COLUMN = "sku_stock", "gift_sku_ids", "gift_stock"
# Compiled once (mercato.core.compiled): building it cost more than running it.
LINES_WITH_RATE = CompiledQuery("checkout.lines_with_rate", _lines_with_rate)
RATE_COLUMNS = tuple(f"rate_{name}" for name in RATE_FIELDS)
MEMBER_COLUMNS = (
    "member_tier", "member_points", "member_ordered", "member_use_ids", "member_use_counts"
)  # fmt: skip
VERSION_COLUMNS = ("offers_version", "warehouses_version")
# The lines query's columns that are not a SelectedLine's (the same on every row).
_NOT_LINE_COLUMNS = frozenset(
    (*RATE_COLUMNS, *MEMBER_COLUMNS, *VERSION_COLUMNS, STOCK_COLUMN, GIFT_SKUS_COLUMN,
     GIFT_STOCK_COLUMN)
)  # fmt: skip


@dataclass(frozen=True)
class Versions:
    """The versions of the lists placement keeps per process, as its lines query read them."""

    offers: int | None = UNREAD  # promotions.selectors.running_offers(version=...)
    warehouses: int | None = UNREAD  # inventory.allocation.load_warehouses(version=...)


def _selected_lines(
    cart_id: int, *, province: str
) -> tuple[list[SelectedLine], tuple, tuple, Versions, StockSnapshot | None]:
    """The cart's selected lines that can be bought now (cart.selectors.selected_lines), in
    the order they were added, the shipping rate row for `province`, the cart's member
    (tier code, points balance, whether they placed an order before, their (promotion id,
    used) pairs of promotions limited per customer or None where not read (SQLite); "", 0,
    False, [] for a guest) and the versions of the running promotions and the warehouse
    list (Versions), and on PostgreSQL the stock of the lines' SKUs and of the active gift
    promotions' in the active warehouses (inventory.allocation.StockSnapshot; None on
    SQLite: read when planned).
    One query."""
    rows = LINES_WITH_RATE.rows(cart_id=cart_id, province=province)
    if not rows:
        raise ValidationFailed({"lines": [_("Select at least one item on sale to check out.")]})
    lines = [SelectedLine(**{k: row[k] for k in row if k not in _NOT_LINE_COLUMNS}) for row in rows]
    first = rows[0]
    uses = None
    if "member_use_ids" in first:
        ids, counts = first["member_use_ids"] or (), first["member_use_counts"] or ()
        uses = list(zip(ids, counts, strict=True))
    member = (
        first["member_tier"] or "",
        first["member_points"] or 0,
        bool(first["member_ordered"]),
        uses,
    )
    versions = Versions(offers=first["offers_version"], warehouses=first["warehouses_version"])
    stock = None
    if STOCK_COLUMN in first:
        stock = snapshot_of_columns(
            sku_ids=[*(row["sku_id"] for row in rows), *(first[GIFT_SKUS_COLUMN] or ())],
            columns=[*(row[STOCK_COLUMN] for row in rows), first[GIFT_STOCK_COLUMN]],
            warehouses_version=versions.warehouses,
        )
    return lines, tuple(first[name] for name in RATE_COLUMNS), member, versions, stock


def _check_limits(cart_lines: list[SelectedLine]) -> None:
    """Purchase limits (限购) hold at checkout too: one set after the items went into the
    cart is not bypassed by placing the old quantity."""
    site_max = getattr(settings, "MERCATO_CART_MAX_QUANTITY", 99)
    errors = [
        _("At most %(max)d of %(item)s per order; change the quantity in the cart.")
        % {"max": cap, "item": line.label}
        for line in cart_lines
        if line.quantity > (cap := min(site_max, line.purchase_limit or site_max))
    ]
    if errors:
        raise ValidationFailed({"lines": errors})


def _sold_out(exc: OutOfStock, cart_lines: list[SelectedLine]) -> OutOfStock:
    """The same OutOfStock, naming the products and specs the customer chose."""
    labels = {line.sku_id: line.label for line in cart_lines}
    return OutOfStock(sku_ids=exc.sku_ids, labels=[labels.get(pk, str(pk)) for pk in exc.sku_ids])


def shopper_for(
    *,
    customer_id: int | None,
    channel: str,
    province: str,
    offers,
    tier_code: str = "",
    ordered_before: bool | None = None,
    uses=None,
) -> promotion_engine.Shopper:
    """Who is buying, as promotions judge it (the cart page asks too). Queries only what
    the running offers need and the caller did not read (`ordered_before` and `uses`, as
    checkout's lines query gives them): whether the customer ordered before (offers for
    new customers) and their past uses (offers limited per customer); none when no offer
    asks."""
    is_new, used = False, {}
    if customer_id is not None and offers:
        if any(o.target == promotion_engine.NEW_CUSTOMERS for o in offers):
            if ordered_before is None:
                ordered_before = has_placed_orders(customer_id=customer_id)
            is_new = not ordered_before
        limited = [o.id for o in offers if o.per_customer_limit is not None]
        if limited:
            used = customer_uses(customer_id=customer_id, promotion_ids=limited, read=uses)
    return promotion_engine.Shopper(
        customer_id=customer_id,
        is_new=is_new,
        used=used,
        channel=channel,
        province=province,
        tier_code=tier_code,
    )


def _price(
    cart_lines: list[SelectedLine],
    *,
    province: str,
    rate,
    offers,
    shopper,
    coupon=None,
    points_wanted: int = 0,
    points_balance: int = 0,
) -> _Priced:
    """Current list prices and weights, the shipping fee at `rate`, the promotions' best
    combination for `shopper` (promotions.engine; not run when no promotion runs), then the
    `coupon` (coupon_pricing.CouponTerms) on what the lines cost after them, and the
    totals. A coupon that does not combine with promotions is priced without them."""
    weight_g = sum(line.weight_g * line.quantity for line in cart_lines)
    goods = [(line.list_price, line.quantity) for line in cart_lines]
    goods_total = sum((to_fen(price * qty) for price, qty in goods), ZERO)
    # One fee for the whole order, by its total weight: a split (拆单) is the shop's
    # choice, so the customer does not pay for a second parcel.
    fee = fee_at_rate(rate, province=province, weight_g=weight_g, goods_total=goods_total)
    if shopper.tier_code and tier_named(shopper.tier_code).free_shipping:
        fee = ZERO  # a tier benefit (customers.tiers); the province was checked above
    applied, line_discounts, gifts = (), None, ()
    if coupon is not None and not coupon.stackable:
        offers = []
    engine_lines = [
        promotion_engine.Line(
            sku_id=line.sku_id,
            product_id=line.product_id,
            unit_price=line.list_price,
            quantity=line.quantity,
            category_path=line.category_path or "",
            brand_id=line.brand_id,
        )
        for line in cart_lines
    ]
    if offers:
        pricing = promotion_engine.price(
            lines=engine_lines,
            offers=offers,
            shopper=shopper,
            shipping_fee=to_fen(fee),
        )
        applied, fee, line_discounts = pricing.applied, pricing.shipping_fee, pricing.line_discounts
        gifts = gifts_for(lines=engine_lines, offers=offers, shopper=shopper, pricing=pricing)
    used_coupon = refused = None
    if coupon is not None:
        before = line_discounts or [ZERO] * len(goods)
        result = coupon_pricing.apply_coupon(
            terms=coupon,
            lines=engine_lines,
            payable=[to_fen(p * q) - off for (p, q), off in zip(goods, before, strict=True)],
            shipping_fee=to_fen(fee),
        )
        if isinstance(result, coupon_pricing.CouponApplied):
            used_coupon = result
            line_discounts = [a + b for a, b in zip(before, result.line_discounts, strict=True)]
            fee = to_fen(fee) - result.shipping_off
        else:
            refused = result
    # Member points (积分抵现) last, on what the goods still cost, spread over the lines to
    # the fen so a refund of a line gives back its share.
    before = line_discounts or [ZERO] * len(goods)
    payable = [to_fen(p * q) - off for (p, q), off in zip(goods, before, strict=True)]
    usable = usable_points(balance=points_balance, payable=sum(payable, ZERO))
    points_used = min(max(points_wanted, 0), usable)
    points_off = money_for(points_used)
    if points_off > 0:
        shares = spread_discount(line_totals=payable, discount=points_off)
        line_discounts = [a + b for a, b in zip(before, shares, strict=True)]
    totals = compute_totals(lines=goods, shipping_fee=fee, line_discounts=line_discounts)
    lines = [
        PricedLine(
            sku_id=line.sku_id,
            product_id=line.product_id,
            product_name=line.product_name,
            sku_code=line.sku_code,
            unit_price=line.list_price,
            quantity=line.quantity,
            specs=line.specs,
            discount_share=share.discount_share,
            unit_cost=line.unit_cost,
        )
        for line, share in zip(cart_lines, totals.lines, strict=True)
    ]
    return _Priced(
        cart_lines,
        lines,
        weight_g,
        totals.shipping_fee,
        totals,
        applied,
        used_coupon,
        refused,
        points_used,
        points_off,
        usable,
        tuple(gifts),
    )


def _coupon_terms(code: str, customer_id: int | None) -> coupon_pricing.CouponTerms | None:
    """The terms of the coupon `code` names, None without a code; CouponError when this
    customer cannot use it now (promotions.coupons.find_coupon)."""
    if not (code or "").strip():
        return None
    return terms_of(find_coupon(code=code, customer_id=customer_id))


def _points_refusal(wanted: int, priced: "_Priced") -> str:
    if wanted <= priced.points_used:
        return ""
    return _("At most %(points)s points can be used on this order.") % {
        "points": priced.points_usable
    }


def quote_checkout(
    *, cart, province: str, channel: str = "web", coupon_code: str = "", points: int = 0
) -> CheckoutQuote:
    """What the order would cost and how it would ship to `province`, read only, with the
    promotions running on `channel` for the cart's customer and the coupon `coupon_code`
    (priced without it, and `coupon_error` saying why, when it cannot be used).

    ValidationFailed when no line is selected or one exceeds its purchase limit; OutOfStock
    naming the products short. Five queries whatever the number of lines: lines with their
    purchase limits and the shipping rate, warehouses (2), stock (on PostgreSQL a column of
    the lines' query: four), running promotions (warehouses and promotions cached between
    requests; one more each for offers to new customers or limited per customer).
    """
    cart_lines, rate, (tier_code, balance, ordered, uses), _version, stock = _selected_lines(
        cart.pk, province=province
    )
    _check_limits(cart_lines)
    try:
        # First: it checks the province, so a wrong one is named before the missing rate.
        # On the stock the lines query read (PostgreSQL); else it reads it.
        parcels, stock = plan_with_snapshot(
            lines=[(line.sku_id, line.quantity) for line in cart_lines],
            province=province,
            snapshot=stock,
        )
    except OutOfStock as exc:
        raise _sold_out(exc, cart_lines) from None
    offers = running_offers(channel=channel)
    shopper = shopper_for(
        customer_id=cart.customer_id,
        channel=channel,
        province=province,
        offers=offers,
        tier_code=tier_code,
        ordered_before=ordered,
        uses=uses,
    )
    wanted = _points_wanted(points)
    coupon_error, terms = "", None
    try:
        terms = _coupon_terms(coupon_code, cart.customer_id)
    except CouponError as exc:
        coupon_error = exc.message
    price = partial(
        _price,
        cart_lines,
        province=province,
        rate=rate,
        offers=offers,
        shopper=shopper,
        points_wanted=wanted,
        points_balance=balance,
    )
    priced = price(coupon=terms)
    if priced.coupon_refused is not None:
        coupon_error = _coupon_refusal(priced.coupon_refused).message
        priced = price()
    gifts_out = ()
    if priced.gifts:  # on SQLite one more stock query, only when the cart earns a gift
        parcels, gifts, gifts_out, _snapshot = split_by_stock(
            wanted=priced.wanted, gifts=priced.gifts, province=province, snapshot=stock
        )
        priced = dataclasses.replace(priced, gifts=tuple(gifts))
    return CheckoutQuote(
        lines=priced.lines,
        parcels=parcels,
        weight_g=priced.weight_g,
        shipping_fee=priced.shipping_fee,
        totals=priced.totals,
        promotions=priced.applied,
        coupon=priced.coupon,
        coupon_error=coupon_error,
        points_used=priced.points_used,
        points_off=priced.points_off,
        points_usable=priced.points_usable,
        points_balance=balance,
        points_error=_points_refusal(wanted, priced),
        gifts=priced.gifts,
        gifts_out=tuple(gifts_out),
    )


def _points_wanted(points) -> int:
    """The points the customer asked to use, or ValidationFailed naming "points"."""
    if points in (None, ""):
        return 0
    try:
        value = int(str(points).strip())
    except ValueError:
        value = -1
    if value < 0:
        raise ValidationFailed({"points": [_("Enter a whole number of points.")]})
    return value


def _coupon_refusal(refused: coupon_pricing.CouponRefused) -> CouponError:
    return refusal(refused.reason, refused=refused)


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


def _check_ip(value) -> str:
    """The client's IP address as given by the caller, or "" when it is not one."""
    try:
        return str(ipaddress.ip_address(str(value or "").strip()))
    except ValueError:
        return ""


def place_order(
    *,
    customer,
    cart=None,
    session_key: str = "",
    address: DeliveryAddress | SavedAddress,
    payment_method: str,
    idempotency_key: str,
    invoice: Invoice | None = None,
    note: str = "",
    expected_total: Decimal | None = None,
    actor=None,
    channel: str = "web",
    client_ip: str = "",
    coupon_code: str = "",
    points: int = 0,
) -> Placement:
    """Place the cart's selected lines as one order, all or nothing.

    The cart is `cart` if given, else the customer's, else the guest cart of `session_key`
    (the storefront's and the API's lookup: mercato.cart.selectors.find_cart); with none,
    ValidationFailed on "cart". `payment_method` must be one of
    payments.gateways.enabled_methods(). When `expected_total` (what the customer saw)
    differs from the total computed now, raises ValidationFailed on "expected_total" and
    changes nothing. OutOfStock names the products that ran out. A repeated
    `idempotency_key` returns Placement(created=False). `channel` (web, api, phone) and
    `client_ip` are stored on the order for the order console and review. `coupon_code`:
    a coupon of the customer's, or a shared code, used by this order (CouponError, with
    nothing placed, when it cannot be: the reason is its message). `points`: member points
    to take off as money (积分抵现), at most the cap and the balance (ValidationFailed on
    "points" otherwise); they are spent in the placement's transaction under the customer's
    row lock, so two orders never spend the same points.

    `address` is the delivery address given, or one of the customer's saved addresses
    (customers.selectors.SavedAddress): its fields are read with the cart's lock, in the
    same statement, and checked as a given one is. Another customer's or a missing saved
    address raises NotFound on "address_id", before anything else is looked at: also
    before the order a repeated key placed (as when the caller read the address first).
    """
    if cart is not None:
        session_key = cart.session_key
    key = _check_key(idempotency_key)
    request = {
        "payment_method": _check_payment_method(payment_method),
        # A guest's key is bound to the guest's session (orders.selectors).
        "idempotency_key": stored_idempotency_key(
            customer=customer, key=key, session_key=session_key or ""
        ),
        "address": _check_address_reference(address, customer),
        "invoice": _clean_invoice(invoice),
        "note": (note or "").strip(),
        "expected_total": _check_expected_total(expected_total),
        "channel": channel,
        "client_ip": _check_ip(client_ip),
        "coupon_code": str(coupon_code or "").strip(),
        "points": _points_wanted(points),
    }
    if request["points"] and customer is None:
        raise ValidationFailed({"points": [_("Sign in to use points.")]})
    place = partial(
        _place,
        cart_id=cart.pk if cart is not None else None,
        customer=customer,
        session_key=session_key or "",
        actor=actor,
        **request,
    )
    lock_all, spent = False, frozenset()
    try:
        while True:
            try:
                return place(lock_all=lock_all, spent=spent)
            except PlanOutdated:
                if lock_all:
                    raise
                # Another buyer took units the stock plan chose (inventory.reservations);
                # this try was rolled back whole, locks included: place again, planning on
                # locked rows.
                lock_all = True
            except UsedUp as exc:
                # Another order took a limited promotion's last use (or the customer's)
                # since it was read; this try was rolled back whole, the order and the
                # uses it claimed with it. Place again without it: those named are left
                # out, and the customer's uses are read anew (they only grow, so each try
                # leaves out at least one more promotion). The cached counts were behind.
                forget_offers()
                spent |= exc.promotion_ids
    except IntegrityError:
        # The same key won the order's unique constraint in another cart or session a
        # moment ago; everything this request wrote was rolled back with the exception.
        first = order_for_stored_key(customer=customer, stored_key=request["idempotency_key"])
        if first is None:
            raise
        return Placement(order=first, created=False)


def _no_such_address() -> NotFound:
    # Another customer's address looks like no address at all.
    return NotFound(_("No such address."), field="address_id")


def _check_address_reference(
    address: DeliveryAddress | SavedAddress, customer
) -> DeliveryAddress | SavedAddress:
    """A given address cleaned (clean_address); a saved one as it is, after the checks that
    need no query: a guest has none, and none is another customer's."""
    if not isinstance(address, SavedAddress):
        return clean_address(address)
    if customer is None or customer.pk != address.customer_id or not address.in_range:
        raise _no_such_address()
    return address


def _cart_lock(customer_id, session_key, cart_id, key, address_id):
    """The cart (cart.selectors.carts_to_lock) with orders' key check and number as columns,
    and the fields of the customer's saved address `address_id` (customers.selectors) when
    one is named."""
    placed = placed_with_key(customer_id=customer_id, stored_key=key).values("id")[:1]
    carts = carts_to_lock(customer_id=customer_id, session_key=session_key, cart_id=cart_id)
    columns = ("id", "placed_id", "number_value", "order_id")
    if address_id is not None:
        carts = carts.annotate(
            **saved_address_columns(customer_id=customer_id, address_id=address_id)
        )
        columns += SAVED_ADDRESS_COLUMNS
    return carts.annotate(
        placed_id=Subquery(placed), number_value=next_number_value(), order_id=next_id_value()
    ).values_list(*columns)[:1]


CART_LOCK = CompiledQuery("checkout.cart_lock", _cart_lock)


def _lock_cart(
    *, cart_id, customer, session_key: str, key: str, address: DeliveryAddress | SavedAddress
) -> tuple[int, int | None, str, int | None, DeliveryAddress]:
    """(cart id, id of the order this customer already placed with `key` or None, the new
    order's number on PostgreSQL or "", the new order's id on PostgreSQL or None, the
    delivery address), the cart row locked until the transaction ends: one query for all,
    the cart's lookup (cart.selectors) with orders' key check, number and id
    (orders.selectors, orders.services) and a saved address's fields (customers.selectors)
    as columns of it. A saved address is checked here (clean_address: nothing is written
    yet, so its error rolls back nothing); NotFound on "address_id" when it is not the
    customer's, whatever else is wrong.

    The cart row lock makes a double submit of this cart wait for the first one to
    commit; the second then finds the first order by its key instead of an empty cart or
    a sold-out SKU. The number comes from orders' sequence (orders.services.order_number),
    which skips the values of placements that end in an error, as it does after rollbacks.
    """
    customer_id = customer.pk if customer is not None else None
    saved = isinstance(address, SavedAddress)
    rows = CART_LOCK.rows(
        customer_id=customer_id,
        session_key=session_key if customer_id is None else None,
        cart_id=cart_id,
        key=key,
        address_id=address.address_id if saved else None,
    )
    if not rows:
        # No cart: the address is named first all the same, as when it was read before the
        # lock. This look-up runs only on this error path.
        if saved and address_fields(customer_id=customer_id, address_id=address.address_id) is None:
            raise _no_such_address()
        if cart_id is not None:
            raise NotFound(_("This cart no longer exists."), field="cart")
        raise ValidationFailed({"cart": [_("Your cart is empty.")]})
    ((cart_id, placed_id, number_value, order_id, *fields),) = rows
    if saved:
        if fields[0] is None:  # recipient: a saved address always has one
            raise _no_such_address()
        address = clean_address(DeliveryAddress(**dict(zip(ADDRESS_FIELDS, fields, strict=True))))
    number = order_number(number_value) if number_value is not None else ""
    return cart_id, placed_id, number, order_id, address


def _price_with_uses(
    cart_lines,
    *,
    customer,
    province: str,
    rate,
    channel: str,
    coupon=None,
    points: int = 0,
    ordered_before: bool | None = None,
    uses=None,
    versions: Versions = Versions(),
    stock: StockSnapshot | None = None,
    spent: frozenset[int] = frozenset(),
) -> tuple[_Priced, CustomerClaims | None]:
    """_price with the running promotions (those this process kept, when of `versions`:
    promotions.selectors.running_offers) but those `spent` (promotions.services.UsedUp),
    the uses of those with a usage limit claimed (promotions.services.claim_uses: a
    conditional UPDATE, so no limit is passed whatever the concurrency; UsedUp otherwise,
    and place_order places again), and the statement claiming the uses of those limited
    per customer, which _place sends with the order (promotions.services.customer_claims).
    No query when the promotions are cached and none applies. A `coupon` that cannot be
    used on these lines raises CouponError. `stock`: what the lines query read
    (PostgreSQL), planned on when a gift is earned."""
    customer_id = customer.pk if customer is not None else None
    offers = running_offers(channel=channel, version=versions.offers)
    if spent:
        offers = [o for o in offers if o.id not in spent]
    tier_code = customer.tier if customer is not None else ""
    balance = customer.points_balance if customer is not None else 0
    shopper = shopper_for(
        customer_id=customer_id,
        channel=channel,
        province=province,
        offers=offers,
        tier_code=tier_code,
        ordered_before=ordered_before,
        uses=uses,
    )
    priced = _price(
        cart_lines,
        province=province,
        rate=rate,
        offers=offers,
        shopper=shopper,
        coupon=coupon,
        points_wanted=points,
        points_balance=balance,
    )
    if priced.coupon_refused is not None:
        raise _coupon_refusal(priced.coupon_refused)
    refused = _points_refusal(points, priced)
    if refused:
        raise ValidationFailed({"points": [refused]})
    if priced.gifts:  # the gifts out of stock are left out (promotions.gifts)
        _parcels, gifts, _out, snapshot = split_by_stock(
            wanted=priced.wanted,
            gifts=priced.gifts,
            province=province,
            warehouses_version=versions.warehouses,
            snapshot=stock,
        )
        priced = dataclasses.replace(priced, gifts=tuple(gifts), stock=snapshot)
    applied = (*priced.applied, *priced.gifts)
    claim_uses(applied=applied, offers=offers)
    return priced, customer_claims(applied=applied, offers=offers, customer_id=customer_id)


@transaction.atomic
def _place(
    *,
    cart_id: int | None,
    customer,
    session_key: str,
    payment_method: str,
    idempotency_key: str,
    address: DeliveryAddress | SavedAddress,
    invoice: Invoice,
    note: str,
    expected_total: Decimal | None,
    actor,
    lock_all: bool,
    channel: str,
    client_ip: str,
    coupon_code: str,
    points: int,
    spent: frozenset[int],
) -> Placement:
    # 1. The cart, locked, and an order placed before with the same key.
    cart_id, placed_id, number, order_id, address = _lock_cart(
        cart_id=cart_id,
        customer=customer,
        session_key=session_key,
        key=idempotency_key,
        address=address,
    )
    if placed_id is not None:
        first = order_for_stored_key(customer=customer, stored_key=idempotency_key)
        return Placement(order=first, created=False)

    # 2. Prices, weight and fee from the database as they are now.
    try:
        cart_lines, rate, (_tier, _points, ordered, uses), versions, stock = _selected_lines(
            cart_id, province=address.province
        )
    except ValidationFailed:
        # A double submit that waited for the cart lock: the look-up above ran on the
        # snapshot taken before the wait, so it missed the order the first submit placed
        # (and this cart's lines are gone with it). A new statement sees that order.
        first = order_for_stored_key(customer=customer, stored_key=idempotency_key)
        if first is None:
            raise
        return Placement(order=first, created=False)
    _check_limits(cart_lines)
    coupon = _coupon_terms(coupon_code, customer.pk if customer is not None else None)
    priced, claims = _price_with_uses(
        cart_lines,
        customer=customer,
        province=address.province,
        rate=rate,
        channel=channel,
        coupon=coupon,
        points=points,
        ordered_before=ordered,
        uses=uses,
        versions=versions,
        stock=stock,
        spent=spent,
    )
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
        lines=[*priced.lines, *gift_lines(priced.gifts)],
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
        number=number,
        order_id=order_id,
        channel=channel,
        client_ip=client_ip,
        # The redemptions (promotions' table) and the placed lines leaving the cart (the
        # cart's; unselected and off-sale lines stay), each statement built by its app's
        # service, go in the order's round trip.
        also=lambda order: (
            redemptions_statement(
                applied=(*priced.applied, *priced.gifts),
                customer_id=customer.pk if customer is not None else None,
                order_number=order.number,
            ),
            remove_lines_statement(cart_id=cart_id, line_ids=[line.id for line in cart_lines]),
        ),
        # The customer's uses of promotions limited per customer, claimed last in the same
        # round trip: a use another order of theirs took since it was read raises UsedUp,
        # and this placement rolls back whole (place_order places again without it).
        checked=claims,
    )
    if priced.coupon is not None:
        # The coupon's use, counted by a conditional UPDATE: a coupon used by another order
        # since it was read raises CouponError and this placement rolls back whole.
        redeem_coupon(
            coupon_id=priced.coupon.coupon_id,
            customer_id=customer.pk,
            order_number=order.number,
            applied=priced.coupon,
        )
    if priced.points_used:
        # Spent under the customer's row lock (customers.points.spend): points another
        # order spent since they were read raise DomainError and this placement rolls back.
        spend_points(customer_id=customer.pk, points=priced.points_used, order_number=order.number)
    if payment_method == COD:
        create_cod_payment(order=order)
    # 4. Stock last: its row locks are held until commit, so everything else is written
    #    first and other buyers of the same SKUs wait only for this step and the commit.
    #    Plans again on locked stock rows: the parcels may differ from the quote's if stock
    #    moved since, and the reservation rows are the parcels that ship.
    try:
        reserve_stock_for_new_reference(
            lines=[*priced.wanted, *((g.sku_id, g.quantity) for g in priced.gifts)],
            province=address.province,
            reference=order.number,
            actor=actor,
            lock_all=lock_all,
            # What the gift check planned on, else the stock the lines query read
            # (PostgreSQL; None on SQLite: reserve reads it). A moment old either way: the
            # stock step checks it under the rows' locks (PlanOutdated otherwise).
            snapshot=priced.stock if priced.stock is not None else stock,
            warehouses_version=versions.warehouses,
        )
    except OutOfStock as exc:
        raise _sold_out(exc, cart_lines) from None
    return Placement(order=order, created=True)
