"""Orders: the order as history. Lines keep what was sold as it was at purchase; every
status change is an OrderEvent row. The allowed moves live in status.py."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.utils.translation import gettext_lazy as _

from mercato.core.models import TimeStampedModel
from mercato.customers.phones import cn_mobile_validator

MONEY = {"max_digits": 12, "decimal_places": 2}


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", _("Pending payment")
    PAID = "paid", _("Paid")
    COD_CONFIRMED = "cod_confirmed", _("Cash on delivery")
    UNDER_REVIEW = "under_review", _("Under review")
    APPROVED = "approved", _("Approved")
    ALLOCATED = "allocated", _("Allocated")
    PICKING = "picking", _("Picking")
    PACKED = "packed", _("Packed")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    EXCEPTION = "exception", _("Delivery exception")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    CLOSED = "closed", _("Closed")


class OrderChannel(models.TextChoices):
    WEB = "web", _("Shop")
    API = "api", _("API")
    PHONE = "phone", _("Phone order")


class EventKind(models.TextChoices):
    """What an OrderEvent records: a status move, or something else that happened to the
    order without moving it (from_status == to_status then)."""

    STATUS = "status", _("Status change")
    ADDRESS = "address", _("Delivery address changed")
    HOLD = "hold", _("Put on hold")
    RELEASE = "release", _("Hold released")
    REVIEW = "review", _("Review")
    PAYMENT_LINK = "payment_link", _("Payment link sent")
    SPLIT = "split", _("Parcels split")
    PARCEL = "parcel", _("Parcel")


class InvoiceType(models.TextChoices):
    NONE = "", _("No invoice")
    PERSONAL = "personal", _("Personal (个人)")
    COMPANY = "company", _("Company (企业)")


class OrderNumberCounter(models.Model):
    """The last order sequence number handed out on one day (Asia/Shanghai date)."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("order number counter")

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


class Order(TimeStampedModel):
    number = models.CharField(_("order number"), max_length=20, unique=True)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        # order_customer_placed_idx (customer, placed_at) serves every look-up by customer;
        # a second index on the column alone only slowed each order's status changes.
        db_index=False,
    )
    # Guests reach their order through a signed link carrying this random token (links.py);
    # blank for members, who reach orders through their account.
    # Never searched by: the order is found by its number, then the token compared.
    guest_token = models.CharField(max_length=32, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING_PAYMENT
    )
    payment_method = models.CharField(_("payment method"), max_length=20)
    payment_ref = models.CharField(_("payment reference"), max_length=64, blank=True)

    lines_total = models.DecimalField(_("lines total"), **MONEY)
    shipping_fee = models.DecimalField(_("shipping fee"), **MONEY)
    discount_total = models.DecimalField(_("discounts"), **MONEY)
    total = models.DecimalField(_("total"), **MONEY)

    # Delivery address as it was at placement: later edits of the address book don't move it.
    recipient = models.CharField(_("recipient"), max_length=40)
    mobile = models.CharField(_("mobile number"), max_length=11, validators=[cn_mobile_validator])
    province = models.CharField(_("province"), max_length=20)
    city = models.CharField(_("city"), max_length=30)
    district = models.CharField(_("district"), max_length=30)
    detail = models.CharField(_("street address"), max_length=200)

    invoice_type = models.CharField(
        _("invoice type"), max_length=10, choices=InvoiceType.choices, blank=True
    )
    invoice_title = models.CharField(_("invoice title"), max_length=100, blank=True)
    invoice_tax_id = models.CharField(_("taxpayer ID"), max_length=18, blank=True)
    note = models.CharField(_("order note"), max_length=200, blank=True)
    channel = models.CharField(
        _("channel"), max_length=10, choices=OrderChannel.choices, default=OrderChannel.WEB
    )
    # The buyer's address as the placing request came (review counts orders per IP).
    client_ip = models.GenericIPAddressField(_("client IP"), null=True, blank=True)
    # A held order stays where it is: no allocation, wave, packing or shipping until released.
    # The carrier the customer chose (a carrier's code), when the shop offers a choice.
    carrier_choice = models.CharField(_("chosen carrier"), max_length=20, blank=True)
    on_hold = models.BooleanField(_("on hold"), default=False)
    hold_reason = models.CharField(_("hold reason"), max_length=200, blank=True)

    placed_at = models.DateTimeField(_("placed at"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("payment due by"), null=True, blank=True)
    idempotency_key = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        permissions = [
            ("cancel_order", "Can cancel any order with a reason"),
            ("change_delivery", "Can change an order's address or phone before shipment"),
            ("hold_order", "Can hold and release orders"),
            ("place_phone_order", "Can place orders taken by phone for a customer"),
            ("export_orders", "Can export the order list"),
            ("send_payment_link", "Can send an unpaid order's payment link again"),
            ("view_margin", "Can see the margin report"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(lines_total__gte=0)
                & Q(shipping_fee__gte=0)
                & Q(discount_total__gte=0)
                & Q(total__gte=0),
                name="order_amounts_not_negative",
            ),
            # Round: SQLite keeps decimals as binary floats, where 0.1 + 0.2 != 0.3.
            models.CheckConstraint(
                condition=Q(
                    total=Round(F("lines_total") + F("shipping_fee") - F("discount_total"), 2)
                ),
                name="order_total_adds_up",
            ),
            models.UniqueConstraint(
                fields=["customer", "idempotency_key"],
                condition=Q(customer__isnull=False) & ~Q(idempotency_key=""),
                name="order_idempotency_per_customer",
            ),
            # Guests have no customer row; their keys are random per checkout session.
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=Q(customer__isnull=True) & ~Q(idempotency_key=""),
                name="order_idempotency_guest",
            ),
        ]
        indexes = [
            # Only unpaid orders expire (paying clears expires_at), and a partial index is
            # not written when a paid order moves on through review, allocation and waves.
            models.Index(
                fields=["expires_at"],
                name="order_unpaid_expiry_idx",
                condition=Q(status=OrderStatus.PENDING_PAYMENT),
            ),
            models.Index(fields=["customer", "placed_at"], name="order_customer_placed_idx"),
            # The order console (docs/backoffice.md): every filter has an index that also
            # gives the newest-first order, so a page of 1,000,000 orders reads a few rows.
            models.Index(fields=["-placed_at", "-id"], name="order_placed_idx"),
            models.Index(fields=["status", "-placed_at"], name="order_status_placed_idx"),
            models.Index(fields=["payment_method", "-placed_at"], name="order_method_placed_idx"),
            models.Index(fields=["mobile", "-placed_at"], name="order_mobile_placed_idx"),
            # The review's orders-per-address rule counts recent orders by street detail:
            # without it, a sequential scan of every order per batch of 1,000.
            models.Index(fields=["detail", "-placed_at"], name="order_detail_placed_idx"),
            models.Index(fields=["recipient", "-placed_at"], name="order_recipient_placed_idx"),
            models.Index(fields=["client_ip", "placed_at"], name="order_ip_placed_idx"),
            models.Index(
                fields=["on_hold", "status"],
                name="order_held_idx",
                condition=Q(on_hold=True),
            ),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    """One SKU of an order, with name, code, specs and price copied at purchase."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sku = models.ForeignKey(
        "catalog.Sku", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    product_name = models.CharField(_("product name"), max_length=200)
    sku_code = models.CharField(_("SKU code"), max_length=40)
    specs = models.JSONField(_("specs"), default=dict, blank=True)
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    quantity = models.PositiveIntegerField(_("quantity"))
    line_total = models.DecimalField(_("line total"), **MONEY)
    discount_share = models.DecimalField(_("discount share"), default=0, **MONEY)
    # The SKU's moving-average cost when the order was placed (the margin report's cost of
    # goods); None on lines written before it was recorded: the report falls back to the
    # current cost and says so.
    unit_cost = models.DecimalField(_("unit cost at sale"), null=True, blank=True, **MONEY)

    class Meta:
        ordering = ["id"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orderline_quantity_positive"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0) & Q(discount_share__gte=0),
                name="orderline_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(line_total=Round(F("unit_price") * F("quantity"), 2)),
                name="orderline_total_is_price_times_quantity",
            ),
            models.CheckConstraint(
                condition=Q(discount_share__lte=F("line_total")),
                name="orderline_discount_within_line",
            ),
            models.CheckConstraint(
                condition=Q(unit_cost__isnull=True) | Q(unit_cost__gte=0),
                name="orderline_unit_cost_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_name} × {self.quantity}"


class OrderEvent(models.Model):
    """One thing that happened to an order: who, why, when. A status change (kind
    "status"; the first has from_status ""), or an action that left the status as it was
    (address change, hold, review finding, ...: from_status == to_status)."""

    # orderevent_order_idx (order, created_at) serves look-ups by order.
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    from_status = models.CharField(
        _("from"), max_length=20, choices=OrderStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=20, choices=OrderStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    kind = models.CharField(
        _("kind"), max_length=16, choices=EventKind.choices, default=EventKind.STATUS
    )
    # What changed, for kinds that carry it (the old and new address, the review's
    # findings); shown masked to staff without core.view_full_phone.
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["order", "created_at"], name="orderevent_order_idx")]
        verbose_name = _("order event")
        verbose_name_plural = _("order events")

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status or '-'} → {self.to_status}"


class OrderNote(models.Model):
    """A note staff wrote on an order (a call with the customer, a promise made)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    text = models.CharField(_("note"), max_length=500)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("order note")
        verbose_name_plural = _("order notes")
        constraints = [models.CheckConstraint(condition=~Q(text=""), name="ordernote_not_empty")]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.text[:30]}"
