"""The demo's orders (demo/seed_orders.py): every order-processing state is there, the
department's queues and the delivery audit have something to show, and a second run adds
nothing."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from mercato.aftersales.models import ReturnRequest
from mercato.demo.management.commands.seed_demo_orders import _users_named
from mercato.demo.seed_orders import seed_order_processing
from mercato.demo.seed_procurement import seed_procurement
from mercato.demo.services import seed_demo
from mercato.fulfillment import audit
from mercato.fulfillment.models import Penalty, Remittance, Shipment
from mercato.fulfillment.selectors import queue_counts
from mercato.orders.models import Order, OrderEvent
from mercato.procurement.models import Tender, TransferOrder, TransferStatus
from mercato.procurement.selectors import in_transit
from mercato.promotions.models import CouponUse
from mercato.reviews.models import ProductQuestion, ProductReview
from mercato.service import kpis
from mercato.service.models import (
    Article,
    ArticleStatus,
    Callback,
    CallbackStatus,
    Conversation,
    QaReview,
    QuizAttempt,
    Ticket,
    TicketStatus,
)

pytestmark = pytest.mark.django_db
SMALL = {"products": 40, "customers": 60, "quiet": True}


@pytest.fixture
def sandbox(settings):
    settings.MERCATO_PAYMENT_METHODS = "cod,sandbox"
    settings.MERCATO_UNSAFE_ALLOW_SANDBOX = True


def test_demo_orders_in_every_state_and_once(sandbox):
    seed_demo(seed=1, **SMALL)
    counts = seed_order_processing(seed=1)
    assert counts["orders"] > 60
    states = set(Order.objects.values_list("status", flat=True))
    assert {
        "pending_payment", "paid", "cod_confirmed", "under_review", "allocated", "picking",
        "packed", "shipped", "exception", "delivered", "cancelled", "closed",
    } <= states  # fmt: skip
    parcels = set(Shipment.objects.values_list("status", flat=True))
    assert {"delivered", "lost", "returned", "shipped", "exception", "packed"} <= parcels
    queues = queue_counts()
    assert queues["to_review"] == 4 and queues["late"] >= 3 and queues["to_wave"] >= 5
    assert set(ReturnRequest.objects.values_list("status", flat=True)) == {
        "requested", "returning", "completed",
    }  # fmt: skip
    assert Penalty.objects.exists() and Remittance.objects.exists()
    # Transfers between warehouses (procurement, after the orders as `make demo` does):
    # every state, one in transit.
    seed_procurement(users=_users_named("procurement", "finance", "hr"))
    assert set(TransferOrder.objects.values_list("status", flat=True)) == set(TransferStatus.values)
    assert in_transit()
    # Tenders: one awarded, one waiting for the award, one open with a sealed bid.
    assert set(Tender.objects.values_list("status", flat=True)) == {"awarded", "closed", "open"}
    assert set(ProductReview.objects.values_list("status", flat=True)) == {
        "pending", "published", "rejected",
    }  # fmt: skip
    assert set(ProductQuestion.objects.values_list("status", flat=True)) == {
        "pending", "published", "rejected",
    }  # fmt: skip
    assert ProductReview.objects.exclude(flagged_words=[]).exists()
    # Coupons: one used by an order waiting for payment, one given back by a cancellation.
    uses = CouponUse.objects.select_related("coupon")
    assert {(u.returned_at is None, u.coupon.status) for u in uses} == {
        (True, "used"), (False, "available"),
    }  # fmt: skip
    today = timezone.localdate()
    scores = audit.scorecard(
        since=today - timedelta(days=70), until=today, by_province=False, by_week=True
    )
    weeks = {s.week for s in scores}
    assert len(weeks) >= 8
    before = Order.objects.count()
    out = io.StringIO()
    call_command("seed_demo_orders", stdout=out)
    # No order twice; the only new ones are the phone orders agents take (seed_callbacks)
    # and the year of completed sales the forecasts read (demo/seed_sales_history.py).
    imported = OrderEvent.objects.filter(reason="销售历史导入").values_list("order_id")
    assert "demo sales history: " in out.getvalue() and imported.exists()
    assert Order.objects.exclude(channel="phone").exclude(pk__in=imported).count() == before
    assert Order.objects.filter(channel="phone").exists()
    # Customer service's tickets come with them (demo/seed_tickets.py), in every state.
    assert "demo tickets:" in out.getvalue()
    assert set(Ticket.objects.values_list("status", flat=True)) == set(TicketStatus.values)
    assert Ticket.objects.filter(merged_into__isnull=False).exists()
    assert Ticket.objects.filter(parent__isnull=False).exists()
    assert Ticket.objects.filter(escalated=True).exists()
    # and the live chats (demo/seed_chats.py): waiting, in progress, ended on a ticket
    assert "demo chats:" in out.getvalue()
    assert set(Conversation.objects.values_list("status", flat=True)) == {
        "waiting", "active", "closed",
    }  # fmt: skip
    assert Conversation.objects.filter(status="closed", ticket__channel="chat").exists()
    tickets = Ticket.objects.count()
    # The knowledge base (demo/seed_knowledge.py): articles in every status, some edited,
    # and a quiz taken by agents who passed and failed.
    assert "demo knowledge base:" in out.getvalue()
    assert set(Article.objects.values_list("status", flat=True)) == set(ArticleStatus.values)
    assert Article.objects.filter(current__number__gte=3).exists()
    assert {a.passed for a in QuizAttempt.objects.all()} == {True, False}
    # Callbacks in every state, QA reviews passed and failed, KPI history
    # (demo/seed_callbacks.py).
    assert "demo callbacks and QA:" in out.getvalue()
    assert set(Callback.objects.values_list("status", flat=True)) == set(CallbackStatus.values)
    assert {"after_delivery", "after_complaint", "manual"} <= set(
        Callback.objects.values_list("kind", flat=True)
    )
    assert Callback.objects.filter(follow_up__isnull=False, satisfaction__lte=2).exists()
    assert set(QaReview.objects.values_list("passed", flat=True)) == {True, False, None}
    assert QaReview.objects.exclude(note="").exists()
    history = kpis.agent_kpis(since=today - timedelta(days=60), until=today, period="week")
    assert sum(1 for b in history.buckets if history.get(kpis.TEAM, b).contacts) >= 8
    assert history.get(kpis.TEAM, kpis.ALL).satisfaction is not None
    articles, made, orders = (
        Article.objects.count(),
        Callback.objects.count(),
        Order.objects.count(),
    )
    call_command("seed_demo_orders", stdout=io.StringIO())  # a second run adds nothing
    assert Order.objects.count() == orders
    assert Ticket.objects.count() == tickets
    assert Article.objects.count() == articles and Callback.objects.count() == made
