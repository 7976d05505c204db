"""Request and response bodies of the cart endpoints. Money is a string with two places."""

from decimal import Decimal
from typing import Literal

from ninja import Schema
from pydantic import StrictBool

from mercato.api.schemas import Id


class CartLineOut(Schema):
    id: int
    sku_id: int
    sku_code: str
    product_name: str
    specs: dict[str, str]
    quantity: int
    selected: bool
    unit_price: Decimal  # the current list price
    price_changed: bool  # since the shopper last saw (or acknowledged) it
    old_price: Decimal | None
    on_sale: bool
    available: int  # units in stock across the active warehouses
    insufficient: bool
    subtotal: Decimal


class NoticeOut(Schema):
    kind: Literal["price_changed", "off_shelf", "insufficient_stock"]
    line_id: int
    message: str


class CartOut(Schema):
    lines: list[CartLineOut]
    selected_count: int  # units in the selected lines that can be bought
    total: Decimal  # of those units at the current prices
    notices: list[NoticeOut]


class LineIn(Schema):
    sku_id: Id
    # Checked by the cart service (at least 1, the SKU's limit, the site maximum).
    quantity: int = 1


class LinePatch(Schema):
    quantity: int | None = None
    selected: StrictBool | None = None
