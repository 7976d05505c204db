"""Promotions over the staff API (read only): /api/staff/promotions (the list, filtered by
status and kind) and /api/staff/promotions/{id} (one promotion with its results: orders,
revenue, discount given, margin after discount, new and returning customers, per day).
The same selectors as the back office; operations' `promotions.view_promotion`."""

from datetime import date, datetime
from decimal import Decimal

from ninja import Query, Router, Schema

from mercato.api.auth import staff_auth
from mercato.api.listing import check_choice
from mercato.api.schemas import responses
from mercato.core.errors import NotFound
from mercato.core.permissions import require_perm
from mercato.orders.promotion_results import Figures, promotion_results
from mercato.promotions.models import Kind, Promotion, Status

router = Router(tags=["promotions"], auth=staff_auth)
VIEW = "promotions.view_promotion"
LISTED = 200


class PromotionOut(Schema):
    id: int
    name: str
    kind: str
    status: str
    scope: str
    scope_ids: list[int]
    percent: Decimal | None
    amount: Decimal | None
    tiers: list[dict]
    min_amount: Decimal | None
    nth: int | None
    buy_quantity: int | None
    get_quantity: int | None
    starts_at: datetime
    ends_at: datetime
    channel: str
    target: str
    usage_limit: int | None
    used: int
    per_customer_limit: int | None
    priority: int
    exclusive_group: str
    stackable: bool


class FiguresOut(Schema):
    orders: int
    revenue: Decimal
    discount: Decimal
    shipping_off: Decimal
    cost: Decimal
    margin: Decimal
    new_customers: int
    returning_customers: int


class DayOut(FiguresOut):
    day: date


class PromotionDetailOut(PromotionOut):
    results: FiguresOut
    days: list[DayOut]


class PromotionFilterIn(Schema):
    status: str = ""
    kind: str = ""


def _figures(f: Figures) -> dict:
    return {
        "orders": f.orders, "revenue": f.revenue, "discount": f.discount,
        "shipping_off": f.shipping_off, "cost": f.cost, "margin": f.margin,
        "new_customers": f.new_customers, "returning_customers": f.returning_customers,
    }  # fmt: skip


@router.get("/promotions", response=responses(list[PromotionOut]), summary="List promotions")
def list_promotions(request, filters: Query[PromotionFilterIn]):
    require_perm(request.auth, VIEW)
    rows = Promotion.objects.order_by("-starts_at", "-pk")
    check_choice("status", filters.status, Status)
    check_choice("kind", filters.kind, Kind)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    return list(rows[:LISTED])


@router.get(
    "/promotions/{promotion_id}",
    response=responses(PromotionDetailOut),
    summary="A promotion and its results",
)
def promotion_detail(request, promotion_id: int):
    require_perm(request.auth, VIEW)
    promotion = Promotion.objects.filter(pk=promotion_id).first()
    if promotion is None:
        raise NotFound("Promotion not found")
    results = promotion_results(promotion_id=promotion.pk)
    data = PromotionOut.from_orm(promotion).dict()
    return data | {
        "results": _figures(results.total),
        "days": [{"day": d, **_figures(f)} for d, f in results.days.items()],
    }
