"""Stock going to zero or back makes the shop's cached pages render afresh: inventory sends
catalog.signals.sku_availability_changed and catalog's page caches listen (inventory does
not call them itself)."""

import pytest

from mercato.catalog.shopcache import shop_version
from mercato.checkout.placement import place_order
from mercato.inventory.services import adjust_stock
from mercato.testing.buying import CHENGDU, cart_with, new_key, stock

pytestmark = pytest.mark.django_db


def test_the_last_unit_sold_and_a_restock_each_invalidate_the_shop_pages(
    shop, make_sku, customer, django_capture_on_commit_callbacks
):
    sku = make_sku()
    with django_capture_on_commit_callbacks(execute=True):
        stock(sku, shop["CD"], 2)
    version = shop_version()

    # given a change that leaves units to sell: the pages stay as they are
    with django_capture_on_commit_callbacks(execute=True):
        adjust_stock(actor=None, sku_id=sku.pk, warehouse_id=shop["CD"].pk, delta=-1, reason="盘点")
    assert shop_version() == version

    # when the last unit is ordered (placement's stock step, on either engine)
    with django_capture_on_commit_callbacks(execute=True):
        place_order(
            customer=customer,
            cart=cart_with(customer, (sku, 1)),
            address=CHENGDU,
            payment_method="cod",
            idempotency_key=new_key(),
        )
    # then the pages are rendered again, showing it sold out
    assert shop_version() == version + 1

    # and when stock comes back, again
    with django_capture_on_commit_callbacks(execute=True):
        stock(sku, shop["CD"], 3)
    assert shop_version() == version + 2
