import pytest

from mercato.demo.seed_sales_history import seed_sales_history
from mercato.orders.models import Order, OrderStatus
from mercato.procurement import forecast
from mercato.procurement.models import PurchaseList, PurchaseListStatus
from mercato.testing.factories import SkuFactory
from mercato.testing.procurement import make_shanghai_warehouse, make_supplier


@pytest.mark.django_db
def test_the_demo_sales_history_feeds_a_generated_purchase_list_once(make_staff):
    """A year of daily past orders (completed, never in order processing) for the demo
    SKUs; the generated list names Holt-Winters for the SKUs sold all year and a simpler
    method for the one that started a few weeks ago; a second run adds nothing."""
    users = {"procurement": make_staff("procurement", username="procurement")}
    make_shanghai_warehouse()
    make_supplier()
    for _ in range(7):
        SkuFactory()

    counts = seed_sales_history(users=users, days=364, sku_limit=7)

    assert counts["history orders"] == Order.objects.count() > 300
    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.COMPLETED}
    [purchase_list] = PurchaseList.objects.all()
    assert purchase_list.status == PurchaseListStatus.DRAFT
    methods = set(purchase_list.lines.values_list("method", flat=True))
    assert forecast.HOLT_WINTERS in methods
    assert methods & {forecast.SES, forecast.MOVING_AVERAGE}
    assert all(line.supplier_id for line in purchase_list.lines.all())
    assert seed_sales_history(users=users) == {}
