"""The data checks run after every fault (`mercato check_data`): orders have lines,
reserved stock equals the active reservations, stock equals its ledger, and no unpaid
order stays open long past its deadline."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from mercato.inventory.models import Stock
from mercato.inventory.reservations import reserve_stock
from mercato.inventory.selectors import stock_disagreements
from mercato.inventory.services import receive_stock
from mercato.orders.models import Order, OrderLine
from mercato.orders.selectors import order_problems
from mercato.testing.factories import SkuFactory, make_order, make_warehouse

pytestmark = pytest.mark.django_db


def test_agreeing_data_passes(capsys):
    sku = SkuFactory()
    warehouse = make_warehouse("CD", "四川省")
    receive_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, quantity=5)
    reserve_stock(lines=[(sku.pk, 2)], province="四川省", reference="R-1")
    make_order()
    assert stock_disagreements() == [] and order_problems() == []
    call_command("check_data")
    assert "agree" in capsys.readouterr().out


def test_each_disagreement_is_named():
    sku = SkuFactory()
    warehouse = make_warehouse("CD", "四川省")
    receive_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, quantity=5)
    Stock.objects.filter(sku=sku).update(reserved=1)  # behind the services' back
    [problem] = stock_disagreements()
    assert "reserved 1; active reservations 0; ledger on hand 5, reserved 0" in problem

    bare = make_order()
    OrderLine.objects.filter(order=bare).delete()
    late = make_order()
    Order.objects.filter(pk=late.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    problems = order_problems(overdue_after=timedelta(minutes=10))
    assert problems == [
        f"order {bare.number} has no lines",
        "1 unpaid orders more than 600 s past their payment deadline",
    ]
    with pytest.raises(CommandError, match="3 problems found"):
        call_command("check_data")


def test_readyz_names_unpaid_orders_the_sweep_missed(client, settings):
    """Two runs of the beat sweep past their deadline: the sweep is not running."""
    settings.CELERY_BEAT_SCHEDULE = {"sweep-expired-orders": {"task": "t", "schedule": 60.0}}
    late = make_order()
    Order.objects.filter(pk=late.pk).update(expires_at=timezone.now() - timedelta(minutes=3))
    body = client.get("/readyz").json()
    assert body["degraded"] == ["expiry"]
    assert body["checks"]["expiry"] == "1 unpaid orders more than 120 s past their deadline"
