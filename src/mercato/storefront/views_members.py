"""The member center (会员中心): tier, progress to the next one, points, ledger, sign-in."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from mercato.core.errors import DomainError
from mercato.customers import points, tiers
from mercato.customers.selectors import points_ledger
from mercato.promotions.coupons import CouponError
from mercato.promotions.points_coupons import coupons_for_points, exchange_points_for_coupon

from .views_account import customer_required

LEDGER_ROWS = 50


@customer_required
@require_GET
def member_center(request):
    customer = request.customer
    context = {
        "customer": customer,
        "progress": tiers.progress_of(customer),
        "tiers": tiers.tiers(),
        "expiring": points.expiring_soon(customer.pk),
        "ledger": points_ledger(customer_id=customer.pk, limit=LEDGER_ROWS),
        "points_per_yuan": points.points_per_yuan(),
        "cap_percent": points.redeem_cap_percent(),
    }
    context["expiring_total"] = sum(lot.remaining for lot in context["expiring"])
    return render(request, "storefront/account/member.html", context)


@customer_required
@require_POST
def sign_in(request):
    """签到: today's points by the streak."""
    try:
        got = points.sign_in(customer_id=request.customer.pk)
    except DomainError as exc:
        messages.info(request, exc.message)
    else:
        messages.success(request, _("Signed in: %(points)s points.") % {"points": got})
    return redirect("storefront:member_center")


@customer_required
@require_GET
def points_coupons(request):
    """积分兑券: the coupons members may exchange points for, with the balance."""
    context = {"customer": request.customer, "offers": coupons_for_points()}
    return render(request, "storefront/account/points_coupons.html", context)


@customer_required
@require_POST
def exchange_points(request, template_id: int):
    """Spend the points price and get the coupon, all or nothing."""
    try:
        coupon = exchange_points_for_coupon(
            customer_id=request.customer.pk, template_id=template_id
        )
    except (DomainError, CouponError) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Exchanged: %(name)s is in My coupons.") % {"name": coupon.template.name}
        )
    return redirect("storefront:points_coupons")
