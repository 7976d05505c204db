"""The live chat's WebSocket protocol (service/consumers.py), with channels' communicator
over the same ASGI stack as mercato/asgi.py (origin check, session and user from the
cookies) and the in-memory channel layer: a shopper and agents, frames both ways, typing,
the accept race, hand-over, close → ticket, and every bad frame → an error frame."""

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.test import Client

from mercato.service.models import ChatMessage, Conversation, Ticket
from mercato.service.routing import websocket_application
from mercato.testing.factories import make_customer, make_order

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("short_db_connections"),
]
WAIT = 10  # seconds a frame may take (the database calls run in threads)


@pytest.fixture(autouse=True)
def in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def guest_cookie() -> str:
    client = Client()
    assert client.get("/chat/session/").status_code == 200
    return client.cookies["sessionid"].value


def login_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def socket(path: str, session: str | None, origin: str = "http://testserver", language=""):
    headers = [(b"origin", origin.encode())]
    cookies = [f"sessionid={session}"] if session else []
    if language:
        cookies.append(f"django_language={language}")
    if cookies:
        headers.append((b"cookie", "; ".join(cookies).encode()))
    return WebsocketCommunicator(websocket_application(), path, headers=headers)


async def connected(path, session):
    ws = socket(path, session)
    ok, _code = await ws.connect(timeout=WAIT)
    assert ok
    return ws


async def frame_of(ws, kind: str) -> dict:
    """The next frame of type `kind`, passing over others (broadcasts interleave)."""
    while True:
        frame = await ws.receive_json_from(timeout=WAIT)
        if frame["type"] == kind:
            return frame


def counts():
    return database_sync_to_async(
        lambda: (ChatMessage.objects.count(), Conversation.objects.count(), Ticket.objects.count())
    )()


def run(scenario):
    async_to_sync(scenario)()


def test_a_guest_and_an_agent_chat_and_the_transcript_goes_to_a_ticket(make_staff):
    agent = make_staff("service")
    guest, staff = guest_cookie(), login_cookie(agent)
    result = {}

    async def scenario():
        shopper = await connected("/ws/chat/", guest)
        assert await shopper.receive_json_from(timeout=WAIT) == {"type": "ready"}
        console = await connected("/ws/chat/agent/", staff)
        assert (await frame_of(console, "waiting_list"))["waiting"] == []

        await shopper.send_json_to(
            {"type": "open", "name": "王女士", "contact": "13912340000", "body": "在吗"}
        )
        opened = await frame_of(shopper, "conversation")
        assert opened["status"] == "waiting" and opened["messages"][0]["body"] == "在吗"
        waiting = await frame_of(console, "waiting")
        assert waiting["id"] == opened["id"] and waiting["name"] == "王女士"
        cid = opened["id"]

        await console.send_json_to({"type": "accept", "conversation": cid})
        assert (await frame_of(console, "conversation"))["status"] == "active"
        status = await frame_of(shopper, "status")
        assert status["status"] == "active" and status["agent"] == str(agent)
        joined = await frame_of(shopper, "message")
        assert joined["side"] == "system" and str(agent) in joined["body"]

        await console.send_json_to({"type": "typing", "conversation": cid})
        assert (await frame_of(shopper, "typing"))["side"] == "agent"
        await console.send_json_to({"type": "message", "conversation": cid, "body": "您好"})
        got = await frame_of(shopper, "message")
        assert (got["side"], got["body"], got["agent"]) == ("agent", "您好", str(agent))
        await shopper.send_json_to({"type": "typing"})
        assert (await frame_of(console, "typing"))["side"] == "customer"
        await shopper.send_json_to({"type": "message", "body": "什么时候发货"})
        got = await frame_of(console, "message")
        assert (got["side"], got["body"], got["conversation"]) == ("customer", "什么时候发货", cid)

        await console.send_json_to({"type": "suggest", "text": "什么时候发货"})
        replies = (await frame_of(console, "suggestions"))["replies"]
        assert replies[0]["title"] == "发货时间"

        await console.send_json_to({"type": "close", "conversation": cid})
        closed = await frame_of(shopper, "status")
        assert closed["status"] == "closed" and closed["ticket"].startswith("TK")
        result["ticket"] = closed["ticket"]
        assert (await frame_of(console, "status"))["status"] == "closed"
        await shopper.disconnect()
        await console.disconnect()

    run(scenario)
    ticket = Ticket.objects.get(number=result["ticket"])
    assert ticket.channel == "chat" and ticket.assignee == agent
    assert "什么时候发货" in ticket.messages.get().body
    assert Conversation.objects.get().ticket == ticket


def test_a_returning_shopper_gets_their_open_conversation_back(make_staff):
    guest = guest_cookie()

    async def scenario():
        shopper = await connected("/ws/chat/", guest)
        await frame_of(shopper, "ready")
        await shopper.send_json_to({"type": "open", "contact": "a@example.com", "body": "在吗"})
        first = await frame_of(shopper, "conversation")
        await shopper.disconnect()
        again = await connected("/ws/chat/", guest)
        back = await frame_of(again, "conversation")
        assert back["id"] == first["id"] and [m["body"] for m in back["messages"]] == ["在吗"]
        await again.disconnect()

    run(scenario)


def test_bad_frames_from_a_shopper_get_error_frames_and_change_nothing():
    guest = guest_cookie()

    async def scenario():
        shopper = await connected("/ws/chat/", guest)
        await frame_of(shopper, "ready")
        before = await counts()
        for raw, code in (
            ("not json", "bad_shape"),
            ("[1, 2]", "bad_shape"),
            ('{"body": "no type"}', "bad_shape"),
            ('{"type": 7}', "bad_shape"),
            ('{"type": "accept", "conversation": 1}', "unknown_type"),
            ('{"type": "message", "body": "hi"}', "not_open"),
            ('{"type": "typing"}', "not_open"),
            ('{"type": "open", "contact": ["x"]}', "bad_shape"),
            ('{"type": "open", "contact": "nobody"}', "invalid"),
        ):
            await shopper.send_to(text_data=raw)
            error = await shopper.receive_json_from(timeout=WAIT)
            assert error["type"] == "error" and error["code"] == code, raw
            assert error["message"]
        await shopper.send_to(bytes_data=b"\x00\x01")
        assert (await shopper.receive_json_from(timeout=WAIT))["code"] == "bad_shape"
        assert await counts() == before

        await shopper.send_json_to({"type": "open", "contact": "13912340000", "body": "在吗"})
        await frame_of(shopper, "conversation")
        before = await counts()
        for bad in ({"type": "message", "body": ""}, {"type": "message", "body": 42},
                    {"type": "message", "body": "长" * 2001}):  # fmt: skip
            await shopper.send_json_to(bad)
            error = await frame_of(shopper, "error")
            assert error["code"] == "invalid" and error["errors"][0]["field"] == "body"
        await shopper.send_json_to({"type": "open", "contact": "13912340000"})
        assert (await frame_of(shopper, "error"))["code"] == "already_open"
        assert await counts() == before

        await shopper.send_json_to({"type": "close"})
        assert (await frame_of(shopper, "status"))["status"] == "closed"
        before = await counts()
        for bad in ({"type": "message", "body": "还在吗"}, {"type": "typing"}, {"type": "close"}):
            await shopper.send_json_to(bad)
            assert (await frame_of(shopper, "error"))["code"] == "closed"
        assert await counts() == before
        await shopper.disconnect()

    run(scenario)


def test_bad_frames_from_an_agent_get_error_frames_and_change_nothing(make_staff):
    agent, other = make_staff("service"), make_staff("service")
    guest, staff, rival = guest_cookie(), login_cookie(agent), login_cookie(other)

    async def scenario():
        shopper = await connected("/ws/chat/", guest)
        await shopper.send_json_to({"type": "open", "contact": "13912340000", "body": "在吗"})
        cid = (await frame_of(shopper, "conversation"))["id"]
        console = await connected("/ws/chat/agent/", staff)
        await frame_of(console, "waiting_list")
        before = await counts()
        for frame, code in (
            ({"type": "accept", "conversation": "1"}, "bad_shape"),
            ({"type": "accept"}, "bad_shape"),
            ({"type": "accept", "conversation": cid + 100}, "not_found"),
            ({"type": "message", "conversation": cid, "body": "hi"}, "not_allowed"),
            ({"type": "typing", "conversation": cid}, "not_allowed"),
            ({"type": "open", "contact": "13912340000"}, "unknown_type"),
        ):
            await console.send_json_to(frame)
            assert (await frame_of(console, "error"))["code"] == code, frame
        await console.send_json_to({"type": "accept", "conversation": cid})
        await frame_of(console, "conversation")
        before = await counts()
        for frame, code in (
            ({"type": "card", "conversation": cid, "kind": "product"}, "bad_shape"),
            ({"type": "card", "conversation": cid, "kind": "order", "ref": "E1"}, "invalid"),
            ({"type": "card", "conversation": cid, "kind": "coupon", "ref": "X"}, "invalid"),
            ({"type": "handover", "conversation": cid, "agent": "nobody"}, "invalid"),
            ({"type": "suggest", "text": 5}, "bad_shape"),
        ):
            await console.send_json_to(frame)
            assert (await frame_of(console, "error"))["code"] == code, frame
        assert await counts() == before

        # Another agent's console cannot write into it, nor accept it again.
        second = await connected("/ws/chat/agent/", rival)
        await frame_of(second, "waiting_list")
        await second.send_json_to({"type": "accept", "conversation": cid})
        taken = await frame_of(second, "error")
        assert (taken["code"], taken["conversation"]) == ("taken", cid)
        await second.send_json_to({"type": "message", "conversation": cid, "body": "hi"})
        assert (await frame_of(second, "error"))["code"] == "not_allowed"

        await shopper.send_json_to({"type": "close"})
        await frame_of(console, "status")
        before = await counts()
        for frame in ({"type": "message", "conversation": cid, "body": "hi"},
                      {"type": "typing", "conversation": cid},
                      {"type": "close", "conversation": cid}):  # fmt: skip
            await console.send_json_to(frame)
            assert (await frame_of(console, "error"))["code"] == "closed", frame
        await console.send_json_to({"type": "accept", "conversation": cid})
        assert (await frame_of(console, "error"))["code"] == "closed"
        assert await counts() == before
        for ws in (shopper, console, second):
            await ws.disconnect()

    run(scenario)


def test_two_agents_accepting_at_once_one_gets_the_conversation(make_staff):
    agents = [make_staff("service") for _ in range(2)]
    guest, cookies = guest_cookie(), [login_cookie(a) for a in agents]

    async def scenario():
        shopper = await connected("/ws/chat/", guest)
        await shopper.send_json_to({"type": "open", "contact": "13912340000", "body": "在吗"})
        cid = (await frame_of(shopper, "conversation"))["id"]
        consoles = [await connected("/ws/chat/agent/", c) for c in cookies]
        for console in consoles:
            await frame_of(console, "waiting_list")

        await asyncio.gather(
            *(c.send_json_to({"type": "accept", "conversation": cid}) for c in consoles)
        )

        answers = []
        for console in consoles:
            while True:
                frame = await console.receive_json_from(timeout=WAIT)
                if frame["type"] in ("conversation", "error"):
                    answers.append(frame.get("code", "got it"))
                    break
        assert sorted(answers) == ["got it", "taken"]
        for ws in (shopper, *consoles):
            await ws.disconnect()

    run(scenario)
    assert ChatMessage.objects.filter(side="system").count() == 1


def test_hand_over_moves_the_conversation_to_the_other_agents_console(make_staff):
    first, second = make_staff("service"), make_staff("service")
    guest, one, two = guest_cookie(), login_cookie(first), login_cookie(second)

    async def scenario():
        shopper = await connected("/ws/chat/", guest)
        await shopper.send_json_to({"type": "open", "contact": "13912340000", "body": "在吗"})
        cid = (await frame_of(shopper, "conversation"))["id"]
        a, b = await connected("/ws/chat/agent/", one), await connected("/ws/chat/agent/", two)
        await a.send_json_to({"type": "accept", "conversation": cid})
        await frame_of(a, "conversation")

        await a.send_json_to({"type": "handover", "conversation": cid, "agent": second.pk})

        given = await frame_of(b, "conversation")
        assert given["id"] == cid and given["agent"] == str(second)
        assert (await frame_of(a, "status"))["agent_id"] == second.pk
        accepted, handed = await frame_of(shopper, "status"), await frame_of(shopper, "status")
        assert (accepted["agent"], handed["agent"]) == (str(first), str(second))
        await a.send_json_to({"type": "message", "conversation": cid, "body": "我还在"})
        assert (await frame_of(a, "error"))["code"] == "not_allowed"
        await b.send_json_to({"type": "message", "conversation": cid, "body": "我来帮您"})
        got = await frame_of(shopper, "message")
        while got["side"] == "system":
            got = await frame_of(shopper, "message")
        assert got["body"] == "我来帮您"
        for ws in (shopper, a, b):
            await ws.disconnect()

    run(scenario)


def test_a_member_gets_an_order_card_of_their_own_order(make_staff):
    agent = make_staff("service")
    customer = make_customer()
    order = make_order(customer=customer)
    member, staff = login_cookie(customer.user), login_cookie(agent)

    async def scenario():
        shopper = await connected("/ws/chat/", member)
        await shopper.send_json_to({"type": "open", "body": "我的订单"})
        opened = await frame_of(shopper, "conversation")
        assert opened["member"] is True
        console = await connected("/ws/chat/agent/", staff)
        await console.send_json_to({"type": "accept", "conversation": opened["id"]})
        await console.send_json_to(
            {"type": "card", "conversation": opened["id"], "kind": "order", "ref": order.number}
        )
        card = await frame_of(shopper, "message")
        while card["kind"] != "order":
            card = await frame_of(shopper, "message")
        assert card["card"]["title"] == order.number and card["card"]["total"] == str(order.total)
        for ws in (shopper, console):
            await ws.disconnect()

    run(scenario)


def test_only_staff_who_answer_tickets_open_the_agent_socket(make_staff):
    outsider = make_staff("operations")
    cookies = [None, guest_cookie(), login_cookie(outsider), login_cookie(make_customer().user)]

    async def scenario():
        for cookie in cookies:
            ws = socket("/ws/chat/agent/", cookie)
            ok, _code = await ws.connect(timeout=WAIT)
            assert not ok
            await ws.disconnect()

    run(scenario)


def test_a_socket_from_another_site_or_without_a_session_is_refused(make_staff):
    guest = guest_cookie()

    async def scenario():
        foreign = socket("/ws/chat/", guest, origin="https://evil.example.com")
        ok, _code = await foreign.connect(timeout=WAIT)
        assert not ok
        nobody = await connected("/ws/chat/", None)
        error = await nobody.receive_json_from(timeout=WAIT)
        assert error["code"] == "not_allowed"
        assert (await nobody.receive_output(timeout=WAIT))["type"] == "websocket.close"

    run(scenario)


def test_frames_are_json_text_in_the_readers_language(make_staff):
    """A system line is stored once and shown in each reader's language."""
    agent = make_staff("service")
    guest, staff = guest_cookie(), login_cookie(agent)

    async def scenario():
        shopper = socket("/ws/chat/", guest, language="en")
        assert (await shopper.connect(timeout=WAIT))[0]
        await shopper.send_json_to({"type": "open", "contact": "13912340000", "body": "hi"})
        cid = (await frame_of(shopper, "conversation"))["id"]
        console = await connected("/ws/chat/agent/", staff)
        await console.send_json_to({"type": "accept", "conversation": cid})
        english = await frame_of(shopper, "message")
        chinese = [m for m in (await frame_of(console, "conversation"))["messages"]
                   if m["side"] == "system"][0]  # fmt: skip
        assert english["body"] == f"{agent} is here to help you"
        assert chinese["body"] != english["body"] and str(agent) in chinese["body"]
        raw = json.dumps(chinese, ensure_ascii=False)
        assert "\\u" not in raw
        for ws in (shopper, console):
            await ws.disconnect()

    run(scenario)


@pytest.mark.redis
def test_over_the_redis_channel_layer_a_message_reaches_the_other_side(make_staff, settings):
    """Production's layer (settings: REDIS_URL): the same conversation, through Redis."""
    import os
    import uuid

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [os.environ["REDIS_URL"]], "prefix": f"test-{uuid.uuid4().hex}"},
        }
    }
    channel_layers.backends.clear()
    agent = make_staff("service")
    guest, staff = guest_cookie(), login_cookie(agent)

    async def scenario():
        shopper = await connected("/ws/chat/", guest)
        await shopper.send_json_to({"type": "open", "contact": "13912340000", "body": "在吗"})
        cid = (await frame_of(shopper, "conversation"))["id"]
        console = await connected("/ws/chat/agent/", staff)
        await console.send_json_to({"type": "accept", "conversation": cid})
        await frame_of(console, "conversation")
        await console.send_json_to({"type": "message", "conversation": cid, "body": "您好"})
        got = await frame_of(shopper, "message")
        while got["side"] != "agent":
            got = await frame_of(shopper, "message")
        assert got["body"] == "您好"
        for ws in (shopper, console):
            await ws.disconnect()
        await channel_layers["default"].flush()

    run(scenario)
