"""The demo's live chats (demo/seed_chats.py): every state, and a second run adds nothing."""

import pytest

from mercato.service.models import Conversation

pytestmark = pytest.mark.django_db


def test_demo_chats_in_every_state_with_transcripts_on_tickets(make_staff):
    from mercato.demo.seed_chats import seed_chats

    users = {"service": make_staff("service", username="service")}
    users["service01"] = make_staff("service", username="service01")

    counts = seed_chats(users=users)

    assert counts == {"waiting": 1, "active": 1, "closed": 2}  # no demo shoppers here
    states = {c.status: c for c in Conversation.objects.all()}
    assert set(states) == {"waiting", "active", "closed"}
    assert states["active"].agent == users["service"]
    answered = Conversation.objects.get(status="closed", agent__isnull=False)
    assert answered.ticket.status == "resolved" and answered.ticket.channel == "chat"
    assert "支持七天无理由退货吗？" in answered.ticket.messages.get().body
    left = Conversation.objects.get(status="closed", agent__isnull=True)
    assert left.ticket.status == "new"
    assert seed_chats(users=users) == {}
    assert Conversation.objects.count() == 4
