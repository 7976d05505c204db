"""Flash sales (秒杀) in the shop: the countdown page and the buy endpoint.

The page shows the server's time and counts down in the browser; from a minute before the
start it fetches the buy token (promotions.flash.issue_token, bound to the customer and the
sale) and enables the button at the start. The buy endpoint answers JSON. Its refusals
before the order — rate limits, the token, sold out — need no database query when the
cache is Redis: the user comes from the session (cached), the rate counts and the sold-out
flag from Redis.
"""

import uuid

from django.contrib.auth import SESSION_KEY
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from mercato.checkout.flash import FlashBuy, place_flash_order
from mercato.core.errors import DomainError, ValidationFailed
from mercato.core.http import client_ip
from mercato.core.ratelimits import OnOutage, over_limit
from mercato.customers.selectors import addresses_of
from mercato.orders.services import COD, DeliveryAddress
from mercato.payments.gateways import enabled_methods
from mercato.promotions import flash, selectors

from .cartctx import request_customer


def _session_user_id(request) -> int | None:
    """The logged-in user's id from the session, without loading the user (no query)."""
    value = request.session.get(SESSION_KEY)
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


@require_GET
def flash_page(request, sale_id: int):
    sale = selectors.flash_sale_with_items(sale_id=sale_id)
    if sale is None:
        raise Http404
    now = timezone.now()
    user_id = _session_user_id(request)
    items = [{"item": item, "left": max(item.quantity - item.sold, 0)} for item in sale.items.all()]
    context = {
        "sale": sale,
        "items": items,
        "server_ms": int(now.timestamp() * 1000),
        "starts_ms": int(sale.starts_at.timestamp() * 1000),
        "ends_ms": int(sale.ends_at.timestamp() * 1000),
        "token": flash.issue_token(sale=sale, user_id=user_id, now=now) if user_id else "",
        "logged_in": user_id is not None,
        "early_seconds": flash.TOKEN_EARLY_SECONDS,
    }
    return render(request, "storefront/flash/sale.html", context)


@require_GET
def flash_token(request, sale_id: int):
    """The buy token, from a minute before the start ("" before that)."""
    user_id = _session_user_id(request)
    if user_id is None:
        return _answer(401, "login_required", _("Log in to take part in flash sales."))
    sale = selectors.flash_sale_with_items(sale_id=sale_id)
    if sale is None:
        raise Http404
    return JsonResponse({"token": flash.issue_token(sale=sale, user_id=user_id)})


STATUS = {
    flash.SOLD_OUT: 409,
    flash.LIMIT_REACHED: 409,
    flash.NOT_STARTED: 409,
    flash.ENDED: 410,
    flash.TOKEN_INVALID: 403,
    flash.TOO_MANY: 429,
}


def _answer(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"ok": False, "code": code, "message": message}, status=status)


def _refused(exc: flash.FlashRefused) -> JsonResponse:
    return _answer(STATUS.get(exc.code, 409), exc.code, exc.message)


def _rate_limited(request, user_id: int) -> bool:
    """Per IP and per account (MERCATO_FLASH_RATE_LIMITS); counted in the database while
    the cache is away (core.ratelimits)."""
    from django.conf import settings

    rates = settings.MERCATO_FLASH_RATE_LIMITS
    by_ip = over_limit(
        request,
        group="flash-buy-ip",
        key=lambda _g, r: client_ip(r),
        rate=rates["per_ip"],
        on_outage=OnOutage.DATABASE,
    )
    by_account = over_limit(
        request,
        group="flash-buy-account",
        key=lambda _g, _r: str(user_id),
        rate=rates["per_account"],
        on_outage=OnOutage.DATABASE,
    )
    return by_ip or by_account


def _online_method() -> str:
    return next((m.code for m in enabled_methods() if m.code != COD), "")


@require_POST
def flash_buy(request, item_id: int):
    """Buy one unit (or `quantity`) of a flash sale item: JSON in every case."""
    user_id = _session_user_id(request)
    if user_id is None:
        return _answer(401, "login_required", _("Log in to take part in flash sales."))
    if _rate_limited(request, user_id):
        return _refused(flash.refused(flash.TOO_MANY))
    try:
        window = flash.check_token(request.POST.get("token", ""), user_id=user_id)
    except flash.FlashRefused as exc:
        return _refused(exc)
    if flash.sold_out(item_id):  # from Redis: no database query
        return _refused(flash.refused(flash.SOLD_OUT))
    try:
        customer = request_customer(request)
    except ObjectDoesNotExist:
        customer = None
    if customer is None:
        return _answer(401, "login_required", _("Log in to take part in flash sales."))
    address = addresses_of(customer=customer).first()
    if address is None:
        return _answer(
            422, "no_address", _("Add a delivery address in your account before the sale.")
        )
    try:
        quantity = int(request.POST.get("quantity", "1"))
    except ValueError:
        quantity = 0
    buy = FlashBuy(
        item_id=item_id,
        quantity=quantity,
        address=DeliveryAddress(
            recipient=address.recipient,
            mobile=address.mobile,
            province=address.province,
            city=address.city,
            district=address.district,
            detail=address.detail,
        ),
        payment_method=_online_method(),
        idempotency_key=(request.POST.get("key") or uuid.uuid4().hex)[:64],
        client_ip=client_ip(request),
    )
    try:
        placement = place_flash_order(customer=customer, buy=buy, sale_id=window.sale_id)
    except flash.FlashRefused as exc:
        return _refused(exc)
    except ValidationFailed as exc:
        messages = [m for errors in exc.field_errors.values() for m in errors]
        return _answer(422, "invalid", " ".join(messages))
    except DomainError as exc:
        return _answer(exc.status, exc.code, exc.message)
    order = placement.order
    return JsonResponse(
        {
            "ok": True,
            "order": order.number,
            "total": str(order.total),
            "expires_at": order.expires_at.isoformat() if order.expires_at else None,
            "pay_url": reverse("storefront:order_pay", args=[order.number]),
        },
        status=201 if placement.created else 200,
    )
