"""Payments for 财务部: the list with filters, one payment with its notices (raw), events
and refunds, the refund form, and "mark reviewed" for flagged notices.

Every write goes through payments.services, which checks the permission again: a refused
action answers 403 and changes nothing.
"""

from decimal import Decimal, InvalidOperation

import django_filters
from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mercato.core.errors import DomainError
from mercato.payments import services
from mercato.payments.gateways import METHODS
from mercato.payments.models import Payment, PaymentNotice, PaymentStatus, Refund
from mercato.payments.selectors import refunds_needing_attention

from .access import staff_view
from .messages_i18n import add_errors_to_form, message_of

PAGE_SIZE = 50
QUEUE_SIZE = 50


class PaymentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=gettext_lazy("Search"),
        method="search",
        help_text=gettext_lazy("Payment or order number"),
    )
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"),
        choices=PaymentStatus.choices,
        empty_label=gettext_lazy("Any status"),
    )
    method = django_filters.ChoiceFilter(
        label=gettext_lazy("Method"),
        choices=[(code, m.label) for code, m in METHODS.items()],
        empty_label=gettext_lazy("Any method"),
    )
    needs_review = django_filters.ChoiceFilter(
        label=gettext_lazy("Needs review"),
        choices=[("yes", gettext_lazy("Flagged for review")), ("no", gettext_lazy("Not flagged"))],
        empty_label=gettext_lazy("All"),
        method="flagged",
    )

    class Meta:
        model = Payment
        fields = ["q", "status", "method", "needs_review"]

    def flagged(self, queryset, name, value):
        return queryset.filter(needs_review=value == "yes")

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(number__icontains=value) | Q(order__number__icontains=value))


@staff_view("payments.view_payment")
def payment_list(request):
    queryset = Payment.objects.select_related("order").order_by("-created_at", "-id")
    payment_filter = PaymentFilter(request.GET or None, queryset=queryset)
    page = Paginator(payment_filter.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"filter": payment_filter, "page": page, "htmx_results": True}
    if request.htmx and request.htmx.target == "results":
        return render(request, "backoffice/payments/_results.html", context)
    # Flagged notices that name no payment of ours (e.g. a refund notice for an unknown
    # trade): finance sees them here, since no payment page would show them.
    context["unmatched"] = PaymentNotice.objects.filter(
        needs_review=True, payment__isnull=True
    ).order_by("-received_at", "-id")[:20]
    context["may_review"] = request.user.has_perm("payments.review_payment")
    # The refunds finance must look at: abnormal ones, and ones not settled in time.
    context["refund_queue"] = refunds_needing_attention()[:QUEUE_SIZE]
    return render(request, "backoffice/payments/list.html", context)


class RefundForm(forms.Form):
    """Amount, or quantities per order line (line_<id> fields); the number is proposed
    when the form is drawn, so submitting the same form twice refunds once."""

    refund_no = forms.CharField(label=gettext_lazy("Refund number"), max_length=32)
    amount = forms.DecimalField(
        label=gettext_lazy("Amount (¥)"),
        required=False,
        min_value=Decimal("0.01"),
        decimal_places=2,
        max_digits=12,
        help_text=gettext_lazy("Leave empty to refund the lines below."),
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)
    restock = forms.BooleanField(
        label=gettext_lazy("The goods came back: put them into stock"), required=False
    )

    def __init__(self, *args, order_lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.order_lines = list(order_lines)
        for line in self.order_lines:
            self.fields[f"line_{line.pk}"] = forms.IntegerField(
                label=f"{line.product_name} · {line.sku_code} (× {line.quantity})",
                required=False,
                min_value=0,
                max_value=line.quantity,
            )

    def lines(self) -> list[tuple[int, int]]:
        return [
            (line.pk, self.cleaned_data[f"line_{line.pk}"])
            for line in self.order_lines
            if self.cleaned_data.get(f"line_{line.pk}")
        ]

    def line_fields(self):
        return [self[f"line_{line.pk}"] for line in self.order_lines]


def _detail(request, payment, form=None, status=200):
    payment = (
        Payment.objects.select_related("order")
        .prefetch_related(
            "events__actor",
            "refunds__actor",
            "refunds__events__actor",
            "refunds__lines__order_line",
        )
        .get(pk=payment.pk)
    )
    lines = list(payment.order.lines.all())
    if form is None:
        form = RefundForm(
            initial={"refund_no": services.new_refund_number(payment.order)}, order_lines=lines
        )
    context = {
        "payment": payment,
        "order": payment.order,
        "notices": payment.notices.select_related("reviewed_by").order_by("received_at", "id"),
        "form": form,
        "may_refund": request.user.has_perm("payments.refund_payment"),
        "may_review": request.user.has_perm("payments.review_payment"),
    }
    return render(request, "backoffice/payments/detail.html", context, status=status)


@staff_view("payments.view_payment")
def payment_detail(request, payment_id: int):
    return _detail(request, get_object_or_404(Payment, pk=payment_id))


def _amount(value) -> Decimal | None:
    try:
        return Decimal(value) if value not in (None, "") else None
    except InvalidOperation:
        return None


@require_POST
@staff_view("payments.refund_payment")
def payment_refund(request, payment_id: int):
    payment = get_object_or_404(Payment.objects.select_related("order"), pk=payment_id)
    form = RefundForm(request.POST, order_lines=payment.order.lines.all())
    if not form.is_valid():
        return _detail(request, payment, form=form, status=400)
    data = form.cleaned_data
    lines = form.lines()
    try:
        refund = services.refund_payment(
            payment=payment,
            amount=data["amount"],  # with lines too: the service refuses both at once
            lines=lines or None,
            refund_no=data["refund_no"],
            reason=data["reason"],
            restock=data["restock"],
            actor=request.user,
        )
    except DomainError as exc:
        if exc.status == 403:
            raise
        add_errors_to_form(form, exc, {"lines": None, "payment": None})
        messages.error(request, message_of(exc))
        return _detail(request, payment, form=form, status=400)
    messages.success(
        request,
        _("Refund %(no)s of ¥%(amount)s: %(status)s.")
        % {"no": refund.refund_no, "amount": refund.amount, "status": refund.get_status_display()},
    )
    return redirect("backoffice:payment_detail", payment_id=payment.pk)


@require_POST
@staff_view("payments.review_payment")
def notice_review(request, notice_id: int):
    notice = services.mark_notice_reviewed(notice_id=notice_id, actor=request.user)
    messages.success(request, _("Marked as reviewed."))
    if notice.payment_id:
        return redirect("backoffice:payment_detail", payment_id=notice.payment_id)
    return redirect("backoffice:payment_list")


@require_POST
@staff_view("payments.refund_payment")
def refund_resolve(request, refund_id: int):
    """Finance settles an abnormal refund: paid back another way, or not paid back."""
    refund = get_object_or_404(Refund, pk=refund_id)
    outcome = request.POST.get("outcome")
    if outcome not in ("paid_back", "not_paid_back"):
        messages.error(request, _("Choose what happened to the money."))
        return redirect("backoffice:payment_detail", payment_id=refund.payment_id)
    try:
        services.resolve_abnormal_refund(
            refund_id=refund.pk,
            paid_back=outcome == "paid_back",
            note=request.POST.get("note", ""),
            actor=request.user,
        )
    except DomainError as exc:
        if exc.status == 403:
            raise
        messages.error(request, message_of(exc))
    else:
        messages.success(request, _("Refund %(no)s settled.") % {"no": refund.refund_no})
    return redirect("backoffice:payment_detail", payment_id=refund.payment_id)


@require_POST
@staff_view("payments.refund_payment")
def refund_check(request, refund_id: int):
    """Ask the gateway about an unsettled refund now (the same number is sent again if the
    gateway never got it); the background checks would do it later."""
    refund = get_object_or_404(Refund, pk=refund_id)
    refund = services.settle_refund(refund_id=refund.pk, force=True)
    messages.info(
        request,
        _("Refund %(no)s: %(status)s.")
        % {"no": refund.refund_no, "status": refund.get_status_display()},
    )
    return redirect("backoffice:payment_detail", payment_id=refund.payment_id)
