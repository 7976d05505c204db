"""The shopper's cart over the API: /api/cart/.

The same cart as the shop's pages (a member's own, or the guest cart of the session), the
same services and the same re-check of prices and stock on every read. Unsafe methods need
the CSRF token (ShopperAuth). A line of another cart is a 404.
"""

from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Router, Status

from mercato.api.auth import shopper_auth, shopper_cart
from mercato.api.schemas import PathId, responses
from mercato.cart import services
from mercato.cart.selectors import cart_summary
from mercato.core.errors import DomainError, ValidationFailed

from .schemas import CartOut, LineIn, LinePatch

router = Router(tags=["cart"], auth=shopper_auth)


def _notices(views) -> list[dict]:
    notices = []
    for v in views:
        name = v.line.sku.product.name
        if v.price_changed:
            message = _("%(item)s: the price changed from %(old)s to %(new)s.") % {
                "item": name,
                "old": v.old_price,
                "new": v.unit_price,
            }
            notices.append({"kind": "price_changed", "line_id": v.line.pk, "message": message})
        if not v.on_sale:
            message = _("%(item)s is no longer on sale.") % {"item": name}
            notices.append({"kind": "off_shelf", "line_id": v.line.pk, "message": message})
        elif v.insufficient:
            message = _("%(item)s: only %(n)d in stock.") % {"item": name, "n": v.available}
            notices.append({"kind": "insufficient_stock", "line_id": v.line.pk, "message": message})
    return notices


def cart_out(cart) -> dict:
    """The cart re-checked against current prices and stock (three queries)."""
    if cart is None:
        return {"lines": [], "selected_count": 0, "total": "0.00", "notices": []}
    summary = cart_summary(cart=cart)
    lines = [
        {
            "id": v.line.pk,
            "sku_id": v.line.sku_id,
            "sku_code": v.line.sku.code,
            "product_name": v.line.sku.product.name,
            "specs": {k: str(val) for k, val in v.line.sku.specs.items()},
            "quantity": v.line.quantity,
            "selected": v.line.selected,
            "unit_price": v.unit_price,
            "price_changed": v.price_changed,
            "old_price": v.old_price,
            "on_sale": v.on_sale,
            "available": v.available,
            "insufficient": v.insufficient,
            "subtotal": v.subtotal,
        }
        for v in summary.lines
    ]
    return {
        "lines": lines,
        "selected_count": summary.selected_count,
        "total": summary.total,
        "notices": _notices(summary.lines),
    }


def _own_cart(request, line_id: int):
    """The request's cart if `line_id` is one of its lines, else 404 (checked before any
    change, so a bad value sent for another cart's line reveals nothing about it)."""
    cart = shopper_cart(request)
    if cart is None or not cart.lines.filter(pk=line_id).exists():
        raise Http404
    return cart


@router.get("", response=responses(CartOut), summary="The cart, re-checked")
def get_cart(request):
    return cart_out(shopper_cart(request))


@router.post("/lines", response=responses(CartOut, 201), summary="Add a SKU to the cart")
def add_line(request, payload: LineIn):
    try:
        # A guest's first add creates the cart; a refused add leaves no empty cart behind.
        with transaction.atomic():
            cart = shopper_cart(request, create=True)
            services.add_to_cart(cart=cart, sku_id=payload.sku_id, quantity=payload.quantity)
    except DomainError as exc:
        if exc.field == "sku":
            exc.field = "sku_id"  # the name the client sent
        raise
    return Status(201, cart_out(cart))


@router.patch(
    "/lines/{line_id}",
    response=responses(CartOut),
    summary="Change a line's quantity or selection",
)
def change_line(request, line_id: PathId, payload: LinePatch):
    cart = _own_cart(request, line_id)
    fields = payload.model_dump(exclude_unset=True)
    if not fields or None in fields.values():
        raise ValidationFailed({"body": [_("Send quantity, selected or both.")]})
    with transaction.atomic():  # both or neither
        if "quantity" in fields:
            services.change_quantity(cart=cart, line_id=line_id, quantity=fields["quantity"])
        if "selected" in fields:
            services.select_lines(cart=cart, line_ids=[line_id], selected=fields["selected"])
    return cart_out(cart)


@router.delete("/lines/{line_id}", response=responses(CartOut), summary="Remove a line")
def delete_line(request, line_id: PathId):
    cart = _own_cart(request, line_id)
    services.remove_line(cart=cart, line_id=line_id)
    return cart_out(cart)


@router.post(
    "/acknowledge-prices",
    response=responses(CartOut),
    summary="The shopper saw the current prices",
)
def acknowledge_prices(request):
    cart = shopper_cart(request)
    if cart is not None:
        services.acknowledge_prices(cart=cart)
    return cart_out(cart)
