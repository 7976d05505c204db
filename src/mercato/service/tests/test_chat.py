"""Live chat services (service/chat.py): opening, messages, accepting (one agent only),
hand-over, cards, and the transcript saved on a ticket when the conversation ends."""

import threading

import pytest
from django.db import connection

from mercato.catalog.models import ProductStatus
from mercato.core.errors import Conflict, NotFound, PermissionDeniedError, ValidationFailed
from mercato.service import chat
from mercato.service.models import ChatMessage, Conversation, Ticket
from mercato.testing.factories import ProductFactory, SkuFactory, make_customer, make_order

pytestmark = pytest.mark.django_db
GUEST = {"session_key": "guest-session-1"}


def guest_chat(**kw):
    values = {"contact_name": "王女士", "contact": "13912340000", "body": "在吗？想问下发货时间"}
    return chat.open_conversation(**GUEST, **{**values, **kw})


def test_a_guest_opens_one_conversation_waiting_for_an_agent():
    conversation = guest_chat()

    assert conversation.status == "waiting" and conversation.contact_phone == "13912340000"
    assert [m.body for m in conversation.messages.all()] == ["在吗？想问下发货时间"]
    # opening again (another tab) gives the same conversation
    assert guest_chat(body="再问一次").pk == conversation.pk
    assert Conversation.objects.count() == 1 and ChatMessage.objects.count() == 1


def test_a_guest_must_leave_a_phone_or_email_and_nothing_is_written():
    for contact in ("", "not a phone", "a@b"):
        with pytest.raises(ValidationFailed) as refused:
            guest_chat(contact=contact)
        assert "contact" in refused.value.field_errors
    with pytest.raises(PermissionDeniedError):
        chat.open_conversation(contact="13912340000")  # neither account nor session
    assert not Conversation.objects.exists()


def test_a_member_opens_from_a_product_page_with_a_product_card():
    customer = make_customer(name="李雷")
    product = ProductFactory(status=ProductStatus.ON_SALE, name="华为 Mate 70")
    SkuFactory(product=product)

    conversation = chat.open_conversation(customer_id=customer.pk, product_slug=product.slug)

    assert conversation.contact_name == "李雷" and conversation.product == product
    card = conversation.messages.get()
    assert (card.kind, card.side, card.ref) == ("product", "customer", product.code)
    assert card.card["title"] == "华为 Mate 70" and card.card["url"] == f"/p/{product.slug}/"


def test_messages_both_ways_only_from_the_shopper_and_the_agent_who_took_it(make_staff):
    agent, other = make_staff("service"), make_staff("service")
    conversation = guest_chat()
    with pytest.raises(PermissionDeniedError):  # an agent must accept first
        chat.post_message(conversation_id=conversation.pk, body="您好", agent=agent)
    chat.accept_conversation(conversation_id=conversation.pk, agent=agent)

    chat.post_message(conversation_id=conversation.pk, body="您好，请问订单号？", agent=agent)
    chat.post_message(conversation_id=conversation.pk, body="E123", **GUEST)
    for who in ({"agent": other}, {"session_key": "someone-else"}, {"customer_id": 1}):
        with pytest.raises(PermissionDeniedError):
            chat.post_message(conversation_id=conversation.pk, body="hi", **who)

    sides = list(conversation.messages.values_list("side", flat=True))
    assert sides == ["customer", "system", "agent", "customer"]


def test_bad_messages_are_refused_and_change_nothing(make_staff):
    conversation = guest_chat()
    before = ChatMessage.objects.count()
    for body in ("", "   ", None, 42, ["x"], "长" * (chat.MAX_MESSAGE + 1)):
        with pytest.raises(ValidationFailed):
            chat.post_message(conversation_id=conversation.pk, body=body, **GUEST)
    for conversation_id in ("1", None, True):
        with pytest.raises(ValidationFailed):
            chat.post_message(conversation_id=conversation_id, body="hi", **GUEST)
    with pytest.raises(NotFound):
        chat.post_message(conversation_id=conversation.pk + 99, body="hi", **GUEST)
    assert ChatMessage.objects.count() == before


def test_accepting_a_taken_conversation_is_refused(make_staff):
    first, second = make_staff("service"), make_staff("service")
    conversation = guest_chat()
    chat.accept_conversation(conversation_id=conversation.pk, agent=first)

    with pytest.raises(Conflict) as refused:
        chat.accept_conversation(conversation_id=conversation.pk, agent=second)

    assert refused.value.code == "taken"
    conversation.refresh_from_db()
    assert conversation.agent == first and conversation.status == "active"


def test_only_staff_who_answer_tickets_accept(make_staff):
    conversation = guest_chat()
    with pytest.raises(PermissionDeniedError):
        chat.accept_conversation(conversation_id=conversation.pk, agent=make_staff("operations"))
    conversation.refresh_from_db()
    assert conversation.status == "waiting" and conversation.agent is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_agents_accepting_at_once_one_gets_it(make_staff):
    agents = [make_staff("service") for _ in range(4)]
    conversation = guest_chat()
    gate, outcomes = threading.Barrier(len(agents)), []

    def accept(agent):
        try:
            gate.wait()
            chat.accept_conversation(conversation_id=conversation.pk, agent=agent)
            outcomes.append(agent.pk)
        except Conflict:
            outcomes.append("taken")
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(a,)) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    winners = [o for o in outcomes if o != "taken"]
    assert len(winners) == 1 and outcomes.count("taken") == 3
    conversation.refresh_from_db()
    assert conversation.agent_id == winners[0]
    assert conversation.messages.filter(side="system").count() == 1  # one "is here" line


def test_hand_over_to_another_agent(make_staff):
    first, second = make_staff("service"), make_staff("service")
    outsider = make_staff("operations")
    conversation = guest_chat()
    chat.accept_conversation(conversation_id=conversation.pk, agent=first)
    for target in (None, "2", first.pk, outsider.pk):
        with pytest.raises(ValidationFailed):
            chat.hand_over(conversation_id=conversation.pk, agent=first, to_agent_id=target)
    with pytest.raises(PermissionDeniedError):  # only the conversation's agent
        chat.hand_over(conversation_id=conversation.pk, agent=second, to_agent_id=second.pk)

    chat.hand_over(conversation_id=conversation.pk, agent=first, to_agent_id=second.pk)

    conversation.refresh_from_db()
    assert conversation.agent == second
    with pytest.raises(PermissionDeniedError):  # the first agent is out of it now
        chat.post_message(conversation_id=conversation.pk, body="还在吗", agent=first)
    chat.post_message(conversation_id=conversation.pk, body="我来帮您", agent=second)


def test_cards_a_product_by_code_or_sku_and_only_the_members_own_order(make_staff):
    agent = make_staff("service")
    customer, stranger = make_customer(), make_customer()
    mine, theirs = make_order(customer=customer), make_order(customer=stranger)
    product = ProductFactory(status=ProductStatus.ON_SALE, name="小米 15")
    sku = SkuFactory(product=product)
    hidden = ProductFactory(status=ProductStatus.DRAFT)
    conversation = chat.open_conversation(customer_id=customer.pk, body="我的订单")
    chat.accept_conversation(conversation_id=conversation.pk, agent=agent)
    send = {"conversation_id": conversation.pk, "agent": agent}

    by_code = chat.send_card(**send, kind="product", ref=product.code)
    by_sku = chat.send_card(**send, kind="product", ref=sku.code)
    order_card = chat.send_card(**send, kind="order", ref=mine.number)

    assert by_code.card["title"] == by_sku.card["title"] == "小米 15"
    assert by_sku.ref == product.code
    assert order_card.card["title"] == mine.number and order_card.card["total"] == str(mine.total)
    before = ChatMessage.objects.count()
    for kind, ref in (("order", theirs.number), ("product", hidden.code), ("coupon", "X")):
        with pytest.raises(ValidationFailed):
            chat.send_card(**send, kind=kind, ref=ref)
    assert ChatMessage.objects.count() == before


def test_closing_saves_the_transcript_on_a_resolved_ticket_of_the_agent(make_staff):
    agent = make_staff("service")
    conversation = guest_chat()
    chat.accept_conversation(conversation_id=conversation.pk, agent=agent)
    chat.post_message(conversation_id=conversation.pk, body="现货 24 小时内发货", agent=agent)

    chat.close_conversation(conversation_id=conversation.pk, agent=agent)

    conversation.refresh_from_db()
    ticket = conversation.ticket
    assert conversation.status == "closed" and conversation.closed_at is not None
    assert (ticket.channel, ticket.status, ticket.assignee) == ("chat", "resolved", agent)
    assert ticket.contact_phone == "13912340000" and ticket.contact_name == "王女士"
    text = ticket.messages.get().body
    assert "王女士: 在吗？想问下发货时间" in text
    assert f"{agent}: 现货 24 小时内发货" in text
    assert list(ticket.conversations.all()) == [conversation]


def test_a_conversation_no_agent_took_becomes_a_new_ticket_in_its_queue(make_staff):
    conversation = guest_chat()

    chat.close_conversation(conversation_id=conversation.pk, **GUEST)

    conversation.refresh_from_db()
    assert conversation.ticket.status == "new" and conversation.ticket.assignee is None


def test_an_ended_conversation_takes_nothing_more(make_staff):
    agent = make_staff("service")
    conversation = guest_chat()
    chat.accept_conversation(conversation_id=conversation.pk, agent=agent)
    chat.close_conversation(conversation_id=conversation.pk, **GUEST)
    before = (ChatMessage.objects.count(), Ticket.objects.count())

    for call in (
        lambda: chat.post_message(conversation_id=conversation.pk, body="还有", **GUEST),
        lambda: chat.post_message(conversation_id=conversation.pk, body="还有", agent=agent),
        lambda: chat.close_conversation(conversation_id=conversation.pk, agent=agent),
        lambda: chat.accept_conversation(conversation_id=conversation.pk, agent=agent),
        lambda: chat.send_card(
            conversation_id=conversation.pk, agent=agent, kind="order", ref="X"
        ),  # fmt: skip
    ):
        with pytest.raises(Conflict) as refused:
            call()
        assert refused.value.code == "closed"
    assert (ChatMessage.objects.count(), Ticket.objects.count()) == before
    # and the shopper may start a new one
    assert guest_chat().pk != conversation.pk


def test_canned_replies_put_the_matching_ones_first(settings):
    replies = chat.canned_replies("我想退货，怎么退款")
    assert replies[0]["title"] == "退换货" and len(replies) == 5
    settings.MERCATO_CHAT_CANNED_REPLIES = [("A", ("x",), "甲"), ("B", ("y",), "乙")]
    assert chat.canned_replies("y") == [{"title": "B", "body": "乙"}, {"title": "A", "body": "甲"}]


def test_canned_replies_offer_the_knowledge_base_first(make_staff):
    """A published article that answers the shopper's words comes before the built-in
    replies; a draft is never offered."""
    from mercato.service import knowledge

    lead = make_staff("service", roles=["service_lead"])
    category = knowledge.create_category(actor=lead, name="退换货政策")
    article = knowledge.create_article(
        actor=lead, category_id=category.pk, title="七天无理由退货",
        body="签收后七天内可申请无理由退货，商品需保持完好。",
    )  # fmt: skip
    knowledge.set_article_status(actor=lead, article_id=article.pk, status="published")
    knowledge.create_article(
        actor=lead, category_id=category.pk, title="退货草稿", body="还没写完的退货说明"
    )
    replies = chat.canned_replies("我想退货，签收三天了")
    assert replies[0] == {
        "title": "七天无理由退货", "body": "签收后七天内可申请无理由退货，商品需保持完好。",
    }  # fmt: skip
    assert "退货草稿" not in [r["title"] for r in replies] and len(replies) == 5


def test_the_chat_socket_address_is_the_pages_own_host_or_a_valid_one(settings):
    """The pages open sockets on their own host unless MERCATO_CHAT_SOCKET_URL names the
    chat process (make demo); a value a browser cannot open stops the start."""
    from django.template import Context, Template

    from mercato.service.apps import check_chat_socket_url

    tag = Template("{% load chat %}{% chat_socket '/ws/chat/' %}")
    assert tag.render(Context()) == "/ws/chat/" and check_chat_socket_url() == []
    settings.CHAT_SOCKET_URL = "ws://127.0.0.1:8100"
    assert tag.render(Context()) == "ws://127.0.0.1:8100/ws/chat/"
    assert check_chat_socket_url() == []
    for bad in ("http://127.0.0.1:8100", "ws://127.0.0.1:8100/ws", "127.0.0.1:8100"):
        settings.CHAT_SOCKET_URL = bad
        assert [e.id for e in check_chat_socket_url()] == ["service.E001"], bad
