from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from mercato.catalog import services as catalog
from mercato.catalog.models import Product, ProductStatus
from mercato.testing.factories import BrandFactory, make_category


@pytest.fixture
def catalogue(db):
    """手机 > 智能手机 (spec 颜色: 黑色/白色), a brand, and one draft product with two SKUs."""
    phones = make_category("手机", slug="shou-ji")
    smart = make_category("智能手机", parent=phones, slug="zhi-neng-shou-ji")
    catalog.set_category_specs(actor=None, category_id=smart.pk, specs=[("颜色", ["黑色", "白色"])])
    brand = BrandFactory(name="华为", slug="huawei")
    product = catalog.create_product(
        actor=None, code="P100", name="测试手机", category_id=smart.pk, brand_id=brand.pk
    )
    catalog.generate_skus(
        actor=None,
        product_id=product.pk,
        spec_values={"颜色": ["黑色", "白色"]},
        list_price=Decimal("1999.00"),
        cost_price=Decimal("1500.00"),
    )
    product.refresh_from_db()
    return {"phones": phones, "smart": smart, "brand": brand, "product": product}


@pytest.fixture
def login(client, make_staff):
    """login("operations") → the test client, logged in as a new member of that department."""

    def do(department: str, roles: list[str] | None = None):
        user = make_staff(department, roles=roles)
        client.force_login(user)
        return user

    return do


@pytest.fixture
def customer(db):
    return get_user_model().objects.create_user(username="buyer", password="pass-1234-word")


def snapshot(product: Product) -> dict:
    """Everything a forbidden request must not change about a product and its SKUs."""
    product.refresh_from_db()
    return {
        "product": (product.name, product.status, product.min_price, product.max_price),
        "skus": sorted(product.skus.values_list("code", "list_price", "cost_price", "barcode")),
    }


ON_SALE = ProductStatus.ON_SALE


@pytest.fixture(autouse=True)
def fresh_filter_options():
    """The product list caches its filter options; the database is new in every test."""
    from mercato.backoffice.selectors import bump_catalogue_version

    bump_catalogue_version()
