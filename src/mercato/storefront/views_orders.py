"""The customer's orders: the list (members), one order, its pay page and cancellation; and
the same order pages behind a guest's signed link.

Another customer's order number and a forged or mangled guest link are 404, the same answer
as an order that does not exist, so numbers cannot be probed.
"""

import secrets
from collections import defaultdict
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from mercato.aftersales.completion import auto_complete_days, confirm_receipt
from mercato.aftersales.models import ReturnRequest
from mercato.core.errors import Conflict, DomainError, NotFound
from mercato.core.http import client_ip
from mercato.customers.points import money_for
from mercato.customers.selectors import points_spent_on
from mercato.fulfillment.models import Shipment
from mercato.inventory.models import Reservation
from mercato.inventory.selectors import reservations_for
from mercato.orders import selectors
from mercato.orders.links import read_guest_link_token
from mercato.orders.models import Order, OrderStatus
from mercato.orders.services import cancel_order
from mercato.orders.status import can_cancel
from mercato.payments.gateways import METHODS
from mercato.payments.selectors import refunds_for_order
from mercato.payments.services import start_payment
from mercato.promotions.selectors import coupon_use_of_order
from mercato.reviews.selectors import reviewed_line_ids
from mercato.reviews.services import RECEIVED

from .cartctx import request_customer
from .views_account import customer_required
from .views_checkout import guest_links, order_url, pay_url, remember_guest_order

ORDERS_PER_PAGE = 10
CANCEL_REASON_MAX = 200


# Reading -----------------------------------------------------------------------------------
def _member_order(request, number: str):
    try:
        return selectors.order_for_customer(customer=request.customer, number=number)
    except NotFound:
        raise Http404(_("No such order.")) from None


def _guest_order(token: str):
    try:
        return selectors.order_for_guest_link(token=token)
    except NotFound:
        raise Http404(_("No such order.")) from None


def parcels_of(order) -> list[dict]:
    """The order's parcels: its reservations grouped by warehouse, each with the lines as
    bought (name and specs from the order line of the SKU)."""
    lines = {line.sku_id: line for line in order.lines.all()}
    by_warehouse: dict[int, dict] = {}
    for reservation in reservations_for(reference=order.number):
        parcel = by_warehouse.setdefault(
            reservation.warehouse_id,
            {"warehouse": reservation.warehouse, "status": reservation.status, "lines": []},
        )
        parcel["lines"].append((lines.get(reservation.sku_id), reservation.quantity))
    return list(by_warehouse.values())


def _parcel_counts(numbers: list[str]) -> dict[str, int]:
    """How many warehouses ship each of these orders, in one query for the whole page."""
    rows = (
        Reservation.objects.filter(reference__in=numbers)
        .values("reference")
        .annotate(parcels=Count("warehouse", distinct=True))
    )
    counts: dict[str, int] = defaultdict(int)
    counts.update({row["reference"]: row["parcels"] for row in rows})
    return counts


def minutes_left(order) -> int | None:
    """Whole minutes until the payment deadline (0 when past), None without a deadline."""
    if order.status != OrderStatus.PENDING_PAYMENT or order.expires_at is None:
        return None
    seconds = (order.expires_at - timezone.now()).total_seconds()
    return max(int(seconds // 60), 0)


def _method_label(order) -> str:
    method = METHODS.get(order.payment_method)
    return str(method.label) if method else order.payment_method


def _review_lines(order, guest_token: str) -> list[tuple]:
    """(line, reviewed) for a member's received order (one query), else nothing."""
    if guest_token or not order.customer_id or order.status not in RECEIVED:
        return []
    reviewed = reviewed_line_ids(order_id=order.pk)
    return [(line, line.pk in reviewed) for line in order.lines.all() if line.product_id]


def _points_of(order) -> dict:
    """The points the order used as money off (积分抵扣), for the totals."""
    if order.customer_id is None:
        return {"points_spent": 0}
    spent = points_spent_on(order_number=order.number)
    return {"points_spent": spent, "points_off": money_for(spent)}


def _confirm_receipt_of(order, events, guest_token: str) -> dict:
    """确认收货 for a member's delivered order, and the day it completes by itself."""
    if guest_token or not order.customer_id or order.status != OrderStatus.DELIVERED:
        return {"confirm_url": ""}
    delivered = [e.created_at for e in events if e.to_status == OrderStatus.DELIVERED]
    return {
        "confirm_url": reverse("storefront:order_confirm_receipt", args=[order.number]),
        "auto_complete_on": (
            timezone.localtime(max(delivered) + timedelta(days=auto_complete_days()))
            if delivered
            else None
        ),
    }


def _order_page(request, order, *, guest_link: str = "", guest_token: str = ""):
    events = list(order.events.all())
    context = {
        "order": order,
        "lines": list(order.lines.all()),
        "events": events,
        "parcels": parcels_of(order),
        "method_label": _method_label(order),
        "refunds": refunds_for_order(order_id=order.pk),
        "minutes_left": minutes_left(order),
        "pay_url": pay_url(order) if order.status == OrderStatus.PENDING_PAYMENT else "",
        "can_cancel": can_cancel(order),
        "cancel_url": (
            reverse("storefront:guest_order_cancel", args=[guest_token])
            if guest_token
            else reverse("storefront:order_cancel", args=[order.number])
        ),
        "guest_link": guest_link,
        # Order processing: the parcels on their way, with the carrier's tracking.
        "shipments": list(
            Shipment.objects.filter(order=order, waybill_no__isnull=False)
            .select_related("carrier")
            .prefetch_related("tracking")
            .order_by("pk")
        ),
        "returns": list(ReturnRequest.objects.filter(order=order).order_by("created_at", "pk")),
        "can_return": bool(order.customer_id)
        and not guest_token
        and order.status in (OrderStatus.DELIVERED, OrderStatus.COMPLETED),
        "review_lines": _review_lines(order, guest_token),
        **_confirm_receipt_of(order, events, guest_token),
        "coupon_use": coupon_use_of_order(order_number=order.number),
        **_points_of(order),
    }
    return render(request, "storefront/orders/detail.html", context)


# Pages -------------------------------------------------------------------------------------
def _guest_orders(request) -> list:
    """The orders this browser placed as a guest, from the links kept in the session."""
    # One query for all of them; a link the secret key no longer signs is skipped.
    pairs = dict(filter(None, map(read_guest_link_token, guest_links(request).values())))
    candidates = Order.objects.filter(number__in=list(pairs), customer__isnull=True)
    return [
        order
        for order in candidates
        if order.guest_token and secrets.compare_digest(order.guest_token, pairs[order.number])
    ]


@require_GET
def orders(request):
    """A member's orders, page by page; a guest sees the orders kept in their session."""
    customer = request_customer(request)
    if customer is None:
        guest_orders = _guest_orders(request)
        if not guest_orders:
            return redirect_to_login(request.get_full_path(), reverse("storefront:login"))
        rows = [(order, None, order_url(order)) for order in guest_orders]
        return render(request, "storefront/orders/list.html", {"rows": rows, "guest": True})
    request.customer = customer
    page = Paginator(
        selectors.orders_for_customer(customer=request.customer), ORDERS_PER_PAGE
    ).get_page(request.GET.get("page"))
    counts = _parcel_counts([order.number for order in page.object_list])
    rows = [(order, counts[order.number], order_url(order)) for order in page.object_list]
    return render(request, "storefront/orders/list.html", {"page": page, "rows": rows})


@customer_required
@require_GET
def order_detail(request, number: str):
    return _order_page(request, _member_order(request, number))


@require_GET
def guest_order(request, token: str):
    order = _guest_order(token)
    # The guest's only way back: show the link they hold, as an absolute URL.
    link = request.build_absolute_uri(reverse("storefront:guest_order", args=[token]))
    remember_guest_order(request, order)
    return _order_page(request, order, guest_link=link, guest_token=token)


def _pay_page(request, order):
    """Open a payment attempt and show what the gateway wants the browser to do."""
    if order.status != OrderStatus.PENDING_PAYMENT:
        messages.info(request, _("This order is not waiting for payment."))
        return redirect(order_url(order))
    try:
        payment, action = start_payment(
            order=order,
            client_ip=client_ip(request),
            base_url=request.build_absolute_uri("/"),
        )
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect(order_url(order))
    except DomainError as exc:  # the gateway is down or not configured
        context = {
            "order": order,
            "error": exc.message,
            "method_label": _method_label(order),
            "order_url": order_url(order),
        }
        return render(request, "storefront/orders/pay.html", context, status=exc.status)
    context = {
        "order": order,
        "payment": payment,
        "action": action,
        "method_label": _method_label(order),
        "minutes_left": minutes_left(order),
        "order_url": order_url(order),
        # A guest who leaves before paying needs the link to come back: show it here too.
        "guest_link": "" if order.customer_id else request.build_absolute_uri(order_url(order)),
    }
    return render(request, "storefront/orders/pay.html", context)


@customer_required
@require_GET
def order_pay(request, number: str):
    return _pay_page(request, _member_order(request, number))


@require_GET
def guest_order_pay(request, token: str):
    return _pay_page(request, _guest_order(token))


@customer_required
@require_POST
def order_cancel(request, number: str):
    order = _member_order(request, number)
    reason = request.POST.get("reason", "").strip()[:CANCEL_REASON_MAX]
    try:
        cancel_order(order_id=order.pk, actor=request.user, reason=reason, by_customer=True)
    except NotFound:
        raise Http404(_("No such order.")) from None
    except DomainError as exc:  # shipped or ended meanwhile
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The order was cancelled."))
    return redirect(order_url(order))


@customer_required
@require_POST
def order_confirm_receipt(request, number: str):
    """确认收货: the member's delivered order completes (its points are credited)."""
    try:
        confirm_receipt(order_number=number, customer_id=request.customer.pk, actor=request.user)
    except NotFound:
        raise Http404(_("No such order.")) from None
    except DomainError as exc:  # not delivered, or completed meanwhile
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Thank you: the order is complete, its points are credited."))
    return redirect("storefront:order_detail", number=number)


@require_POST
def guest_order_cancel(request, token: str):
    """A guest cancels through the signed link they hold, like a member from the account."""
    order = _guest_order(token)
    reason = request.POST.get("reason", "").strip()[:CANCEL_REASON_MAX]
    try:
        cancel_order(
            order_id=order.pk,
            actor=None,
            reason=reason,
            by_customer=True,
            guest_token=order.guest_token,
        )
    except DomainError as exc:  # shipped or ended meanwhile
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The order was cancelled."))
    return redirect("storefront:guest_order", token=token)
