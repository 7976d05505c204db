"""Flash sales (秒杀) over the API: /api/flash/.

The buy endpoint is the shop's gate (checkout.flash_buy.buy_flash_item): a logged-in
customer (the session, CSRF as every unsafe call), rate limits per IP and per account, the
token of the sale's page (`GET /api/flash/{sale_id}/token`, handed out from a minute before
the start), the sold-out flag from Redis, then the order. Answers are the shop's JSON.
A sold-out item, or a sale not running, is answered before the session and the user are
loaded (`buy_early`, core.middleware.EarlyAnswerMiddleware).
"""

import json

from django.http import JsonResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from mercato.api.auth import shopper_auth
from mercato.api.schemas import ErrorOut
from mercato.checkout.flash_buy import buy_flash_item, early_answer, login_required
from mercato.core.errors import NotFound
from mercato.core.middleware import answers_early
from mercato.promotions import flash, selectors

router = Router(tags=["flash sales"], auth=shopper_auth)


class BuyIn(Schema):
    token: str
    quantity: int = 1
    key: str = ""


class AnswerOut(Schema):
    ok: bool
    order: str | None = None
    total: str | None = None
    expires_at: str | None = None
    pay_url: str | None = None
    code: str | None = None
    message: str | None = None


class TokenOut(Schema):
    token: str


ANSWERS = {200: AnswerOut, 201: AnswerOut, frozenset({401, 403, 409, 410, 422, 429}): AnswerOut}


def _user_id(request) -> int | None:
    return request.user.pk if request.user.is_authenticated else None


@router.get(
    "/{sale_id}/token",
    summary="The buy token of a flash sale's page",
    response={200: TokenOut, 401: AnswerOut, 404: ErrorOut},
)
def token(request, sale_id: int):
    """`{"token": ...}` from a minute before the start ("" before); 401 when not logged in."""
    user_id = _user_id(request)
    if user_id is None:
        answer = login_required()
        return Status(answer.status, answer.body)
    sale = selectors.flash_sale_with_items(sale_id=sale_id)
    if sale is None:
        raise NotFound(_("No such flash sale."), field="sale_id")
    return {"token": flash.issue_token(sale=sale, user_id=user_id)}


@router.post(
    "/items/{item_id}/buy",
    summary="Buy a flash sale item (秒杀)",
    response=ANSWERS,
    url_name="flash_buy",
)
def buy(request, item_id: int, payload: BuyIn):
    """201 `{"ok": true, "order", "total", "expires_at", "pay_url"}` (200 for a repeated
    `key`); otherwise `{"ok": false, "code", "message"}`: sold_out or limit_reached or
    not_started 409, ended 410, token_invalid 403, too_many_requests 429, login_required
    401, no_address 422."""
    answer = buy_flash_item(
        request,
        item_id=item_id,
        user_id=_user_id(request),
        token=payload.token,
        quantity=payload.quantity,
        key=payload.key,
    )
    return Status(answer.status, answer.body)


@answers_early("api:flash_buy")
def buy_early(request, item_id: str):
    """buy's refusals that need no session (checkout.flash_buy.early_answer), in the
    same shape (AnswerOut); a body that is not BuyIn goes on to the API's 422."""
    try:
        payload = BuyIn.model_validate(json.loads(request.body))
        item = int(item_id)
    except ValueError:  # ValidationError and JSONDecodeError are ValueErrors
        return None
    answer = early_answer(request, item_id=item, token=payload.token)
    if answer is None:
        return None
    return JsonResponse(AnswerOut(**answer.body).model_dump(), status=answer.status)
