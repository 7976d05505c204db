"""Tenders in the procurement workspace (招标): the list, a new tender, one tender (invite,
open, bids entered by a buyer, the sealed count or — after the deadline — the ranking and
the award), the resource tasks website operations give (资源换价格), and the page a
supplier bids on through its link, without an account."""

import datetime

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mercato.core.errors import DomainError
from mercato.procurement import tender_award, tenders
from mercato.procurement.models import (
    ResourceKind,
    ResourceTask,
    ResourceTaskStatus,
    Tender,
    TenderStatus,
)
from mercato.procurement.selectors import tenders_closing

from .access import staff_view
from .messages_i18n import act, add_errors_to_form, message_of
from .typed_lines import parse_typed_lines

VIEW = "procurement.view_tender"
CHANGE = "procurement.change_tender"
TASKS = "procurement.view_resourcetask"
PAGE_SIZE = 50


def parse_lines(text: str) -> list[dict]:
    """Lines typed one per row as "SKU code, warehouse code, quantity" (commas, tabs or
    spaces between)."""
    return parse_typed_lines(
        text, usage=_("Write: SKU code, warehouse code, quantity"), warehouse=True
    )


class TenderForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=100)
    deadline = forms.DateTimeField(
        label=gettext_lazy("Deadline for bids"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    lines = forms.CharField(
        label=gettext_lazy("Lines"), widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("One per row: SKU code, warehouse code, quantity"),
    )  # fmt: skip
    suppliers = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Invited suppliers"), queryset=tenders.qualified_suppliers(),
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Only qualified suppliers: no qualification document expired"),
    )  # fmt: skip
    weight_price = forms.IntegerField(label=gettext_lazy("Weight of price (%)"), initial=60)
    weight_delivery = forms.IntegerField(
        label=gettext_lazy("Weight of delivery date (%)"), initial=20
    )
    weight_supplier = forms.IntegerField(
        label=gettext_lazy("Weight of supplier score (%)"), initial=20
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Evaluated per request: qualification changes as documents expire.
        self.fields["suppliers"].queryset = tenders.qualified_suppliers()


@staff_view(VIEW)
def tender_list(request):
    status = request.GET.get("status", "")
    rows = Tender.objects.annotate(
        line_count=Count("lines", distinct=True), bid_count=Count("bids", distinct=True)
    ).order_by("-id")
    if status in TenderStatus.values:
        rows = rows.filter(status=status)
    closing = request.GET.get("show") == "closing"  # the home page's tile
    if closing:
        rows = rows.filter(pk__in=tenders_closing().values("pk"))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "closing": closing,
        "statuses": TenderStatus.choices,
        "may_add": request.user.has_perm("procurement.add_tender"),
    }
    return render(request, "backoffice/tenders/tender_list.html", context)


@staff_view("procurement.add_tender")
def tender_create(request):
    form = TenderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            tender = tenders.create_tender(
                actor=request.user, title=data["title"], deadline=data["deadline"],
                lines=parse_lines(data["lines"]), supplier_ids=[s.pk for s in data["suppliers"]],
                weights=(data["weight_price"], data["weight_delivery"], data["weight_supplier"]),
                note=data["note"],
            )  # fmt: skip
        except DomainError as exc:
            add_errors_to_form(form, exc)
        else:
            messages.success(request, _("Tender created."))
            return redirect("backoffice:tender_detail", tender_id=tender.pk)
    return render(
        request, "backoffice/tenders/tender_form.html", {"form": form},
        status=400 if form.errors else 200,
    )  # fmt: skip


def _tender(tender_id: int) -> Tender:
    tender = Tender.objects.filter(pk=tender_id).select_related("created_by").first()
    if tender is None:
        raise Http404("No such tender")
    return tenders.close_if_due(tender)


def _links(request, tender: Tender) -> list[dict]:
    """Each invited supplier with its open bid link (while bids may come in)."""
    rows = []
    invitations = tender.invitations.select_related("supplier").prefetch_related("tokens")
    for inv in invitations:
        open_tokens = [t for t in inv.tokens.all() if t.used_at is None]
        url = ""
        if open_tokens and tenders.is_sealed(tender):
            url = request.build_absolute_uri(reverse("tender_bid", args=[open_tokens[0].token]))
        rows.append({"supplier": inv.supplier, "url": url})
    return rows


@staff_view(VIEW)
def tender_detail(request, tender_id: int):
    tender = _tender(tender_id)
    user = request.user
    sealed = tenders.is_sealed(tender)
    ranked = [] if sealed else tender_award.ranking(tender)
    for _line, rows in ranked:
        # The suggested award: down the ranking until the line's quantity is met.
        left = _line.quantity
        for r in rows:
            r.suggested = min(r.quantity, left)
            left -= r.suggested
    may_change = user.has_perm(CHANGE)
    context = {
        "tender": tender,
        "lines": tender.lines.select_related("sku__product", "warehouse"),
        "events": tender.events.select_related("actor"),
        "sealed": sealed,
        "bid_count": tenders.bid_count(tender),
        "ranked": ranked,
        "links": _links(request, tender) if may_change else [],
        "may_change": may_change,
        "may_bid": may_change and sealed and tender.status == TenderStatus.OPEN,
        "may_award": may_change and tender.status == TenderStatus.CLOSED,
        "resources": ResourceKind.choices,
        "tasks": tender.tasks.select_related("supplier", "home_slot"),
        "orders": _orders(tender),
    }
    return render(request, "backoffice/tenders/tender_detail.html", context)


def _orders(tender: Tender):
    from mercato.procurement.models import PurchaseOrder

    ids = tender.bids.values("lines__purchase_order")
    return PurchaseOrder.objects.filter(pk__in=ids).select_related("supplier").order_by("id")


def _date(value) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


def bid_from_post(post, tender: Tender) -> dict:
    """The bid a form posts: delivery date, price and quantity per tender line (a line left
    empty is not bid on) and the optional resource in return."""
    lines = []
    for line in tender.lines.all():
        price = post.get(f"price_{line.pk}", "").strip()
        quantity = post.get(f"quantity_{line.pk}", "").strip()
        if price or quantity:
            lines.append({"tender_line_id": line.pk, "unit_price": price, "quantity": quantity})
    resource = {
        "kind": post.get("resource_kind", ""),
        "days": post.get("resource_days", ""),
        "value": post.get("resource_value", ""),
        "note": post.get("resource_note", ""),
    }
    return {"delivery_date": _date(post.get("delivery_date")), "lines": lines,
            "resource": resource}  # fmt: skip


@require_POST
@staff_view(VIEW)
def tender_step(request, tender_id: int, step: str):
    """One button of the tender page: open, cancel, a bid entered, a new link, the award
    (the services check the permission each needs)."""
    tender = Tender.objects.filter(pk=tender_id).first()
    if tender is None:
        raise Http404("No such tender")
    user, post = request.user, request.POST
    back = redirect("backoffice:tender_detail", tender_id=tender.pk)
    if step == "open":
        call = lambda: tenders.open_tender(actor=user, tender_id=tender.pk)  # noqa: E731
        return act(request, call, _("Open for bids."), back)
    if step == "cancel":
        call = lambda: tenders.cancel_tender(actor=user, tender_id=tender.pk,  # noqa: E731
                                             note=post.get("note", ""))  # fmt: skip
        return act(request, call, _("Tender cancelled."), back)
    if step == "link":
        call = lambda: tenders.renew_link(actor=user, tender_id=tender.pk,  # noqa: E731
                                          supplier_id=_int(post.get("supplier")))  # fmt: skip
        return act(request, call, _("A new link is made; the old one no longer works."), back)
    if step == "bid":
        call = lambda: tenders.enter_bid(  # noqa: E731
            actor=user, tender_id=tender.pk, supplier_id=_int(post.get("supplier")),
            **bid_from_post(post, tender),
        )  # fmt: skip
        return act(request, call, _("Bid recorded; it stays sealed until the deadline."), back)
    if step == "award":
        awards = [
            {"bid_line_id": _int(key.removeprefix("award_")), "quantity": value}
            for key, value in post.items()
            if key.startswith("award_") and value.strip() not in ("", "0")
        ]
        call = lambda: tender_award.award_tender(  # noqa: E731
            actor=user, tender_id=tender.pk, awards=awards, reason=post.get("reason", "")
        )
        return act(request, call, _("Awarded; the draft purchase orders are made."), back)
    raise Http404("No such step")


def _int(value) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


# --- Resource tasks (website operations) --------------------------------------------------


@staff_view(TASKS)
def resource_tasks(request):
    status = request.GET.get("status", ResourceTaskStatus.OPEN)
    rows = ResourceTask.objects.select_related("supplier", "tender", "home_slot").order_by("-id")
    if status in ResourceTaskStatus.values:
        rows = rows.filter(status=status)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "statuses": ResourceTaskStatus.choices,
        "may_do": request.user.has_perm(tender_award.TASKS),
        "today": timezone.localdate(),
    }
    return render(request, "backoffice/tenders/resource_tasks.html", context)


@require_POST
@staff_view(TASKS)
def resource_task_step(request, task_id: int, step: str):
    user, post = request.user, request.POST
    back = redirect("backoffice:resource_tasks")
    if step == "schedule":
        call = lambda: tender_award.schedule_home_slot(  # noqa: E731
            actor=user, task_id=task_id, starts_on=_date(post.get("starts_on"))
        )
        return act(request, call, _("The home-page slot is scheduled."), back)
    if step == "done":
        call = lambda: tender_award.complete_resource_task(  # noqa: E731
            actor=user, task_id=task_id, note=post.get("note", "")
        )
        return act(request, call, _("Marked as done."), back)
    raise Http404("No such step")


# --- The supplier's page (no account: the link is the key) ---------------------------------


def tender_bid(request, token: str):
    """A supplier's bid through its link. A refused link (unknown, used, expired) or bid
    (bad input, after the deadline) changes nothing and says why."""
    try:
        invitation = tenders.token_invitation(token)
    except DomainError as exc:
        return render(request, "backoffice/tenders/bid_public.html",
                      {"refusal": message_of(exc)}, status=exc.status)  # fmt: skip
    tender = invitation.tender
    context = {
        "tender": tender,
        "supplier": invitation.supplier,
        "lines": tender.lines.select_related("sku__product", "warehouse"),
        "resources": ResourceKind.choices,
        "post": request.POST,
    }
    if request.method == "POST":
        try:
            bid, next_link = tenders.submit_bid_by_token(
                token=token, **bid_from_post(request.POST, tender)
            )
        except DomainError as exc:
            context["error"] = message_of(exc)
            return render(request, "backoffice/tenders/bid_public.html", context,
                          status=400 if exc.status == 422 else exc.status)  # fmt: skip
        context["done"] = {
            "bid": bid,
            "url": request.build_absolute_uri(reverse("tender_bid", args=[next_link.token])),
        }
    return render(request, "backoffice/tenders/bid_public.html", context)
