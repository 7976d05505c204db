"""Gateway notices, the return page and the sandbox approve/decline page, under /payments/.

The notify endpoint hands the raw body and headers to handle_notice and answers exactly
what the gateway expects. The return page never marks anything paid from what the
browser brings: it shows the payment's state and, while waiting, asks the gateway.
"""

from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited

from mercato.core.errors import NotFound
from mercato.orders.links import guest_link_token, session_holds_guest_order

from .gateways import GATEWAYS, conf, enabled_methods, get_gateway
from .gateways.base import GatewayNotConfigured
from .models import Payment, PaymentStatus
from .services import handle_notice, query_payment

SANDBOX_FIELDS = ("out_trade_no", "amount", "subject", "return_url", "notify_url", "signature")


# Real notices are a few kilobytes (UnionPay's, with its certificate, the largest).
DEFAULT_MAX_NOTICE_BYTES = 64 * 1024
# Per client address: the gateways post from a handful of addresses, at most a few
# notices a second each even on a busy day.
DEFAULT_NOTIFY_RATE = "600/m"


def _max_notice_bytes() -> int:
    return int(conf.setting("MERCATO_NOTIFY_MAX_BYTES", str(DEFAULT_MAX_NOTICE_BYTES)))


def _bounded_body(request) -> bytes | None:
    """The request's body, or None when it is over MERCATO_NOTIFY_MAX_BYTES. ValueError for
    a Content-Length that is not a number."""
    limit = _max_notice_bytes()
    if int(request.META.get("CONTENT_LENGTH") or 0) > limit:
        return None  # not read at all
    # Read at most one byte past the limit, whatever Content-Length said: a chunked body
    # has none, and an ASGI server hands the whole of it over (WSGI reads none of it).
    body = request.read(limit + 1)
    return None if len(body) > limit else body


@csrf_exempt
@require_POST
def notify(request, gateway: str):
    """A gateway's asynchronous notice: stored, verified, applied once; the reply is the
    gateway's own (Alipay's plain `success`, WeChat Pay's 204, UnionPay's 200).

    Anyone can post here, so before anything is stored: an unknown gateway is 404, more
    than MERCATO_NOTIFY_RATE posts from one address are 429, and a body over
    MERCATO_NOTIFY_MAX_BYTES is 413 without being read. The gateways send again later."""
    if gateway not in GATEWAYS:
        raise Http404
    rate = conf.setting("MERCATO_NOTIFY_RATE", DEFAULT_NOTIFY_RATE)
    if is_ratelimited(request, group="payments-notify", key="ip", rate=rate, increment=True):
        return HttpResponse("too many notices", status=429, content_type="text/plain")
    try:
        body = _bounded_body(request)
    except ValueError:
        return HttpResponseBadRequest("bad Content-Length")
    if body is None:
        return HttpResponse("notice too large", status=413, content_type="text/plain")
    try:
        _, reply = handle_notice(gateway=gateway, headers=request.headers, body=body)
    except NotFound:
        raise Http404 from None
    return HttpResponse(reply.body, status=reply.status, content_type=reply.content_type)


def _may_see(request, payment: Payment) -> bool:
    """The order's customer, logged in, or the guest whose session keeps the order's
    signed link (from placing or opening the order in this browser)."""
    order = payment.order
    if order.customer_id is not None:
        user = request.user
        return user.is_authenticated and order.customer.user_id == user.pk
    return session_holds_guest_order(
        request.session, number=order.number, guest_token=order.guest_token
    )


def order_url(payment: Payment) -> str:
    order = payment.order
    try:
        if order.customer_id is None:
            token = guest_link_token(number=order.number, guest_token=order.guest_token)
            return reverse("storefront:guest_order", args=[token])
        return reverse("storefront:order_detail", args=[order.number])
    except NoReverseMatch:  # the storefront's order pages are not wired yet
        return "/"


@csrf_exempt  # UnionPay posts its front-end notice (a browser form) to the return URL
@require_http_methods(["GET", "POST"])
def return_page(request, number: str):
    """Where the customer lands after paying: paid, still confirming, or failed, for the
    order's customer (or the guest whose session holds its link). The parameters the
    browser brings are never believed; a waiting payment is asked about at the gateway.
    Anyone else gets a neutral page that names no order and asks no gateway."""
    payment = Payment.objects.select_related("order__customer").filter(number=number).first()
    if payment is None or not _may_see(request, payment):
        # Another browser (the gateway's app opened the return URL), or a stranger: a
        # page that names nothing and asks nothing, the same for every number.
        return render(request, "payments/return_elsewhere.html")
    if request.method == "POST" and payment.gateway == "unionpay":
        # UnionPay's front-end notice: kept on record, never applied (via="return"); a
        # body over the notify endpoint's limit is not kept.
        try:
            body = _bounded_body(request)
        except ValueError:
            body = None
        if body is not None:
            handle_notice(gateway="unionpay", headers=request.headers, body=body, via="return")
    if payment.status == PaymentStatus.PENDING:
        payment = query_payment(payment=payment)
    if payment.status in (
        PaymentStatus.PAID,
        PaymentStatus.PARTIALLY_REFUNDED,
        PaymentStatus.REFUNDED,
    ):
        state = "paid"
    elif payment.status in (PaymentStatus.FAILED, PaymentStatus.CLOSED):
        state = "failed"
    else:
        state = "confirming"
    context = {
        "payment": payment,
        "order": payment.order,
        "state": state,
        "order_url": order_url(payment),
        "again_url": request.get_full_path(),
    }
    return render(request, "payments/return.html", context)


def _sandbox():
    if "sandbox" not in {m.gateway for m in enabled_methods()}:
        raise Http404
    try:
        return get_gateway("sandbox")
    except GatewayNotConfigured:
        raise Http404 from None


@require_http_methods(["GET", "POST"])
def sandbox_pay(request):
    """The sandbox's cashier: shows the signed amount; approve or decline posts a signed
    notice through handle_notice, as the notify endpoint would; then the return page."""
    gateway = _sandbox()
    params = request.GET if request.method == "GET" else request.POST
    fields = {name: params.get(name, "") for name in SANDBOX_FIELDS}
    if not gateway.has_valid_signature(fields):
        return HttpResponseBadRequest("bad signature")
    if request.method == "GET":
        return render(request, "payments/sandbox_pay.html", {"fields": fields})
    decision = request.POST.get("decision")
    if decision not in ("approve", "decline"):
        return HttpResponseBadRequest("decision")
    body = gateway.sign_notice(
        out_trade_no=fields["out_trade_no"],
        amount=fields["amount"],
        status="paid" if decision == "approve" else "declined",
    )
    handle_notice(gateway="sandbox", headers={}, body=body)
    target = fields["return_url"]
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    return redirect(target)
