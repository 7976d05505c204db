"""Tenders over the staff API: /api/staff/procurement/tenders (list, one, create a draft,
open, a bid entered by a buyer, the award). The same services as the back office; while a
tender's bids are sealed (before its deadline) an answer gives their number only, never a
price — the ranking appears after the deadline."""

import datetime
from decimal import Decimal

from django.db.models import Count
from ninja import Field, Query, Router, Schema, Status

from mercato.api.auth import staff_auth
from mercato.api.listing import check_choice, page_of
from mercato.api.schemas import Id, PathId, Text, responses
from mercato.catalog.models import Sku
from mercato.core.errors import NotFound, ValidationFailed
from mercato.core.permissions import require_perm
from mercato.inventory.models import Warehouse
from mercato.procurement import tender_award, tenders
from mercato.procurement.models import Tender, TenderStatus

router = Router(tags=["procurement"], auth=staff_auth)
PAGE_SIZE = 50
VIEW = "procurement.view_tender"


class TenderLineIn(Schema):
    sku_code: Text = Field(max_length=40)
    warehouse_code: Text = Field(max_length=20)
    quantity: int = Field(description="Units, above zero")


class TenderIn(Schema):
    title: Text = Field(max_length=100)
    deadline: datetime.datetime = Field(description="With its time zone; in the future")
    lines: list[TenderLineIn] = Field(max_length=tenders.MAX_LINES)
    supplier_ids: list[Id] = Field(description="Qualified suppliers to invite", max_length=100)
    weight_price: int = 60
    weight_delivery: int = 20
    weight_supplier: int = 20
    note: Text = Field("", max_length=200)


class BidLineIn(Schema):
    tender_line_id: Id
    unit_price: Decimal = Field(description="Above zero, two decimals at most")
    quantity: int = Field(description="Units offered, above zero")


class ResourceIn(Schema):
    kind: Text = Field(description="home_banner, home_featured or other", max_length=20)
    days: int
    value: Decimal = Field(description="Worth in ¥, less than the bid's amount")
    note: Text = Field("", max_length=200)


class BidIn(Schema):
    supplier_id: Id
    delivery_date: datetime.date
    lines: list[BidLineIn] = Field(max_length=tenders.MAX_LINES)
    resource: ResourceIn | None = None


class AwardLineIn(Schema):
    bid_line_id: Id
    quantity: int


class AwardIn(Schema):
    awards: list[AwardLineIn] = Field(max_length=1000)
    reason: Text = Field("", max_length=300)


class TenderOut(Schema):
    id: int
    number: str
    title: str
    status: str
    status_label: str
    deadline: datetime.datetime
    bid_count: int


class TenderPageOut(Schema):
    count: int
    page: int
    pages: int
    results: list[TenderOut]


class TenderLineOut(Schema):
    id: int
    sku_code: str
    warehouse_code: str
    quantity: int


class RankedBidOut(Schema):
    rank: int
    bid_line_id: int
    supplier: str
    unit_price: Decimal
    effective_price: Decimal
    quantity: int
    delivery_date: datetime.date
    price_score: Decimal
    delivery_score: Decimal
    supplier_score: Decimal
    total: Decimal
    awarded: int


class RankingOut(Schema):
    tender_line_id: int
    bids: list[RankedBidOut]


class TenderDetailOut(TenderOut):
    sealed: bool = Field(description="True until the deadline: no price is given")
    weights: dict[str, int]
    lines: list[TenderLineOut]
    invited_supplier_ids: list[int]
    ranking: list[RankingOut] = Field(description="Empty while sealed")
    award_reason: str
    purchase_orders: list[str]


def _row(t: Tender, bid_count: int) -> dict:
    return {
        "id": t.pk, "number": t.number, "title": t.title, "status": t.status,
        "status_label": str(t.get_status_display()), "deadline": t.deadline,
        "bid_count": bid_count,
    }  # fmt: skip


def _detail(tender_id: int) -> dict:
    tender = Tender.objects.filter(pk=tender_id).first()
    if tender is None:
        raise NotFound("Tender not found")
    tender = tenders.close_if_due(tender)
    sealed = tenders.is_sealed(tender)
    ranking = []
    if not sealed:
        for line, rows in tender_award.ranking(tender):
            bids = [
                {
                    "rank": r.rank,
                    "bid_line_id": r.bid_line.pk,
                    "supplier": r.supplier,
                    "unit_price": r.unit_price,
                    "effective_price": r.effective_price,
                    "quantity": r.quantity,
                    "delivery_date": r.delivery_date,
                    "price_score": r.price_score,
                    "delivery_score": r.delivery_score,
                    "supplier_score": r.supplier_score,
                    "total": r.total,
                    "awarded": r.bid_line.awarded,
                }  # fmt: skip
                for r in rows
            ]
            ranking.append({"tender_line_id": line.pk, "bids": bids})
    orders = sorted(
        {n for n in tender.bids.values_list("lines__purchase_order__number", flat=True) if n}
    )
    return {
        **_row(tender, tenders.bid_count(tender)),
        "sealed": sealed,
        "weights": {
            "price": tender.weight_price,
            "delivery": tender.weight_delivery,
            "supplier": tender.weight_supplier,
        },  # fmt: skip
        "lines": [
            {
                "id": ln.pk,
                "sku_code": ln.sku.code,
                "warehouse_code": ln.warehouse.code,
                "quantity": ln.quantity,
            }  # fmt: skip
            for ln in tender.lines.select_related("sku", "warehouse")
        ],
        "invited_supplier_ids": list(tender.invitations.values_list("supplier_id", flat=True)),
        "ranking": ranking,
        "award_reason": tender.award_reason,
        "purchase_orders": orders,
    }


@router.get("/procurement/tenders", response=responses(TenderPageOut), summary="List tenders")
def list_tenders(
    request, status: str = Query("", max_length=20), page: int = Query(1, ge=1, le=10_000)
):  # fmt: skip
    require_perm(request.auth, VIEW)
    check_choice("status", status, TenderStatus)
    rows = Tender.objects.annotate(bid_total=Count("bids")).order_by("-id")
    if status:
        rows = rows.filter(status=status)
    return page_of(rows, page=page, per_page=PAGE_SIZE, row=lambda t: _row(t, t.bid_total))


@router.get(
    "/procurement/tenders/{tender_id}",
    response=responses(TenderDetailOut),
    summary="One tender: the number of bids while sealed, the ranking after the deadline",
)
def get_tender(request, tender_id: PathId):
    require_perm(request.auth, VIEW)
    return _detail(tender_id)


@router.post(
    "/procurement/tenders",
    response=responses(TenderDetailOut, 201),
    summary="Create a draft tender with its invited suppliers",
)
def create_tender(request, payload: TenderIn):
    require_perm(request.auth, "procurement.add_tender")
    skus = dict(
        Sku.objects.filter(code__in=[ln.sku_code for ln in payload.lines]).values_list("code", "pk")
    )
    houses = dict(
        Warehouse.objects.filter(code__in=[ln.warehouse_code for ln in payload.lines]).values_list(
            "code", "pk"
        )
    )
    errors = {}
    for i, ln in enumerate(payload.lines):
        if ln.sku_code not in skus:
            errors[f"lines.{i}"] = ["Unknown SKU code"]
        elif ln.warehouse_code not in houses:
            errors[f"lines.{i}"] = ["Unknown warehouse code"]
    if errors:
        raise ValidationFailed(errors)
    tender = tenders.create_tender(
        actor=request.auth, title=payload.title, deadline=payload.deadline,
        lines=[{"sku_id": skus[ln.sku_code], "warehouse_id": houses[ln.warehouse_code],
                "quantity": ln.quantity} for ln in payload.lines],
        supplier_ids=payload.supplier_ids, note=payload.note,
        weights=(payload.weight_price, payload.weight_delivery, payload.weight_supplier),
    )  # fmt: skip
    return Status(201, _detail(tender.pk))


@router.post(
    "/procurement/tenders/{tender_id}/open",
    response=responses(TenderDetailOut),
    summary="Open a draft tender for bids",
)
def open_tender(request, tender_id: PathId):
    tenders.open_tender(actor=request.auth, tender_id=tender_id)
    return _detail(tender_id)


@router.post(
    "/procurement/tenders/{tender_id}/bids",
    response=responses(TenderDetailOut),
    summary="Enter (or revise) an invited supplier's bid before the deadline",
)
def enter_bid(request, tender_id: PathId, payload: BidIn):
    tenders.enter_bid(
        actor=request.auth, tender_id=tender_id, supplier_id=payload.supplier_id,
        delivery_date=payload.delivery_date,
        lines=[ln.dict() for ln in payload.lines],
        resource=payload.resource.dict() if payload.resource else None,
    )  # fmt: skip
    return _detail(tender_id)


@router.post(
    "/procurement/tenders/{tender_id}/award",
    response=responses(TenderDetailOut),
    summary="Award bid lines (whole or split) after the deadline: draft purchase orders",
)
def award_tender(request, tender_id: PathId, payload: AwardIn):
    tender_award.award_tender(
        actor=request.auth, tender_id=tender_id, reason=payload.reason,
        awards=[a.dict() for a in payload.awards],
    )  # fmt: skip
    return _detail(tender_id)
