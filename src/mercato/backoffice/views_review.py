"""Order review (审单) for 采购及物流部's order processors: the queue of held orders with
why each is held, one order's findings with fix / approve / cancel, the lead's rule
settings, the blacklist, and the address check form (the rules on one address)."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mercato.core.errors import DomainError
from mercato.fulfillment import bulk
from mercato.fulfillment.models import BlacklistEntry, BlacklistKind, BulkJob, OrderReview, Reason
from mercato.fulfillment.review import services
from mercato.fulfillment.review.rules import RULES, check_address, load_settings, reasons_of
from mercato.orders import actions
from mercato.orders.models import Order, OrderStatus
from mercato.orders.services import DeliveryAddress

from .access import forbidden, staff_view
from .messages_i18n import add_errors_to_form, message_of
from .views_bulk import start_in_background
from .views_orders import AddressForm, CancelForm

REVIEW = "fulfillment.review_order"
PAGE_SIZE = 50


def _queue(reason: str):
    """The orders waiting for review, oldest first, with `reason` among their reasons."""
    queryset = Order.objects.filter(status=OrderStatus.UNDER_REVIEW).order_by("placed_at", "id")
    if reason in Reason.values:
        # JSON "contains" is not on SQLite; the quoted code is unique in the list text.
        queryset = queryset.filter(review__reasons__icontains=f'"{reason}"')
    return queryset


@staff_view(REVIEW)
def review_queue(request):
    reason = request.GET.get("reason", "")
    queryset = (
        _queue(reason)
        .select_related("review")
        .only(
            "id",
            "number",
            "recipient",
            "mobile",
            "province",
            "city",
            "district",
            "detail",
            "total",
            "payment_method",
            "placed_at",
            "status",
            "on_hold",
            "review__reasons",
            "review__findings",
            "review__checked_at",
        )  # fmt: skip
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "reasons": Reason.choices, "reason": reason}
    return render(request, "backoffice/review/queue.html", context)


@require_POST
@staff_view(REVIEW)
def review_bulk_approve(request):
    """Approve the ticked orders, or every order of the filtered queue ("all"), each
    through approve_order; one refused is reported. Over bulk.inline_limit() orders the
    approval runs in the background and the job's page shows its progress."""
    if request.POST.get("scope") == "all":
        ids = list(_queue(request.POST.get("reason", "")).values_list("pk", flat=True))
    else:
        ids = [int(pk) for pk in request.POST.getlist("order") if pk.isdigit()]
    if bulk.runs_in_background(len(ids)):
        return start_in_background(request, action=BulkJob.Action.APPROVE, item_ids=ids)
    done, refused = 0, []
    for pk in ids:
        try:
            services.approve_order(order_id=pk, actor=request.user)
            done += 1
        except DomainError as exc:
            if exc.status == 403:
                return forbidden(request)
            refused.append(message_of(exc))
    if done:
        messages.success(request, _("%(n)s orders approved.") % {"n": done})
    for problem in refused[:5]:
        messages.error(request, problem)
    return redirect("backoffice:review_queue")


def _review_page(request, number, *, address_form=None, cancel_form=None, status=200):
    order = Order.objects.filter(number=number).first()
    if order is None:
        raise Http404("No such order")
    review = OrderReview.objects.filter(order=order).first()
    if address_form is None:
        address_form = AddressForm(initial={k: getattr(order, k) for k in actions.ADDRESS_FIELDS})
    context = {
        "order": order,
        "review": review,
        "lines": list(order.lines.all()),
        "address_form": address_form,
        "cancel_form": cancel_form or CancelForm(),
        "waiting": order.status == OrderStatus.UNDER_REVIEW,
    }
    return render(request, "backoffice/review/detail.html", context, status=status)


@staff_view(REVIEW)
def review_detail(request, number: str):
    return _review_page(request, number)


def _order_id(number: str) -> int:
    pk = Order.objects.filter(number=number).values_list("pk", flat=True).first()
    if pk is None:
        raise Http404("No such order")
    return pk


@require_POST
@staff_view(REVIEW)
def review_fix(request, number: str):
    form = AddressForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            review = services.fix_address(
                order_id=_order_id(number),
                actor=request.user,
                address=DeliveryAddress(**{k: data[k] for k in actions.ADDRESS_FIELDS}),
                confirmation=data["confirmation"],
            )
        except DomainError as exc:
            if exc.status == 403:
                return forbidden(request)
            add_errors_to_form(form, exc)
        else:
            if review.findings:
                messages.info(request, _("The address is changed; some rules still fire."))
            else:
                messages.success(request, _("The address is changed and passes every rule."))
            return redirect("backoffice:review_detail", number=number)
    return _review_page(request, number, address_form=form, status=400)


@require_POST
@staff_view(REVIEW)
def review_approve(request, number: str):
    try:
        services.approve_order(
            order_id=_order_id(number), actor=request.user, note=request.POST.get("note", "")
        )
    except DomainError as exc:
        messages.error(request, message_of(exc))
        return redirect("backoffice:review_detail", number=number)
    messages.success(request, _("Order %(number)s approved.") % {"number": number})
    return redirect("backoffice:review_queue")


@require_POST
@staff_view(REVIEW)
def review_cancel(request, number: str):
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.reject_order(
                order_id=_order_id(number), actor=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            if exc.status == 403:
                return forbidden(request)
            add_errors_to_form(form, exc)
        else:
            messages.success(request, _("Order %(number)s cancelled.") % {"number": number})
            return redirect("backoffice:review_queue")
    return _review_page(request, number, cancel_form=form, status=400)


# The lead's rules ---------------------------------------------------------------------------
@staff_view("fulfillment.manage_review_rules")
def review_rules(request):
    settings = load_settings()
    rows = [
        {
            "code": code,
            "rule": rule,
            "enabled": code in settings.enabled,
            "threshold": settings.threshold.get(code),
            "window": settings.window.get(code),
        }
        for code, rule in RULES.items()
    ]
    if request.method == "POST":
        problems = []
        for row in rows:
            code = row["code"]
            try:
                services.set_rule(
                    actor=request.user,
                    code=code,
                    enabled=request.POST.get(f"{code}-enabled") == "on",
                    threshold=request.POST.get(f"{code}-threshold"),
                    window_minutes=request.POST.get(f"{code}-window"),
                )
            except DomainError as exc:
                if exc.status == 403:
                    return forbidden(request)
                problems.append(f"{row['rule'].label}: {message_of(exc)}")
        if not problems:
            messages.success(request, _("The review rules are saved."))
            return redirect("backoffice:review_rules")
        for problem in problems:
            messages.error(request, problem)
    return render(request, "backoffice/review/rules.html", {"rows": rows})


# Blacklist ----------------------------------------------------------------------------------
class BlacklistForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=BlacklistKind.choices)
    value = forms.CharField(label=gettext_lazy("Value"), max_length=200)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)


@staff_view("fulfillment.manage_blacklist")
def blacklist(request):
    form = BlacklistForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.add_to_blacklist(actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                if exc.status == 403:
                    return forbidden(request)
                add_errors_to_form(form, exc)
            else:
                messages.success(request, _("Added to the blacklist."))
                return redirect("backoffice:blacklist")
        status = 400
    entries = BlacklistEntry.objects.select_related("created_by").order_by("kind", "value")
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "backoffice/review/blacklist.html", {"form": form, "page": page}, status=status
    )


@require_POST
@staff_view("fulfillment.manage_blacklist")
def blacklist_remove(request, entry_id: int):
    try:
        services.remove_from_blacklist(actor=request.user, entry_id=entry_id)
    except DomainError as exc:
        messages.error(request, message_of(exc))
    else:
        messages.success(request, _("Removed from the blacklist."))
    return redirect("backoffice:blacklist")


# The rules on one address --------------------------------------------------------------------
class CheckForm(forms.Form):
    recipient = forms.CharField(label=gettext_lazy("Recipient"), max_length=40, required=False)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=30, required=False)
    address = forms.CharField(
        label=gettext_lazy("Whole address"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("E.g. 广东省深圳市南山区科苑路15号"),
    )


@staff_view((REVIEW, "fulfillment.manage_review_rules"))
def address_check(request):
    form = CheckForm(request.GET or None)
    result = None
    if request.GET and form.is_valid():
        data = form.cleaned_data
        candidate = check_address(
            recipient=data["recipient"], phone=data["phone"], address=data["address"]
        )
        reasons = reasons_of(candidate.findings)
        result = {
            "verdict": "hold:" + ",".join(reasons) if reasons else "pass",
            "findings": candidate.findings,
        }
    return render(request, "backoffice/review/check.html", {"form": form, "result": result})
