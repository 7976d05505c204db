"""The member center (会员中心): tier, progress to the next one, points, ledger, sign-in."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from mercato.core.errors import DomainError
from mercato.customers import points, tiers
from mercato.customers.models import PointsEntry

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
        "ledger": list(
            PointsEntry.objects.filter(customer=customer).order_by("-created_at", "-id")[
                :LEDGER_ROWS
            ]
        ),
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
