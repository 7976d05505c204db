"""Checkout and the shopper's orders over the API: /api/orders/.

The shopper is the browser session (ShopperAuth: a logged-in customer, or a guest with a
session cart); unsafe methods need the CSRF token. Another customer's order number is 404
everywhere, the same answer as a number that does not exist. Guests reach their order with
the token of the signed link placement gave them: /api/orders/guest/{token}.
"""

from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from mercato.aftersales.completion import confirm_receipt
from mercato.api.auth import shopper_auth, shopper_customer
from mercato.api.listing import page_of
from mercato.api.schemas import responses
from mercato.cart.models import Cart
from mercato.cart.selectors import find_cart
from mercato.checkout.placement import place_order, quote_checkout
from mercato.checkout.services import INVOICE_COMPANY, INVOICE_PERSONAL, validate_invoice
from mercato.core.errors import DomainError, NotFound, ValidationFailed
from mercato.core.http import client_ip
from mercato.customers.selectors import SavedAddress, address_fields
from mercato.customers.services import check_region, validate_cn_mobile
from mercato.inventory.selectors import reservations_for
from mercato.orders import selectors
from mercato.orders.links import guest_link_token
from mercato.orders.models import OrderStatus
from mercato.orders.services import DeliveryAddress, Invoice, cancel_order
from mercato.payments.selectors import refunds_for_order
from mercato.payments.services import start_payment

from .schemas import (
    CancelIn,
    OrderOut,
    OrderPageOut,
    PaymentActionOut,
    PlacedOut,
    PlaceIn,
    QuoteIn,
    QuoteOut,
)

router = Router(tags=["orders"], auth=shopper_auth)

PAGE_SIZE = 20
ADDRESS_FIELDS = ("recipient", "mobile", "province", "city", "district", "detail")
SERVICE_INVOICE_KIND = {"personal": INVOICE_PERSONAL, "company": INVOICE_COMPANY}


class LoginRequired(DomainError):
    code = "login_required"
    status = 401


class PageIn(Schema):
    page: int = 1


# Who and what ------------------------------------------------------------------------------
def _cart(request, customer) -> Cart:
    """The caller's cart as the storefront finds it; ValidationFailed when there is none."""
    cart = find_cart(customer=customer, session_key=request.session.session_key)
    if cart is None:
        raise ValidationFailed({"cart": [_("Your cart is empty.")]})
    return cart


def _prefixed(exc: ValidationFailed, prefix: str) -> ValidationFailed:
    return ValidationFailed({f"{prefix}.{k}": v for k, v in exc.field_errors.items()})


def _delivery_address(customer, payload: QuoteIn) -> DeliveryAddress:
    """The member's saved address `address_id`, or the `address` given, checked."""
    if payload.address_id is not None:
        address = (
            address_fields(customer_id=customer.pk, address_id=payload.address_id)
            if customer is not None
            else None
        )
        if address is None:  # another customer's address looks like no address at all
            raise NotFound(_("No such address."), field="address_id")
        return DeliveryAddress(**address)
    if payload.address is None:
        raise ValidationFailed({"address": [_("Give an address or an address_id.")]})
    data = payload.address.dict()
    try:
        check_region(province=data["province"], city=data["city"], district=data["district"])
        data["mobile"] = validate_cn_mobile(data["mobile"])
    except ValidationFailed as exc:
        raise _prefixed(exc, "address") from None
    return DeliveryAddress(**{k: data[k].strip() for k in ADDRESS_FIELDS})


def _placement_address(customer, payload: PlaceIn) -> DeliveryAddress | SavedAddress:
    """As _delivery_address, but a saved address by reference: place_order reads its fields
    with the cart's lock, in the same statement (one round trip fewer), and answers 404 on
    "address_id" as _delivery_address does when it is not the member's."""
    if payload.address_id is not None:
        if customer is None:  # a guest has no saved addresses
            raise NotFound(_("No such address."), field="address_id")
        return SavedAddress(customer_id=customer.pk, address_id=payload.address_id)
    return _delivery_address(customer, payload)


def _invoice(payload: PlaceIn) -> Invoice | None:
    if payload.invoice is None:
        return None
    try:
        cleaned = validate_invoice(
            kind=SERVICE_INVOICE_KIND[payload.invoice.kind],
            title=payload.invoice.title,
            tax_id=payload.invoice.tax_id,
        )
    except ValidationFailed as exc:
        raise _prefixed(exc, "invoice") from None
    return Invoice(type=payload.invoice.kind, title=cleaned["title"], tax_id=cleaned["tax_id"])


def _member_order(request, number: str):
    customer = shopper_customer(request)
    if customer is None:
        raise NotFound(_("No such order."), field="number")
    return selectors.order_for_customer(customer=customer, number=number)


# What goes out -----------------------------------------------------------------------------
def _line(line, line_total) -> dict:
    return {
        "sku_id": line.sku_id,
        "product_name": line.product_name,
        "sku_code": line.sku_code,
        "specs": line.specs,
        "unit_price": str(line.unit_price),
        "quantity": line.quantity,
        "line_total": str(line_total),
    }


def _summary(order) -> dict:
    return {
        "number": order.number,
        "status": order.status,
        # The choice's label directly: get_status_display() hashes every lazy label of
        # the field's choices at each call (0.1-0.2 ms of a placement's answer).
        "status_label": str(OrderStatus(order.status).label),
        "payment_method": order.payment_method,
        "total": str(order.total),
        "placed_at": order.placed_at,
        "paid_at": order.paid_at,
        "expires_at": order.expires_at,
    }


def _placed(request, order) -> dict:
    data = {
        **_summary(order),
        "lines_total": str(order.lines_total),
        "shipping_fee": str(order.shipping_fee),
        "discount_total": str(order.discount_total),
        "guest_link": None,
    }
    if order.customer_id is None:
        token = guest_link_token(number=order.number, guest_token=order.guest_token)
        data["guest_link"] = request.build_absolute_uri(
            reverse("storefront:guest_order", args=[token])
        )
        data["guest_token"] = token
    return data


def _parcels(order) -> list[dict]:
    parcels: dict[int, dict] = {}
    for r in reservations_for(reference=order.number):
        parcel = parcels.setdefault(
            r.warehouse_id,
            {"warehouse": r.warehouse.name, "warehouse_code": r.warehouse.code, "lines": []},
        )
        parcel["lines"].append({"sku_id": r.sku_id, "quantity": r.quantity})
    return list(parcels.values())


def _refunds(order) -> dict:
    found = refunds_for_order(order_id=order.pk)
    return {
        "refunds": [
            {
                "refund_no": r.refund_no,
                "amount": str(r.amount),
                "status": r.status,
                "status_label": str(r.get_status_display()),
                "requested_at": r.created_at,
                "refunded_at": r.succeeded_at,
            }
            for r in found.refunds
        ],
        "refunded_total": str(found.refunded_total),
        "payment_status_label": found.payment_label,
    }


def _order(request, order) -> dict:
    return {
        **_placed(request, order),
        "address": {k: getattr(order, k) for k in ADDRESS_FIELDS},
        "invoice": {
            "kind": order.invoice_type or None,
            "title": order.invoice_title,
            "tax_id": order.invoice_tax_id,
        },
        "note": order.note,
        "lines": [_line(line, line.line_total) for line in order.lines.all()],
        "parcels": _parcels(order),
        "events": [
            {
                "status": e.to_status,
                "from_status": e.from_status,
                "at": e.created_at,
                "reason": e.reason,
            }  # fmt: skip
            for e in order.events.all()
        ],
        **_refunds(order),
    }


def _action(payment, action) -> dict:
    return {
        "kind": action.kind,
        "amount": str(action.amount),
        "url": action.url,
        "fields": action.fields,
        "qr_payload": action.qr_payload,
        "message": str(action.message),
        "payment_number": getattr(payment, "number", None),
    }


def _pay(request, order) -> dict:
    payment, action = start_payment(
        order=order,
        client_ip=client_ip(request),
        base_url=request.build_absolute_uri("/"),
    )
    return _action(payment, action)


# Endpoints ---------------------------------------------------------------------------------
@router.post("/quote", response=responses(QuoteOut), summary="Price the cart for an address")
def quote(request, payload: QuoteIn):
    customer = shopper_customer(request)
    address = _delivery_address(customer, payload)
    result = quote_checkout(
        cart=_cart(request, customer),
        province=address.province,
        channel="api",
        coupon_code=payload.coupon_code,
        points=payload.points,
    )
    coupon = result.coupon
    return {
        "lines": [
            _line(line, total.line_total)
            for line, total in zip(result.lines, result.totals.lines, strict=True)
        ],
        "parcels": [
            {
                "warehouse": p.warehouse.name,
                "warehouse_code": p.warehouse.code,
                "lines": [{"sku_id": s, "quantity": q} for s, q in p.lines],
            }
            for p in result.parcels
        ],
        "weight_g": result.weight_g,
        "totals": {
            "lines_total": str(result.totals.lines_total),
            "shipping_fee": str(result.totals.shipping_fee),
            "discount_total": str(result.totals.discount_total),
            "total": str(result.totals.total),
        },
        "promotions": [
            {
                "id": p.id,
                "name": p.name,
                "discount": str(p.discount),
                "shipping_off": str(p.shipping_off),
            }
            for p in result.promotions
        ],
        "coupon": {
            "code": coupon.code,
            "name": coupon.name,
            "discount": str(coupon.discount),
            "shipping_off": str(coupon.shipping_off),
        }
        if coupon
        else None,
        "coupon_error": result.coupon_error,
        "points_used": result.points_used,
        "points_off": str(result.points_off),
        "points_usable": result.points_usable,
        "points_error": result.points_error,
    }


@router.post(
    "",
    response={200: PlacedOut, 201: PlacedOut, **responses(PlacedOut, 201)},
    summary="Place the cart's selected lines as an order",
)
def place(request, payload: PlaceIn):
    """201 with the new order; 200 with the same order when the idempotency key was used
    before. 409 when stock ran out (naming the SKUs), or on "coupon" when the coupon asked
    for cannot be used (the reason in the message); 422 on "expected_total" when the total
    changed since the customer saw it."""
    customer = shopper_customer(request)
    # No look-up of cart or key here: place_order finds both under the cart's row lock,
    # where a concurrent first request cannot slip between the look-up and the insert.
    placement = place_order(
        customer=customer,
        session_key=request.session.session_key,
        address=_placement_address(customer, payload),
        payment_method=payload.payment_method,
        idempotency_key=payload.idempotency_key,
        invoice=_invoice(payload),
        note=payload.note.strip(),
        expected_total=payload.expected_total,
        actor=request.auth if customer else None,
        channel="api",
        client_ip=request.META.get("REMOTE_ADDR", ""),
        coupon_code=payload.coupon_code,
        points=payload.points,
    )
    # A PlacedOut, not the dict: ninja validates a dict against the response model on every
    # placement only to dump the same values again (18 us of CPU; 5 us to dump an instance,
    # which ninja does without validating it, to the same body). Every value of _placed is
    # already of its field's type (str, datetime, None), which
    # test_the_placement_answer_is_what_validating_it_gives checks for a member and a guest.
    # The response model, and so the OpenAPI document, stay as declared.
    answer = PlacedOut.model_construct(**_placed(request, placement.order))
    return Status(201 if placement.created else 200, answer)


@router.get("", response=responses(OrderPageOut), summary="The member's orders, newest first")
def list_orders(request, params: Query[PageIn]):
    customer = shopper_customer(request)
    if customer is None:
        raise LoginRequired(_("Log in to see your orders."))
    return page_of(
        selectors.orders_for_customer(customer=customer), page=params.page, per_page=PAGE_SIZE,
        row=_summary,
    )  # fmt: skip


@router.get("/guest/{token}", response=responses(OrderOut), summary="A guest's order")
def guest_order(request, token: str):
    return _order(request, selectors.order_for_guest_link(token=token))


@router.post(
    "/guest/{token}/cancel", response=responses(OrderOut), summary="Cancel a guest's order"
)
def guest_cancel(request, token: str, payload: CancelIn):
    order = selectors.order_for_guest_link(token=token)
    cancel_order(
        order_id=order.pk,
        actor=None,
        reason=payload.reason.strip(),
        by_customer=True,
        guest_token=order.guest_token,
    )
    return _order(request, selectors.order_for_guest_link(token=token))


@router.post(
    "/guest/{token}/pay", response=responses(PaymentActionOut), summary="Pay a guest's order"
)
def guest_pay(request, token: str):
    return _pay(request, selectors.order_for_guest_link(token=token))


@router.get("/{number}", response=responses(OrderOut), summary="One of the member's orders")
def order_detail(request, number: str):
    return _order(request, _member_order(request, number))


@router.post("/{number}/cancel", response=responses(OrderOut), summary="Cancel before shipment")
def cancel(request, number: str, payload: CancelIn):
    order = _member_order(request, number)
    cancel_order(
        order_id=order.pk, actor=request.auth, reason=payload.reason.strip(), by_customer=True
    )
    return _order(request, _member_order(request, number))


@router.post(
    "/{number}/confirm-receipt",
    response=responses(OrderOut),
    summary="Confirm receipt (确认收货) of a delivered order",
)
def confirm_receipt_of(request, number: str):
    """The member's delivered order completes now and its points are credited; 409 when
    the order is not delivered, 404 for another customer's order."""
    order = _member_order(request, number)
    confirm_receipt(order_number=order.number, customer_id=order.customer_id, actor=request.auth)
    return _order(request, _member_order(request, number))


@router.post("/{number}/pay", response=responses(PaymentActionOut), summary="Start paying")
def pay(request, number: str):
    """What to do with the buyer's browser (payments.gateways.base.PaymentAction); 409 when
    the order is not waiting for payment."""
    return _pay(request, _member_order(request, number))
