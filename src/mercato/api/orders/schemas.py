"""Bodies of the orders endpoints. Money goes out as strings ("12.30"), never floats."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema

from mercato.api.schemas import BodyIn, Id, Text

Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]


class AddressIn(Schema):
    recipient: Annotated[Text, Field(min_length=1, max_length=40)]
    mobile: Annotated[Text, Field(min_length=1, max_length=20)]
    province: Annotated[Text, Field(min_length=1, max_length=20)]
    city: Annotated[Text, Field(min_length=1, max_length=30)]
    district: Annotated[Text, Field(min_length=1, max_length=30)]
    detail: Annotated[Text, Field(min_length=1, max_length=200)]


class QuoteIn(BodyIn):
    """Where the order would go: a saved address of the member, or an address."""

    address_id: Id | None = None
    address: AddressIn | None = None
    coupon_code: Annotated[Text, Field(max_length=20)] = ""  # one of the member's, or shared
    points: Annotated[int, Field(ge=0, le=10**8)] = 0  # member points to take off (积分抵现)


class InvoiceIn(Schema):
    kind: Literal["personal", "company"]
    title: Annotated[Text, Field(max_length=100)] = ""
    tax_id: Annotated[Text, Field(max_length=18)] = ""


class PlaceIn(QuoteIn):
    payment_method: Annotated[Text, Field(min_length=1, max_length=20)]
    idempotency_key: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{8,64}$")]
    invoice: InvoiceIn | None = None
    note: Annotated[Text, Field(max_length=200)] = ""
    expected_total: Money | None = None


class CancelIn(Schema):
    reason: Annotated[Text, Field(max_length=200)] = ""


class LineOut(Schema):
    sku_id: int | None
    product_name: str
    sku_code: str
    specs: dict
    unit_price: str
    quantity: int
    line_total: str


class ParcelLineOut(Schema):
    sku_id: int
    quantity: int


class ParcelOut(Schema):
    warehouse: str
    warehouse_code: str
    lines: list[ParcelLineOut]


class TotalsOut(Schema):
    lines_total: str
    shipping_fee: str
    discount_total: str
    total: str


class PromotionOut(Schema):
    id: int
    name: str
    discount: str  # off the goods, spread over the lines it applies to
    shipping_off: str


class CouponOut(Schema):
    code: str
    name: str
    discount: str
    shipping_off: str


class QuoteOut(Schema):
    lines: list[LineOut]
    parcels: list[ParcelOut]
    weight_g: int
    totals: TotalsOut
    promotions: list[PromotionOut]  # the running promotions the order gets
    coupon: CouponOut | None = None  # the coupon applied
    coupon_error: str = ""  # why the coupon asked for cannot be used
    points_used: int = 0  # points taken off as money
    points_off: str = "0.00"  # what they take off
    points_usable: int = 0  # the most points this order may use
    points_error: str = ""  # why fewer points than asked are used


class EventOut(Schema):
    status: str
    from_status: str
    at: datetime
    reason: str


class RefundOut(Schema):
    refund_no: str
    amount: str
    status: str  # requested, processing, succeeded, failed, ... (payments.RefundStatus)
    status_label: str  # the status in the request's language
    requested_at: datetime
    refunded_at: datetime | None  # when the money went back (succeeded)


class OrderSummaryOut(Schema):
    number: str
    status: str
    status_label: str
    payment_method: str
    total: str
    placed_at: datetime
    paid_at: datetime | None
    expires_at: datetime | None


class PlacedOut(OrderSummaryOut):
    """The answer to placement: enough to go on paying; GET the order for the rest."""

    lines_total: str
    shipping_fee: str
    discount_total: str
    guest_link: str | None = None  # the storefront page of a guest's order: keep it
    guest_token: str | None = None  # for GET /api/orders/guest/{token}


class OrderOut(PlacedOut):
    address: AddressIn  # the address as it was at placement
    invoice: dict
    note: str
    lines: list[LineOut]
    parcels: list[ParcelOut]
    events: list[EventOut]
    refunds: list[RefundOut]  # every refund of the order's payments, oldest first
    refunded_total: str  # the sum of the succeeded refunds
    payment_status_label: str  # 部分退款 / 已退款 once a refund moved the payment on, else ""


class OrderPageOut(Schema):
    count: int
    page: int
    pages: int
    results: list[OrderSummaryOut]


class PaymentActionOut(Schema):
    """What to do with the buyer's browser: follow `url`, POST `fields` to `url`, or show
    `qr_payload` as a QR code (WeChat Native)."""

    kind: str
    amount: str
    url: str
    fields: dict[str, str]
    qr_payload: str
    message: str
    payment_number: str | None = None
