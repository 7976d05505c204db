import pytest

from mercato.catalog import services
from mercato.catalog.models import Sku
from mercato.catalog.tests.factories import ProductFactory
from mercato.core.errors import PermissionDeniedError


@pytest.mark.django_db
def test_generate_skus_makes_one_per_combination(ops_user):
    product = ProductFactory()
    skus = services.generate_skus(
        actor=ops_user,
        product_id=product.pk,
        spec_values={"颜色": ["黑", "白"], "存储容量": ["128GB", "256GB"]},
        list_price="10",
    )
    assert [s.specs for s in skus] == [
        {"颜色": "黑", "存储容量": "128GB"},
        {"颜色": "黑", "存储容量": "256GB"},
        {"颜色": "白", "存储容量": "128GB"},
        {"颜色": "白", "存储容量": "256GB"},
    ]


@pytest.mark.django_db
def test_service_agent_cannot_change_price(make_staff):
    agent = make_staff("service")
    product = ProductFactory()
    ops = make_staff("operations")
    sku = services.generate_skus(
        actor=ops, product_id=product.pk, spec_values={"颜色": ["黑"]}, list_price="10"
    )[0]
    with pytest.raises(PermissionDeniedError):
        services.apply_price_change(actor=agent, sku_ids=[sku.pk], mode="set", value="1")
    assert Sku.objects.get(pk=sku.pk).list_price == 10
