"""Coupons in the shop: the coupon page (领券中心) where members claim coupons, and their
own coupons in the account (a claim code is entered there too)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from mercato.core.errors import DomainError
from mercato.promotions import coupons as coupon_services
from mercato.promotions import selectors
from mercato.promotions.models import CouponStatus

from .cartctx import request_customer
from .views_account import customer_required

TABS = (CouponStatus.AVAILABLE, CouponStatus.USED, CouponStatus.EXPIRED)


@require_GET
def coupon_center(request):
    """Every coupon members can claim now, with whether this member holds it already."""
    customer = request_customer(request)
    templates = list(selectors.claimable_templates())
    held = (
        selectors.held_counts(customer_id=customer.pk, template_ids=[t.pk for t in templates])
        if customer
        else {}
    )
    rows = [
        {
            "template": t,
            "held": held.get(t.pk, 0),
            "full": held.get(t.pk, 0) >= t.per_customer_limit,
        }
        for t in templates
    ]
    return render(request, "storefront/coupons/center.html", {"rows": rows, "customer": customer})


@require_POST
def claim(request, template_id: int):
    customer = request_customer(request)
    if customer is None:
        return redirect(f"{reverse('storefront:login')}?next={reverse('storefront:coupons')}")
    try:
        coupon = coupon_services.claim_coupon(customer=customer, template_id=template_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Claimed: %(name)s. It is in My coupons.") % {"name": coupon.template.name}
        )
    return redirect("storefront:coupons")


@customer_required
@require_GET
def my_coupons(request):
    tab = request.GET.get("tab") or CouponStatus.AVAILABLE
    if tab not in TABS:
        tab = CouponStatus.AVAILABLE
    now = timezone.now()
    mine = list(selectors.coupons_of(customer_id=request.customer.pk))
    counts = {state: 0 for state in TABS}
    shown = []
    for coupon in mine:
        state = coupon.state(now)
        if state in counts:
            counts[state] += 1
        if state == tab:
            shown.append(coupon)
    tabs = [(state, CouponStatus(state).label, counts[state]) for state in TABS]
    context = {"coupons": shown, "tab": tab, "tabs": tabs, "now": now}
    return render(request, "storefront/coupons/mine.html", context)


@customer_required
@require_POST
def claim_code(request):
    """A claim code (口令) entered in My coupons."""
    try:
        coupon = coupon_services.claim_by_code(
            customer=request.customer, code=request.POST.get("code", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Claimed: %(name)s. It is in My coupons.") % {"name": coupon.template.name}
        )
    return redirect("storefront:my_coupons")
