"""Callbacks (回访): the rules that make them, manual ones, and recording how a call went.

Rules (run by the periodic task `create_due_callbacks_task`, idempotent):
- after delivery: an order delivered or completed (its order parcels' latest
  `delivered_at`, from fulfillment) MERCATO_CALLBACK_DAYS_AFTER_DELIVERY days ago (3); an
  order closed by a full return gets the after-return call instead;
- after a complaint: a complaint ticket closed MERCATO_CALLBACK_DAYS_AFTER_COMPLAINT days
  ago (1);
- after a return: a return or exchange completed MERCATO_CALLBACK_DAYS_AFTER_RETURN days
  ago (2).
A source older than its rule's days plus MERCATO_CALLBACK_LOOKBACK_DAYS (14) is left alone,
so switching the rules on does not call every customer of the past. One callback per rule
and source, held by unique constraints: two runs or two workers at once make one.

New callbacks go to the agents of the callback queue (MERCATO_CALLBACK_QUEUE, a queue code;
the default queue when empty) who may make callbacks, the one with the fewest callbacks
still to make first (the lower user id on a tie). The queue's row lock serialises two runs.

An outcome: done (with a satisfaction score 1–5; a score of MERCATO_CALLBACK_BAD_SCORE (2)
or less opens a follow-up complaint ticket), no answer (the call is tried again the next
day, until MERCATO_CALLBACK_MAX_ATTEMPTS (3) unanswered calls end it as "no answer") or
cancelled (with a reason).
"""

from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mercato.aftersales.models import ReturnEvent, ReturnStatus
from mercato.core.errors import Conflict, NotFound, ValidationFailed
from mercato.core.permissions import require_perm
from mercato.customers.models import Customer
from mercato.fulfillment.models import ShipmentKind, ShipmentStatus
from mercato.orders.models import Order, OrderStatus

from .assignment import eligible_agents
from .models import (
    Callback,
    CallbackKind,
    CallbackScript,
    CallbackStatus,
    Priority,
    Queue,
    Ticket,
    TicketCategory,
    TicketStatus,
)
from .services import _text, clean_phone, create_ticket

K, CS = CallbackKind, CallbackStatus
ADD, HANDLE = "service.add_callback", "service.handle_callback"
SUPERVISE = "service.supervise_tickets"
MAX_OUTCOME = 2000

# What the agent says, until the supervisor writes the kind's own script (CallbackScript).
# The words in braces are filled in by script_for (str.replace, in English or Chinese), not
# str.format: the translations name them in Chinese, so gettext must not check them.

_AFTER_DELIVERY = gettext_noop(
    # xgettext:no-python-brace-format
    "Hello, this is Mercato customer service. Your order {order} was delivered a few "
    "days ago. Did everything arrive in good condition? How satisfied are you with the "
    "goods and the delivery, from 1 (very unhappy) to 5 (very happy)?"
)

_AFTER_COMPLAINT = gettext_noop(
    # xgettext:no-python-brace-format
    "Hello, this is Mercato customer service calling about your complaint {ticket}. "
    "Has the problem been solved to your satisfaction? How would you rate how we "
    "handled it, from 1 to 5?"
)

_AFTER_RETURN = gettext_noop(
    # xgettext:no-python-brace-format
    "Hello, this is Mercato customer service. Your return {return_number} is complete. "
    "Did the refund or the replacement reach you? How satisfied are you with the "
    "return, from 1 to 5?"
)

_MANUAL = gettext_noop(
    # xgettext:no-python-brace-format
    "Hello, this is Mercato customer service. We are calling about: {reason}. "
    "How satisfied are you with our service, from 1 to 5?"
)

DEFAULT_SCRIPTS = {
    K.AFTER_DELIVERY: _AFTER_DELIVERY,
    K.AFTER_COMPLAINT: _AFTER_COMPLAINT,
    K.AFTER_RETURN: _AFTER_RETURN,
    K.MANUAL: _MANUAL,
}


def rule_days() -> dict[str, int]:
    return {
        K.AFTER_DELIVERY: int(getattr(settings, "MERCATO_CALLBACK_DAYS_AFTER_DELIVERY", 3)),
        K.AFTER_COMPLAINT: int(getattr(settings, "MERCATO_CALLBACK_DAYS_AFTER_COMPLAINT", 1)),
        K.AFTER_RETURN: int(getattr(settings, "MERCATO_CALLBACK_DAYS_AFTER_RETURN", 2)),
    }


def lookback_days() -> int:
    return int(getattr(settings, "MERCATO_CALLBACK_LOOKBACK_DAYS", 14))


def bad_score() -> int:
    return int(getattr(settings, "MERCATO_CALLBACK_BAD_SCORE", 2))


def max_attempts() -> int:
    return int(getattr(settings, "MERCATO_CALLBACK_MAX_ATTEMPTS", 3))


# A script names what is filled in by these words, in English or in Chinese.
PLACEHOLDERS_ZH = {
    "order": "订单号", "ticket": "工单号", "return_number": "退换货单号", "reason": "回访原因",
    "name": "联系人",
}  # fmt: skip


def script_text(kind: str) -> str:
    """The kind's script as written (the supervisor's, else the default), unfilled."""
    row = CallbackScript.objects.filter(kind=kind).first()
    return row.script if row else _(DEFAULT_SCRIPTS[CallbackKind(kind)])


def script_for(callback: Callback) -> str:
    """The kind's script, with the order, ticket, return and reason filled in."""
    text = script_text(callback.kind)
    values = {
        "order": callback.order.number if callback.order_id else "",
        "ticket": callback.ticket.number if callback.ticket_id else "",
        "return_number": callback.return_request.number if callback.return_request_id else "",
        "reason": callback.reason,
        "name": callback.contact_name,
    }
    for key, value in values.items():
        text = text.replace("{" + key + "}", value).replace("{" + PLACEHOLDERS_ZH[key] + "}", value)
    return text


# The rules ---------------------------------------------------------------------------------
def _window(kind, now):
    """(earliest, latest) moments a source may have happened at to be called about now."""
    days = rule_days()[kind]
    latest = now - timedelta(days=days)
    return latest - timedelta(days=lookback_days()), latest, days


def _due(moment, days) -> date:
    return timezone.localdate(moment + timedelta(days=days))


def _delivery_candidates(now) -> list[dict]:
    earliest, latest, days = _window(K.AFTER_DELIVERY, now)
    orders = (
        Order.objects.filter(status__in=(OrderStatus.DELIVERED, OrderStatus.COMPLETED))
        .annotate(
            delivered=Max(
                "shipments__delivered_at",
                filter=Q(
                    shipments__kind=ShipmentKind.ORDER, shipments__status=ShipmentStatus.DELIVERED
                ),
            )
        )
        .filter(delivered__gte=earliest, delivered__lte=latest)
        .exclude(pk__in=Callback.objects.filter(kind=K.AFTER_DELIVERY).values("order_id"))
        .order_by("delivered", "pk")
    )
    return [
        {
            "kind": K.AFTER_DELIVERY,
            "order": o,
            "customer_id": o.customer_id,
            "contact_name": o.recipient,
            "contact_phone": o.mobile,
            "due_date": _due(o.delivered, days),
        }  # fmt: skip
        for o in orders
    ]


def _complaint_candidates(now) -> list[dict]:
    earliest, latest, days = _window(K.AFTER_COMPLAINT, now)
    tickets = (
        Ticket.objects.filter(
            category=TicketCategory.COMPLAINT,
            status=TicketStatus.CLOSED,
            merged_into__isnull=True,
            closed_at__gte=earliest,
            closed_at__lte=latest,
        )  # fmt: skip
        .exclude(contact_phone="")
        .exclude(pk__in=Callback.objects.filter(kind=K.AFTER_COMPLAINT).values("ticket_id"))
        .order_by("closed_at", "pk")
    )
    return [
        {
            "kind": K.AFTER_COMPLAINT,
            "ticket": t,
            "customer_id": t.customer_id,
            "contact_name": t.contact_name,
            "contact_phone": t.contact_phone,
            "due_date": _due(t.closed_at, days),
        }  # fmt: skip
        for t in tickets
    ]


def _return_candidates(now) -> list[dict]:
    earliest, latest, days = _window(K.AFTER_RETURN, now)
    events = (
        ReturnEvent.objects.filter(
            to_status=ReturnStatus.COMPLETED, created_at__gte=earliest, created_at__lte=latest
        )
        .exclude(
            request_id__in=Callback.objects.filter(kind=K.AFTER_RETURN).values("return_request_id")
        )
        .select_related("request__order")
        .order_by("created_at", "pk")
    )
    found = {}
    for event in events:
        request = event.request
        found.setdefault(
            request.pk,
            {
                "kind": K.AFTER_RETURN, "return_request": request, "order": request.order,
                "customer_id": request.customer_id or request.order.customer_id,
                "contact_name": request.order.recipient, "contact_phone": request.order.mobile,
                "due_date": _due(event.created_at, days),
            },
        )  # fmt: skip
    return list(found.values())


def _callback_queue() -> Queue | None:
    code = getattr(settings, "MERCATO_CALLBACK_QUEUE", "")
    queues = Queue.objects.select_for_update()
    queue = queues.filter(code=code).first() if code else None
    return queue or queues.filter(is_default=True).first()


def callback_agents(queue: Queue | None) -> list:
    if queue is None:
        return []
    return [a for a in eligible_agents(queue) if a.has_perm(HANDLE)]


def _loads(agents) -> dict[int, int]:
    return dict(
        Callback.objects.filter(agent__in=agents, status=CS.DUE)
        .values_list("agent_id")
        .annotate(n=Count("id"))
        .order_by()
    )


@transaction.atomic
def create_due_callbacks(*, now=None) -> int:
    """Make the callbacks every rule calls for now; the number made."""
    now = now or timezone.now()
    queue = _callback_queue()  # locked: a second run waits here, then finds nothing new
    agents = callback_agents(queue)
    loads = _loads(agents)
    made = 0
    candidates = _delivery_candidates(now) + _complaint_candidates(now) + _return_candidates(now)
    for fields in candidates:
        agent = min(agents, key=lambda a: (loads.get(a.pk, 0), a.pk)) if agents else None
        try:
            with transaction.atomic():
                Callback.objects.create(agent=agent, created_at=now, **fields)
        except IntegrityError:  # made by another run meanwhile
            continue
        made += 1
        if agent is not None:
            loads[agent.pk] = loads.get(agent.pk, 0) + 1
    return made


# By hand -----------------------------------------------------------------------------------
@transaction.atomic
def create_callback(
    *,
    actor,
    reason: str,
    due_date: date,
    customer_id: int | None = None,
    contact_name: str = "",
    contact_phone: str = "",
    order_number: str = "",
    agent_id: int | None = None,
    now=None,
) -> Callback:
    """A callback an agent decides on (kind manual): for a customer (their mobile unless
    another number is given) or a number; about an order of theirs, optionally; the agent
    the actor, unless another agent who makes callbacks is named."""
    now = now or timezone.now()
    require_perm(actor, ADD)
    reason = _text(reason, "reason", limit=200)
    if not isinstance(due_date, date):
        raise ValidationFailed({"due_date": [_("Enter a date.")]})
    if due_date < timezone.localdate(now):
        raise ValidationFailed({"due_date": [_("The due date cannot be in the past.")]})
    customer = None
    if customer_id is not None:
        customer = Customer.objects.filter(pk=customer_id).first()
        if customer is None:
            raise ValidationFailed({"customer": [_("No such customer.")]})
    contact_phone = clean_phone(contact_phone) or (customer.mobile if customer else "") or ""
    if not contact_phone:
        raise ValidationFailed({"contact_phone": [_("Give the phone number to call.")]})
    contact_name = _text(contact_name, "contact_name", limit=40, required=False)
    if customer is not None:
        contact_name = contact_name or customer.name
    order = None
    if str(order_number or "").strip():
        order = Order.objects.filter(number=str(order_number).strip()).first()
        if order is None or (customer is not None and order.customer_id != customer.pk):
            raise ValidationFailed({"order_number": [_("No such order of this customer.")]})
    agent = actor
    if agent_id is not None and agent_id != actor.pk:
        agent = get_user_model().objects.filter(pk=agent_id, is_active=True, is_staff=True).first()
        if agent is None or not agent.has_perm(HANDLE):
            raise ValidationFailed({"agent": [_("Choose an agent who makes callbacks.")]})
    return Callback.objects.create(
        kind=K.MANUAL, customer=customer, contact_name=contact_name, contact_phone=contact_phone,
        order=order, reason=reason, due_date=due_date, agent=agent, created_by=actor,
        created_at=now,
    )  # fmt: skip


# Outcomes ----------------------------------------------------------------------------------
DONE, NO_ANSWER, CANCELLED = "done", "no_answer", "cancelled"
RESULTS = (DONE, NO_ANSWER, CANCELLED)


def _locked(callback_id) -> Callback:
    callback = (
        Callback.objects.select_for_update(of=("self",))
        .select_related("order", "ticket")
        .filter(pk=callback_id)
        .first()
    )
    if callback is None:
        raise NotFound(_("No such callback."), field="callback")
    return callback


def _score(value) -> int:
    try:
        score = int(str(value).strip())
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise ValidationFailed({"satisfaction": [_("Give a satisfaction score from 1 to 5.")]})
    return score


@transaction.atomic
def record_outcome(
    *, actor, callback_id: int, result: str, outcome: str = "", satisfaction=None, now=None
) -> Callback:
    """How the call went. `result`: "done" (needs a satisfaction score 1–5; a bad score opens
    a follow-up complaint ticket, linked), "no_answer" (tried again the next day, or ended
    after the last attempt) or "cancelled" (needs the reason in `outcome`). Only a callback
    still to make; an agent records their own (or an unassigned one, which becomes theirs),
    a supervisor anyone's."""
    now = now or timezone.now()
    require_perm(actor, HANDLE)
    if result not in RESULTS:
        raise ValidationFailed({"result": [_("Choose done, no answer or cancelled.")]})
    callback = _locked(callback_id)
    if callback.status != CS.DUE:
        raise Conflict(
            _("This callback is already “%(status)s”.") % {"status": callback.get_status_display()},
            field="status",
        )
    if callback.agent_id not in (None, actor.pk):
        require_perm(actor, SUPERVISE)
    outcome = _text(outcome, "outcome", limit=MAX_OUTCOME, required=result == CANCELLED)
    if callback.agent_id is None:
        callback.agent = actor
    note = outcome
    if result == DONE:
        score = _score(satisfaction)
        callback.status, callback.satisfaction, callback.completed_at = CS.DONE, score, now
        if score <= bad_score():
            callback.follow_up = _follow_up(actor, callback, score, outcome, now)
    elif result == NO_ANSWER:
        callback.attempts += 1
        stamp = timezone.localtime(now).strftime("%m-%d %H:%M")
        note = "\n".join(
            filter(None, [callback.outcome, f"{stamp} {_('No answer')} {outcome}".strip()])
        )
        if callback.attempts >= max_attempts():
            callback.status, callback.completed_at = CS.NO_ANSWER, now
        else:
            callback.due_date = timezone.localdate(now) + timedelta(days=1)
    else:
        callback.status, callback.completed_at = CS.CANCELLED, now
    callback.outcome = note
    callback.save()
    return callback


def _follow_up(actor, callback: Callback, score: int, outcome: str, now) -> Ticket:
    about = callback.order.number if callback.order_id else callback.get_kind_display()
    ticket = create_ticket(
        actor=actor, channel="phone", category=TicketCategory.COMPLAINT, priority=Priority.HIGH,
        subject=_("Unhappy on a callback (%(score)s/5): %(about)s") % {"score": score,
                                                                      "about": about},
        body=outcome or _("The customer gave %(score)s out of 5 on a callback.") % {"score": score},
        customer_id=callback.customer_id, contact_name=callback.contact_name,
        contact_phone=callback.contact_phone,
        order_numbers=[callback.order.number] if callback.order_id else [], now=now,
    )  # fmt: skip
    if callback.ticket_id:
        ticket.parent = callback.ticket
        ticket.save(update_fields=["parent"])
    return ticket


@transaction.atomic
def save_script(*, actor, kind: str, script: str, now=None) -> CallbackScript:
    require_perm(actor, "service.change_callbackscript")
    if kind not in CallbackKind.values:
        raise ValidationFailed({"kind": [_("Choose a kind of callback.")]})
    script = _text(script, "script", limit=4000)
    row, _created = CallbackScript.objects.update_or_create(
        kind=kind, defaults={"script": script, "updated_at": now or timezone.now()}
    )
    return row


# Reading -----------------------------------------------------------------------------------
MINE, TODAY, OVERDUE = "mine", "today", "overdue"


def callback_list(*, user, filters: dict | None = None, today=None):
    """Callbacks by due date, narrowed by `show` — mine (the user's still to make), today
    (still to make, due today), overdue (still to make, due before today) — and status,
    kind and agent (an id, or "none")."""
    filters = filters or {}
    today = today or timezone.localdate()
    rows = Callback.objects.select_related("agent", "customer", "order", "ticket")
    show = filters.get("show")
    if show == MINE:
        rows = rows.filter(agent=user, status=CS.DUE)
    elif show == TODAY:
        rows = rows.filter(status=CS.DUE, due_date=today)
    elif show == OVERDUE:
        rows = rows.filter(status=CS.DUE, due_date__lt=today)
    for name in ("status", "kind"):
        if filters.get(name):
            rows = rows.filter(**{name: filters[name]})
    agent = filters.get("agent")
    if agent == "none":
        rows = rows.filter(agent__isnull=True)
    elif agent:
        rows = rows.filter(agent_id=agent)
    return rows.order_by("due_date", "pk")


def callbacks_of(*, customer_id: int, limit: int = 20) -> list[Callback]:
    return list(
        Callback.objects.filter(customer_id=customer_id)
        .select_related("agent")
        .order_by("-due_date", "-pk")[:limit]
    )
