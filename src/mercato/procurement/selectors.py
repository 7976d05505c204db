"""Reads shared by the back office and the API: suppliers, price lists, purchase orders,
goods on order, documents about to expire, and supplier performance."""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Max, Q, QuerySet, Sum
from django.utils import timezone

from mercato.core.masking import mask_text

from .models import (
    POStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    ReceiptLine,
    Supplier,
    SupplierDocument,
    SupplierPrice,
    Tender,
    TenderStatus,
    TransferOrder,
    TransferOrderLine,
    TransferStatus,
)
from .orders import OPEN

BANK_DETAILS = "procurement.view_bank_details"
EXPIRY_WARNING_DAYS = 30


def may_see_bank_details(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_perm(BANK_DETAILS))


def bank_account_for(user, account: str) -> str:
    """The account number in full for finance and procurement leads; else its last four
    digits only (**** **** 1234)."""
    if may_see_bank_details(user) or not account:
        return account
    return "**** " + account[-4:] if len(account) > 4 else mask_text(account, 0)


def supplier_rows(*, q: str = "") -> QuerySet[Supplier]:
    queryset = Supplier.objects.prefetch_related("categories").order_by("code")
    if q:
        queryset = queryset.filter(name__icontains=q) | queryset.filter(code__istartswith=q)
    return queryset


def expiring_documents(*, today=None, days: int = EXPIRY_WARNING_DAYS) -> QuerySet:
    """Qualification documents expired or expiring within `days` (the warning list)."""
    today = today or timezone.localdate()
    return (
        SupplierDocument.objects.filter(expires_on__lte=today + datetime.timedelta(days=days))
        .select_related("supplier")
        .order_by("expires_on")
    )


def price_list(*, supplier_id: int) -> QuerySet[SupplierPrice]:
    return (
        SupplierPrice.objects.filter(supplier_id=supplier_id)
        .select_related("sku__product")
        .order_by("sku__code", "-valid_from")
    )


def order_rows(*, status: str = "") -> QuerySet[PurchaseOrder]:
    queryset = PurchaseOrder.objects.select_related("supplier", "warehouse").order_by("-id")
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def order_detail(*, number: str) -> PurchaseOrder | None:
    return (
        PurchaseOrder.objects.filter(number=number)
        .select_related("supplier", "warehouse", "created_by")
        .prefetch_related("lines__sku__product", "events__actor", "receipts__lines__bin")
        .first()
    )


def on_order(*, sku_ids) -> dict[tuple[int, int], int]:
    """Units ordered from suppliers and not yet received, per (SKU, warehouse), of orders
    sent and not closed."""
    rows = (
        PurchaseOrderLine.objects.filter(sku_id__in=list(sku_ids), order__status__in=OPEN)
        .filter(quantity__gt=F("received"))
        .values("sku_id", "order__warehouse_id")
        .annotate(units=Sum(F("quantity") - F("received")))
    )
    return {(r["sku_id"], r["order__warehouse_id"]): r["units"] for r in rows}


def _ratio(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), ROUND_HALF_UP)


@dataclass(frozen=True)
class Performance:
    receipts: int
    on_time: int
    on_time_rate: Decimal | None  # receipts on or before the promised date / receipts
    received: int
    rejected: int
    reject_rate: Decimal | None  # rejected units / received units
    # Σ(PO price × units) / Σ(lowest valid price of another supplier × units) − 1, over the
    # lines that have such a price: +0.05 = 5% dearer than the market.
    price_vs_market: Decimal | None


def supplier_performance(*, supplier_id: int) -> Performance:
    """Computed from the supplier's receipts: on-time delivery, quality rejects and the
    price paid against the lowest price-list price of other suppliers for the same SKU
    valid on the order's date."""
    return supplier_performances(supplier_ids=[supplier_id])[supplier_id]


def supplier_performances(*, supplier_ids, prices: bool = True) -> dict[int, Performance]:
    """supplier_performance() of each of these suppliers, in two queries for all of them;
    without `prices` in one, and price_vs_market None."""
    lines = list(
        ReceiptLine.objects.filter(receipt__order__supplier_id__in=list(supplier_ids)).values(
            "receipt_id",
            "received",
            "rejected",
            "receipt__received_at",
            "receipt__order__supplier_id",
            "receipt__order__promised_date",
            "receipt__order__created_at",
            "order_line__sku_id",
            "order_line__unit_price",
        )
    )
    by_supplier: dict[int, list[dict]] = {pk: [] for pk in supplier_ids}
    for ln in lines:
        by_supplier[ln["receipt__order__supplier_id"]].append(ln)
    market = []
    if prices:
        market = list(
            SupplierPrice.objects.filter(
                sku_id__in={ln["order_line__sku_id"] for ln in lines}
            ).values("supplier_id", "sku_id", "price", "valid_from", "valid_to")
        )
    return {pk: _performance(pk, rows, market) for pk, rows in by_supplier.items()}


def _performance(supplier_id, lines, market) -> Performance:
    receipts = {}
    for ln in lines:
        day = timezone.localtime(ln["receipt__received_at"]).date()
        receipts[ln["receipt_id"]] = day <= ln["receipt__order__promised_date"]
    received = sum(ln["received"] for ln in lines)
    rejected = sum(ln["rejected"] for ln in lines)
    paid = worth = Decimal(0)
    for ln in lines:
        on = timezone.localtime(ln["receipt__order__created_at"]).date()
        others = [
            p["price"]
            for p in market
            if p["supplier_id"] != supplier_id
            and p["sku_id"] == ln["order_line__sku_id"]
            and p["valid_from"] <= on
            and (p["valid_to"] is None or p["valid_to"] >= on)
        ]
        if others:
            paid += ln["order_line__unit_price"] * ln["received"]
            worth += min(others) * ln["received"]
    on_time = sum(receipts.values())
    return Performance(
        receipts=len(receipts),
        on_time=on_time,
        on_time_rate=_ratio(on_time, len(receipts)),
        received=received,
        rejected=rejected,
        reject_rate=_ratio(rejected, received),
        price_vs_market=_ratio(paid, worth) - 1 if worth else None,
    )


def awaiting_approval(user) -> QuerySet[PurchaseOrder]:
    """The orders this user may approve now."""
    statuses = []
    if user.has_perm("procurement.approve_purchaseorder"):
        statuses.append(POStatus.PENDING_LEAD)
    if user.has_perm("procurement.approve_large_purchaseorder"):
        statuses.append(POStatus.PENDING_FINANCE)
    return order_rows().filter(status__in=statuses)


def deliveries_due(*, today=None) -> QuerySet[PurchaseOrder]:
    """Sent or partly received orders promised for today or earlier: goods the warehouse
    expects now or that are late."""
    today = today or timezone.localdate()
    return order_rows().filter(
        status__in=[POStatus.SENT, POStatus.PARTIALLY_RECEIVED], promised_date__lte=today
    )


TENDER_CLOSING_HOURS = 72


def tenders_closing(*, now=None, hours: int = TENDER_CLOSING_HOURS) -> QuerySet:
    """Open tenders whose deadline for bids falls in the next `hours`."""
    now = now or timezone.now()
    return Tender.objects.filter(
        status=TenderStatus.OPEN,
        deadline__gt=now,
        deadline__lte=now + datetime.timedelta(hours=hours),
    )


# --- Transfers -------------------------------------------------------------------------


def in_transit(*, sku_ids=None, warehouse_ids=None) -> dict[tuple[int, int], int]:
    """Units in transit as {(sku_id, destination warehouse_id): units}: the lines of
    shipped, not yet received transfer orders."""
    rows = TransferOrderLine.objects.filter(order__status=TransferStatus.SHIPPED)
    if sku_ids is not None:
        rows = rows.filter(sku_id__in=list(sku_ids))
    if warehouse_ids is not None:
        rows = rows.filter(order__to_warehouse_id__in=list(warehouse_ids))
    totals = rows.values("sku_id", "order__to_warehouse_id").annotate(units=Sum("quantity"))
    return {(r["sku_id"], r["order__to_warehouse_id"]): r["units"] for r in totals}


def transfer_orders(*, status: str = "", warehouse_id=None):
    queryset = (
        TransferOrder.objects.select_related("from_warehouse", "to_warehouse")
        .annotate(line_count=Count("lines"), units=Sum("lines__quantity"))
        .order_by("-id")
    )
    if status:
        queryset = queryset.filter(status=status)
    if warehouse_id:
        queryset = queryset.filter(
            Q(from_warehouse_id=warehouse_id) | Q(to_warehouse_id=warehouse_id)
        )
    return queryset


def transfer_order_by_number(number: str):
    return (
        TransferOrder.objects.select_related("from_warehouse", "to_warehouse", "created_by")
        .prefetch_related("lines__sku", "events__actor")
        .filter(number=number)
        .first()
    )


def supplier_lead_times(*, since) -> list[tuple[str, float]]:
    """(supplier name, days from sending to the last receipt) of each purchase order sent
    since `since` and received in full, in one query."""
    rows = (
        PurchaseOrder.objects.filter(
            sent_at__gte=since, status__in=[POStatus.RECEIVED, POStatus.CLOSED],
            receipts__isnull=False,
        )
        .values("pk", "supplier__name", "sent_at")
        .annotate(received=Max("receipts__received_at"))
        .order_by("supplier__name", "pk")
    )  # fmt: skip
    return [
        (row["supplier__name"], (row["received"] - row["sent_at"]).total_seconds() / 86400)
        for row in rows
    ]
