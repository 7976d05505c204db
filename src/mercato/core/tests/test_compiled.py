"""mercato.core.compiled: a queryset's statement built once, run with other values."""

from decimal import Decimal

import pytest
from django.db.models import F

from mercato.catalog.models import Sku
from mercato.core.compiled import CompiledQuery
from mercato.testing.factories import SkuFactory

pytestmark = pytest.mark.django_db


def _skus(code, product_id):
    skus = Sku.objects.filter(code=code).order_by("pk")
    if product_id is not None:
        skus = skus.filter(product_id=product_id)
    return skus.values("code", "specs", "list_price", product_name=F("product__name"))


SKUS = CompiledQuery("test.skus", _skus)


def test_rows_are_what_the_queryset_gives_for_every_value():
    """Each call's values reach the statement (not the first call's), and the fields'
    converters run: specs come back as a dict and prices as Decimal on both engines."""
    first = SkuFactory(specs={"颜色": "红色"}, list_price=Decimal("19.90"))
    second = SkuFactory(specs={"尺码": "XL"}, list_price=Decimal("5.00"))
    for sku in (first, second):
        for product_id in (sku.product_id, None):
            rows = SKUS.rows(code=sku.code, product_id=product_id)
            assert rows == list(_skus(sku.code, product_id))
            assert rows[0]["specs"] == sku.specs
            assert rows[0]["list_price"] == sku.list_price
            assert isinstance(rows[0]["list_price"], Decimal)
    assert SKUS.rows(code=first.code, product_id=second.product_id) == []


def test_a_value_that_cannot_stand_in_is_refused():
    with pytest.raises(TypeError, match="must be an int or a str"):
        CompiledQuery(
            "test.bad", lambda flag: Sku.objects.filter(is_active=flag).values("pk")
        ).rows(flag=True)


def test_an_int_stands_in_for_any_integer_field():
    """A value compared with a positive or 32-bit integer column (a SKU's weight) reaches
    the statement too: Django drops a lookup whose value is outside the column's range."""
    sku = SkuFactory(weight_g=250)
    by_weight = CompiledQuery(
        "test.by_weight", lambda grams: Sku.objects.filter(weight_g=grams).values_list("code")
    )
    assert by_weight.rows(grams=250) == [(sku.code,)]
    assert by_weight.rows(grams=251) == []
