"""Demo customer service tickets (issue 15): skill queues, an SLA policy, a supervisor
(客户主管: the colleague service01) and tickets in every state — new (one past its first
response due), open, waiting for the customer, resolved after an escalation, closed,
reopened by the customer's reply, merged into another, split from another — over the
channels the department answers (phone, email, web form, the order page, a marketplace
message). Every ticket goes through mercato.service.services, as in production; only the
clock is set back (the services' `now`), so the SLA flags have something to show.

Idempotent: once the demo's queues exist, a second run adds nothing. Used by `mercato
seed_demo_orders` (after the orders, which tickets link) and by the back-office test seed.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from mercato.customers.models import Customer
from mercato.orders.models import Order
from mercato.service import services
from mercato.service.models import Queue, QueueMember, SlaPolicy
from mercato.staff.models import StaffProfile
from mercato.staff.services import change_staff

from .data import DEMO_SHOPPERS

QUEUES = [
    # (code, name, categories, mode, default)
    ("general", "综合咨询组", [], "least_loaded", True),
    ("orders", "订单物流组", ["order_status", "delivery"], "round_robin", False),
    ("aftersales", "售后投诉组", ["return", "complaint"], "least_loaded", False),
]
SLA = [
    # (priority, category, first response minutes, resolution minutes)
    ("urgent", "complaint", 15, 120),
    ("high", "", 60, 8 * 60),
]


def _setup(users: dict) -> None:
    User = get_user_model()
    agents = list(
        User.objects.filter(staff_profile__department__code="service", is_active=True)
        .order_by("username")
        .values_list("username", flat=True)
    )
    by_name = {u.username: u for u in User.objects.filter(username__in=agents)}
    for code, name, categories, mode, default in QUEUES:
        queue = Queue.objects.create(
            code=code, name=name, categories=categories, mode=mode, is_default=default
        )
        members = [by_name["service"]] if "service" in by_name else []
        members += [u for n, u in sorted(by_name.items()) if n.startswith("service0")]
        QueueMember.objects.bulk_create(QueueMember(queue=queue, user=u) for u in members)
    for priority, category, first, resolution in SLA:
        SlaPolicy.objects.create(
            priority=priority,
            category=category,
            first_response_minutes=first,
            resolution_minutes=resolution,
        )
    lead = StaffProfile.objects.filter(user__username="service01").first()
    if lead is not None and "hr" in users and "service_lead" not in lead.role_codes:
        change_staff(
            actor=users["hr"], profile_id=lead.pk, role_codes=[*lead.role_codes, "service_lead"]
        )


def seed_tickets(*, users: dict, now=None) -> dict[str, int]:
    """Queues, SLA policy and tickets in every state; {} when the demo's queues exist.
    `users`: the demo log-ins by user name ("service" and "hr" at least)."""
    if Queue.objects.filter(code="general").exists():
        return {}
    if "service" not in users:
        raise RuntimeError("run seed_demo first (no demo log-in service)")
    now = now or timezone.now()
    _setup(users)
    agent = users["service"]
    lead = get_user_model().objects.filter(username="service01").first() or users.get("tech")
    mobile, name, _address = DEMO_SHOPPERS[0]
    shopper = Customer.objects.filter(mobile=mobile).first()
    orders = (
        list(Order.objects.filter(customer=shopper).order_by("-placed_at")[:2]) if (shopper) else []
    )
    numbers = [o.number for o in orders]
    counts: dict[str, int] = {}

    def ticket(key, *, hours_ago=0.0, **kw):
        values = {"channel": "phone", "category": "order_status", "contact_phone": "13912345001"}
        values.update(kw)
        made = services.create_ticket(actor=agent, now=now - timedelta(hours=hours_ago), **values)
        counts[key] = counts.get(key, 0) + 1
        return made

    def at(hours_ago):
        return now - timedelta(hours=hours_ago)

    # New, unassigned and past its first response due (5 h > 4 h for normal priority).
    waiting = ticket(
        "new_breached",
        hours_ago=5,
        subject="订单什么时候发货",
        auto_assign=False,
        body="客户来电：下单三天了还没发货，问什么时候能发。",
        contact_name="钱女士",
    )
    # New, routed by the queue's rule.
    ticket(
        "new",
        channel="web_form",
        category="product",
        subject="这款手机支持双卡吗",
        body="网页留言：想确认一下是否支持双卡双待和 5G。",
        contact_email="sun@example.com",
        contact_phone="",
        contact_name="孙先生",
    )
    # Open: the member's order question, taken by the agent.
    member = {"customer_id": shopper.pk} if shopper else {"contact_phone": mobile}
    opened = ticket(
        "open",
        hours_ago=2,
        channel="order_page",
        subject="修改收货地址",
        body="订单页联系客服：想把收货地址改到公司。",
        order_numbers=numbers[:1],
        auto_assign=False,
        **member,
    )
    services.assign_ticket(actor=agent, ticket_id=opened.pk, assignee_id=agent.pk, now=at(1.9))
    services.change_status(actor=agent, ticket_id=opened.pk, to="open", now=at(1.9))
    services.reply_to_ticket(
        actor=agent,
        ticket_id=opened.pk,
        visibility="internal",
        body="已联系仓库，包裹尚未出库，可以改地址。",
        now=at(1.8),
    )
    # Waiting for the customer: an email answered (and a second problem split off).
    pending = ticket(
        "pending",
        hours_ago=6,
        channel="email",
        category="delivery",
        subject="快递显示签收但没收到",
        contact_email="zhou@example.com",
        contact_phone="",
        contact_name="周先生",
        body="你好，快递显示已签收，但我没有收到包裹。",
    )
    services.receive_customer_message(
        ticket_id=pending.pk, now=at(5.5), body="另外，上个月的发票抬头开错了，能重开吗？"
    )
    services.reply_to_ticket(
        actor=agent,
        ticket_id=pending.pk,
        now=at(5),
        body="您好，我们已联系快递核实签收情况，请稍候。",
    )
    invoice = pending.messages.order_by("created_at", "id")[1]
    services.split_ticket(
        actor=agent,
        ticket_id=pending.pk,
        message_ids=[invoice.pk],
        subject="发票抬头开错",
        now=at(4.9),
    )
    counts["split"] = 1
    # Resolved after a supervisor's escalation.
    complaint = ticket(
        "resolved",
        hours_ago=30,
        category="complaint",
        priority="high",
        subject="投诉快递员态度差",
        tags=["投诉", "快递"],
        body="客户投诉快递员电话里态度恶劣，要求道歉。",
    )
    if lead is not None and lead.has_perm("service.supervise_tickets"):
        services.escalate_ticket(
            actor=lead, ticket_id=complaint.pk, now=at(29), reason="客户情绪激动，主管跟进"
        )
    services.reply_to_ticket(
        actor=agent,
        ticket_id=complaint.pk,
        now=at(28),
        body="非常抱歉，已向快递公司投诉并要求整改。",
    )
    services.change_status(
        actor=agent, ticket_id=complaint.pk, to="resolved", now=at(26), reason="客户接受道歉"
    )
    # Closed.
    closed = ticket(
        "closed",
        hours_ago=72,
        category="invoice",
        channel="marketplace",
        priority="low",
        subject="平台店铺留言：开专票",
        body="天猫店铺留言：需要开增值税专用发票。",
    )
    services.reply_to_ticket(
        actor=agent, ticket_id=closed.pk, now=at(70), body="已登记开票信息，发票三个工作日内寄出。"
    )
    services.change_status(actor=agent, ticket_id=closed.pk, to="closed", now=at(48))
    # Closed, then reopened by the customer's reply.
    reopened = ticket(
        "reopened",
        hours_ago=50,
        category="return",
        subject="退货进度",
        body="客户来电问退货款什么时候到账。",
        order_numbers=numbers[1:2],
        **member,
    )
    services.reply_to_ticket(
        actor=agent, ticket_id=reopened.pk, now=at(49), body="退款已提交，预计 1-3 个工作日到账。"
    )
    services.change_status(actor=agent, ticket_id=reopened.pk, to="closed", now=at(40))
    services.receive_customer_message(
        ticket_id=reopened.pk, now=at(3), body="已经过了三天还没到账。"
    )
    # The same caller twice: the second ticket merged into the first.
    duplicate = ticket(
        "merged",
        hours_ago=1,
        subject="订单什么时候发货（再次来电）",
        body="客户再次来电催发货。",
        contact_name="钱女士",
    )
    services.merge_tickets(
        actor=agent, source_id=duplicate.pk, target_number=waiting.number, now=at(0.5)
    )
    return counts
