"""Orders taken by phone (电话下单): customer service builds the order for a customer in a
cart of its own and places it through the same placement as the shop (place_order), so
prices, stock, limits and the address are checked exactly as for the customer.

Every function needs `orders.place_phone_order`.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from mercato.cart.models import Cart, CartPurpose
from mercato.cart.services import add_to_cart, discard_cart, remove_line, start_phone_cart
from mercato.catalog.models import Sku
from mercato.core.errors import NotFound, ValidationFailed
from mercato.core.permissions import require_perm
from mercato.customers.models import Channel, Customer
from mercato.customers.services import create_customer, validate_cn_mobile
from mercato.orders.models import OrderChannel
from mercato.orders.services import DeliveryAddress

from .placement import Placement, place_order

PERM = "orders.place_phone_order"


@transaction.atomic
def start_phone_order(*, actor, mobile: str, name: str = "") -> Cart:
    """A new phone-order cart for the customer with this mobile; a caller without an
    account gets one (sign-up channel "phone", no password: they may set one later)."""
    require_perm(actor, PERM)
    mobile = validate_cn_mobile(mobile)
    customer = Customer.objects.filter(mobile=mobile).first()
    if customer is None:
        customer = create_customer(mobile=mobile, name=(name or "").strip(), channel=Channel.PHONE)
    return start_phone_cart(customer=customer)


def phone_cart(*, actor, cart_id: int) -> Cart:
    """A phone order's cart (NotFound for any other cart)."""
    require_perm(actor, PERM)
    cart = (
        Cart.objects.select_related("customer")
        .filter(pk=cart_id, purpose=CartPurpose.PHONE)
        .first()
    )
    if cart is None:
        raise NotFound(_("No such phone order."), field="cart")
    return cart


def add_phone_order_line(*, actor, cart_id: int, sku_code: str, quantity) -> Cart:
    """Add `quantity` units of the SKU with this code (or barcode)."""
    cart = phone_cart(actor=actor, cart_id=cart_id)
    code = str(sku_code or "").strip()
    sku = Sku.objects.filter(code=code).first() or (
        Sku.objects.filter(barcode=code).first() if code.isdigit() else None
    )
    if sku is None:
        raise ValidationFailed({"sku_code": [_("No SKU with this code.")]})
    add_to_cart(cart=cart, sku_id=sku.pk, quantity=quantity)
    return cart


def remove_phone_order_line(*, actor, cart_id: int, line_id: int) -> Cart:
    cart = phone_cart(actor=actor, cart_id=cart_id)
    remove_line(cart=cart, line_id=line_id)
    return cart


def place_phone_order(
    *,
    actor,
    cart_id: int,
    address: DeliveryAddress,
    payment_method: str,
    idempotency_key: str,
    note: str = "",
) -> Placement:
    """Place the phone order through checkout's place_order (channel "phone", the agent
    as the actor of its first event), then remove its cart. A repeated key answers the
    first order, as in the shop."""
    cart = phone_cart(actor=actor, cart_id=cart_id)
    placement = place_order(
        customer=cart.customer,
        cart=cart,
        address=address,
        payment_method=payment_method,
        idempotency_key=idempotency_key,
        note=note,
        actor=actor,
        channel=OrderChannel.PHONE,
    )
    if placement.created and not cart.lines.exists():
        discard_cart(cart=cart)
    return placement


def cancel_phone_order(*, actor, cart_id: int) -> None:
    """The call ended without an order: the cart goes."""
    discard_cart(cart=phone_cart(actor=actor, cart_id=cart_id))
