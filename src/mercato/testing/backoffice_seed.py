"""A demo-shaped back office, seeded for the tests that walk every back-office page (the zh
walk, issue 11; the axe walk, issue 18): seed_demo's catalogue, staff and shoppers (40
products: the pages, not the volume, matter), orders in every stage (unpaid, held by
review, in a wave, packed, delivered, refused, returned, exchanged, refunded, cancelled,
on hold), a phone order being taken, a payment notice to review, audited changes, a
penalty rule, a COD remittance file, catalogue import jobs with bad rows, product
reviews, questions and answers in every moderation state, and customer service tickets
in every state. So every page
that shows one object (a return, a wave, a parcel to pack, a review, an import job) has one.

`seed_back_office()` writes; a module fixture wraps it in `rolled_back()` (the zh walk) or
commits it for a live server (the axe walk). Run it under `SETTINGS` (cash on delivery
and the sandbox gateway are the payment methods its orders use).
"""

import io
import shutil
import tempfile
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings
from django.utils import timezone, translation

from mercato.aftersales import services as aftersales
from mercato.catalog.importing import COLUMNS, create_import_job, run_import_job
from mercato.catalog.models import Sku
from mercato.catalog.services.products import set_product_status, update_product, update_sku
from mercato.checkout.phone import add_phone_order_line, start_phone_order
from mercato.customers.models import Customer
from mercato.demo.data import DEMO_LOGINS, DEMO_SHOPPERS
from mercato.demo.seed_buying import demo_sku_ids
from mercato.demo.seed_callbacks import seed_callbacks
from mercato.demo.seed_chats import seed_chats
from mercato.demo.seed_knowledge import seed_knowledge
from mercato.demo.seed_procurement import seed_procurement
from mercato.demo.seed_sales_history import seed_sales_history
from mercato.demo.seed_tickets import seed_tickets
from mercato.demo.services import seed_demo
from mercato.fulfillment import audit, bulk, cod, shipping, tracking
from mercato.fulfillment.models import Shipment
from mercato.orders import actions
from mercato.orders.services import cancel_order
from mercato.payments.models import PaymentNotice
from mercato.payments.notices import REASON_PAID, REVIEW_SECOND_PAYMENT, apply_paid
from mercato.payments.services import refund_payment
from mercato.promotions.coupons import start_bulk_issue
from mercato.promotions.flash import ItemSpec, create_flash_sale
from mercato.promotions.models import CouponTemplate, FlashSale
from mercato.reviews import services as reviews
from mercato.staff import services as staff_services

from .fulfillment import at, carriers, deliver, packed, to_picking
from .fulfillment import place as place_order
from .payments import make_payment
from .stockcontrol import seed_counts

STAFF = [username for username, *_ in DEMO_LOGINS]
# The settings the seed and the pages it feeds run under (override_settings(**SETTINGS)).
SETTINGS = {"MERCATO_PAYMENTS": {"MERCATO_PAYMENT_METHODS": "cod,sandbox"}}


def _track(parcel, code: str):
    event = tracking.IncomingEvent(
        event_id=f"{code}-{parcel.waybill_no}", waybill_no=parcel.waybill_no, code=code,
        occurred_at=timezone.now(),
    )  # fmt: skip
    with transaction.atomic():
        tracking.apply_events(carrier=parcel.carrier, events=[event], source="csv")


def _import_jobs(user, *, category: str) -> None:
    """Import jobs a Chinese operator reads: a dry run with bad rows (a price that is not a
    number, an unknown status, brand and category, a bad barcode, specs and weight, a SKU
    code twice), a file without a required column and a file that is no workbook. (Cells
    are Chinese: a Latin cell value quoted in a message is content, which the zh walk cannot
    tell from an untranslated word.) The uploads go to a folder of their own, removed after:
    a job's page reads what the job stored, not its file."""
    good = {"product_code": "ZHWALK-1", "product_name": "导入测试商品", "category": category,
            "status": "draft", "sku_code": "ZHWALK-1-A", "specs": "颜色=黑色",
            "list_price": "99.00"}  # fmt: skip
    bad = [
        {"list_price": "九十九"}, {"status": "待定"}, {"brand": "不存在的牌子"},
        {"barcode": "12345"}, {"specs": "颜色黑色"}, {"weight_g": "1.5"},
        {"category": "无此分类"}, {"sku_code": "ZHWALK-1-A"},
    ]  # fmt: skip
    lines = [",".join(COLUMNS)]
    for n, change in enumerate([{}, *bad]):
        row = good | {"product_code": f"ZHWALK-{n + 1}", "sku_code": f"ZHWALK-{n + 1}-A"}
        lines.append(",".join((row | change).get(c, "") for c in COLUMNS))
    no_price = [",".join(c for c in COLUMNS if c != "list_price"), "ZHWALK-1,导入测试商品"]
    files = {
        "商品导入.csv": ("\n".join(lines) + "\n").encode(),
        "缺少售价.csv": ("\n".join(no_price) + "\n").encode(),
        "坏文件.xlsx": b"not a workbook",
    }
    media = tempfile.mkdtemp(prefix="mercato-seed-media-")
    try:
        with override_settings(MEDIA_ROOT=media):
            for name, content in files.items():
                upload = SimpleUploadedFile(name, content)
                job = create_import_job(actor=user, upload=upload, mode="dry_run")
                run_import_job(job_id=job.pk)
    finally:
        shutil.rmtree(media, ignore_errors=True)


def _reviews(users, shopper, delivered, exchanged) -> None:
    """Product questions, answers and reviews in every state (pending, flagged by a
    blocked word, published, rejected), for 客服部's moderation pages."""
    lead = users["tech"]  # the sysadmin holds every permission, the blocked words' too
    service = users["service"]
    reviews.add_blocked_word(actor=lead, word="加微信")
    first, second = delivered.lines.all()[:2]
    published = reviews.submit_review(
        customer=shopper, order_line_id=first.pk, stars=5, text="屏幕清晰，物流很快。"
    )
    reviews.moderate(actor=service, kind="review", item_id=published.pk, publish=True)
    reviews.submit_review(
        customer=shopper, order_line_id=second.pk, stars=3, text="还行，要优惠加微信问我"
    )  # pending, flagged
    rejected = reviews.submit_review(
        customer=shopper, order_line_id=exchanged.lines.get().pk, stars=1, text="差评差评差评"
    )
    reviews.moderate(
        actor=service, kind="review", item_id=rejected.pk, publish=False, reason="无实际内容"
    )
    product_id = first.product_id
    answered = reviews.ask_question(product_id=product_id, guest_name="游客", text="支持快充吗？")
    staff_answer = reviews.answer_question(
        question_id=answered.pk, actor=service, text="支持 66W 快充。"
    )
    reviews.moderate(actor=service, kind="answer", item_id=staff_answer.pk, publish=True)
    reviews.answer_question(question_id=answered.pk, customer=shopper, text="用了一个月，充电很快")
    spam = reviews.answer_question(question_id=answered.pk, customer=shopper, text="便宜代购看主页")
    reviews.moderate(actor=service, kind="answer", item_id=spam.pk, publish=False, reason="广告")
    reviews.ask_question(product_id=product_id, customer=shopper, text="有没有蓝色款？")
    off = reviews.ask_question(product_id=product_id, guest_name="路人", text="加微信便宜卖吗")
    reviews.moderate(actor=service, kind="question", item_id=off.pk, publish=False, reason="广告")


def seed_back_office() -> dict:
    """seed_demo's data (small), and orders in every stage for the demo shopper: the
    demo staff by user name ("users"), the shopper, two orders and the return."""

    seed_demo(seed=1, products=40, customers=10, quiet=True)
    carriers()
    users = {u.username: u for u in get_user_model().objects.filter(username__in=STAFF)}
    clerk, service = users["orders"], users["service"]
    mobile, name, (province, city, district, detail) = DEMO_SHOPPERS[0]
    shopper = Customer.objects.get(user__username=mobile) if Customer.objects.filter(
        user__username=mobile).exists() else Customer.objects.get(mobile=mobile)  # fmt: skip
    skus = [Sku.objects.get(pk=pk) for pk in demo_sku_ids()[:4]]

    def address(n: int):
        return at(province, city, district, f"{detail[:-5]}{n}号", recipient=name, mobile=mobile)

    def place(*lines, address, method="sandbox", paid=True):
        """Placed by the shopper and, unless unpaid or cash on delivery, paid as a
        gateway's notice pays it (its reason is the one production writes)."""
        order = place_order(shopper, *lines, address=address, method=method, paid=False)
        if paid and method != "cod":
            apply_paid(payment=make_payment(order=order), trade_no="T1", reason=REASON_PAID)
            order.refresh_from_db()
        return order

    # Delivered (then a return, an exchange and a refund), one refused, one packed.
    delivered = place((skus[0], 2), (skus[1], 1), address=address(1))
    exchanged = place((skus[1], 1), address=address(2))
    deliver(delivered, exchanged, actor=clerk)
    line = delivered.lines.get(sku=skus[0])
    ret = aftersales.request_return(
        customer=shopper, order_number=delivered.number, kind="return", reason="quality",
        lines=[aftersales.LineRequest(line.pk, 1)], description="屏幕有划痕",
    )  # fmt: skip
    aftersales.decide_return(actor=service, return_id=ret.pk, approve=True)
    aftersales.request_return(
        customer=shopper, order_number=exchanged.number, kind="exchange", reason="size",
        lines=[aftersales.LineRequest(exchanged.lines.get().pk, 1, skus[1].pk)],
    )  # fmt: skip
    refund_payment(
        payment=delivered.payments.get(), amount="5.00", refund_no="RFZHWALK0001",
        actor=users["finance"], reason="少发赠品",
    )  # fmt: skip
    _reviews(users, shopper, delivered, exchanged)  # before a product goes off the shelf
    refused = place((skus[2], 1), address=address(3), method="cod")
    packing = place((skus[3], 1), address=address(4))
    [[refused_parcel], [packing_parcel]] = to_picking(refused, packing)
    packed(refused_parcel, clerk)
    shipping.ship_parcels(actor=clerk, shipment_ids=[refused_parcel.pk])
    _track(Shipment.objects.get(pk=refused_parcel.pk), "refused")
    packed(packing_parcel, clerk)
    # In a wave (not packed), held by review, unpaid, cancelled, on hold with a note.
    waving = place((skus[0], 1), address=address(5))
    to_picking(waving)
    fake = at(province, city, district, "某某", recipient="测试", mobile=mobile)
    held = place((skus[1], 1), address=fake, method="cod")
    to_picking(held)
    unpaid = place((skus[2], 1), address=address(7), paid=False)
    cancelled = place((skus[3], 1), address=address(8), paid=False)
    cancel_order(order_id=cancelled.pk, actor=shopper.user, reason="不想要了", by_customer=True)
    actions.hold_order(order_id=unpaid.pk, actor=service, reason="客户要求暂缓发货")
    actions.add_note(order_id=unpaid.pk, actor=service, text="客户来电确认地址")
    # A payment notice finance must look at.
    PaymentNotice.objects.create(
        gateway="sandbox", body="{}", out_trade_no=unpaid.number, needs_review=True,
        review_reason=REVIEW_SECOND_PAYMENT,
    )  # fmt: skip
    # A phone order being taken.
    cart = start_phone_order(actor=service, mobile="13612345678", name="赵六")
    add_phone_order_line(actor=service, cart_id=cart.pk, sku_code=skus[0].code, quantity=1)
    # Audited changes: a product edited and taken off the shelf, a staff member's roles
    # changed and the account closed, an API token.
    product = skus[0].product
    update_product(actor=users["ops-lead"], product_id=product.pk, subtitle="限时特惠")
    set_product_status(actor=users["ops-lead"], product_id=skus[3].product_id, status="off_shelf")
    update_sku(actor=users["ops-lead"], sku_id=skus[3].pk, is_active=False, weight_g=450)
    temp = staff_services.create_staff(
        actor=users["hr"], username="walk-temp", password="walk-pass-1234",
        department_code="service", employee_no="W900", display_name="临时客服", role_codes=[],
    )  # fmt: skip
    staff_services.change_staff(
        actor=users["hr"], profile_id=temp.pk, role_codes=["lead"], is_active=False
    )
    staff_services.create_api_token(actor=users["tech"], name="对账脚本")
    # Logistics audit and cash on delivery: a penalty rule, a carrier's remittance file
    # (the refused parcel's waybill: a line the reconciliation flags).
    audit.save_penalty_rule(actor=users["ops-lead"], kind="late", fine="5.00", min_days_late=3)
    waybill = Shipment.objects.get(pk=refused_parcel.pk).waybill_no  # given when shipped
    remittance = io.BytesIO(f"waybill_no,amount\n{waybill},10.00\n".encode())
    cod.import_remittance(
        actor=users["finance"], carrier_code=refused_parcel.carrier.code, file=remittance,
        filename="cod-2026-12.csv",
    )  # fmt: skip
    _import_jobs(users["ops-lead"], category=skus[0].product.category.slug)
    # A bulk approval (a background job above 200 ticked orders; here two): the order held
    # by review, and a delivered one the job must refuse and name.
    with translation.override("zh-hans"):
        bulk.start_bulk_job(actor=clerk, action="approve", item_ids=[held.pk, delivered.pk])
    # Customer service's tickets in every state (new and past due, open, waiting, resolved,
    # closed, reopened, merged, split), in skill queues, linked to the shopper's orders.
    seed_tickets(users=users)
    seed_chats(users=users)  # live chats waiting, in progress and ended
    seed_knowledge()  # the knowledge base's articles (drafts, versions) and a quiz taken
    # Callbacks in every state, QA reviews and KPI history.
    seed_callbacks()
    # Suppliers and purchase orders in every state, with receipts (issue 14).
    seed_procurement(users=users)
    seed_counts(users=users)  # cycle counts: one adjusted, one being counted

    # Eight weeks of sales of three SKUs and a purchase list generated from them.
    seed_sales_history(users=users, days=70, sku_limit=3)
    # A bulk coupon issue (its job page and progress), of the first template given out.
    template = CouponTemplate.objects.filter(active=True, shared_code="").order_by("pk").first()
    if template is not None:
        start_bulk_issue(actor=users["ops-lead"], template_id=template.pk, segment={})
    # A flash sale (its staff pages), when the demo's own found no stock for one.
    if not FlashSale.objects.exists():
        create_flash_sale(
            name="整点秒杀", starts_at=timezone.now() + timedelta(hours=1),
            ends_at=timezone.now() + timedelta(hours=3),
            items=[ItemSpec(skus[1].pk, (skus[1].list_price / 2).quantize(skus[1].list_price), 1)],
        )  # fmt: skip
    return {"users": users, "shopper": shopper, "orders": [delivered, unpaid], "return": ret}
