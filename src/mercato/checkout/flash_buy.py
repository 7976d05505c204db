"""The flash-sale buy step (秒杀抢购) behind both doors: the shop's endpoint
(storefront/views_flash.py, form fields) and the API's (`POST /api/flash/items/{id}/buy`,
JSON). One gate for both, in this order: logged in, the rate limits per IP and per account
(MERCATO_FLASH_RATE_LIMITS), the page's token, the sold-out flag (Redis; no database query),
the customer's default address, then the order (checkout.flash.place_flash_order).

`early_answer` is the part of that gate both doors run first, before the session, the user
and the rest of the middleware (core.middleware.EarlyAnswerMiddleware): when the item is
sold out or the token's sale is not running, it counts the rate limits and answers, with
nothing a visitor of the public sale page could not see. Every other request goes on to
`buy_flash_item`, which counts it then.

Every outcome is an `Answer`: the HTTP status and the JSON body
(`{"ok": true, "order", "total", "expires_at", "pay_url"}` or `{"ok": false, "code",
"message"}`).
"""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.urls import reverse
from django.utils.translation import gettext as _

from mercato.core.errors import DomainError, ValidationFailed
from mercato.core.http import client_ip
from mercato.core.logging import expected_refusal
from mercato.core.ratelimits import OnOutage, over_limit
from mercato.customers.selectors import ADDRESS_FIELDS, addresses_of
from mercato.orders.services import COD, DeliveryAddress
from mercato.payments.gateways import enabled_methods
from mercato.promotions import flash

from .flash import FlashBuy, place_flash_order

STATUS = {
    flash.SOLD_OUT: 409,
    flash.LIMIT_REACHED: 409,
    flash.NOT_STARTED: 409,
    flash.ENDED: 410,
    flash.TOKEN_INVALID: 403,
    flash.TOO_MANY: 429,
}


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict


def refusal(status: int, code: str, message: str) -> Answer:
    return Answer(status, {"ok": False, "code": code, "message": message})


def login_required() -> Answer:
    return refusal(401, "login_required", _("Log in to take part in flash sales."))


def _refused(exc: flash.FlashRefused) -> Answer:
    return refusal(STATUS.get(exc.code, 409), exc.code, exc.message)


# What the sale answers its crowd as a matter of course: not a warning in the log.
EXPECTED = {flash.SOLD_OUT, flash.LIMIT_REACHED, flash.NOT_STARTED, flash.ENDED}


def _answered(request, answer: Answer) -> Answer:
    if answer.body.get("code") in EXPECTED:
        expected_refusal(request)
    return answer


def _rate_limited(request, user_id: int | None) -> bool:
    """Per IP, and per account when the account is known; counted in the database while
    the cache is away."""
    rates = settings.MERCATO_FLASH_RATE_LIMITS
    limits = [("flash-buy-ip", lambda _g, r: client_ip(r), rates["per_ip"])]
    if user_id is not None:
        limits.append(("flash-buy-account", lambda _g, _r: str(user_id), rates["per_account"]))
    # A list, not any(): both limits count this request even when the first is over.
    over = [
        over_limit(request, group=group, key=key, rate=rate, on_outage=OnOutage.DATABASE)
        for group, key, rate in limits
    ]
    return any(over)


def _online_method() -> str:
    return next((m.code for m in enabled_methods() if m.code != COD), "")


def _customer(request):
    try:
        user = request.user
        return user.customer if user.is_authenticated else None
    except ObjectDoesNotExist:
        return None


def early_answer(request, *, item_id: int, token: str) -> Answer | None:
    """The refusal for a request on a sold-out item (Redis's flag) or with a token whose
    sale is not running, without the session or the user: the rate limits counted (per
    account: the customer the signed token was given to), then 429 or the refusal. None
    for every other request, counted by buy_flash_item instead.

    Sold out, not started and ended are what the public sale page shows, so they are
    answered whoever asks, before the log-in and the token's owner are checked."""
    try:
        window = flash.read_token(token)
    except flash.FlashRefused:
        window = None
    try:
        if window is not None:
            flash.check_window(window)
        if not flash.sold_out(item_id):
            return None
        raise flash.refused(flash.SOLD_OUT)
    except flash.FlashRefused as exc:
        reason = exc
    if _rate_limited(request, window.user_id if window else None):
        return _refused(flash.refused(flash.TOO_MANY))
    return _answered(request, _refused(reason))


def buy_flash_item(
    request, *, item_id: int, user_id: int | None, token: str, quantity, key: str = ""
) -> Answer:
    """Buy `quantity` (default 1) units of a flash sale item for the logged-in `user_id`
    with the page's `token`; `key` makes a repeated request answer the first order."""
    answer = _buy(
        request, item_id=item_id, user_id=user_id, token=token, quantity=quantity, key=key
    )
    return _answered(request, answer)


def _buy(request, *, item_id: int, user_id: int | None, token: str, quantity, key: str) -> Answer:
    if user_id is None:
        return login_required()
    if _rate_limited(request, user_id):
        return _refused(flash.refused(flash.TOO_MANY))
    try:
        window = flash.check_token(token or "", user_id=user_id)
    except flash.FlashRefused as exc:
        return _refused(exc)
    if flash.sold_out(item_id):  # from Redis: no database query
        return _refused(flash.refused(flash.SOLD_OUT))
    customer = _customer(request)
    if customer is None:
        return login_required()
    address = addresses_of(customer=customer).first()
    if address is None:
        return refusal(
            422, "no_address", _("Add a delivery address in your account before the sale.")
        )
    try:
        units = int(quantity if quantity not in (None, "") else 1)
    except (TypeError, ValueError):
        units = 0
    buy = FlashBuy(
        item_id=item_id,
        quantity=units,
        address=DeliveryAddress(**{k: getattr(address, k) for k in ADDRESS_FIELDS}),
        payment_method=_online_method(),
        idempotency_key=(key or uuid.uuid4().hex)[:64],
        client_ip=client_ip(request),
    )
    try:
        placement = place_flash_order(customer=customer, buy=buy, sale_id=window.sale_id)
    except flash.FlashRefused as exc:
        return _refused(exc)
    except ValidationFailed as exc:
        messages = [m for errors in exc.field_errors.values() for m in errors]
        return refusal(422, "invalid", " ".join(str(m) for m in messages))
    except DomainError as exc:
        return refusal(exc.status, exc.code, exc.message)
    order = placement.order
    return Answer(
        201 if placement.created else 200,
        {
            "ok": True,
            "order": order.number,
            "total": str(order.total),
            "expires_at": order.expires_at.isoformat() if order.expires_at else None,
            "pay_url": reverse("storefront:order_pay", args=[order.number]),
        },
    )
