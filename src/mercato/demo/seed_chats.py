"""Demo live chats (在线咨询, issue 15) in every state, through mercato.service.chat as in
production (the clock set back with the services' `now`): two shoppers waiting (a guest
asking from a product page, a member), one conversation in progress with the demo agent
`service` (an order card sent), one ended with its transcript on a resolved ticket, and one
a guest left before an agent came (a new ticket, to call back).

Idempotent: once any conversation exists, a second run adds nothing. Used by `mercato
seed_demo_orders` after the tickets (the queues route the chats) and by the back-office
test seed.
"""

from datetime import timedelta

from django.utils import timezone

from mercato.catalog.selectors import products_on_sale
from mercato.customers.models import Customer
from mercato.orders.models import Order
from mercato.service import chat
from mercato.service.models import Conversation

from .data import DEMO_SHOPPERS


def seed_chats(*, users: dict, now=None) -> dict[str, int]:
    """Conversations waiting, active and closed; {} when the demo has chats already.
    `users`: the demo log-ins by user name ("service" at least; "service01" if there)."""
    if Conversation.objects.exists():
        return {}
    if "service" not in users:
        raise RuntimeError("run seed_demo first (no demo log-in service)")
    now = now or timezone.now()
    agent, colleague = users["service"], users.get("service01") or users["service"]

    def at(minutes_ago):
        return now - timedelta(minutes=minutes_ago)

    product = products_on_sale().order_by("id").first()
    members = {
        c.mobile: c for c in Customer.objects.filter(mobile__in=[m for m, *_ in DEMO_SHOPPERS])
    }
    first, second = (members.get(mobile) for mobile, *_ in DEMO_SHOPPERS[:2])

    # Waiting: a guest asking from a product page, and a member (when the demo has them).
    chat.open_conversation(
        session_key="demo-guest-waiting", contact_name="周女士", contact="13912345010",
        body="这款有现货吗？今天下单明天能到上海吗？", product_slug=product.slug if product else "",
        now=at(3),
    )  # fmt: skip
    counts = {"waiting": 1}
    if second is not None:
        chat.open_conversation(customer_id=second.pk, body="你好，想问下发票怎么开？", now=at(1))
        counts["waiting"] += 1

    # Active: the demo agent answering a member about an order, an order card sent.
    shopper = {"customer_id": first.pk} if first else {"session_key": "demo-guest-active"}
    active = chat.open_conversation(
        **shopper, contact="13912345011", contact_name="张先生", body="我的订单到哪了？",
        now=at(12),
    )  # fmt: skip
    chat.accept_conversation(conversation_id=active.pk, agent=agent, now=at(11))
    chat.post_message(conversation_id=active.pk, agent=agent, now=at(10.5),
                      body="您好，我帮您查一下，请稍等。")  # fmt: skip
    order = Order.objects.filter(customer=first).order_by("-placed_at").first() if first else None
    if order is not None:
        chat.send_card(conversation_id=active.pk, agent=agent, kind="order", ref=order.number,
                       now=at(10))  # fmt: skip
    chat.post_message(conversation_id=active.pk, **shopper, body="好的，谢谢", now=at(9))
    counts["active"] = 1

    # Closed: a guest answered by a colleague; the transcript went to a resolved ticket.
    guest = {"session_key": "demo-guest-closed"}
    closed = chat.open_conversation(
        **guest, contact_name="吴先生", contact="wu@example.com", body="支持七天无理由退货吗？",
        now=at(95),
    )  # fmt: skip
    chat.accept_conversation(conversation_id=closed.pk, agent=colleague, now=at(94))
    chat.post_message(conversation_id=closed.pk, agent=colleague, now=at(93),
                      body=chat.canned_replies("退货")[0]["body"])  # fmt: skip
    chat.post_message(conversation_id=closed.pk, **guest, body="明白了，谢谢！", now=at(92))
    chat.close_conversation(conversation_id=closed.pk, agent=colleague, now=at(90))
    # Closed before an agent came: a new ticket in its queue, to call the guest back.
    left = {"session_key": "demo-guest-left"}
    gone = chat.open_conversation(
        **left, contact_name="郑女士", contact="13912345012", body="有人在吗？急！", now=at(240)
    )
    chat.close_conversation(conversation_id=gone.pk, **left, now=at(235))
    counts["closed"] = 2
    return counts
