"""The live chat's WebSockets (service/chat.py does every change).

Two sockets: the shopper's, /ws/chat/ (a member by their log-in, a guest by their browser
session; one conversation at a time), and the agent's, /ws/chat/agent/ (staff who answer
tickets; every conversation the agent has open goes over this one socket, each frame naming
its conversation). Frames are JSON objects with a "type":

shopper → server: open {name, contact, body, product}, message {body}, typing, close
agent → server:   accept, message {body}, typing, card {kind, ref}, handover {agent},
                  close, suggest {text} — each with {conversation: id}
server → both:    conversation (its messages), message, typing, status, waiting, taken,
                  suggestions, and error {code, message, errors}

Anything else — not a JSON object, an unknown type, a conversation that ended, someone
else's conversation — is answered with an error frame and changes nothing. A
conversation's sockets meet in the channel-layer group "chat.<id>"; every agent's socket is
in "chat.agents" (the waiting list) and "chat.agent.<user id>" (hand-overs to them).
"""

import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import connection
from django.utils import translation
from django.utils.translation import gettext as _

from mercato.core.errors import DomainError

from . import chat, selectors
from .assignment import HANDLE
from .models import ChatSide, Conversation

AGENTS = "chat.agents"


def _db(fn):
    # PostgreSQL: not thread-sensitive, each call may take any thread of the pool, so one
    # slow query does not hold up every other socket of the process. SQLite writes one
    # transaction at a time anyway (and its shared in-memory test database refuses a second
    # thread with "table is locked"): its calls take the one thread, in turn.
    return database_sync_to_async(fn, thread_sensitive=connection.vendor == "sqlite")


def group(conversation_id: int) -> str:
    return f"chat.{conversation_id}"


def message_frame(m) -> dict:
    return {
        "type": "message", "conversation": m.conversation_id, "id": m.pk, "side": m.side,
        "kind": m.kind, "body": m.body, "card": m.card, "ref": m.ref,
        "agent": str(m.agent) if m.agent_id else "", "at": m.created_at.isoformat(),
    }  # fmt: skip


def summary(c: Conversation) -> dict:
    return {
        "id": c.pk, "status": c.status, "name": c.contact_name, "member": bool(c.customer_id),
        "product": c.product.name if c.product_id else "", "queue": str(c.queue or ""),
        "started_at": c.started_at.isoformat(),
    }  # fmt: skip


def conversation_frame(c: Conversation) -> dict:
    return {
        "type": "conversation", **summary(c), "agent": str(c.agent) if c.agent_id else "",
        "ticket": c.ticket.number if c.ticket_id else "",
        "messages": [message_frame(m) for m in c.messages.all()],
    }  # fmt: skip


def shown(frame: dict) -> dict:
    """A system line is stored in English with its parameters, shown in the reader's
    language."""
    if frame.get("side") != ChatSide.SYSTEM:
        return frame
    return {**frame, "body": _(frame["body"]) % frame["card"], "card": {}}


def layer_event(kind: str, frame: dict, sender: str = "") -> dict:
    """A channel-layer event carrying `frame`; with its JSON text when every reader gets the
    same (no system line to translate), so a group of N sockets serialises it once."""
    made = {"type": kind, "frame": frame, "sender": sender}
    if frame.get("side") != ChatSide.SYSTEM and "messages" not in frame:
        made["text"] = json.dumps(frame, ensure_ascii=False)
    return made


def error_frame(code: str, message: str, errors=()) -> dict:
    return {"type": "error", "code": code, "message": str(message), "errors": list(errors)}


class BadFrame(Exception):
    def __init__(self, code: str, message: str):
        self.code, self.message = code, message


class ChatConsumer(AsyncWebsocketConsumer):
    """What both sockets share: JSON frames, the error frames, the group fan-out."""

    actions: tuple[str, ...] = ()

    async def receive(self, text_data=None, bytes_data=None):
        content = {}
        with translation.override(self.language):
            try:
                content = self.parse(text_data)
                await self.act(content)
            except BadFrame as exc:
                error = error_frame(exc.code, exc.message)
            except DomainError as exc:
                error = error_frame(exc.code, exc.message, exc.errors())
            else:
                return
        if isinstance(content.get("conversation"), int):
            error["conversation"] = content["conversation"]  # which pane it is about
        await self.send_json(error)

    def parse(self, text_data) -> dict:
        try:
            content = json.loads(text_data) if text_data is not None else None
        except ValueError:
            content = None
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            raise BadFrame("bad_shape", _("Send a JSON object with a type."))
        if content["type"] not in self.actions:
            raise BadFrame("unknown_type", _("Unknown message type."))
        return content

    async def act(self, content: dict) -> None:
        await getattr(self, "do_" + content["type"])(content)

    async def send_json(self, frame: dict) -> None:
        if frame.get("side") == ChatSide.SYSTEM or "messages" in frame:
            with translation.override(self.language):
                frame = shown(frame)
                if "messages" in frame:
                    frame = {**frame, "messages": [shown(m) for m in frame["messages"]]}
        await self.send(text_data=json.dumps(frame, ensure_ascii=False))

    async def connect_language(self) -> None:
        chosen = self.scope.get("cookies", {}).get(settings.LANGUAGE_COOKIE_NAME, "")
        try:
            self.language = translation.get_supported_language_variant(chosen)
        except LookupError:
            self.language = settings.LANGUAGE_CODE

    async def to_group(self, conversation_id: int, frame: dict) -> None:
        made = layer_event("chat.frame", frame, self.channel_name)
        await self.channel_layer.group_send(group(conversation_id), made)

    async def chat_frame(self, event):
        frame = event["frame"]
        if frame["type"] == "typing" and event.get("sender") == self.channel_name:
            return  # one's own typing is not shown back
        await self.on_frame(frame)
        await self.send_event(event)

    async def send_event(self, event) -> None:
        if "text" in event:  # the same for every reader: serialised once, by the sender
            await self.send(text_data=event["text"])
        else:
            await self.send_json(event["frame"])

    async def on_frame(self, frame: dict) -> None:
        """A frame of a conversation this socket is in, before it is sent on."""

    def conversation_id(self, content) -> int:
        value = content.get("conversation")
        if not isinstance(value, int) or isinstance(value, bool):
            raise BadFrame("bad_shape", _("Name the conversation."))
        return value

    async def closed(self, conversation):
        ticket = conversation.ticket.number if conversation.ticket_id else ""
        frame = {"type": "status", "conversation": conversation.pk, "status": "closed",
                 "ticket": ticket}  # fmt: skip
        await self.to_group(conversation.pk, frame)
        last = await _db(lambda: conversation.messages.order_by("-id").first())()
        await self.to_group(conversation.pk, message_frame(last))


class ShopperConsumer(ChatConsumer):
    actions = ("open", "message", "typing", "close")

    async def connect(self):
        await self.connect_language()
        session = self.scope.get("session")
        self.session_key = (session.session_key if session is not None else None) or ""
        self.customer_id = await _db(selectors.customer_id_of)(self.scope.get("user"))
        self.current = None  # the open conversation's id
        self.ended = False
        await self.accept()
        if not (self.customer_id or self.session_key):
            await self.send_json(error_frame("not_allowed", _("Open the chat from the shop.")))
            return await self.close(code=4403)
        found = await _db(self.load_open)()
        if found is None:
            return await self.send_json({"type": "ready"})
        await self.join(found)

    def load_open(self):
        found = selectors.shoppers_open_conversation(
            customer_id=self.customer_id, session_key=self.session_key
        )
        return found and selectors.conversation_with_messages(conversation_id=found.pk)

    async def join(self, conversation):
        self.current, self.ended = conversation.pk, False
        await self.channel_layer.group_add(group(conversation.pk), self.channel_name)
        await self.send_json(conversation_frame(conversation))

    async def disconnect(self, code):
        if self.current:
            await self.channel_layer.group_discard(group(self.current), self.channel_name)

    def me(self) -> dict:
        return {"customer_id": self.customer_id, "session_key": self.session_key}

    def need_current(self) -> int:
        if self.current is None:
            if self.ended:
                raise BadFrame("closed", _("This conversation has ended."))
            raise BadFrame("not_open", _("Start a conversation first."))
        return self.current

    async def do_open(self, content):
        fields = {k: content.get(k, "") for k in ("name", "contact", "body", "product")}
        if not all(isinstance(v, str) for v in fields.values()):
            raise BadFrame("bad_shape", _("Name, contact, message and product are text."))
        if self.current is not None:
            raise BadFrame("already_open", _("Your conversation is already open."))

        def open_it():
            made = chat.open_conversation(
                **self.me(), contact_name=fields["name"], contact=fields["contact"],
                body=fields["body"], product_slug=fields["product"],
            )  # fmt: skip
            return selectors.conversation_with_messages(conversation_id=made.pk)

        conversation = await _db(open_it)()
        await self.join(conversation)
        await self.channel_layer.group_send(
            AGENTS, layer_event("chat.agents", {"type": "waiting", **summary(conversation)})
        )

    async def do_message(self, content):
        body = content.get("body")
        m = await _db(chat.post_message)(conversation_id=self.need_current(), body=body,
                                         **self.me())  # fmt: skip
        await self.to_group(m.conversation_id, message_frame(m))

    async def do_typing(self, content):
        await self.to_group(self.need_current(), {"type": "typing", "side": "customer",
                                                  "conversation": self.current})  # fmt: skip

    async def do_close(self, content):
        conversation = await _db(chat.close_conversation)(
            conversation_id=self.need_current(), **self.me()
        )
        await self.closed(conversation)

    async def on_frame(self, frame):
        if frame["type"] == "status" and frame["status"] == "closed":
            await self.channel_layer.group_discard(group(self.current), self.channel_name)
            self.current, self.ended = None, True


class AgentConsumer(ChatConsumer):
    actions = ("accept", "message", "typing", "card", "handover", "close", "suggest")

    async def connect(self):
        await self.connect_language()
        self.user = self.scope.get("user")
        allowed = await _db(self.may_answer)()
        if not allowed:
            return await self.close(code=4403)  # before accepting: the handshake gets 403
        self.mine: set[int] = set()
        self.ended: set[int] = set()
        await self.accept()
        await self.channel_layer.group_add(AGENTS, self.channel_name)
        await self.channel_layer.group_add(f"chat.agent.{self.user.pk}", self.channel_name)
        waiting, mine = await _db(self.load)()
        for conversation in mine:
            await self.follow(conversation)
        await self.send_json({"type": "waiting_list", "waiting": [summary(c) for c in waiting]})

    def may_answer(self) -> bool:
        user = self.user
        return bool(user and user.is_authenticated and user.is_staff and user.is_active
                    and user.has_perm(HANDLE))  # fmt: skip

    def load(self):
        waiting = selectors.waiting_conversations()
        mine = [selectors.conversation_with_messages(conversation_id=c.pk)
                for c in selectors.agents_conversations(agent=self.user)]  # fmt: skip
        return waiting, mine

    async def disconnect(self, code):
        if not hasattr(self, "mine"):
            return
        await self.channel_layer.group_discard(AGENTS, self.channel_name)
        await self.channel_layer.group_discard(f"chat.agent.{self.user.pk}", self.channel_name)
        for conversation_id in self.mine:
            await self.channel_layer.group_discard(group(conversation_id), self.channel_name)

    async def follow(self, conversation):
        self.mine.add(conversation.pk)
        await self.channel_layer.group_add(group(conversation.pk), self.channel_name)
        await self.send_json(conversation_frame(conversation))

    def held(self, content) -> int:
        """The conversation the frame is for, one this socket has open."""
        conversation_id = self.conversation_id(content)
        if conversation_id in self.ended:
            raise BadFrame("closed", _("This conversation has ended."))
        if conversation_id not in self.mine:
            raise BadFrame("not_allowed", _("Accept the conversation first."))
        return conversation_id

    async def do_accept(self, content):
        conversation_id = self.conversation_id(content)

        def accept():
            chat.accept_conversation(conversation_id=conversation_id, agent=self.user)
            return selectors.conversation_with_messages(conversation_id=conversation_id)

        conversation = await _db(accept)()
        await self.channel_layer.group_send(
            AGENTS, layer_event("chat.agents", {"type": "taken", "id": conversation_id,
                                          "agent": str(self.user)}),
        )  # fmt: skip
        await self.announce(conversation)
        await self.follow(conversation)

    async def announce(self, conversation):
        """Tell the conversation's sockets who answers now, and the system line saying so."""
        frame = {"type": "status", "conversation": conversation.pk, "status": conversation.status,
                 "agent": str(conversation.agent), "agent_id": conversation.agent_id}  # fmt: skip
        await self.to_group(conversation.pk, frame)
        await self.to_group(conversation.pk, message_frame(list(conversation.messages.all())[-1]))

    async def do_message(self, content):
        m = await _db(chat.post_message)(
            conversation_id=self.held(content), body=content.get("body"), agent=self.user
        )
        await self.to_group(m.conversation_id, message_frame(m))

    async def do_typing(self, content):
        conversation_id = self.held(content)
        await self.to_group(conversation_id, {"type": "typing", "side": "agent",
                                              "conversation": conversation_id})  # fmt: skip

    async def do_card(self, content):
        kind, ref = content.get("kind"), content.get("ref")
        if not isinstance(kind, str) or not isinstance(ref, str):
            raise BadFrame("bad_shape", _("A card needs a kind and a reference."))
        m = await _db(chat.send_card)(
            conversation_id=self.held(content), agent=self.user, kind=kind, ref=ref
        )
        await self.to_group(m.conversation_id, message_frame(m))

    async def do_handover(self, content):
        conversation_id = self.held(content)

        def hand_over():
            chat.hand_over(conversation_id=conversation_id, agent=self.user,
                           to_agent_id=content.get("agent"))  # fmt: skip
            return selectors.conversation_with_messages(conversation_id=conversation_id)

        conversation = await _db(hand_over)()
        await self.announce(conversation)
        await self.channel_layer.group_send(
            f"chat.agent.{conversation.agent_id}",
            {"type": "chat.handed", "conversation": conversation_id},
        )

    async def do_close(self, content):
        conversation = await _db(chat.close_conversation)(
            conversation_id=self.held(content), agent=self.user
        )
        await self.closed(conversation)

    async def do_suggest(self, content):
        text = content.get("text", "")
        if not isinstance(text, str):
            raise BadFrame("bad_shape", _("Send the text to find replies for."))
        replies = await _db(chat.canned_replies)(text[: chat.MAX_MESSAGE])
        await self.send_json(
            {"type": "suggestions", "conversation": content.get("conversation"), "replies": replies}
        )

    async def on_frame(self, frame):
        conversation_id = frame.get("conversation")
        if frame["type"] == "status" and frame["status"] == "closed":
            self.mine.discard(conversation_id)
            self.ended.add(conversation_id)
            await self.channel_layer.group_discard(group(conversation_id), self.channel_name)
        elif frame["type"] == "status" and frame.get("agent_id") not in (None, self.user.pk):
            # Handed over to someone else: this socket lets the conversation go.
            self.mine.discard(conversation_id)
            await self.channel_layer.group_discard(group(conversation_id), self.channel_name)

    async def chat_agents(self, event):
        await self.send_event(event)

    async def chat_handed(self, event):
        conversation_id = event["conversation"]
        if conversation_id in self.mine:
            return
        conversation = await _db(selectors.conversation_with_messages)(
            conversation_id=conversation_id
        )
        await self.follow(conversation)
