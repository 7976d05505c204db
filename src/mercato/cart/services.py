"""Cart changes. Each service runs in one transaction and locks the cart row first, so two
requests on the same cart (double click, two tabs) apply one after the other."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, OuterRef, Subquery
from django.utils.translation import gettext as _

from mercato.catalog.models import ProductStatus, Sku
from mercato.core.compiled import CompiledQuery
from mercato.core.db import Statement, insert_after
from mercato.core.errors import DomainError, NotFound

from .models import Cart, CartLimit, CartLine, CartPurpose


def _capped(limit: int | None) -> int:
    site_max = getattr(settings, "MERCATO_CART_MAX_QUANTITY", 99)
    return min(site_max, limit) if limit else site_max


def max_quantity_for(*, sku_id: int) -> int:
    """Units of one SKU a cart may hold: the SKU's purchase limit, capped by the site maximum."""
    return _capped(
        CartLimit.objects.filter(sku_id=sku_id).values_list("max_per_order", flat=True).first()
    )


def _clean_quantity(value) -> int:
    if isinstance(value, bool):
        value = None
    try:
        quantity = int(str(value).strip())
    except (TypeError, ValueError):
        raise DomainError(_("Enter a whole number of items."), field="quantity") from None
    if quantity <= 0:
        raise DomainError(_("The quantity must be at least 1."), field="quantity")
    return quantity


def _check_within_limit(*, quantity: int, limit: int) -> None:
    if quantity > limit:
        raise DomainError(
            _("At most %(max)d of this item per order.") % {"max": limit}, field="quantity"
        )


@dataclass(frozen=True)
class _SellableSku:
    pk: int
    list_price: Decimal
    max_quantity: int  # max_quantity_for(): the purchase limit capped by the site maximum


def _sku_for_cart(sku_id: int):
    limit = CartLimit.objects.filter(sku_id=OuterRef("pk")).values("max_per_order")[:1]
    return Sku.objects.filter(pk=sku_id).values(
        "list_price",
        "is_active",
        "product_id",
        "specs",
        product_status=F("product__status"),
        limit=Subquery(limit),
    )


# Compiled once (mercato.core.compiled): every add asks, a new guest's first add too.
SKU_FOR_CART = CompiledQuery("cart.sku_for_cart", _sku_for_cart)


def read_sku(sku_id) -> dict | None:
    """The SKU as an add reads it (price, sale state, purchase limit, product and specs), or
    None when there is none. One query: the product page's add resolves the chosen spec
    values from the same row that it then hands to the add (`sku_row=`), so the add does not
    read it again."""
    try:
        pk = int(sku_id)
    except (TypeError, ValueError):
        pk = 0
    rows = SKU_FOR_CART.rows(sku_id=pk) if 0 < pk < 2**63 else []
    return rows[0] if rows else None


def _sellable_sku(sku_id, row: dict | None = None) -> _SellableSku:
    """The SKU with its price and purchase limit if it can be bought now, else a
    DomainError naming `sku`. One query, none when the caller hands in read_sku's row."""
    if row is None:
        row = read_sku(sku_id)
    if row is None:
        raise DomainError(_("This item does not exist."), field="sku")
    if not row["is_active"] or row["product_status"] != ProductStatus.ON_SALE:
        raise DomainError(_("This item is not on sale."), field="sku")
    return _SellableSku(
        pk=int(sku_id), list_price=row["list_price"], max_quantity=_capped(row["limit"])
    )


def _lock(cart: Cart) -> Cart:
    locked = Cart.objects.select_for_update().filter(pk=cart.pk).first()
    if locked is None:
        raise NotFound(_("This cart no longer exists."), field="cart")
    return locked


def _line(*, cart: Cart, line_id) -> CartLine:
    line = None
    if str(line_id).isdigit():
        line = CartLine.objects.filter(cart=cart, pk=line_id).first()
    if line is None:
        raise NotFound(_("This line is not in the cart."), field="line")
    return line


def _touch(cart: Cart) -> None:
    cart.save(update_fields=["updated_at"])


@transaction.atomic
def get_or_create_cart(*, customer=None, session_key: str | None = None) -> Cart:
    """The customer's cart, else the guest cart of `session_key`; created when missing."""
    if customer is not None:
        owner = {"customer": customer, "purpose": CartPurpose.SHOP}
    elif session_key:
        owner = {"customer": None, "session_key": session_key}
    else:
        raise DomainError(_("A guest cart needs a session."), field="session_key")
    cart = Cart.objects.filter(**owner).first()
    if cart:
        return cart
    try:
        with transaction.atomic():
            return Cart.objects.create(**owner)
    except IntegrityError:  # a concurrent request created it first (unique constraints)
        return Cart.objects.get(**owner)


@transaction.atomic
def add_to_cart(*, cart: Cart, sku_id, quantity, sku_row: dict | None = None) -> CartLine:
    """Put `quantity` units of a SKU in the cart, on top of those already there. `sku_row`:
    read_sku(sku_id)'s row when the caller has read it."""
    quantity = _clean_quantity(quantity)
    sku = _sellable_sku(sku_id, sku_row)
    cart = _lock(cart)
    line = CartLine.objects.filter(cart=cart, sku_id=sku.pk).first()
    total = quantity + (line.quantity if line else 0)
    _check_within_limit(quantity=total, limit=sku.max_quantity)
    if line is None:
        line = CartLine(cart=cart, sku_id=sku.pk, quantity=0)
    line.quantity = total
    # The customer is adding from a page that shows the current price.
    line.price_seen = sku.list_price
    line.save()
    _touch(cart)
    return line


def start_guest_cart(*, create_session, sku_id, quantity, sku_row: dict | None = None) -> CartLine:
    """A new visitor's first add: the SKU is checked, then the visitor's session and the
    guest cart of its key with this one line are written together.

    `create_session(write)` makes the session (the session store's `create_with`: it
    draws the key and hands `write` its row's INSERT, the session store's own statement
    on its own table), and `write` writes that row, the cart and its line all or nothing
    (core.db.insert_after): one statement on PostgreSQL, with no transaction around it.
    No cart can exist for a key the session store has just drawn, so nothing is looked up
    or locked. A refused add writes nothing, the session included. `sku_row`: read_sku(sku_id)'s
    row when the caller has read it."""
    quantity = _clean_quantity(quantity)
    sku = _sellable_sku(sku_id, sku_row)
    _check_within_limit(quantity=quantity, limit=sku.max_quantity)
    line = None

    def write(session_key: str, session_row: tuple[str, list]) -> bool:
        nonlocal line
        cart = Cart(customer=None, session_key=session_key)
        # The customer is adding from a page that shows the current price.
        line = CartLine(cart=cart, sku_id=sku.pk, quantity=quantity, price_seen=sku.list_price)
        return insert_after(session_row, cart, line, link="cart")

    create_session(write)
    return line


@transaction.atomic
def change_quantity(*, cart: Cart, line_id, quantity) -> CartLine:
    """Set a line's quantity (to remove a line, use remove_line)."""
    quantity = _clean_quantity(quantity)
    cart = _lock(cart)
    line = _line(cart=cart, line_id=line_id)
    _check_within_limit(quantity=quantity, limit=max_quantity_for(sku_id=line.sku_id))
    line.quantity = quantity
    line.save(update_fields=["quantity"])
    _touch(cart)
    return line


@transaction.atomic
def remove_line(*, cart: Cart, line_id) -> None:
    cart = _lock(cart)
    _line(cart=cart, line_id=line_id).delete()
    _touch(cart)


def remove_lines_statement(*, cart_id: int, line_ids) -> Statement | None:
    """The DELETE taking lines out of the cart: those checkout just placed as an order,
    for the caller to run in its own round trip (core.db.execute_together: placement sends
    it with the order's rows, inside its transaction, its cart row lock held; the cart's
    `updated_at` untouched); None when there is nothing to remove."""
    ids = [int(pk) for pk in line_ids]
    if not ids:
        return None
    # Written out: the ORM's delete (its collector, then the statement) cost more Python
    # than the statement took. Cart lines have no dependants and send no signals.
    quote = connection.ops.quote_name
    meta = CartLine._meta
    table, cart, pk = (
        quote(meta.db_table),
        quote(meta.get_field("cart").column),
        quote(meta.pk.column),
    )
    return Statement(
        f"DELETE FROM {table} WHERE {cart} = %s"  # noqa: S608
        f" AND {pk} IN ({', '.join(['%s'] * len(ids))})",
        [cart_id, *ids],
        __name__,
    )


@transaction.atomic
def select_lines(*, cart: Cart, line_ids, selected: bool) -> int:
    """Mark lines for checkout (or not); returns how many lines of this cart changed."""
    cart = _lock(cart)
    ids = [int(pk) for pk in line_ids if str(pk).isdigit()]
    count = CartLine.objects.filter(cart=cart, pk__in=ids).update(selected=bool(selected))
    _touch(cart)
    return count


@transaction.atomic
def acknowledge_prices(*, cart: Cart) -> int:
    """The customer saw the current prices: the price-change notices go away."""
    cart = _lock(cart)
    current = Sku.objects.filter(pk=OuterRef("sku_id")).values("list_price")[:1]
    return CartLine.objects.filter(cart=cart).update(price_seen=Subquery(current))


@transaction.atomic
def merge_carts(*, guest_cart: Cart | None, customer) -> Cart:
    """On log-in: move the guest cart's lines into the customer's cart and delete it.

    Quantities of a SKU in both add up, capped at the SKU's limit (log-in never fails
    because of a limit). Merging again, or a cart already merged, changes nothing.
    """
    cart = _lock(get_or_create_cart(customer=customer))
    if guest_cart is None or guest_cart.pk is None or guest_cart.pk == cart.pk:
        return cart
    guest = Cart.objects.select_for_update().filter(pk=guest_cart.pk, customer__isnull=True).first()
    if guest is None:
        return cart
    mine = {line.sku_id: line for line in CartLine.objects.filter(cart=cart)}
    for line in CartLine.objects.filter(cart=guest):
        limit = max_quantity_for(sku_id=line.sku_id)
        existing = mine.get(line.sku_id)
        if existing:
            existing.quantity = min(existing.quantity + line.quantity, limit)
            existing.selected = existing.selected or line.selected
            existing.save(update_fields=["quantity", "selected"])
        else:
            CartLine.objects.create(
                cart=cart,
                sku_id=line.sku_id,
                quantity=min(line.quantity, limit),
                selected=line.selected,
                price_seen=line.price_seen,
            )
    guest.delete()
    _touch(cart)
    return cart


@transaction.atomic
def set_cart_limit(*, sku_id: int, max_per_order) -> CartLimit | None:
    """Operations set (or, with None, lift) a SKU's purchase limit (限购)."""
    if not Sku.objects.filter(pk=sku_id).exists():
        raise DomainError(_("This item does not exist."), field="sku")
    if max_per_order is None:
        CartLimit.objects.filter(sku_id=sku_id).delete()
        return None
    try:
        limit = _clean_quantity(max_per_order)
    except DomainError as exc:
        raise DomainError(exc.message, field="max_per_order") from None
    obj, _created = CartLimit.objects.update_or_create(
        sku_id=sku_id, defaults={"max_per_order": limit}
    )
    return obj


@transaction.atomic
def start_phone_cart(*, customer) -> Cart:
    """A new, empty cart in which customer service builds an order taken by phone for
    `customer` (their shopping cart is not touched). Placed through checkout like any
    cart; discard_cart removes it when the call ends without an order."""
    if customer is None:
        raise DomainError(_("A phone order is for a customer."), field="customer")
    return Cart.objects.create(customer=customer, purpose=CartPurpose.PHONE)


@transaction.atomic
def discard_cart(*, cart: Cart) -> None:
    """Delete a phone order's cart and its lines (a shopping cart is never discarded)."""
    if cart.purpose != CartPurpose.PHONE:
        raise DomainError(_("Only a phone order's cart can be discarded."), field="cart")
    Cart.objects.filter(pk=cart.pk).delete()
