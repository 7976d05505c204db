"""Customer service tickets in the back office (客服部): the list with its filters, one
ticket (thread, reply or note, status, assignment, escalation, merge, split, tags) and a
new ticket for a call, with the caller found by phone number. Every change goes through
mercato.service.services; phone numbers and free text are masked for staff without
`core.view_full_phone`."""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mercato.core.errors import DomainError
from mercato.customers.models import Customer
from mercato.service import knowledge, selectors, services, sla
from mercato.service.models import (
    Channel,
    Priority,
    Queue,
    TicketCategory,
    TicketStatus,
    Visibility,
)
from mercato.service.status import ALLOWED

from .access import forbidden, staff_view
from .messages_i18n import add_errors_to_form, refused

VIEW, ADD, HANDLE = "service.view_ticket", "service.add_ticket", "service.handle_ticket"
SUPERVISE = "service.supervise_tickets"
READ_KB = "service.view_article"
SUGGESTED = 5  # knowledge-base articles offered beside a ticket


def agents():
    """Who tickets can be given to: active staff of customer service, by name."""
    return list(
        get_user_model()
        .objects.filter(is_active=True, is_staff=True, staff_profile__department__code="service")
        .order_by("display_name", "username")
    )


def _choices(choices, empty):
    return [("", empty), *choices]


class TicketFilterForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Search"), required=False, max_length=60,
        help_text=gettext_lazy("Ticket number, phone, email or subject"),
    )  # fmt: skip
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    queue = forms.ChoiceField(label=gettext_lazy("Queue"), required=False)
    assignee = forms.ChoiceField(label=gettext_lazy("Agent"), required=False)
    category = forms.ChoiceField(label=gettext_lazy("Category"), required=False)
    priority = forms.ChoiceField(label=gettext_lazy("Priority"), required=False)
    breached = forms.BooleanField(label=gettext_lazy("SLA breached only"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        f = self.fields
        f["status"].choices = _choices(TicketStatus.choices, _("Any status"))
        f["category"].choices = _choices(TicketCategory.choices, _("Any category"))
        f["priority"].choices = _choices(Priority.choices, _("Any priority"))
        f["queue"].choices = _choices(
            [(str(q.pk), q.name) for q in Queue.objects.order_by("code")], _("Any queue")
        )
        f["assignee"].choices = [
            ("", _("Anyone")),
            ("none", _("Unassigned")),
            *[(str(u.pk), str(u)) for u in agents()],
        ]


@staff_view(VIEW)
def ticket_list(request):
    form = TicketFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = selectors.ticket_page(filters=filters, number=request.GET.get("page"))
    now = timezone.now()
    rows = [
        (t, sla.first_response_timer(t, now=now), sla.resolution_timer(t, now=now))
        for t in page.object_list
    ]
    return render(
        request,
        "backoffice/service/list.html",
        {"form": form, "page": page, "rows": rows, "may_add": request.user.has_perm(ADD)},
    )


def _ticket(number: str):
    ticket = selectors.ticket_detail(number=number)
    if ticket is None:
        raise Http404("No such ticket")
    return ticket


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Message"), max_length=services.MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 5}),
    )  # fmt: skip
    visibility = forms.ChoiceField(
        label=gettext_lazy("Send as"), choices=Visibility.choices, initial=Visibility.PUBLIC,
        widget=forms.RadioSelect, required=False,
    )  # fmt: skip


@staff_view(VIEW)
def ticket_detail(request, number: str):
    ticket = _ticket(number)
    user, now = request.user, timezone.now()
    context = {
        "ticket": ticket,
        "reply_form": ReplyForm(auto_id="reply-%s"),
        "first_timer": sla.first_response_timer(ticket, now=now),
        "resolution_timer": sla.resolution_timer(ticket, now=now),
        "next_statuses": [
            (s, TicketStatus(s).label) for s in TicketStatus.values if s in ALLOWED[ticket.status]
        ],
        "may_handle": user.has_perm(HANDLE) and not ticket.merged_into_id,
        "may_supervise": user.has_perm(SUPERVISE) and not ticket.merged_into_id,
        "agents": agents(),
        "tag_text": "，".join(t.name for t in ticket.tags.all()),
        # Articles matching the subject and the customer's words (at most three queries).
        "suggested": (
            knowledge.suggest_articles(knowledge.ticket_text(ticket), limit=SUGGESTED)
            if user.has_perm(READ_KB)
            else []
        ),
    }
    return render(request, "backoffice/service/detail.html", context)


def _ticket_id(number: str) -> int:
    """The ticket a POSTed change is for: its id only (the service loads what it needs)."""
    ticket_id = selectors.ticket_id(number=number)
    if ticket_id is None:
        raise Http404("No such ticket")
    return ticket_id


def _done(request, number, call, success):
    """Run `call`, a change to ticket `number` that returns the ticket to show next (a
    merge's target, a split's new ticket); `success` is the message, or a function of that
    ticket giving it."""
    try:
        shown = call()
    except DomainError as exc:
        return refused(request, exc, redirect("backoffice:ticket_detail", number=number))
    messages.success(request, success(shown) if callable(success) else success)
    return redirect("backoffice:ticket_detail", number=shown.number)


@require_POST
@staff_view(HANDLE)
def ticket_reply(request, number: str):
    ticket_id = _ticket_id(number)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write a message first."))
        return redirect("backoffice:ticket_detail", number=number)
    visibility = form.cleaned_data["visibility"] or Visibility.PUBLIC
    return _done(
        request,
        number,
        lambda: (
            services.reply_to_ticket(
                actor=request.user,
                ticket_id=ticket_id,
                body=form.cleaned_data["body"],
                visibility=visibility,
                attachments=request.FILES.getlist("attachments"),
            ).ticket
        ),  # fmt: skip
        _("Note saved.") if visibility == Visibility.INTERNAL else _("Reply sent."),
    )


@require_POST
@staff_view(HANDLE)
def ticket_status(request, number: str):
    ticket_id = _ticket_id(number)
    return _done(
        request,
        number,
        lambda: services.change_status(
            actor=request.user,
            ticket_id=ticket_id,
            to=request.POST.get("status", ""),
            reason=request.POST.get("reason", ""),
        ),  # fmt: skip
        _("Status changed."),
    )


def _user_id(value: str):
    return int(value) if str(value).isdigit() else None


@require_POST
@staff_view(HANDLE)
def ticket_assign(request, number: str):
    ticket_id = _ticket_id(number)
    if "take" in request.POST:
        assignee_id = request.user.pk
    else:
        assignee_id = _user_id(request.POST.get("assignee", ""))
    return _done(
        request,
        number,
        lambda: services.assign_ticket(
            actor=request.user,
            ticket_id=ticket_id,
            assignee_id=assignee_id,
            reason=request.POST.get("reason", ""),
        ),  # fmt: skip
        _("Assigned."),
    )


@require_POST
@staff_view(SUPERVISE)
def ticket_escalate(request, number: str):
    ticket_id = _ticket_id(number)
    return _done(
        request,
        number,
        lambda: services.escalate_ticket(
            actor=request.user,
            ticket_id=ticket_id,
            reason=request.POST.get("reason", ""),
            assignee_id=_user_id(request.POST.get("assignee", "")),
        ),  # fmt: skip
        _("Escalated."),
    )


@require_POST
@staff_view(HANDLE)
def ticket_merge(request, number: str):
    ticket_id = _ticket_id(number)
    target = request.POST.get("target", "").strip().upper()
    return _done(
        request,
        number,
        lambda: services.merge_tickets(
            actor=request.user, source_id=ticket_id, target_number=target
        ),
        lambda merged: _("Merged into %(number)s.") % {"number": merged.number},
    )


@require_POST
@staff_view(HANDLE)
def ticket_split(request, number: str):
    ticket_id = _ticket_id(number)
    return _done(
        request,
        number,
        lambda: services.split_ticket(
            actor=request.user,
            ticket_id=ticket_id,
            message_ids=request.POST.getlist("messages"),
            subject=request.POST.get("subject", ""),
        ),  # fmt: skip
        lambda new: _("New ticket %(number)s.") % {"number": new.number},
    )


@require_POST
@staff_view(HANDLE)
def ticket_tags(request, number: str):
    ticket_id = _ticket_id(number)
    return _done(
        request,
        number,
        lambda: services.set_tags(
            actor=request.user,
            ticket_id=ticket_id,
            names=services.split_tag_text(request.POST.get("tags", "")),
        ),  # fmt: skip
        _("Tags saved."),
    )


# A new ticket ------------------------------------------------------------------------------
class TicketForm(forms.Form):
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"), choices=Channel.choices, initial=Channel.PHONE
    )
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=TicketCategory.choices)
    priority = forms.ChoiceField(
        label=gettext_lazy("Priority"), choices=Priority.choices, initial=Priority.NORMAL
    )
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200)
    body = forms.CharField(
        label=gettext_lazy("What the customer says"), max_length=services.MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 5}),
    )  # fmt: skip
    contact_name = forms.CharField(
        label=gettext_lazy("Contact name"), max_length=40, required=False
    )
    contact_phone = forms.CharField(
        label=gettext_lazy("Contact phone"), max_length=20, required=False
    )
    contact_email = forms.CharField(
        label=gettext_lazy("Contact email"), max_length=254, required=False
    )
    order_numbers = forms.CharField(
        label=gettext_lazy("Order numbers"), max_length=300, required=False,
        help_text=gettext_lazy("Separate several with commas"),
    )  # fmt: skip
    tags = forms.CharField(
        label=gettext_lazy("Tags"), max_length=300, required=False,
        help_text=gettext_lazy("Separate several with commas"),
    )  # fmt: skip
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput)


@staff_view(ADD)
def ticket_create(request):
    phone = request.GET.get("phone", "").strip()
    found = selectors.customers_by_phone(phone) if phone else []
    customer = None
    chosen = request.POST.get("customer") or request.GET.get("customer")
    if str(chosen or "").isdigit():
        customer = Customer.objects.filter(pk=int(chosen)).first()
    elif len(found) == 1:
        customer = found[0]
    initial = {"contact_phone": phone}
    if customer is not None:
        initial.update(
            customer=customer.pk, contact_name=customer.name,
            contact_phone=customer.mobile or phone, contact_email=customer.email or "",
        )  # fmt: skip
    form = TicketForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.create_ticket(
                actor=request.user, channel=data["channel"], category=data["category"],
                priority=data["priority"], subject=data["subject"], body=data["body"],
                customer_id=data["customer"], contact_name=data["contact_name"],
                contact_phone=data["contact_phone"], contact_email=data["contact_email"],
                order_numbers=services.split_tag_text(data["order_numbers"]),
                tags=services.split_tag_text(data["tags"]),
                attachments=request.FILES.getlist("attachments"),
            )  # fmt: skip
        except DomainError as exc:
            if exc.status == 403:
                return forbidden(request)
            add_errors_to_form(form, exc, aliases={"orders.0": "order_numbers",
                                                   "customer": "contact_name"})  # fmt: skip
        else:
            messages.success(request, _("Ticket %(number)s created.") % {"number": ticket.number})
            return redirect("backoffice:ticket_detail", number=ticket.number)
    context = {
        "form": form,
        "phone": phone,
        "found": found,
        "customer": customer,
        "orders": selectors.recent_orders(customer=customer) if customer else [],
        "lookup_url": reverse("backoffice:ticket_create"),
    }
    return render(request, "backoffice/service/create.html", context)


# The workspace's home ----------------------------------------------------------------------
def team_board(user) -> list[dict]:
    """A 客户主管's board on the home page: each agent's open, overdue and escalated
    tickets (empty for everyone else)."""
    return selectors.team_board() if user.has_perm(SUPERVISE) else []


def service_queues(user) -> list:
    """客服部's tiles on the home page: the agent's open tickets, unassigned tickets in the
    agent's queues, tickets past an SLA due time (the agent's; a supervisor's: all), chats
    waiting for an agent (for those who answer them) and the agent's callbacks due."""
    from .views_logistics_audit import Queue as Tile

    if not user.has_perm(VIEW):
        return []
    counts = selectors.agent_counts(user=user)
    url = reverse("backoffice:ticket_list")
    tiles = [
        Tile("my_tickets", _("My open tickets"), counts["mine"], f"{url}?assignee={user.pk}"),
        Tile(
            "unassigned", _("Unassigned in my queues"), counts["unassigned"], f"{url}?assignee=none"
        ),  # fmt: skip
        Tile("breached", _("SLA breached"), counts["breached"], f"{url}?breached=on", True),
    ]
    if user.has_perm(HANDLE):
        tiles.append(
            Tile("chats_waiting", _("Chats waiting"), counts["chats_waiting"],
                 reverse("backoffice:chat_console"), True)
        )  # fmt: skip
    if user.has_perm("service.view_callback"):
        tiles.append(
            Tile("callbacks_due", _("My callbacks due"), counts["callbacks_due"],
                 reverse("backoffice:callback_list") + "?show=mine")
        )  # fmt: skip
    return tiles
