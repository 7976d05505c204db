"""Supply-chain KPIs against figures computed by hand."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from mercato.analytics import supply
from mercato.orders.models import Order, OrderEvent
from mercato.orders.services import cancel_order
from mercato.procurement import receiving
from mercato.procurement.models import PurchaseOrder
from mercato.testing.fulfillment import (
    carriers,
    costed,
    deliver,
    make_customer,
    make_shop,
    place,
    stock,
)
from mercato.testing.procurement import make_sent_po, make_supplier
from mercato.testing.stockcontrol import ship_units

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def shop(db):
    warehouses = make_shop()
    return {"cd": warehouses["四川省"], "sh": warehouses["上海市"]}


def test_turnover_days_of_inventory_capital_utilisation_and_slow_movers(shop):
    """成都: phone 100 in, 40 shipped (cost ¥100), case 50 (¥10): ¥6,500 held, ¥4,000
    shipped in 90 days → 6,500 × 90 / 4,000 = 146.25 → 146.3 days, 4,000 × 365 / 90 /
    6,500 = 2.50 turns. 上海: case 20 in, 10 shipped in the period and 5 before it:
    ¥50 held, ¥100 shipped → 45.0 days, 8.1 turns."""
    cd, sh = shop["cd"], shop["sh"]
    phone, case = costed("199.00", "100.00"), costed("19.00", "10.00", "配件")
    stock(phone, cd, 100, "A-01")
    stock(case, cd, 50, "A-02")
    stock(case, sh, 20, "A-01")
    ship_units(phone, cd, 40, days_ago=10)
    ship_units(case, sh, 10, days_ago=5)
    ship_units(case, sh, 5, days_ago=100)

    kpis = supply.supply_kpis(days=90)

    by_wh = {r.name: r.figures for r in kpis.turnover_by_warehouse}
    assert by_wh[cd.name] == {"units": 110, "value": D("6500.00"), "cogs": D("4000.00"),
                              "days_of_inventory": D("146.3"), "turns": D("2.5")}  # fmt: skip
    assert by_wh[sh.name] == {"units": 5, "value": D("50.00"), "cogs": D("100.00"),
                              "days_of_inventory": D("45.0"), "turns": D("8.1")}  # fmt: skip
    by_cat = {r.name: r.figures for r in kpis.turnover_by_category}
    # phone: 6,000 held, 4,000 shipped → 135.0 days, 2.7 turns; case: 550, 100 → 495.0, 0.7.
    assert (by_cat["手机"]["days_of_inventory"], by_cat["手机"]["turns"]) == (D("135.0"), D("2.7"))
    assert (by_cat["配件"]["days_of_inventory"], by_cat["配件"]["turns"]) == (D("495.0"), D("0.7"))
    assert kpis.capital == D("6550.00")
    # 20 bins each: 成都 uses, 上海 A-01.
    assert {r.name: r.figures["share"] for r in kpis.utilisation} == {
        cd.name: D("10.0"),
        sh.name: D("5.0"),
    }
    # Cover over 180 days at the period's rate: case 55 held, 10 shipped (55 > 20); the
    # phone's 60 last 135 days.
    assert [(s["code"], s["units"], s["shipped"], s["value"]) for s in kpis.slow] == [
        (case.code, 55, 10, D("550.00"))
    ]


def test_percentiles_interpolate_between_sorted_values():
    assert supply.percentile([3, 1, 2], 50) == 2
    assert supply.percentile([1, 2, 3], 90) == pytest.approx(2.8)
    assert supply.percentile([], 50) is None


def test_order_cycle_time_per_stage_and_fill_rate(shop, make_staff):
    """Three orders delivered: placed → approved took 1, 2 and 3 hours (p50 2.0, p90
    2.8), placed → delivered 24, 48 and 96 hours (p50 48.0, p90 86.4). Fill rate: those
    three units shipped, a paid order cancelled before shipping (1 unit) and an unpaid
    one left out → 3 of 4 = 75.0 %."""
    carriers()
    sku = costed("50.00", "20.00")
    for wh in shop.values():
        stock(sku, wh, 100)
    shopper, clerk = make_customer(), make_staff("procurement", roles=["order_processing"])
    orders = [place(shopper, (sku, 1)) for _ in range(3)]
    cancelled = place(shopper, (sku, 1))
    place(shopper, (sku, 1), paid=False)
    cancel_order(order_id=cancelled.pk, actor=shopper.user, reason="不要了", by_customer=True)
    deliver(*orders, actor=clerk)
    t0 = timezone.now() - timedelta(days=10)
    for n, order in enumerate(orders, start=1):
        Order.objects.filter(pk=order.pk).update(placed_at=t0)
        steps = {"approved": n, "picking": n + 1, "packed": n + 2, "shipped": n + 3,
                 "delivered": (24, 48, 96)[n - 1]}  # fmt: skip
        for status, hours in steps.items():
            OrderEvent.objects.filter(order=order, to_status=status).update(
                created_at=t0 + timedelta(hours=hours)
            )

    kpis = supply.supply_kpis(days=30)

    # In the order of supply.STAGES: placed → approved, approved → picked, ..., placed →
    # delivered (the names are translated).
    cycle = [r.figures for r in kpis.cycle]
    assert cycle[0] == {"orders": 3, "p50": D("2.0"), "p90": D("2.8")}
    assert cycle[1] == {"orders": 3, "p50": D("1.0"), "p90": D("1.0")}
    assert cycle[5] == {"orders": 3, "p50": D("48.0"), "p90": D("86.4")}
    assert (kpis.units_ordered, kpis.units_shipped, kpis.fill_rate) == (4, 3, D("75.0"))


def test_supplier_lead_time_is_sending_to_the_last_receipt(shop, make_staff):
    buyer = make_staff("procurement")
    supplier = make_supplier()
    sku = costed("50.00", "20.00")
    sent = timezone.now() - timedelta(days=20)
    for days in (4, 10):
        lines = [{"sku_id": sku.pk, "quantity": 10, "unit_price": "20.00"}]
        po = make_sent_po(buyer=buyer, supplier=supplier, warehouse=shop["cd"], lines=lines)
        line = po.lines.get()
        receiving.receive_goods(actor=buyer, order_id=po.pk,
                                lines=[{"line_id": line.pk, "received": 4}])  # fmt: skip
        receiving.receive_goods(actor=buyer, order_id=po.pk,
                                lines=[{"line_id": line.pk, "received": 6}])  # fmt: skip
        PurchaseOrder.objects.filter(pk=po.pk).update(sent_at=sent)
        last = po.receipts.order_by("-id").first()
        po.receipts.filter(pk=last.pk).update(received_at=sent + timedelta(days=days))
        po.receipts.exclude(pk=last.pk).update(received_at=sent + timedelta(days=1))
    [row] = supply.supply_kpis(days=30).lead_times
    assert (row.name, row.figures) == (
        supplier.name,
        {"orders": 2, "mean": D("7.0"), "p50": D("7.0"), "p90": D("9.4")},
    )
