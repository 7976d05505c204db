"""Flash sales (秒杀) in the shop: the countdown page and the buy endpoint.

The page shows the server's time and counts down in the browser; from a minute before the
start it fetches the buy token (promotions.flash.issue_token, bound to the customer and the
sale) and enables the button at the start. The buy endpoint answers JSON. Its refusals
before the order — rate limits, the token, sold out — need no database query when the
cache is Redis: the user comes from the session (cached), the rate counts and the sold-out
flag from Redis.
"""

from django.contrib.auth import SESSION_KEY
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from mercato.checkout.flash_buy import buy_flash_item, early_answer, login_required
from mercato.core.middleware import answers_early
from mercato.promotions import flash, selectors


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
        answer = login_required()
        return JsonResponse(answer.body, status=answer.status)
    sale = selectors.flash_sale_with_items(sale_id=sale_id)
    if sale is None:
        raise Http404
    return JsonResponse({"token": flash.issue_token(sale=sale, user_id=user_id)})


@require_POST
def flash_buy(request, item_id: int):
    """Buy one unit (or `quantity`) of a flash sale item: JSON in every case
    (checkout.flash_buy: the same gate as the API's)."""
    answer = buy_flash_item(
        request,
        item_id=item_id,
        user_id=_session_user_id(request),
        token=request.POST.get("token", ""),
        quantity=request.POST.get("quantity", "1"),
        key=request.POST.get("key", ""),
    )
    return JsonResponse(answer.body, status=answer.status)


@answers_early("storefront:flash_buy")
def flash_buy_early(request, item_id: int):
    """flash_buy's refusals that need no session (checkout.flash_buy.early_answer)."""
    answer = early_answer(request, item_id=item_id, token=request.POST.get("token", ""))
    return JsonResponse(answer.body, status=answer.status) if answer else None
