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
