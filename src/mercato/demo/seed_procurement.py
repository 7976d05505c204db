"""Demo procurement (issue 14): suppliers with contacts, qualification documents (one
expiring soon, one expired) and price lists; purchase orders in every state — draft,
awaiting the lead, awaiting finance, approved, sent, partially received (with rejects),
fully received, closed, cancelled — and their receipts into stock; transfer orders
between the first two warehouses in every state (one in transit). A colleague of the
procurement department (procurement01) gets the 采购主管 role to approve.

Every row goes through the procurement services, as in production. Idempotent: once the
demo's suppliers exist a second run adds nothing. Used by `mercato seed_demo_orders` and
by the back-office test seed.
"""

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import F
from django.utils import timezone

from mercato.catalog.models import Category, Sku
from mercato.inventory.models import Bin, Stock, Warehouse
from mercato.procurement import orders, receiving, suppliers, transfers
from mercato.procurement.models import Supplier
from mercato.staff.models import StaffProfile
from mercato.staff.services import change_staff

from .seed_tenders import seed_tenders

SUPPLIERS = [
    # (code, name, USCC, bank, account, contact, phone)
    ("SH001", "上海优品贸易有限公司", "91310000MA1FL8XX03", "招商银行上海张江支行",
     "6225880212345678", "周经理", "021-58881234"),
    ("SZ001", "深圳南方电子科技有限公司", "91440300MA5FXXXX0U", "中国工商银行深圳科技园支行",
     "4000023009200123456", "林小姐", "0755-26661234"),
    ("BJ001", "北京京都商贸有限责任公司", "91110108102060930K", "中国建设银行北京海淀支行",
     "11050162540000001234", "马先生", "010-62551234"),
]  # fmt: skip


def _lead(users: dict):
    """procurement01 with the procurement_lead role (granted by HR, as in the office)."""
    profile = StaffProfile.objects.filter(user__username="procurement01").first()
    if profile is None:
        return None
    if "procurement_lead" not in profile.role_codes and "hr" in users:
        change_staff(
            actor=users["hr"], profile_id=profile.pk,
            role_codes=[*profile.role_codes, "procurement_lead"],
        )  # fmt: skip
    return get_user_model().objects.get(pk=profile.user_id)


def seed_procurement(*, users: dict, now=None) -> dict[str, int]:
    """{} when the demo's suppliers exist; else the counts of what was made. `users`: the
    demo log-ins by username (procurement, finance, hr)."""
    if Supplier.objects.filter(code="SH001").exists():
        return {}
    buyer = users.get("procurement")
    warehouse = Warehouse.objects.filter(is_active=True).order_by("priority", "code").first()
    skus = list(Sku.objects.filter(is_active=True).order_by("pk")[:6])
    if buyer is None or warehouse is None or len(skus) < 3:
        return {}
    # Without procurement01 (the back-office test seed): the sysadmin approves.
    lead = _lead(users) or users.get("tech")
    if lead is None:
        return {}
    today = timezone.localdate(now)
    categories = list(
        Category.objects.filter(depth=1).order_by("path").values_list("pk", flat=True)
    )
    made = []
    for i, (code, name, uscc, bank, account, contact, phone) in enumerate(SUPPLIERS):
        supplier = suppliers.create_supplier(
            actor=buyer, code=code, name=name, uscc=uscc, bank_name=bank, bank_account=account,
            address=name[:2] + "市", category_ids=categories[i : i + 2],
        )  # fmt: skip
        suppliers.add_contact(actor=buyer, supplier_id=supplier.pk, name=contact, role="销售经理",
                              phone=phone, email=f"sales@{code.lower()}.example.cn")  # fmt: skip
        licence_expiry = today + datetime.timedelta(days=900)
        suppliers.add_document(actor=buyer, supplier_id=supplier.pk, kind="营业执照",
                               number=uscc, expires_on=licence_expiry)  # fmt: skip
        # 优品's ISO certificate runs out in two weeks, 京都's food permit has run out.
        expiry = {0: 14, 1: 400, 2: -5}[i]
        suppliers.add_document(actor=buyer, supplier_id=supplier.pk,
                               kind={0: "ISO9001认证", 1: "3C认证", 2: "食品经营许可证"}[i],
                               expires_on=today + datetime.timedelta(days=expiry))  # fmt: skip
        for k, sku in enumerate(skus):
            base = (sku.list_price * Decimal("0.55")).quantize(Decimal("0.01"))
            suppliers.set_price(
                actor=buyer, supplier_id=supplier.pk, sku_id=sku.pk,
                price=max(base + Decimal(i * 2 - 2) + Decimal(k % 2), Decimal("1.00")),
                min_quantity=10 if k % 3 == 0 else 1,
                valid_from=today - datetime.timedelta(days=90),
                valid_to=None if i != 2 else today + datetime.timedelta(days=180),
            )  # fmt: skip
        made.append(supplier)
    youpin, nanfang, jingdu = made
    lead_limit, finance_limit = orders.lead_limit(), orders.finance_limit()

    def po(supplier, sku, quantity, promised_days=7, price=None):
        return orders.create_purchase_order(
            actor=buyer, supplier_id=supplier.pk, warehouse_id=warehouse.pk,
            promised_date=today + datetime.timedelta(days=promised_days),
            lines=[{"sku_id": sku.pk, "quantity": quantity,
                    "unit_price": price or orders.list_price(
                        supplier_id=supplier.pk, sku_id=sku.pk, quantity=quantity, on=today)}],
        )  # fmt: skip

    def units_for(amount, sku, supplier):
        price = orders.list_price(supplier_id=supplier.pk, sku_id=sku.pk, quantity=10, on=today)
        return max(int(amount / price) + 1, 10)

    counts = {"suppliers": len(made)}
    po(youpin, skus[0], 20)  # a draft
    pending = po(nanfang, skus[1], units_for(lead_limit, skus[1], nanfang))
    orders.submit_purchase_order(actor=buyer, order_id=pending.pk)  # awaits the lead
    big = po(jingdu, skus[2], units_for(finance_limit, skus[2], jingdu))
    orders.submit_purchase_order(actor=buyer, order_id=big.pk)
    orders.approve_purchase_order(actor=lead, order_id=big.pk, note="数量合理")  # awaits finance
    approved = po(youpin, skus[1], 30)
    orders.submit_purchase_order(actor=buyer, order_id=approved.pk)
    sent = po(nanfang, skus[0], 40, promised_days=3)
    orders.submit_purchase_order(actor=buyer, order_id=sent.pk)
    orders.send_purchase_order(actor=buyer, order_id=sent.pk)
    cancelled = po(jingdu, skus[0], 10)
    orders.cancel_purchase_order(actor=buyer, order_id=cancelled.pk, note="供应商缺货")
    bin_code = (
        Bin.objects.filter(warehouse=warehouse)
        .order_by("walk_order")
        .values_list("code", flat=True)
        .first()
    )
    receipts = 0
    for supplier, sku, ordered, got, rejected, close in (
        (youpin, skus[2], 50, 30, 2, False),  # partially received, 2 rejected
        (nanfang, skus[2], 24, 24, 0, False),  # fully received
        (jingdu, skus[1], 60, 55, 1, True),  # closed short
    ):
        order = po(supplier, sku, ordered, promised_days=-1)
        orders.submit_purchase_order(actor=buyer, order_id=order.pk)
        orders.send_purchase_order(actor=buyer, order_id=order.pk)
        line = order.lines.get()
        receiving.receive_goods(actor=buyer, order_id=order.pk, lines=[{
            "line_id": line.pk, "received": got, "rejected": rejected,
            "reason": "外包装破损" if rejected else "", "bin": bin_code or "",
        }])  # fmt: skip
        receipts += 1
        if close:
            orders.close_purchase_order(actor=buyer, order_id=order.pk, note="余数不再到货")
    counts.update(purchase_orders=10, receipts=receipts)
    counts.update(transfers=seed_transfers(buyer))
    counts.update(tenders=seed_tenders(buyer=buyer, warehouse=warehouse, skus=skus))
    return counts


def seed_transfers(buyer) -> int:
    """Transfer orders between the first two warehouses, one in each state: received
    (one unit short, with the reason), shipped (in transit), draft, cancelled. Taken from
    SKUs with available stock at the source; 0 when there is too little to move."""
    warehouses = list(Warehouse.objects.filter(is_active=True).order_by("priority", "code")[:2])
    if len(warehouses) < 2:
        return 0
    for source, target in (warehouses, warehouses[::-1]):
        rows = list(
            Stock.objects.filter(warehouse=source, on_hand__gte=F("reserved") + 12)
            .order_by("sku_id")
            .values_list("sku_id", flat=True)[:4]
        )
        if len(rows) < 4:
            continue

        def make(sku_id, quantity, source=source, target=target):
            return transfers.create_transfer(
                actor=buyer, from_warehouse_id=source.pk, to_warehouse_id=target.pk,
                lines=[{"sku_id": sku_id, "quantity": quantity}], note="补货调拨",
            )  # fmt: skip

        done = make(rows[0], 5)
        transfers.ship_transfer(actor=buyer, order_id=done.pk)
        line = done.lines.get()
        transfers.receive_transfer(
            actor=buyer, order_id=done.pk, received={line.pk: 4}, reason="1件运输破损"
        )
        in_transit = make(rows[1], 6)
        transfers.ship_transfer(actor=buyer, order_id=in_transit.pk)
        make(rows[2], 3)  # a draft
        cancelled = make(rows[3], 2)
        transfers.cancel_transfer(actor=buyer, order_id=cancelled.pk, note="已就地补货")
        return 4
    return 0
