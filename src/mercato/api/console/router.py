"""The order console over the staff API: /api/staff/orders (search, one order, actions,
export) and /api/staff/phone-orders. The same reads (fulfillment.console) and services
as the back office; personal data masked without `core.view_full_phone`."""

import tempfile
from datetime import date

from django.http import FileResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from mercato.api.auth import staff_auth
from mercato.api.schemas import Text, responses
from mercato.checkout import phone
from mercato.core import masking
from mercato.core.errors import NotFound, PermissionDeniedError, ValidationFailed
from mercato.core.pagination import COUNT_CAP, CappedPaginator
from mercato.core.permissions import require_perm
from mercato.fulfillment import console, exports
from mercato.orders import actions
from mercato.orders.models import Order
from mercato.orders.services import DeliveryAddress, cancel_order

from .schemas import (
    AddressChangeIn,
    NoteIn,
    OptionalReasonIn,
    OrderDetailOut,
    OrderListOut,
    PhoneOrderIn,
    PlacedOut,
    ReasonIn,
)

router = Router(tags=["order console"], auth=staff_auth)
VIEW = "orders.view_order"


class OrderFilterIn(Schema):
    q: Text = Field("", max_length=60, description="Order number, mobile, waybill or recipient")
    status: str = ""
    payment_method: str = ""
    warehouse: int | None = None
    channel: str = ""
    on_hold: str = Field("", description="yes or no")
    placed_from: date | None = None
    placed_to: date | None = None


def _filtered(filters: OrderFilterIn):
    data = {k: v for k, v in filters.dict().items() if v not in (None, "")}
    order_filter = console.console_orders(data)
    if not order_filter.is_valid():
        raise ValidationFailed(
            {name: [str(m) for m in msgs] for name, msgs in order_filter.errors.items()}
        )
    return order_filter.qs


def _personal(user, order) -> dict:
    return {
        "recipient": masking.name_for(user, order.recipient),
        "mobile": masking.phone_for(user, order.mobile),
        "detail": masking.address_for(user, order.detail),
    }


def _row(user, order) -> dict:
    return {
        "number": order.number,
        "status": order.status,
        "status_label": str(order.get_status_display()),
        "payment_method": order.payment_method,
        "channel": order.channel,
        "total": order.total,
        "province": order.province,
        "city": order.city,
        "district": order.district,
        "placed_at": order.placed_at,
        "paid_at": order.paid_at,
        "on_hold": order.on_hold,
        **_personal(user, order),
    }


@router.get("/orders", response=responses(OrderListOut), summary="Search orders")
def list_orders(request, filters: Query[OrderFilterIn], page: int = Query(1, ge=1, le=10_000)):
    require_perm(request.auth, VIEW)
    paginator = CappedPaginator(_filtered(filters), console.PAGE_SIZE)
    current = paginator.get_page(page)
    return {
        "count": min(paginator.count, COUNT_CAP),
        "more_than": paginator.capped,
        "page": current.number,
        "pages": paginator.num_pages,
        "results": [_row(request.auth, o) for o in current.object_list],
    }


@router.get("/orders/export", summary="Export the filtered orders as CSV or XLSX")
def export(request, filters: Query[OrderFilterIn], format: str = Query("csv")):  # noqa: A002
    if format not in exports.FORMATS:
        raise ValidationFailed({"format": ["Choose csv or xlsx."]})
    queryset = _filtered(filters)
    out = tempfile.TemporaryFile()
    try:
        exports.export_orders(actor=request.auth, queryset=queryset, file=out, fmt=format)
    except Exception:
        out.close()
        raise
    out.seek(0)
    return FileResponse(
        out, as_attachment=True, filename=f"orders-{timezone.localtime():%Y%m%d-%H%M}.{format}"
    )


def _detail(user, number: str) -> dict:
    require_perm(user, VIEW)
    page = console.order_page(number=number)
    order = page.order
    return {
        **_row(user, order),
        "detail": _personal(user, order)["detail"],
        "hold_reason": order.hold_reason,
        "note": order.note,
        "lines_total": order.lines_total,
        "shipping_fee": order.shipping_fee,
        "discount_total": order.discount_total,
        "lines": [
            {
                "id": ln.pk,
                "sku_code": ln.sku_code,
                "product_name": ln.product_name,
                "specs": ln.specs,
                "unit_price": ln.unit_price,
                "quantity": ln.quantity,
                "line_total": ln.line_total,
                "discount_share": ln.discount_share,
            }
            for ln in page.lines
        ],
        "parcels": [
            {
                "number": s.number,
                "status": s.status,
                "warehouse": s.warehouse.code,
                "carrier": s.carrier.code if s.carrier else None,
                "waybill_no": s.waybill_no,
                "promised_by": s.promised_by,
                "cod_amount": s.cod_amount,
                "weight_g": s.weight_g,
                "lines": [
                    {"sku_code": ln.sku.code, "quantity": ln.quantity, "packed": ln.packed}
                    for ln in s.lines.all()
                ],
                "tracking": [
                    {
                        "at": t.occurred_at,
                        "code": t.code,
                        "location": t.location,
                        "description": t.description,
                    }
                    for t in s.tracking.all()
                ],
            }
            for s in page.shipments
        ],
        "payments": [
            {
                "number": p.number,
                "method": p.method,
                "amount": p.amount,
                "status": p.status,
                "paid_at": p.paid_at,
                "refunds": [
                    {"refund_no": r.refund_no, "amount": r.amount, "status": r.status}
                    for r in p.refunds.all()
                ],
            }
            for p in page.payments
        ],
        "events": [
            {
                "at": e.created_at,
                "kind": e.kind,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "by": str(e.actor) if e.actor else None,
                "reason": masking.text_for(user, e.reason),
            }
            for e in page.events
        ],
        "notes": [
            {
                "at": n.created_at,
                "by": str(n.author) if n.author else None,
                "text": masking.text_for(user, n.text),
            }
            for n in page.notes
        ],
        "review": page.review
        and {
            "outcome": page.review.outcome,
            "reasons": page.review.reasons,
            "findings": page.review.findings,
        },
    }


def _order(number: str) -> Order:
    order = Order.objects.filter(number=number).only("pk", "number").first()
    if order is None:
        raise NotFound("No such order.", field="number")
    return order


@router.get("/orders/{number}", response=responses(OrderDetailOut), summary="One order")
def get_order(request, number: str):
    return _detail(request.auth, number)


@router.post(
    "/orders/{number}/cancel", response=responses(OrderDetailOut), summary="Cancel with a reason"
)
def cancel(request, number: str, payload: ReasonIn):
    order = _order(number)
    cancel_order(order_id=order.pk, actor=request.auth, reason=payload.reason, by_customer=False)
    return _detail(request.auth, number)


@router.post(
    "/orders/{number}/address",
    response=responses(OrderDetailOut),
    summary="Change the delivery address or phone before shipment",
)
def change_address(request, number: str, payload: AddressChangeIn):
    if not request.auth.has_perm("core.view_full_phone"):
        raise PermissionDeniedError("Permission required: core.view_full_phone")
    order = _order(number)
    data = payload.dict()
    actions.change_delivery(
        order_id=order.pk,
        actor=request.auth,
        address=DeliveryAddress(**{k: data[k] for k in actions.ADDRESS_FIELDS}),
        confirmation=data["confirmation"],
    )
    return _detail(request.auth, number)


@router.post("/orders/{number}/hold", response=responses(OrderDetailOut), summary="Hold")
def hold(request, number: str, payload: ReasonIn):
    actions.hold_order(order_id=_order(number).pk, actor=request.auth, reason=payload.reason)
    return _detail(request.auth, number)


@router.post("/orders/{number}/release", response=responses(OrderDetailOut), summary="Release")
def release(request, number: str, payload: OptionalReasonIn):
    actions.release_hold(order_id=_order(number).pk, actor=request.auth, reason=payload.reason)
    return _detail(request.auth, number)


@router.post("/orders/{number}/notes", response=responses(OrderDetailOut, 201), summary="Note")
def add_note(request, number: str, payload: NoteIn):
    actions.add_note(order_id=_order(number).pk, actor=request.auth, text=payload.text)
    return Status(201, _detail(request.auth, number))


@router.post(
    "/orders/{number}/payment-link",
    response=responses(OrderDetailOut),
    summary="Send an unpaid order's payment link again by SMS",
)
def payment_link(request, number: str):
    from django.urls import reverse

    from mercato.orders.links import guest_link_token

    order = Order.objects.filter(number=number).first()
    if order is None:
        raise NotFound("No such order.", field="number")
    if order.customer_id:
        path = reverse("storefront:order_pay", args=[order.number])
    else:
        token = guest_link_token(number=order.number, guest_token=order.guest_token)
        path = reverse("storefront:guest_order_pay", args=[token])
    actions.send_payment_link(
        order_id=order.pk, actor=request.auth, link=request.build_absolute_uri(path)
    )
    return _detail(request.auth, number)


@router.post(
    "/phone-orders",
    response=responses(PlacedOut, 201),
    summary="Place an order taken by phone for a customer",
)
def place_phone_order(request, payload: PhoneOrderIn):
    """Finds (or creates) the caller's account by mobile, puts the lines in a phone-order
    cart and places it through checkout; the same key again answers the first order
    (201 with created=false)."""
    cart = phone.start_phone_order(actor=request.auth, mobile=payload.mobile, name=payload.name)
    placement = None
    try:
        for i, line in enumerate(payload.lines):
            try:
                phone.add_phone_order_line(
                    actor=request.auth,
                    cart_id=cart.pk,
                    sku_code=line.sku_code,
                    quantity=line.quantity,
                )
            except ValidationFailed as exc:
                raise ValidationFailed(
                    {f"lines.{i}.{k}": v for k, v in exc.field_errors.items()}
                ) from None
        try:
            placement = phone.place_phone_order(
                actor=request.auth,
                cart_id=cart.pk,
                address=DeliveryAddress(**payload.address.dict()),
                payment_method=payload.payment_method,
                idempotency_key=payload.idempotency_key,
                note=payload.note,
            )
        except ValidationFailed as exc:
            raise ValidationFailed(
                {
                    f"address.{k}" if k in actions.ADDRESS_FIELDS else k: v
                    for k, v in exc.field_errors.items()
                }
            ) from None
    finally:
        if placement is None or not placement.created:
            phone.cancel_phone_order(actor=request.auth, cart_id=cart.pk)
    order = placement.order
    return Status(
        201,
        {
            "number": order.number,
            "created": placement.created,
            "status": order.status,
            "total": order.total,
        },
    )
