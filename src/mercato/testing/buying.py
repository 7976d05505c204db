"""Set-up for buying: a delivery address in 成都, stock, carts, idempotency keys."""

import uuid

from mercato.cart.services import add_to_cart, get_or_create_cart
from mercato.inventory.services import receive_stock
from mercato.orders.services import DeliveryAddress

CHENGDU = DeliveryAddress(
    recipient="张三",
    mobile="13800138000",
    province="四川省",
    city="成都市",
    district="武侯区",
    detail="人民南路四段1号",
)


def stock(sku, warehouse, units):
    receive_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, quantity=units)


def cart_with(customer, *lines):
    """The customer's cart holding (sku, quantity) lines, all selected."""
    cart = get_or_create_cart(customer=customer)
    for sku, quantity in lines:
        add_to_cart(cart=cart, sku_id=sku.pk, quantity=quantity)
    return cart


def new_key() -> str:
    return uuid.uuid4().hex


def flash_item(sku, warehouse, *, starts_at, quantity):
    """A flash sale of `sku` at ¥99.00 (`quantity` units, one per customer, from
    `starts_at` for an hour), made an hour before the start; the item, its gate forgotten."""
    from datetime import timedelta
    from decimal import Decimal

    import time_machine

    from mercato.promotions import flash

    stock(sku, warehouse, 10)
    with time_machine.travel(starts_at - timedelta(hours=1), tick=False):
        sale = flash.create_flash_sale(
            name="双十二秒杀",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=1),
            items=[flash.ItemSpec(sku.pk, Decimal("99.00"), quantity, per_customer_limit=1)],
        )
    found = sale.items.get()
    flash.forget(found.pk)
    return found
