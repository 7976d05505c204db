"""The search page's cards in one statement (storefront.card_data) show what the catalogue's
card rows and the inventory's stock state show, on both engines."""

import pytest
from django.db.models import F

from mercato.catalog import selectors
from mercato.catalog.models import Product, Sku
from mercato.inventory.models import Stock, Warehouse
from mercato.inventory.selectors import products_in_stock
from mercato.storefront.card_data import card_rows_with_stock
from mercato.storefront.cards import card_html

from .test_cards import template_cards, varied  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def expected_rows(ids) -> dict:
    rows = selectors.card_rows(products=Product.objects.filter(pk__in=ids))
    available = products_in_stock(product_ids=ids)
    return {pk: {**row, "sold_out": pk not in available} for pk, row in rows.items()}


def test_one_statement_gives_the_card_rows_and_stock_state(
    varied,  # noqa: F811 - the fixture
    phone_shop,
    django_assert_num_queries,
):
    with django_assert_num_queries(1):
        rows = card_rows_with_stock([*varied, 999_999, varied[0]])
    assert rows == expected_rows(varied)
    assert [r["sold_out"] for r in rows.values()].count(False) == 1  # phone 1 only
    html = "".join(card_html(**rows[pk]) for pk in sorted(rows))
    assert html == template_cards(varied, {pk for pk in varied if rows[pk]["sold_out"]})


@pytest.mark.parametrize("change", ["sku_inactive", "warehouse_inactive", "all_reserved"])
def test_stock_that_cannot_be_sold_shows_sold_out(varied, phone_shop, change):  # noqa: F811
    phone = varied[0]
    if change == "sku_inactive":
        Sku.objects.filter(product_id=phone).update(is_active=False)
    elif change == "warehouse_inactive":
        Warehouse.objects.update(is_active=False)
    else:
        Stock.objects.update(reserved=F("on_hand"))
    rows = card_rows_with_stock(varied)
    assert rows[phone]["sold_out"] is True
    assert rows == expected_rows(varied)


def test_no_products_no_statement(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert card_rows_with_stock([]) == {}
