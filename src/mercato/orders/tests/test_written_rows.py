"""write_order_record writes its rows from values (core.db.insert_values_statement), not
through the ORM: every column must hold what Django's own save and bulk_create write for
the same order, on both engines."""

from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from mercato.core import outbox
from mercato.core.models import OutboxMessage
from mercato.orders.models import Order, OrderEvent, OrderLine
from mercato.orders.services import DeliveryAddress, Invoice, write_order_record
from mercato.orders.tasks import cancel_unpaid_order_task
from mercato.promotions.engine import AppliedOffer
from mercato.promotions.models import Redemption
from mercato.promotions.services import redemptions_statement
from mercato.testing.factories import SkuFactory, make_customer, priced_line
from mercato.testing.promotions import make_promotion

pytestmark = pytest.mark.django_db

ADDRESS = DeliveryAddress(
    recipient="李四", mobile="13900139000", province="四川省", city="成都市",
    district="武侯区", detail="天府大道北段1700号",
)  # fmt: skip


def _raw(model, column: str, values: list) -> list[tuple]:
    """The rows of `model` whose `column` is in `values` as the database holds them (no
    field conversion on the way back), by column name, in key order."""
    quote = connection.ops.quote_name
    table, where, key = quote(model._meta.db_table), quote(column), quote(model._meta.pk.column)
    marks = ", ".join(["%s"] * len(values))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT * FROM {table} WHERE {where} IN ({marks}) ORDER BY {key}",  # noqa: S608
            values,
        )
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _without(rows: list[dict], *names: str) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in names} for row in rows]


def test_the_order_its_lines_event_timer_and_redemptions_are_the_rows_the_orm_writes():
    """Placed by write_order_record, and the same order written by Order.save, the lines
    and redemptions by bulk_create, event and timer by save: every column of every row
    is the same but keys and numbers (the time held still)."""
    # given: lines with and without specs, cost and product; a member, staff actor, IP
    customer = make_customer()
    sku = SkuFactory(specs={"颜色": "红", "尺码": "XL"})
    lines = [
        priced_line(sku=sku, unit_price="12.30", quantity=3, discount_share="1.05"),
        priced_line(unit_price="0.10", quantity=1),
    ]
    lines.append(
        lines[1].__class__(
            sku_id=None,
            product_id=None,
            product_name="赠品",
            sku_code="GIFT-1",
            unit_price=Decimal("0.00"),
            quantity=2,
        )  # fmt: skip
    )
    lines_total = sum((ln.unit_price * ln.quantity for ln in lines), Decimal("0.00"))
    discount = sum((ln.discount_share for ln in lines), Decimal("0.00"))
    promotion, other = make_promotion(), make_promotion()
    applied = [
        AppliedOffer(promotion.pk, "满减", "spend_save", Decimal("1.05"), Decimal("0.00"), ()),
        AppliedOffer(other.pk, "包邮", "free_shipping", Decimal("0.00"), Decimal("8.00"), ()),
    ]
    actor = customer.user
    order_fields = {
        "customer": customer,
        "lines": lines,
        "lines_total": lines_total,
        "shipping_fee": Decimal("8.00"),
        "discount_total": discount,
        "total": lines_total + Decimal("8.00") - discount,
        "payment_method": "sandbox",
        "address": ADDRESS,
        "invoice": Invoice(type="personal", title="李四"),
        "note": "放门口",
        "actor": actor,
        "channel": "api",
        "client_ip": "2001:db8::1",
    }
    now = timezone.now().replace(microsecond=123456)
    with mock.patch("django.utils.timezone.now", return_value=now):
        # when: placed by write_order_record (redemptions in its round trip)
        order = write_order_record(
            **order_fields,
            idempotency_key="k-values",
            also=lambda order: [
                redemptions_statement(
                    applied=applied, customer_id=customer.pk, order_number=order.number
                )
            ],
        )
        # and the same through the ORM
        twin = Order(
            **{
                f.attname: getattr(order, f.attname)
                for f in Order._meta.concrete_fields
                if f.attname not in ("id", "number", "idempotency_key")
            },
            number=order.number + "b",
            idempotency_key="k-orm",
        )
        twin.save(force_insert=True)
        OrderLine.objects.bulk_create(
            OrderLine(
                order=twin,
                product_id=ln.product_id,
                sku_id=ln.sku_id,
                product_name=ln.product_name,
                sku_code=ln.sku_code,
                specs=ln.specs,
                unit_price=ln.unit_price,
                quantity=ln.quantity,
                line_total=ln.unit_price * ln.quantity,
                discount_share=ln.discount_share,
                unit_cost=ln.unit_cost,
            )  # fmt: skip
            for ln in lines
        )
        OrderEvent(order=twin, from_status="", to_status=twin.status, actor=actor).save()
        outbox.message(
            cancel_unpaid_order_task,
            args=[twin.pk],
            eta=twin.expires_at + timedelta(seconds=60),
            by_relay=True,
        ).save(force_insert=True)
        Redemption.objects.bulk_create(
            Redemption(
                promotion_id=item.id,
                order_number=twin.number,
                customer_id=customer.pk,
                discount=item.discount,
                shipping_off=item.shipping_off,
            )  # fmt: skip
            for item in applied
        )

    # then: column by column the same, keys and numbers aside
    placed, copied = _raw(Order, "id", [order.pk]), _raw(Order, "id", [twin.pk])
    assert _without(placed, "id", "number", "idempotency_key") == _without(
        copied, "id", "number", "idempotency_key"
    )
    for model in (OrderLine, OrderEvent):
        placed, copied = _raw(model, "order_id", [order.pk]), _raw(model, "order_id", [twin.pk])
        assert len(placed) == (3 if model is OrderLine else 1)
        assert _without(placed, "id", "order_id") == _without(copied, "id", "order_id")
    placed = _raw(Redemption, "order_number", [order.number])
    copied = _raw(Redemption, "order_number", [twin.number])
    assert [row["promotion_id"] for row in placed] == [promotion.pk, other.pk]
    assert _without(placed, "id", "order_number") == _without(copied, "id", "order_number")
    key = OutboxMessage._meta.pk
    timers = {
        row.args[0]: _raw(OutboxMessage, "id", [key.get_db_prep_value(row.pk, connection)])
        for row in OutboxMessage.objects.all()
    }
    placed, copied = timers[order.pk], timers[twin.pk]
    assert _without(placed, "id", "args") == _without(copied, "id", "args")
