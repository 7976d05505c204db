"""Orders for tests, placed through create_order_record as checkout will."""

from decimal import Decimal

from mercato.catalog.tests.factories import SkuFactory
from mercato.customers.services import create_customer
from mercato.orders.services import DeliveryAddress, PricedLine, create_order_record

ADDRESS = DeliveryAddress(
    recipient="张三",
    mobile="13800138000",
    province="广东省",
    city="深圳市",
    district="南山区",
    detail="科技园路1号",
)

_n = {"customer": 0}


def make_customer(**kw):
    _n["customer"] += 1
    return create_customer(mobile=kw.pop("mobile", f"139{_n['customer']:08d}"), **kw)


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
    )


def make_order(*, customer=None, lines=None, shipping="10.00", payment_method="sandbox", **kw):
    """An order whose amounts add up: lines, + shipping, − the lines' discount shares."""
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
        address=kw.pop("address", ADDRESS),
        **kw,
    )
