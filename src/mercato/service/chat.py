"""Live chat (在线咨询): a shopper's conversation with an agent, and every change to it.

A shopper (a member by account, a guest by browser session) opens a conversation; it waits
in its queue until an agent accepts it (one agent only: the row is locked), the two write
to each other, the agent may send product and order cards and hand the conversation over to
another agent; either side ends it, and its transcript is saved as a ticket (channel
"chat") linked both ways. One transaction each; bad input raises a DomainError and writes
nothing. The WebSocket side is service/consumers.py.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mercato.catalog.selectors import card_rows, products_on_sale
from mercato.core.errors import Conflict, NotFound, PermissionDeniedError, ValidationFailed
from mercato.core.permissions import require_perm
from mercato.customers.models import Customer
from mercato.orders.models import Order

from . import services
from .assignment import HANDLE, queue_for
from .knowledge import suggest_articles
from .models import ChatKind, ChatMessage, ChatSide, Conversation, TicketCategory
from .models import ConversationStatus as CS

MAX_MESSAGE = 2000
SUPERVISE = "service.supervise_tickets"
# System lines of the transcript: stored untranslated, shown in the reader's language.
JOINED = gettext_noop("%(agent)s is here to help you")
HANDED_OVER = gettext_noop("%(old)s handed the conversation over to %(new)s")
ENDED = gettext_noop("The conversation has ended")
RESOLVED_BY_CHAT = gettext_noop("Answered in the live chat")
TRANSCRIPT_CUT = "…"

# Canned replies until the knowledge base answers (canned_replies below): a title, the
# words that suggest it, and the reply. MERCATO_CHAT_CANNED_REPLIES replaces the list.
CANNED_REPLIES = [
    ("问候", ("你好", "您好", "在吗", "hello"),
     "您好，我是 Mercato 客服，请问有什么可以帮您？"),
    ("发货时间", ("发货", "什么时候", "多久", "ship"),
     "现货商品付款后 24 小时内发货，预售商品以页面写明的时间为准。"),
    ("物流查询", ("物流", "快递", "到哪", "没收到", "delivery"),
     "您可以在「我的订单」里查看物流进度；如显示签收但未收到，请告诉我订单号，"
     "我帮您联系快递核实。"),
    ("退换货", ("退货", "换货", "退款", "return", "refund"),
     "签收后 7 天内可申请无理由退货，在「我的订单」里提交退货申请即可；"
     "退款在我们收到退货后 1-3 个工作日内原路退回。"),
    ("发票", ("发票", "开票", "invoice"),
     "订单完成后可在「我的订单」里申请电子发票，增值税专用发票请告诉我开票信息。"),
    ("结束语", ("谢谢", "好的", "thanks"), "不客气，祝您购物愉快！还有其他问题随时找我们。"),
]  # fmt: skip


def canned_replies(text: str, limit: int = 5) -> list[dict]:
    """Replies an agent may send for what the shopper wrote: [{"title", "body"}]. The
    knowledge base's published articles that match the text come first (the same
    suggestions as beside a ticket), then the built-in short replies whose words appear
    in the text, then the other built-in ones."""
    found = [
        {"title": a.title, "body": a.body[:MAX_MESSAGE]}
        for a in suggest_articles(str(text or ""), limit=limit)
    ]
    replies = getattr(settings, "MERCATO_CHAT_CANNED_REPLIES", CANNED_REPLIES)
    text = str(text or "").lower()
    hits = [(title, body) for title, words, body in replies if any(w in text for w in words)]
    rest = [(title, body) for title, _words, body in replies if (title, body) not in hits]
    found += [{"title": t, "body": b} for t, b in hits + rest]
    return found[:limit]


class ChatClosed(Conflict):
    code = "closed"


def _clean_body(body) -> str:
    if not isinstance(body, str) or not body.strip():
        raise ValidationFailed({"body": [_("Write a message first.")]})
    body = body.strip()
    if len(body) > MAX_MESSAGE:
        raise ValidationFailed({"body": [_("At most %(n)s characters.") % {"n": MAX_MESSAGE}]})
    return body


def _locked(conversation_id) -> Conversation:
    if not isinstance(conversation_id, int) or isinstance(conversation_id, bool):
        raise ValidationFailed({"conversation": [_("Name the conversation.")]})
    conversation = Conversation.objects.select_for_update().filter(pk=conversation_id).first()
    if conversation is None:
        raise NotFound(_("No such conversation."), field="conversation")
    return conversation


def _open(conversation: Conversation) -> None:
    if conversation.status == CS.CLOSED:
        raise ChatClosed(_("This conversation has ended."), field="conversation")


def is_shoppers(conversation: Conversation, *, customer_id=None, session_key="") -> bool:
    """Whether the shopper (a member's customer id, else a guest's session key) is the one
    who opened the conversation."""
    if conversation.customer_id is not None:
        return customer_id == conversation.customer_id
    return bool(session_key) and session_key == conversation.session_key


def _agent_may(conversation: Conversation, agent) -> None:
    require_perm(agent, HANDLE)
    if conversation.agent_id != agent.pk:
        raise PermissionDeniedError(
            _("Another agent is answering this conversation."), code="not_allowed"
        )


def _system(conversation, text, params, *, now) -> ChatMessage:
    """A system line, stored in the source language with its parameters (shown translated)."""
    return ChatMessage.objects.create(
        conversation=conversation, side=ChatSide.SYSTEM, body=text, card=params, created_at=now
    )


def product_card(product_id: int) -> dict:
    row = card_rows(products=products_on_sale().filter(pk=product_id)).get(product_id)
    if row is None:
        return {}
    image = f"{settings.MEDIA_URL}{row['image']}" if row["image"] else ""
    return {"title": row["name"], "price": str(row["min_price"]), "url": f"/p/{row['slug']}/",
            "image": image}  # fmt: skip


@transaction.atomic
def open_conversation(
    *, customer_id: int | None = None, session_key: str = "", contact_name: str = "",
    contact: str = "", body: str = "", product_slug: str = "", now=None,
) -> Conversation:  # fmt: skip
    """The shopper's conversation: the one still open (waiting or active), else a new one
    waiting in the queue of its topic. A guest gives a phone number or an email address
    (`contact`), so the transcript's ticket can be answered later."""
    now = now or timezone.now()
    if customer_id is None and not session_key:
        raise PermissionDeniedError(_("Open the chat from the shop."), code="not_allowed")
    mine = Conversation.objects.exclude(status=CS.CLOSED)
    mine = mine.filter(customer_id=customer_id) if customer_id else mine.filter(
        customer__isnull=True, session_key=session_key
    )  # fmt: skip
    if (found := mine.first()) is not None:
        return found
    customer = None
    phone = email = ""
    if customer_id is not None:
        customer = Customer.objects.filter(pk=customer_id).first()
        if customer is None:
            raise NotFound(_("No such customer."), field="customer")
        contact_name = contact_name or customer.name
        phone, email = customer.mobile or "", customer.email or ""
    else:
        contact = str(contact or "").strip()
        if "@" in contact:
            email = services.clean_email(contact, "contact")
        else:
            phone = services.clean_phone(contact, "contact")
        if not (phone or email):
            raise ValidationFailed({"contact": [_("Give a phone number or an email address.")]})
    contact_name = str(contact_name or "").strip()
    if len(contact_name) > 40:
        raise ValidationFailed({"name": [_("At most %(n)s characters.") % {"n": 40}]})
    body = _clean_body(body) if str(body or "").strip() else ""
    product = products_on_sale().filter(slug=str(product_slug or "")[:160]).first()
    category = TicketCategory.PRODUCT if product else TicketCategory.OTHER
    conversation = Conversation.objects.create(
        customer=customer, session_key="" if customer else session_key,
        contact_name=contact_name, contact_phone=phone, contact_email=email,
        queue=queue_for(category), product=product, started_at=now,
    )  # fmt: skip
    if product is not None:
        ChatMessage.objects.create(
            conversation=conversation, side=ChatSide.CUSTOMER, kind=ChatKind.PRODUCT,
            body=product.name, ref=product.code, card=product_card(product.pk), created_at=now,
        )  # fmt: skip
    if body:
        ChatMessage.objects.create(
            conversation=conversation, side=ChatSide.CUSTOMER, body=body, created_at=now
        )
    return conversation


@transaction.atomic
def post_message(
    *, conversation_id: int, body, agent=None, customer_id: int | None = None,
    session_key: str = "", now=None,
) -> ChatMessage:  # fmt: skip
    """A message from the shopper (customer_id or session_key) or from the conversation's
    agent (`agent`). A shopper may write while waiting; an agent once they accepted."""
    now = now or timezone.now()
    body = _clean_body(body)
    conversation = _locked(conversation_id)
    if agent is not None:
        _agent_may(conversation, agent)
    elif not is_shoppers(conversation, customer_id=customer_id, session_key=session_key):
        raise PermissionDeniedError(_("This is not your conversation."), code="not_allowed")
    _open(conversation)
    return ChatMessage.objects.create(
        conversation=conversation, side=ChatSide.AGENT if agent else ChatSide.CUSTOMER,
        agent=agent, body=body, created_at=now,
    )  # fmt: skip


@transaction.atomic
def send_card(*, conversation_id: int, agent, kind: str, ref, now=None) -> ChatMessage:
    """A product card (by product code or SKU code) or an order card (an order of the
    conversation's member, by number), as it is now."""
    now = now or timezone.now()
    ref = str(ref or "").strip()[:40]
    if kind not in (ChatKind.PRODUCT, ChatKind.ORDER):
        raise ValidationFailed({"kind": [_("Send a product card or an order card.")]})
    conversation = _locked(conversation_id)
    _agent_may(conversation, agent)
    _open(conversation)
    if kind == ChatKind.PRODUCT:
        product = products_on_sale().filter(code=ref).first() or (
            products_on_sale().filter(skus__code=ref).first()
        )
        if product is None:
            raise ValidationFailed({"ref": [_("No product on sale with this code.")]})
        body, ref, card = product.name, product.code, product_card(product.pk)
    else:
        order = None
        if conversation.customer_id is not None:
            order = Order.objects.filter(customer_id=conversation.customer_id, number=ref)
            order = order.first()
        if order is None:
            raise ValidationFailed({"ref": [_("No such order of this customer.")]})
        body = order.number
        card = {"title": order.number, "status": order.get_status_display(),
                "total": str(order.total), "placed_at": order.placed_at.isoformat(),
                "url": f"/orders/{order.number}/"}  # fmt: skip
    return ChatMessage.objects.create(
        conversation=conversation, side=ChatSide.AGENT, agent=agent, kind=kind, body=body,
        ref=ref, card=card, created_at=now,
    )  # fmt: skip


@transaction.atomic
def accept_conversation(*, conversation_id: int, agent, now=None) -> Conversation:
    """An agent takes a waiting conversation. The row is locked first: of two agents who
    accept at once, one gets it and the other is told it was taken."""
    now = now or timezone.now()
    require_perm(agent, HANDLE)
    conversation = _locked(conversation_id)
    _open(conversation)
    if conversation.status != CS.WAITING:
        raise Conflict(_("Another agent took this conversation."), code="taken")
    conversation.status, conversation.agent, conversation.accepted_at = CS.ACTIVE, agent, now
    conversation.save(update_fields=["status", "agent", "accepted_at"])
    _system(conversation, JOINED, {"agent": str(agent)}, now=now)
    return conversation


@transaction.atomic
def hand_over(*, conversation_id: int, agent, to_agent_id, now=None) -> Conversation:
    """The conversation's agent (or a 客户主管) gives it to another agent who answers chats."""
    now = now or timezone.now()
    require_perm(agent, HANDLE)
    conversation = _locked(conversation_id)
    _open(conversation)
    if conversation.status != CS.ACTIVE:
        raise Conflict(_("Accept the conversation first."), code="not_active")
    if conversation.agent_id != agent.pk and not agent.has_perm(SUPERVISE):
        raise PermissionDeniedError(
            _("Another agent is answering this conversation."), code="not_allowed"
        )
    target = None
    if isinstance(to_agent_id, int) and not isinstance(to_agent_id, bool):
        target = get_user_model().objects.filter(pk=to_agent_id, is_active=True, is_staff=True)
        target = target.first()
    if target is None or not target.has_perm(HANDLE):
        raise ValidationFailed({"agent": [_("Choose an agent who answers tickets.")]})
    if target.pk == conversation.agent_id:
        raise ValidationFailed({"agent": [_("Choose another agent.")]})
    old = conversation.agent
    conversation.agent = target
    conversation.save(update_fields=["agent"])
    _system(conversation, HANDED_OVER, {"old": str(old), "new": str(target)}, now=now)
    return conversation


def transcript(conversation: Conversation) -> str:
    """The conversation as text, one line a message: time, who, what."""
    lines = []
    names = {ChatSide.CUSTOMER: conversation.contact_name or _("Customer")}
    for m in conversation.messages.select_related("agent"):
        at = timezone.localtime(m.created_at).strftime("%H:%M:%S")
        if m.side == ChatSide.SYSTEM:
            lines.append(f"[{at}] {_(m.body) % m.card}")
            continue
        who = str(m.agent) if m.agent_id else names.get(m.side, _("Agent"))
        what = m.body
        if m.kind != ChatKind.TEXT:
            what = f"[{ChatKind(m.kind).label}] {m.body} {m.card.get('url', '')}".rstrip()
        lines.append(f"[{at}] {who}: {what}")
    text = "\n".join(lines) or "—"
    if len(text) > services.MAX_BODY:
        text = text[: services.MAX_BODY - len(TRANSCRIPT_CUT)] + TRANSCRIPT_CUT
    return text


@transaction.atomic
def close_conversation(
    *, conversation_id: int, agent=None, customer_id: int | None = None, session_key: str = "",
    now=None,
) -> Conversation:  # fmt: skip
    """Either side ends the conversation; its transcript becomes a ticket (channel chat)
    linked to it. A conversation an agent answered: the ticket is the agent's, resolved;
    one no agent took: a new ticket in its queue, for a call back."""
    now = now or timezone.now()
    conversation = _locked(conversation_id)
    if agent is not None:
        require_perm(agent, HANDLE)
        if conversation.agent_id not in (None, agent.pk) and not agent.has_perm(SUPERVISE):
            raise PermissionDeniedError(
                _("Another agent is answering this conversation."), code="not_allowed"
            )
    elif not is_shoppers(conversation, customer_id=customer_id, session_key=session_key):
        raise PermissionDeniedError(_("This is not your conversation."), code="not_allowed")
    _open(conversation)
    _system(conversation, ENDED, {}, now=now)
    first = conversation.messages.filter(side=ChatSide.CUSTOMER).first()
    subject = _("Live chat: %(words)s") % {"words": first.body[:60] if first else "—"}
    ticket = services.create_ticket(
        actor=None, channel="chat",
        category=TicketCategory.PRODUCT if conversation.product_id else TicketCategory.OTHER,
        subject=subject[:200], body=transcript(conversation), customer_id=conversation.customer_id,
        contact_name=conversation.contact_name, contact_phone=conversation.contact_phone,
        contact_email=conversation.contact_email,
        order_numbers=[conversation.order.number] if conversation.order_id else [],
        auto_assign=conversation.agent_id is None, now=now,
    )  # fmt: skip
    if conversation.agent_id is not None:
        answered_by = conversation.agent
        services.assign_ticket(actor=answered_by, ticket_id=ticket.pk,
                               assignee_id=answered_by.pk, now=now)  # fmt: skip
        services.change_status(actor=answered_by, ticket_id=ticket.pk, to="resolved",
                               reason=RESOLVED_BY_CHAT, now=now)  # fmt: skip
    conversation.status, conversation.closed_at, conversation.ticket = CS.CLOSED, now, ticket
    conversation.save(update_fields=["status", "closed_at", "ticket"])
    return conversation
