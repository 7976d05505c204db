"""Placement's stock step has two implementations (inventory.stockstep): the ORM one, for
every engine, and PostgreSQL's one statement. The same placements through each write the
same rows: stock figures, ledger rows and reservations, field by field."""

import threading

import pytest
from django.db import connection

from mercato.catalog.signals import sku_availability_changed
from mercato.checkout.placement import place_order
from mercato.inventory import reservations
from mercato.inventory.allocation import OutOfStock
from mercato.inventory.models import Reservation, Stock, StockMovement
from mercato.inventory.stockstep import orm, postgres, stock_step
from mercato.testing.buying import CHENGDU, cart_with, new_key, stock
from mercato.testing.factories import make_customer

pytestmark = pytest.mark.postgres

STEPS = {"orm": orm.STEP, "postgres": postgres.STEP}


def _rows(skus: dict, warehouses: dict, numbers: list[str]) -> dict:
    """Every row the scenario's SKUs have, with ids, times and order numbers replaced by
    the names the scenario gave them (so two runs compare)."""
    sku_name = {sku.pk: name for name, sku in skus.items()}
    warehouse_name = {w.pk: code for code, w in warehouses.items()}
    order_name = {number: f"order {n}" for n, number in enumerate(numbers)}
    where = {"sku__in": skus.values()}
    return {
        "stock": sorted(
            (sku_name[s.sku_id], warehouse_name[s.warehouse_id], s.on_hand, s.reserved)
            for s in Stock.objects.filter(**where)
        ),
        "ledger": sorted(
            (
                sku_name[m.stock.sku_id],
                warehouse_name[m.stock.warehouse_id],
                m.reason,
                m.on_hand_delta,
                m.reserved_delta,
                m.on_hand_before,
                m.on_hand_after,
                m.reserved_before,
                m.reserved_after,
                order_name.get(m.reference, m.reference),
                m.note,
                m.actor_id,
            )
            for m in StockMovement.objects.filter(stock__sku__in=skus.values()).select_related(
                "stock"
            )
        ),
        "reservations": sorted(
            (
                sku_name[r.sku_id],
                warehouse_name[r.warehouse_id],
                order_name[r.reference],
                r.quantity,
                r.shipped,
                r.status,
                r.note,
            )
            for r in Reservation.objects.filter(**where)
        ),
    }


def _scenario(step: str, *, shop, make_sku, settings, monkeypatch) -> dict:
    """Placements of every kind: one warehouse, a split, the last units, a sold-out refusal."""
    customer = make_customer(name="张三")  # a cart of its own for each run
    settings.MERCATO_STOCK_STEP = step
    assert stock_step() is STEPS[step]
    skus = {name: make_sku(price="10.00", weight_g=100) for name in ("a", "b", "c")}
    stock(skus["a"], shop["CD"], 3)
    stock(skus["a"], shop["SH"], 5)
    stock(skus["b"], shop["SH"], 2)
    stock(skus["c"], shop["CD"], 1)
    sold_out = []
    monkeypatch.setattr(
        sku_availability_changed, "send", lambda sender, sku_ids: sold_out.extend(sku_ids)
    )
    numbers = []

    def buy(*lines):
        placed = place_order(
            customer=customer,
            cart=cart_with(customer, *lines),
            address=CHENGDU,
            payment_method="sandbox",
            idempotency_key=new_key(),
        )
        numbers.append(placed.order.number)

    buy((skus["a"], 2))  # Chengdu holds it
    buy((skus["b"], 1), (skus["c"], 1))  # split: c only in Chengdu (its last unit), b not
    buy((skus["a"], 1))  # Chengdu's last a
    with pytest.raises(OutOfStock):
        buy((skus["b"], 5))
    names = {sku.pk: name for name, sku in skus.items()}
    rows = _rows(skus, shop, numbers)
    rows["sold out"] = sorted(names[pk] for pk in sold_out)
    return rows


def test_both_stock_steps_write_the_same_rows(shop, make_sku, settings, monkeypatch):
    kwargs = {"shop": shop, "make_sku": make_sku, "settings": settings}
    with monkeypatch.context() as patch:
        by_orm = _scenario("orm", monkeypatch=patch, **kwargs)
    with monkeypatch.context() as patch:
        by_postgres = _scenario("postgres", monkeypatch=patch, **kwargs)
    assert by_postgres == by_orm
    assert by_orm["reservations"] == [
        ("a", "CD", "order 0", 2, 0, "active", ""),
        ("a", "CD", "order 2", 1, 0, "active", ""),
        ("b", "SH", "order 1", 1, 0, "active", ""),
        ("c", "CD", "order 1", 1, 0, "active", ""),
    ]
    assert by_orm["sold out"] == ["a", "c"]  # Chengdu's last a and c's only unit


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("step", list(STEPS))
def test_a_stale_plan_ends_the_same_through_either_step(step, shop, make_sku, customer, settings):
    """Another buyer takes Chengdu's units between the snapshot and the locks: either step
    raises PlanOutdated, placement plans again on locked rows, and the order ships from
    Shanghai with no unit oversold."""
    settings.MERCATO_STOCK_STEP = step
    a = make_sku()
    stock(a, shop["CD"], 2)
    stock(a, shop["SH"], 4)
    real_plan, calls = reservations.plan_allocation, []

    def rival_takes_chengdu():
        Stock.objects.filter(sku=a, warehouse=shop["CD"]).update(reserved=2)
        connection.close()

    def plan_then_rival(**kwargs):
        calls.append(kwargs["available"].copy())
        plan = real_plan(**kwargs)
        if len(calls) == 1:
            rival = threading.Thread(target=rival_takes_chengdu)
            rival.start()
            rival.join()
        return plan

    reservations.plan_allocation = plan_then_rival
    try:
        placed = place_order(
            customer=customer,
            cart=cart_with(customer, (a, 2)),
            address=CHENGDU,
            payment_method="sandbox",
            idempotency_key=new_key(),
        )
    finally:
        reservations.plan_allocation = real_plan
    rows = _rows({"a": a}, shop, [placed.order.number])
    assert rows["stock"] == [("a", "CD", 2, 2), ("a", "SH", 4, 2)]
    assert rows["reservations"] == [("a", "SH", "order 0", 2, 0, "active", "")]
    assert [row[:5] for row in rows["ledger"]] == [
        ("a", "CD", "receipt", 2, 0),
        ("a", "SH", "receipt", 4, 0),
        ("a", "SH", "reservation", 0, 2),
    ]


def test_the_stock_statement_is_planned_once_not_per_order(shop, make_sku, customer, settings):
    """PostgreSQL plans a prepared statement once (generic plan) only when that plan costs
    no more than one made for the values. The stock statement's rows go in as a VALUES list
    of their number, so after psycopg prepares it the orders that follow are not planned
    again (with arrays, every placement was: 35 custom plans in 35 runs)."""
    settings.MERCATO_STOCK_STEP = "postgres"
    a, b = make_sku(), make_sku()
    stock(a, shop["CD"], 100)
    stock(b, shop["CD"], 100)
    for _ in range(12):  # psycopg prepares on the 5th run, PostgreSQL decides on the 5th more
        place_order(
            customer=customer,
            cart=cart_with(customer, (a, 1), (b, 1)),
            address=CHENGDU,
            payment_method="sandbox",
            idempotency_key=new_key(),
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE %s",
            ["%WITH want (id, sku_id, warehouse_id, quantity)%"],
        )
        ((generic, custom),) = cursor.fetchall()
    assert custom == 5
    assert generic == 2  # the 11th and 12th order
