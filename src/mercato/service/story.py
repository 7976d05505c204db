"""The customer's whole story (客户 360°) for customer service: who the caller is, found
from the phone number they give, and everything the shop knows of them on one page —
profile, addresses, orders with their state, payments and refunds, returns, notes on their
orders, their service tickets and live chats, their member tier and points, and flags (VIP:
a tier with priority service; blacklisted; refuses cash on delivery). Callbacks come from
service.callbacks.callbacks_of.

Reads only, a fixed number of queries however long the story (budgeted in
backoffice/tests/test_customer_story.py). Masking is the caller's: the back office's
templates (personal tags) and the staff API, by the viewer's `core.view_full_phone`.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from mercato.aftersales.models import ReturnRequest
from mercato.customers.models import Address, Customer
from mercato.customers.phones import normalize_cn_mobile
from mercato.customers.tiers import Tier, tier_named
from mercato.fulfillment.models import BlacklistEntry, BlacklistKind, Shipment, ShipmentStatus
from mercato.orders.models import Order, OrderNote, OrderStatus
from mercato.payments.models import Payment, Refund

from .models import Conversation, Ticket

ORDERS_SHOWN = 20
# Two refused cash-on-delivery parcels make a customer one to check before the next is sent.
COD_REFUSALS_FLAG = 2
# Orders that count towards what a customer spent: paid, or on their way, or delivered.
SPENT_EXCLUDES = (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED)


@dataclass
class Found:
    """What a phone number leads to: the accounts with it and guest orders naming it."""

    mobile: str
    customers: list[Customer] = field(default_factory=list)
    guest_orders: list[Order] = field(default_factory=list)


def find_by_phone(raw: str) -> Found | None:
    """The customers whose mobile number is `raw` (as a caller says it: spaces, +86 and
    dashes allowed) and the latest guest orders to it; None when it is no mobile number."""
    mobile = normalize_cn_mobile(raw or "")
    if mobile is None:
        return None
    customers = list(Customer.objects.filter(mobile=mobile).order_by("pk")[:10])
    guest_orders = list(
        Order.objects.filter(mobile=mobile, customer__isnull=True).order_by("-placed_at")[
            :ORDERS_SHOWN
        ]
    )
    return Found(mobile=mobile, customers=customers, guest_orders=guest_orders)


@dataclass
class Story:
    customer: Customer
    addresses: list[Address]
    orders: list[Order]
    order_count: int
    spent_12_months: Decimal
    payments: list[Payment]
    refunds: list[Refund]
    returns: list[ReturnRequest]
    notes: list[OrderNote]
    tickets: list[Ticket]
    chats: list[Conversation]
    blacklisted: list[BlacklistEntry]
    cod_refusals: int
    tier: Tier

    @property
    def refuses_cod(self) -> bool:
        return self.cod_refusals >= COD_REFUSALS_FLAG

    @property
    def vip(self) -> bool:
        """A tier whose members are served first (钻石 by default)."""
        return self.tier.priority_service


def customer_story(*, customer_id: int, now=None) -> Story | None:
    """Everything about one customer, newest first; None when there is no such customer."""
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        return None
    now = now or timezone.now()
    orders = Order.objects.filter(customer=customer)
    figures = orders.aggregate(
        n=Count("pk"),
        spent=Sum(
            "total",
            filter=Q(placed_at__gte=now - timedelta(days=365)) & ~Q(status__in=SPENT_EXCLUDES),
        ),
    )
    recent = list(orders.order_by("-placed_at", "-pk")[:ORDERS_SHOWN])
    phones = {customer.mobile} if customer.mobile else set()
    addresses = list(Address.objects.filter(customer=customer).order_by("-is_default", "pk"))
    phones |= {a.mobile for a in addresses}
    # The phone numbers (stored as 11 digits, as the customer's); an address on the list
    # is matched by the order review when an order names it.
    blacklisted = list(
        BlacklistEntry.objects.filter(kind=BlacklistKind.PHONE, value__in=phones).order_by("pk")
    )
    return Story(
        customer=customer,
        addresses=addresses,
        orders=recent,
        order_count=figures["n"],
        spent_12_months=figures["spent"] or Decimal("0.00"),
        payments=list(
            Payment.objects.filter(order__customer=customer)
            .select_related("order")
            .order_by("-created_at")[:ORDERS_SHOWN]
        ),
        refunds=list(
            Refund.objects.filter(payment__order__customer=customer)
            .select_related("payment__order")
            .order_by("-created_at")[:ORDERS_SHOWN]
        ),
        returns=list(
            ReturnRequest.objects.filter(order__customer=customer)
            .select_related("order")
            .order_by("-created_at")[:ORDERS_SHOWN]
        ),
        notes=list(
            OrderNote.objects.filter(order__customer=customer)
            .select_related("order", "author")
            .order_by("-created_at")[:ORDERS_SHOWN]
        ),
        tickets=list(
            Ticket.objects.filter(customer=customer)
            .select_related("assignee")
            .order_by("-created_at")[:ORDERS_SHOWN]
        ),
        chats=list(
            Conversation.objects.filter(customer=customer)
            .select_related("agent", "ticket")
            .order_by("-started_at")[:ORDERS_SHOWN]
        ),
        blacklisted=blacklisted,
        tier=tier_named(customer.tier),
        cod_refusals=Shipment.objects.filter(
            order__customer=customer, status=ShipmentStatus.REFUSED, cod_amount__gt=0
        ).count(),
    )
