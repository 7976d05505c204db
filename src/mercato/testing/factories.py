"""factory_boy factories and small builders for the rows tests need.

Rows with rules of their own (customers, warehouses, orders) are made through their app's
service, as production code makes them; plain catalogue rows are inserted directly."""

from decimal import Decimal

import factory

from mercato.catalog.models import Brand, Category, Product, ProductStatus, Sku
from mercato.customers.services import create_customer
from mercato.inventory.services import create_warehouse
from mercato.orders.services import DeliveryAddress, PricedLine, create_order_record


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


def make_phone(category, brand, n: int, *, price="1999.00", colours=("黑色", "白色")):
    """A phone on sale with a SKU per colour × (128GB, 256GB)."""
    product = ProductFactory(
        name=f"{brand.name} 手机 {n}",
        slug=f"phone-{brand.slug}-{n}",
        category=category,
        brand=brand,
        status=ProductStatus.ON_SALE,
        min_price=Decimal(price),
        max_price=Decimal(price),
    )
    skus = [
        SkuFactory(product=product, specs={"颜色": c, "存储容量": s}, list_price=Decimal(price))
        for c in colours
        for s in ("128GB", "256GB")
    ]
    return product, skus


class CustomerFactory(factory.Factory):
    """A customer account, made by customers.services.create_customer."""

    class Meta:
        model = dict  # built by _create through the service

    mobile = factory.Sequence(lambda n: f"139{n + 1:08d}")

    @classmethod
    def _create(cls, model_class, **kw):
        return create_customer(**kw)


def make_customer(**kw):
    return CustomerFactory(**kw)


WAREHOUSE_ADDRESS = {"city": "某市", "district": "某区", "address": "物流园1号"}


class WarehouseFactory(factory.Factory):
    """A warehouse serving its own province, made by inventory.services.create_warehouse."""

    class Meta:
        model = dict  # built by _create through the service

    code = factory.Sequence(lambda n: f"W{n:03d}")
    name = factory.LazyAttribute(lambda o: f"仓库{o.code}")
    province = "四川省"
    provinces = factory.LazyAttribute(lambda o: [o.province])
    priority = 100
    city = WAREHOUSE_ADDRESS["city"]
    district = WAREHOUSE_ADDRESS["district"]
    address = WAREHOUSE_ADDRESS["address"]

    @classmethod
    def _create(cls, model_class, **kw):
        return create_warehouse(actor=None, **kw)


def make_warehouse(code: str, province: str, priority: int = 100):
    """A warehouse in `province` that serves it, through the service."""
    return WarehouseFactory(code=code, province=province, priority=priority)


ORDER_ADDRESS = DeliveryAddress(
    recipient="张三",
    mobile="13800138000",
    province="广东省",
    city="深圳市",
    district="南山区",
    detail="科技园路1号",
)


def priced_line(*, sku=None, unit_price="99.00", quantity=1, discount_share="0.00"):
    sku = sku or SkuFactory()
    return PricedLine(
        sku_id=sku.pk,
        product_id=sku.product_id,
        product_name=sku.product.name,
        sku_code=sku.code,
        specs=sku.specs,
        unit_price=Decimal(unit_price),
        quantity=quantity,
        discount_share=Decimal(discount_share),
        unit_cost=sku.cost_price,
    )


def make_order(*, customer=None, lines=None, shipping="10.00", payment_method="sandbox", **kw):
    """An order whose amounts add up (lines, + shipping, − the lines' discount shares),
    written by orders.services.create_order_record as checkout writes it."""
    lines = lines if lines is not None else [priced_line(quantity=2)]
    lines_total = sum((ln.unit_price * ln.quantity for ln in lines), Decimal("0.00"))
    discount = sum((ln.discount_share for ln in lines), Decimal("0.00"))
    return create_order_record(
        customer=customer,
        lines=lines,
        lines_total=lines_total,
        shipping_fee=Decimal(shipping),
        discount_total=discount,
        total=lines_total + Decimal(shipping) - discount,
        payment_method=payment_method,
        address=kw.pop("address", ORDER_ADDRESS),
        **kw,
    )
