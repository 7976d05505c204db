"""Any sequence of receipts (against purchase orders), issues, transfers and adjustments
keeps each stock row equal to the sum of its ledger and never negative."""

import datetime
from decimal import Decimal

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mercato.catalog.models import Sku
from mercato.core.errors import DomainError
from mercato.inventory.models import Stock, StockMovement
from mercato.inventory.services import adjust_stock, create_warehouse, transfer_stock
from mercato.procurement import orders, receiving, suppliers
from mercato.testing.factories import SkuFactory

step = st.one_of(
    st.tuples(st.just("receive"), st.integers(0, 1), st.integers(1, 30), st.integers(0, 1)),
    st.tuples(st.just("issue"), st.integers(0, 1), st.integers(1, 40), st.integers(0, 1)),
    st.tuples(st.just("transfer"), st.integers(0, 1), st.integers(1, 40), st.integers(0, 1)),
    st.tuples(st.just("adjust"), st.integers(0, 1), st.integers(-40, 40), st.integers(0, 1)),
)


@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(step, min_size=1, max_size=12))
def test_ledger_sums_to_stock_and_never_goes_negative(make_staff, steps):
    buyer = make_staff("procurement")
    tag = Sku.objects.count()
    warehouses = [
        create_warehouse(
            actor=None,
            code=f"w{tag}{i}",
            name=f"仓{tag}{i}",
            provinces=["上海市"],
            province="上海市",
            city="上海市",
            district="浦东新区",
            address="路1号",
        )  # fmt: skip
        for i in range(2)
    ]
    # The database is not rolled back between examples: each gets its own rows.
    sku = SkuFactory(cost_price=Decimal("0.00"))
    for kind, w, n, other in steps:
        try:
            if kind == "receive":
                order = _sent_order(buyer, sku, warehouses[w], n)
                line = order.lines.get()
                receiving.receive_goods(
                    actor=buyer, order_id=order.pk,
                    lines=[{"line_id": line.pk, "received": n, "rejected": min(other, n - 1),
                            "reason": "破损"}],
                )  # fmt: skip
            elif kind == "issue":
                adjust_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouses[w].pk,
                             delta=-n, reason="领用")  # fmt: skip
            elif kind == "transfer":
                transfer_stock(actor=None, sku_id=sku.pk, from_warehouse_id=warehouses[w].pk,
                               to_warehouse_id=warehouses[1 - w].pk, quantity=n)  # fmt: skip
            elif n:
                adjust_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouses[w].pk,
                             delta=n, reason="盘点")  # fmt: skip
        except DomainError:
            pass  # refused (not enough stock): nothing may have changed, checked below
        for stock in Stock.objects.filter(sku=sku):
            ledger = StockMovement.objects.filter(stock=stock).aggregate(n=Sum("on_hand_delta"))
            assert stock.on_hand == (ledger["n"] or 0)
            assert stock.on_hand >= 0


def _sent_order(buyer, sku, warehouse, quantity):
    supplier = _supplier()
    order = orders.create_purchase_order(
        actor=buyer, supplier_id=supplier.pk, warehouse_id=warehouse.pk,
        promised_date=datetime.date(2026, 1, 1),
        lines=[{"sku_id": sku.pk, "quantity": quantity, "unit_price": "1.00"}],
    )  # fmt: skip
    orders.submit_purchase_order(actor=buyer, order_id=order.pk)
    orders.send_purchase_order(actor=buyer, order_id=order.pk)
    return order


def _supplier():
    from mercato.procurement.models import Supplier

    existing = Supplier.objects.first()
    if existing:
        return existing
    return suppliers.create_supplier(
        actor=None, code="prop", name="供应商", uscc="91310000MA1FL8XX03"
    )
