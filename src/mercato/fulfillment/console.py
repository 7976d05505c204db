"""The order console's reads (订单管理): search, filters and the order page, shared by the
back office and the staff API.

Search is built for a table of millions of orders: every filter is served by an index
that also gives the newest-first order (orders.Order.Meta.indexes), the free-text box is
read as what it looks like (an order number, a mobile, a waybill, a name) and becomes one
indexed equality or prefix match, and the page count is capped (`core.pagination`), since
counting a million rows exactly costs more than the page itself.
"""

import re
from dataclasses import dataclass
from datetime import timedelta

import django_filters
from django import forms
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mercato.core.days import day_start
from mercato.core.errors import NotFound
from mercato.customers.phones import normalize_cn_mobile
from mercato.inventory.models import Reservation, Warehouse
from mercato.inventory.selectors import reservations_for
from mercato.orders.models import Order, OrderChannel, OrderEvent, OrderNote, OrderStatus
from mercato.payments.gateways import METHODS
from mercato.payments.models import Payment, Refund

from .models import OrderReview, Shipment, ShipmentLine, TrackingEvent

WAYBILL = re.compile(r"^[A-Za-z]{1,6}\d{6,20}$")
PAGE_SIZE = 50


def _order_number_prefix(text: str) -> str | None:
    """'20261127-000123' (whole or the beginning) → itself; 20261127000123 → dashed."""
    if re.fullmatch(r"\d{8}-\d{0,12}", text):
        return text
    if re.fullmatch(r"\d{9,20}", text) and text[:2] == "20":
        return f"{text[:8]}-{text[8:]}"
    return None


def search_text(queryset: QuerySet[Order], text: str) -> QuerySet[Order]:
    """One box for everything staff paste: an order number (or its start), a mobile
    (any format phonenumbers reads), a waybill number, a recipient's name, a payment
    number. Each is one indexed lookup; text that fits none matches nothing."""
    text = (text or "").strip()
    if not text:
        return queryset
    number = _order_number_prefix(text)
    if number is not None:
        if len(number) >= 15:
            return queryset.filter(number=number)
        return queryset.filter(number__startswith=number)
    mobile = normalize_cn_mobile(text) if re.fullmatch(r"[\d\s+()-]{11,20}", text) else None
    if mobile:
        return queryset.filter(mobile=mobile)
    if WAYBILL.fullmatch(text):
        # A waybill (SF1234567890) or a payment number (P2026...): the orders' ids first,
        # so the order table is read by primary key, never scanned.
        ids = list(Shipment.objects.filter(waybill_no=text.upper()).values_list("order_id"))
        ids += Payment.objects.filter(number=text.upper()).values_list("order_id")
        return queryset.filter(pk__in=[pk for (pk,) in ids])
    return queryset.filter(recipient=text)


class OrderConsoleFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        help_text=_("Order number, mobile, waybill or recipient"),
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=OrderStatus.choices, empty_label=_("Any status")
    )
    payment_method = django_filters.ChoiceFilter(
        label=_("Payment method"),
        choices=[(code, m.label) for code, m in METHODS.items()],
        empty_label=_("Any method"),
    )
    warehouse = django_filters.ModelChoiceFilter(
        label=_("Warehouse"),
        queryset=Warehouse.objects.order_by("priority", "code"),
        method="in_warehouse",
        empty_label=_("Any warehouse"),
    )
    channel = django_filters.ChoiceFilter(
        label=_("Channel"), choices=OrderChannel.choices, empty_label=_("Any channel")
    )
    on_hold = django_filters.ChoiceFilter(
        label=_("On hold"),
        choices=[("yes", _("On hold")), ("no", _("Not on hold"))],
        empty_label=_("All"),
        method="held",
    )
    placed_from = django_filters.DateFilter(
        label=_("Placed from"), method="placed_from_day", widget=forms.DateInput({"type": "date"})
    )
    placed_to = django_filters.DateFilter(
        label=pgettext_lazy("range", "to"),
        method="placed_to_day",
        widget=forms.DateInput({"type": "date"}),
    )

    class Meta:
        model = Order
        fields = ["q", "status", "payment_method", "warehouse", "channel", "on_hold"]

    def search(self, queryset, name, value):
        return search_text(queryset, value)

    def in_warehouse(self, queryset, name, value):
        # The order's stock is reserved there (placement) or its parcel ships from there.
        return queryset.filter(
            number__in=Reservation.objects.filter(warehouse=value).values("reference")
        )

    def held(self, queryset, name, value):
        return queryset.filter(on_hold=value == "yes")

    def placed_from_day(self, queryset, name, value):
        return queryset.filter(placed_at__gte=day_start(value))

    def placed_to_day(self, queryset, name, value):
        return queryset.filter(placed_at__lt=day_start(value + timedelta(days=1)))


# The columns of the list and of the export: nothing else is read.
LIST_FIELDS = (
    "id", "number", "status", "payment_method", "channel", "total", "recipient", "mobile",
    "province", "city", "district", "detail", "placed_at", "paid_at", "on_hold",
)  # fmt: skip


def console_orders(data=None) -> OrderConsoleFilter:
    """The filter over every order, newest first; `.qs` is the filtered queryset (lazy),
    `.form.errors` the bad filters."""
    queryset = Order.objects.only(*LIST_FIELDS).order_by("-placed_at", "-id")
    return OrderConsoleFilter(data if data is not None else {}, queryset=queryset)


@dataclass
class OrderPage:
    order: Order
    lines: list
    events: list
    notes: list
    payments: list
    shipments: list
    reservations: list  # the parcels placement planned, before allocation made shipments
    review: OrderReview | None


def order_page(*, number: str) -> OrderPage:
    """Everything the order page shows, in a fixed number of queries (a test pins it)."""
    order = Order.objects.select_related("customer").filter(number=number).first()
    if order is None:
        raise NotFound(_("No such order."), field="number")
    payments = list(
        Payment.objects.filter(order=order)
        .prefetch_related(Prefetch("refunds", queryset=Refund.objects.order_by("created_at", "id")))
        .order_by("created_at", "id")
    )
    shipments = list(
        Shipment.objects.filter(order=order)
        .select_related("warehouse", "carrier", "box", "wave")
        .prefetch_related(
            Prefetch("lines", queryset=ShipmentLine.objects.select_related("sku")),
            Prefetch("tracking", queryset=TrackingEvent.objects.order_by("-occurred_at", "-id")),
        )
        .order_by("id")
    )
    return OrderPage(
        order=order,
        lines=list(order.lines.all()),
        events=list(OrderEvent.objects.filter(order=order).select_related("actor")),
        notes=list(OrderNote.objects.filter(order=order).select_related("author")),
        payments=payments,
        shipments=shipments,
        reservations=[] if shipments else list(reservations_for(reference=order.number)),
        review=OrderReview.objects.filter(order=order).first(),
    )
