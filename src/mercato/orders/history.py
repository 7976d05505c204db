"""Past orders taken over from an earlier system (销售历史导入): completed orders at their
own dates, so that sales analysis and the purchase forecasts have a history from day one.

They are written complete — status completed, one event saying they were imported — and
never enter order processing: no payment step, no review, no reservation, no stock
movement (the goods left long ago). Amounts are checked as for a placed order.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from .models import Order, OrderEvent, OrderLine, OrderStatus
from .services import DeliveryAddress, PricedLine, _check_amounts, next_order_number


@dataclass
class PastOrder:
    placed_at: object  # an aware datetime in the past
    address: DeliveryAddress
    lines: list[PricedLine]
    payment_method: str = "cod"


@transaction.atomic
def import_past_orders(*, orders: list[PastOrder]) -> int:
    """Write the orders, their lines and one event each; all or nothing."""
    rows, lines = [], []
    for past in orders:
        lines_total = sum((ln.unit_price * ln.quantity for ln in past.lines), Decimal("0.00"))
        discount = sum((ln.discount_share for ln in past.lines), Decimal("0.00"))
        line_values = _check_amounts(
            lines=past.lines, lines_total=lines_total, shipping_fee=Decimal("0.00"),
            discount_total=discount, total=lines_total - discount,
        )  # fmt: skip
        a = past.address
        rows.append(
            Order(
                number=next_order_number(now=past.placed_at),
                status=OrderStatus.COMPLETED,
                payment_method=past.payment_method,
                lines_total=lines_total,
                shipping_fee=Decimal("0.00"),
                discount_total=discount,
                total=lines_total - discount,
                recipient=a.recipient,
                mobile=a.mobile,
                province=a.province,
                city=a.city,
                district=a.district,
                detail=a.detail,
                placed_at=past.placed_at,
                paid_at=past.placed_at,
            )  # fmt: skip
        )
        lines.append([OrderLine(**values) for values in line_values])
    Order.objects.bulk_create(rows, batch_size=500)
    for order, order_lines in zip(rows, lines, strict=True):
        for line in order_lines:
            line.order = order
    OrderLine.objects.bulk_create([ln for group in lines for ln in group], batch_size=2000)
    OrderEvent.objects.bulk_create(
        (
            OrderEvent(
                order=order,
                from_status="",
                to_status=OrderStatus.COMPLETED,
                reason="销售历史导入",  # free text, as staff write reasons
            )  # fmt: skip
            for order in rows
        ),
        batch_size=2000,
    )
    return len(rows)
