from decimal import Decimal

import factory

from mercato.catalog.models import Brand, Category, Product, ProductStatus, Sku


def make_category(name: str = "手机", parent: Category | None = None, **kw) -> Category:
    n = Category.objects.count() + 1
    fields = {"name": name, "slug": kw.pop("slug", f"cat-{n}"), **kw}
    return (
        Category.objects.add_child(parent, fields) if parent else Category.objects.add_root(fields)
    )


class BrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Brand

    name = factory.Sequence(lambda n: f"品牌{n}")
    slug = factory.Sequence(lambda n: f"brand-{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    code = factory.Sequence(lambda n: f"P{n:06d}")
    name = factory.Sequence(lambda n: f"测试商品{n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    category = factory.LazyFunction(lambda: make_category())
    brand = factory.SubFactory(BrandFactory)
    status = ProductStatus.DRAFT


class SkuFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sku

    product = factory.SubFactory(ProductFactory)
    code = factory.Sequence(lambda n: f"S{n:07d}")
    specs = factory.Sequence(lambda n: {"颜色": f"色{n}"})
    spec_key = factory.LazyAttribute(lambda o: "|".join(f"{k}:{v}" for k, v in o.specs.items()))
    list_price = Decimal("99.00")
    cost_price = Decimal("60.00")
    weight_g = 500
    volume_cm3 = 1000
