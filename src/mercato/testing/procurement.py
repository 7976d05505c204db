"""Suppliers and purchase orders for tests, made through procurement's services."""

import datetime

from mercato.inventory.services import create_warehouse
from mercato.procurement import orders, suppliers

USCC = ["91310000MA1FL8XX03", "91440300MA5FXXXX0U", "91110108102060930K"]


def make_shanghai_warehouse(code: str = "sh"):
    return create_warehouse(
        actor=None, code=code, name=f"上海仓{code}", provinces=["上海市"], province="上海市",
        city="上海市", district="浦东新区", address="张江路1号",
    )  # fmt: skip


def make_supplier(code: str = "acme", uscc: str = USCC[0], **fields):
    fields.setdefault("bank_name", "招商银行上海分行")
    fields.setdefault("bank_account", "6225880212345678")
    return suppliers.create_supplier(
        actor=None, code=code, name=fields.pop("name", "上海优品贸易有限公司"), uscc=uscc,
        **fields,
    )  # fmt: skip


def make_sent_po(*, buyer, supplier, warehouse, lines, promised=datetime.date(2026, 3, 10)):
    """A purchase order submitted (below the lead limit: approved at once) and sent."""
    order = orders.create_purchase_order(
        actor=buyer, supplier_id=supplier.pk, warehouse_id=warehouse.pk,
        promised_date=promised, lines=lines,
    )  # fmt: skip
    orders.submit_purchase_order(actor=buyer, order_id=order.pk)
    orders.send_purchase_order(actor=buyer, order_id=order.pk)
    order.refresh_from_db()
    return order


def make_network_shop(*, orders: dict[str, int], placed_at):
    """Warehouse network planning's shop: the carriers of data/carriers.json; 上海 (SH)
    serving 上海 and far-away 四川, 成都 (CD) serving only 重庆; `orders` {province: n}
    of a 500 g SKU placed at `placed_at`."""
    import time_machine

    from mercato.testing.factories import SkuFactory, make_order, priced_line
    from mercato.testing.fulfillment import at, carriers

    carriers()
    warehouses = {}
    for code, province, served, priority in (
        ("SH", "上海市", ["上海市", "四川省"], 10),
        ("CD", "四川省", ["重庆市"], 20),
    ):
        warehouses[code.lower()] = create_warehouse(
            actor=None, code=code, name=f"{code}仓", provinces=served, province=province,
            city="某市", district="某区", address="物流园1号", priority=priority,
        )  # fmt: skip
    sku = SkuFactory(weight_g=500)
    with time_machine.travel(placed_at, tick=False):
        for province, n in orders.items():
            for i in range(n):
                address = at(province, "某市", "某区", f"某路{i}号")
                make_order(lines=[priced_line(sku=sku)], address=address)
    return {**warehouses, "sku": sku}
