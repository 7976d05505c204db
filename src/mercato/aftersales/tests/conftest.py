"""Fixtures of the aftersales tests: a shop with stock in 成都 and the staff who handle
returns."""

import pytest

from mercato.testing.fulfillment import carriers, make_shop, make_sku, stock


@pytest.fixture
def shop(db):
    warehouses = make_shop()
    carriers()
    a, b = make_sku(price="100.00"), make_sku(price="30.00")
    for sku in (a, b):
        stock(sku, warehouses["四川省"], 50, "A-03")
    return {"a": a, "b": b, "cd": warehouses["四川省"]}


@pytest.fixture
def staff(make_staff):
    return {
        "service": make_staff("service"),
        "warehouse": make_staff("procurement", roles=["order_processing"]),
        "finance": make_staff("finance"),
    }
