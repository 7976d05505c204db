"""Schemas of the order console over the staff API (/api/staff/orders)."""

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Schema

from mercato.api.schemas import Text


class OrderRowOut(Schema):
    number: str
    status: str
    status_label: str
    payment_method: str
    channel: str
    total: Decimal
    recipient: str = Field(description="Masked (张*) without core.view_full_phone")
    mobile: str = Field(description="Masked (138****5678) without core.view_full_phone")
    province: str
    city: str
    district: str
    placed_at: datetime
    paid_at: datetime | None
    on_hold: bool


class OrderListOut(Schema):
    count: int = Field(description="Orders matching, counted up to 10,001")
    more_than: bool = Field(description="True when more than 10,000 match")
    page: int
    pages: int
    results: list[OrderRowOut]


class LineOut(Schema):
    id: int
    sku_code: str
    product_name: str
    specs: dict
    unit_price: Decimal
    quantity: int
    line_total: Decimal
    discount_share: Decimal


class EventOut(Schema):
    at: datetime
    kind: str
    from_status: str
    to_status: str
    by: str | None
    reason: str


class NoteOut(Schema):
    at: datetime
    by: str | None
    text: str


class RefundOut(Schema):
    refund_no: str
    amount: Decimal
    status: str


class PaymentOut(Schema):
    number: str
    method: str
    amount: Decimal
    status: str
    paid_at: datetime | None
    refunds: list[RefundOut]


class ParcelLineOut(Schema):
    sku_code: str
    quantity: int
    packed: int


class TrackingOut(Schema):
    at: datetime
    code: str
    location: str
    description: str


class ParcelOut(Schema):
    number: str
    status: str
    warehouse: str
    carrier: str | None
    waybill_no: str | None
    promised_by: date | None
    cod_amount: Decimal
    weight_g: int | None
    lines: list[ParcelLineOut]
    tracking: list[TrackingOut]


class ReviewOut(Schema):
    outcome: str
    reasons: list[str]
    findings: list[dict]


class OrderDetailOut(OrderRowOut):
    detail: str = Field(description="The street address; masked without core.view_full_phone")
    hold_reason: str
    note: str
    lines_total: Decimal
    shipping_fee: Decimal
    discount_total: Decimal
    lines: list[LineOut]
    parcels: list[ParcelOut]
    payments: list[PaymentOut]
    events: list[EventOut]
    notes: list[NoteOut]
    review: ReviewOut | None


class ReasonIn(Schema):
    reason: Text = Field(min_length=1, max_length=200)


class OptionalReasonIn(Schema):
    reason: Text = Field("", max_length=200)


class NoteIn(Schema):
    text: Text = Field(min_length=1, max_length=500)


class AddressIn(Schema):
    recipient: Text = Field(min_length=1, max_length=40)
    mobile: Text = Field(min_length=1, max_length=20)
    province: Text = Field(min_length=1, max_length=20)
    city: Text = Field(min_length=1, max_length=30)
    district: Text = Field(min_length=1, max_length=30)
    detail: Text = Field(min_length=1, max_length=200)


class AddressChangeIn(AddressIn):
    confirmation: Text = Field(
        min_length=1, max_length=200, description="How the customer confirmed the change"
    )


class PhoneLineIn(Schema):
    sku_code: Text = Field(min_length=1, max_length=40)
    quantity: int = Field(ge=1, le=9999)


class PhoneOrderIn(Schema):
    mobile: Text = Field(min_length=1, max_length=20, description="The caller's mobile")
    name: Text = Field("", max_length=40, description="For a caller without an account")
    lines: list[PhoneLineIn] = Field(min_length=1, max_length=50)
    address: AddressIn
    payment_method: Text = Field(min_length=1, max_length=20)
    idempotency_key: Text = Field(min_length=8, max_length=64)
    note: Text = Field("", max_length=200)


class PlacedOut(Schema):
    number: str
    created: bool
    status: str
    total: Decimal
