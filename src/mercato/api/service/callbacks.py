"""Callbacks and agents' KPIs over the staff API: /api/staff/callbacks (list with filters,
record an outcome) and /api/staff/kpis (read). The same services and selectors as the back
office; phone numbers masked without `core.view_full_phone`."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from ninja import Field, Query, Router, Schema

from mercato.api.auth import staff_auth
from mercato.api.listing import check_choice, page_of
from mercato.api.schemas import Text, responses
from mercato.core import masking
from mercato.core.errors import ValidationFailed
from mercato.core.permissions import require_perm
from mercato.service import callbacks, kpis
from mercato.service.models import Callback, CallbackKind, CallbackStatus

router = Router(tags=["customer service"], auth=staff_auth)
PAGE_SIZE = 30
MAX_DAYS = 366


class CallbackFilterIn(Schema):
    show: Literal["", "mine", "today", "overdue"] = ""
    status: str = ""
    kind: str = ""
    agent: str = Field("", description="A user id, or none for unassigned callbacks")


class CallbackOut(Schema):
    id: int
    kind: str
    status: str
    status_label: str
    due_date: date
    contact_name: str
    contact_phone: str
    customer_id: int | None
    order: str | None
    ticket: str | None
    agent: str | None
    attempts: int
    satisfaction: int | None
    outcome: str
    follow_up: str | None
    completed_at: datetime | None


class CallbackPageOut(Schema):
    count: int
    page: int
    pages: int
    results: list[CallbackOut]


class OutcomeIn(Schema):
    result: Literal["done", "no_answer", "cancelled"]
    satisfaction: int | None = Field(None, description="1–5, needed when done")
    outcome: Text = Field("", max_length=callbacks.MAX_OUTCOME)


def _callback(user, c: Callback) -> dict:
    return {
        "id": c.pk, "kind": c.kind, "status": c.status,
        "status_label": str(c.get_status_display()), "due_date": c.due_date,
        "contact_name": masking.name_for(user, c.contact_name),
        "contact_phone": masking.phone_for(user, c.contact_phone),
        "customer_id": c.customer_id, "order": c.order.number if c.order_id else None,
        "ticket": c.ticket.number if c.ticket_id else None,
        "agent": str(c.agent) if c.agent_id else None, "attempts": c.attempts,
        "satisfaction": c.satisfaction, "outcome": masking.text_for(user, c.outcome),
        "follow_up": c.follow_up.number if c.follow_up_id else None,
        "completed_at": c.completed_at,
    }  # fmt: skip


@router.get("/callbacks", response=responses(CallbackPageOut), summary="Search callbacks")
def list_callbacks(
    request, filters: Query[CallbackFilterIn], page: int = Query(1, ge=1, le=10_000)
):  # fmt: skip
    require_perm(request.auth, "service.view_callback")
    data = {k: v for k, v in filters.dict().items() if v}
    check_choice("status", data.get("status", ""), CallbackStatus)
    check_choice("kind", data.get("kind", ""), CallbackKind)
    if data.get("agent") not in (None, "none") and not data["agent"].isdigit():
        raise ValidationFailed({"agent": ["A user id, or none."]})
    rows = callbacks.callback_list(user=request.auth, filters=data).select_related("follow_up")
    return page_of(rows, page=page, per_page=PAGE_SIZE, row=lambda c: _callback(request.auth, c))


@router.post(
    "/callbacks/{callback_id}/outcome", response=responses(CallbackOut),
    summary="Record how a callback went",
)  # fmt: skip
def record_outcome(request, callback_id: int, payload: OutcomeIn):
    callback = callbacks.record_outcome(
        actor=request.auth, callback_id=callback_id, result=payload.result,
        outcome=payload.outcome, satisfaction=payload.satisfaction,
    )  # fmt: skip
    return _callback(request.auth, callback)


# KPIs --------------------------------------------------------------------------------------
class KpiIn(Schema):
    since: date
    until: date
    period: Literal["day", "week"] = "day"


class FiguresOut(Schema):
    agent_id: int | None = Field(description="None: the team")
    bucket: date | None = Field(description="The day or Monday; None: the whole range")
    contacts: int
    first_response_mean_minutes: Decimal | None
    first_response_median_minutes: Decimal | None
    resolution_mean_minutes: Decimal | None
    sla_breaches: int
    satisfaction: Decimal | None
    bad_contact_rate_percent: Decimal | None
    phone_orders: int
    average_order_value: Decimal | None


class KpiOut(Schema):
    since: date
    until: date
    period: str
    rows: list[FiguresOut]


@router.get("/kpis", response=responses(KpiOut), summary="Agents' and the team's KPIs")
def get_kpis(request, query: Query[KpiIn]):
    require_perm(request.auth, "service.view_agent_kpis")
    if query.since > query.until:
        raise ValidationFailed({"since": ["On or before until."]})
    if (query.until - query.since).days > MAX_DAYS:
        raise ValidationFailed({"since": [f"At most {MAX_DAYS} days."]})
    report = kpis.agent_kpis(since=query.since, until=query.until, period=query.period)
    rows = []
    for agent in [kpis.TEAM, *report.agent_ids]:
        for bucket in [kpis.ALL, *report.buckets]:
            f = report.get(agent, bucket)
            rows.append(
                {
                    "agent_id": agent,
                    "bucket": bucket,
                    "contacts": f.contacts,
                    "first_response_mean_minutes": f.first_response_mean,
                    "first_response_median_minutes": f.first_response_median,
                    "resolution_mean_minutes": f.resolution_mean,
                    "sla_breaches": f.breaches,
                    "satisfaction": f.satisfaction,
                    "bad_contact_rate_percent": f.bad_rate,
                    "phone_orders": f.phone_orders,
                    "average_order_value": f.average_order_value,
                }  # fmt: skip
            )
    return {"since": query.since, "until": query.until, "period": query.period, "rows": rows}
