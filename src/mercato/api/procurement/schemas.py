"""Schemas of the staff procurement API (/api/staff/procurement/...)."""

import datetime
from decimal import Decimal

from ninja import Field, Schema

from mercato.api.schemas import Id, Text


class SupplierOut(Schema):
    id: int
    code: str
    name: str
    uscc: str
    is_active: bool
    bank_name: str
    bank_account: str = Field(description="In full only with procurement.view_bank_details")
    categories: list[str]


class PerformanceOut(Schema):
    receipts: int
    on_time_rate: Decimal | None
    received: int
    rejected: int
    reject_rate: Decimal | None
    price_vs_market: Decimal | None


class SupplierDetailOut(SupplierOut):
    address: str
    performance: PerformanceOut


class SupplierPageOut(Schema):
    count: int
    page: int
    pages: int
    results: list[SupplierOut]


class LineIn(Schema):
    sku_code: Text = Field(max_length=40)
    quantity: int = Field(description="Units, above zero")
    unit_price: Decimal | None = Field(
        None, description="Above zero; empty: the supplier's valid price-list price"
    )


class PurchaseOrderIn(Schema):
    supplier_id: Id
    warehouse_id: Id
    promised_date: datetime.date
    lines: list[LineIn] = Field(max_length=500)
    note: Text = Field("", max_length=200)


class NoteIn(Schema):
    note: Text = Field("", max_length=200)


class LineOut(Schema):
    sku_code: str
    quantity: int
    unit_price: Decimal
    received: int
    accepted: int
    rejected: int


class EventOut(Schema):
    from_status: str
    to_status: str
    by: str | None
    note: str
    at: datetime.datetime


class PurchaseOrderOut(Schema):
    number: str
    supplier_id: int
    supplier: str
    warehouse_id: int
    status: str
    status_label: str
    promised_date: datetime.date
    total: Decimal


class PurchaseOrderDetailOut(PurchaseOrderOut):
    lines: list[LineOut]
    events: list[EventOut]


class PurchaseOrderPageOut(Schema):
    count: int
    page: int
    pages: int
    results: list[PurchaseOrderOut]
