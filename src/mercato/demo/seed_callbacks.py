"""Demo callbacks, quality reviews and KPI history (issue 15, parts 5 and 8).

Eight weeks of contacts for the agents of 客服部 (answered and resolved at varied speeds,
some late, a complaint now and then, one reopened by the customer), the callbacks they made
(scores 1–5), each week's QA sample scored by the supervisor (service01: passed, failed,
coaching notes; the last week left to score), then today's callbacks in every state: made
by the rules from the demo's deliveries and closed complaints (to call, some overdue),
manual ones to call today, not answered (three attempts), cancelled, done, and a bad score
with its follow-up complaint ticket; and a few phone orders the agents took today.

Everything goes through the services (mercato.service.callbacks, qa, services; checkout's
phone orders); only the clock is set back (the services' `now`). Deterministic (a fixed
random seed). Idempotent: once any callback or review exists, a second run adds nothing.
Used by `mercato seed_demo_orders` after the tickets, and by the back-office test seed.
"""

import random
import uuid
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import F
from django.utils import timezone

from mercato.checkout import phone
from mercato.core.errors import DomainError
from mercato.customers.models import Address
from mercato.inventory.allocation import OutOfStock
from mercato.inventory.models import Stock
from mercato.orders.services import DeliveryAddress
from mercato.service import callbacks, qa, services
from mercato.service.models import Callback, QaReview

WEEKS = 8
PER_WEEK = 4  # contacts per agent and week
SUBJECTS = [
    ("order_status", "订单什么时候发货", "客户来电催发货。"),
    ("delivery", "快递几天没有更新", "物流信息三天没有变化。"),
    ("product", "这款耳机支持降噪吗", "咨询商品功能。"),
    ("invoice", "发票抬头开错了", "需要重开发票。"),
    ("complaint", "商品有划痕", "收到的商品外壳有划痕，要求处理。"),
]
NOTES_FAILED = ["答复前没有核对订单状态，给了客户错误的发货时间。", "语气生硬，没有安抚客户情绪。"]
NOTES_PASSED = ["开场规范，问题一次解决。", "答复准确，可以再主动告知后续进度。"]


def _agents():
    users = (
        get_user_model()
        .objects.filter(is_active=True, staff_profile__department__code="service")
        .order_by("username")
    )
    lead = next((u for u in users if u.username == "service01"), None)
    agents = [u for u in users if u != lead and u.has_perm(callbacks.HANDLE)][:3]
    return agents, lead


def _contact(agent, rng, at, n):
    category, subject, body = SUBJECTS[n % len(SUBJECTS)]
    ticket = services.create_ticket(
        actor=agent, channel=rng.choice(["phone", "phone", "email", "web_form"]),
        category=category, subject=subject, body=body, contact_name="演示客户",
        contact_phone=f"1391234{n % 10_000:04d}", auto_assign=False, now=at,
    )  # fmt: skip
    services.assign_ticket(actor=agent, ticket_id=ticket.pk, assignee_id=agent.pk, now=at)
    # Mostly within the 4 hours of a normal first response, one in six late.
    first = rng.choice([8, 15, 25, 40, 90, 300])
    answered = at + timedelta(minutes=first)
    services.reply_to_ticket(
        actor=agent, ticket_id=ticket.pk, body="您好，已为您查询，请稍候。", now=answered
    )
    done = answered + timedelta(minutes=rng.choice([30, 60, 120, 240, 600]))
    services.change_status(actor=agent, ticket_id=ticket.pk, to="closed", now=done)
    return ticket, done


def _history(agents, lead, rng, now, counts) -> None:
    n = 0
    for week in range(WEEKS, 0, -1):
        start = timezone.localtime(now) - timedelta(days=week * 7)
        for agent in agents:
            for k in range(PER_WEEK):
                n += 1
                at = start + timedelta(days=k + 1, hours=rng.randint(0, 7))
                ticket, done = _contact(agent, rng, at, n)
                counts["contacts"] = counts.get("contacts", 0) + 1
                if ticket.category == "complaint" and week % 3 == 0:
                    # The customer writes again: the complaint reopens (a bad contact).
                    services.receive_customer_message(
                        ticket_id=ticket.pk, body="问题还是没有解决。", now=done + timedelta(days=1)
                    )
                    counts["reopened"] = counts.get("reopened", 0) + 1
            # The week's callbacks: satisfied customers mostly.
            for k in range(2):
                at = start + timedelta(days=k + 3, hours=10)
                made = callbacks.create_callback(
                    actor=agent, reason="售后满意度回访", due_date=at.date(),
                    contact_phone=f"1391235{(n + k) % 10_000:04d}", now=at,
                )  # fmt: skip
                callbacks.record_outcome(
                    actor=agent, callback_id=made.pk, result="done",
                    satisfaction=rng.choice([3, 4, 4, 5, 5, 5]), outcome="客户表示满意。",
                    now=at + timedelta(minutes=5),
                )  # fmt: skip
                counts["history_callbacks"] = counts.get("history_callbacks", 0) + 1
        # The week's QA sample, scored by the supervisor (the last week's is left to score).
        week_day = (start + timedelta(days=1)).date()
        qa.sample_week(week=week_day, seed=15, now=start + timedelta(days=7))
        if week == 1 or lead is None or not lead.has_perm(qa.REVIEW):
            continue
        for review in QaReview.objects.filter(week=qa.monday(week_day)).exclude(agent=lead):
            failed = rng.random() < 0.25
            scores = {"greeting": 10, "accuracy": 25, "policy": 18, "tone": 18, "resolution": 17}
            if failed:
                scores.update(accuracy=12, tone=12)
            qa.score_review(
                actor=lead, review_id=review.pk, scores=scores,
                note=rng.choice(NOTES_FAILED if failed else NOTES_PASSED),
                now=start + timedelta(days=8),
            )  # fmt: skip
            counts["qa_failed" if failed else "qa_passed"] = (
                counts.get("qa_failed" if failed else "qa_passed", 0) + 1
            )


def _today(agents, now, counts) -> None:
    agent, other = agents[0], agents[-1]
    today = timezone.localdate(now)
    counts["rule_made"] = callbacks.create_due_callbacks(now=now)

    def manual(by, reason, at=now, **kw):
        return callbacks.create_callback(
            actor=by, reason=reason, due_date=timezone.localdate(at),
            contact_phone="13912350001", contact_name="演示客户", now=at, **kw,
        )  # fmt: skip

    manual(agent, "确认大件商品安装预约")
    manual(other, "会员生日关怀回访")
    manual(agent, "确认补发的配件是否收到", at=now - timedelta(days=2))  # overdue
    silent = manual(agent, "确认退款到账", at=now - timedelta(days=3))
    for day in (3, 2, 1):
        callbacks.record_outcome(
            actor=agent, callback_id=silent.pk, result="no_answer", outcome="无人接听",
            now=now - timedelta(days=day, hours=-1),
        )  # fmt: skip
    cancelled = manual(other, "确认换货进度")
    callbacks.record_outcome(
        actor=other,
        callback_id=cancelled.pk,
        result="cancelled",
        outcome="客户已来电确认，无需回访",
    )
    happy = manual(agent, "确认发票已收到")
    callbacks.record_outcome(
        actor=agent, callback_id=happy.pk, result="done", satisfaction=5, outcome="已收到，很满意"
    )
    unhappy = manual(other, "确认维修结果")
    bad = callbacks.record_outcome(
        actor=other, callback_id=unhappy.pk, result="done", satisfaction=1,
        outcome="维修后问题依旧，客户非常不满意，要求退货。",
    )  # fmt: skip
    counts["follow_up_ticket"] = 1 if bad.follow_up_id else 0
    counts["due_today"] = Callback.objects.filter(status="due", due_date=today).count()


def _phone_orders(agents, counts) -> None:
    """A few orders the agents take by phone today (cash on delivery)."""
    if not agents[0].has_perm(phone.PERM):
        return
    in_stock = list(
        Stock.objects.filter(on_hand__gte=F("reserved") + 20, sku__list_price__lte=500)
        .order_by("sku_id")
        .values_list("sku__code", flat=True)[:3]
    )
    people = list(Address.objects.filter(is_default=True).select_related("customer")[:3])
    for n, (code, row) in enumerate(zip(in_stock, people, strict=False)):
        agent = agents[n % len(agents)]
        address = DeliveryAddress(
            recipient=row.recipient, mobile=row.mobile, province=row.province, city=row.city,
            district=row.district, detail=row.detail,
        )  # fmt: skip
        try:
            cart = phone.start_phone_order(actor=agent, mobile=row.customer.mobile)
            phone.add_phone_order_line(actor=agent, cart_id=cart.pk, sku_code=code, quantity=1)
            phone.place_phone_order(
                actor=agent, cart_id=cart.pk, address=address, payment_method="cod",
                idempotency_key=f"demo-phone-{uuid.uuid5(uuid.NAMESPACE_OID, code).hex[:20]}",
            )  # fmt: skip
        except (DomainError, OutOfStock):  # the demo's stock or address said no: skip it
            continue
        counts["phone_orders"] = counts.get("phone_orders", 0) + 1


def seed_callbacks(*, now=None) -> dict[str, int]:
    """Callbacks in every state, QA reviews and KPI history; {} when there are already
    callbacks or reviews, or no agent to give them to."""
    if Callback.objects.exists() or QaReview.objects.exists():
        return {}
    agents, lead = _agents()
    if not agents:
        return {}
    now = now or timezone.now()
    rng = random.Random(15)
    counts: dict[str, int] = {}
    _history(agents, lead, rng, now, counts)
    _today(agents, now, counts)
    _phone_orders(agents, counts)
    return counts
