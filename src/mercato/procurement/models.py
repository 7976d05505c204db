"""Suppliers, their price lists, purchase orders and the goods received against them.

Changed only through procurement.services (suppliers, prices), procurement.orders (purchase
orders and their approval) and procurement.receiving (receipts); stock itself through
inventory.services.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mercato.core.models import TimeStampedModel

ZERO = Decimal("0.00")


class Supplier(TimeStampedModel):
    """A company we buy from, named by its 统一社会信用代码 (USCC)."""

    code = models.SlugField(_("supplier code"), max_length=20, unique=True)
    name = models.CharField(_("company name"), max_length=100)
    uscc = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    # Bank details: shown in full only with procurement.view_bank_details.
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    bank_account = models.CharField(_("bank account"), max_length=40, blank=True)
    categories = models.ManyToManyField(
        "catalog.Category", verbose_name=_("categories supplied"), blank=True, related_name="+"
    )
    is_active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        permissions = [("view_bank_details", "Can see suppliers' bank details")]
        constraints = [
            models.CheckConstraint(condition=~Q(code=""), name="supplier_code_not_empty"),
            models.CheckConstraint(condition=~Q(name=""), name="supplier_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class SupplierContact(models.Model):
    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=40)
    role = models.CharField(_("job title"), max_length=40, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)

    class Meta:
        ordering = ["supplier_id", "id"]
        verbose_name = _("supplier contact")
        verbose_name_plural = _("supplier contacts")

    def __str__(self) -> str:
        return self.name


class SupplierDocument(models.Model):
    """A qualification (business licence, ISO certificate, food permit ...) that expires."""

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("document"), max_length=60)
    number = models.CharField(_("document number"), max_length=60, blank=True)
    expires_on = models.DateField(_("expires on"))

    class Meta:
        ordering = ["supplier_id", "expires_on"]
        verbose_name = _("qualification document")
        verbose_name_plural = _("qualification documents")
        indexes = [models.Index(fields=["expires_on"], name="supplier_doc_expiry_idx")]

    def __str__(self) -> str:
        return self.kind


class SupplierPrice(models.Model):
    """One line of a supplier's price list: a SKU's price from `valid_from` to `valid_to`
    (inclusive; open-ended when empty) for orders of at least `min_quantity` units."""

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="prices")
    sku = models.ForeignKey("catalog.Sku", on_delete=models.CASCADE, related_name="+")
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2)
    min_quantity = models.PositiveIntegerField(_("minimum order quantity"), default=1)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        ordering = ["supplier_id", "sku_id", "-valid_from"]
        verbose_name = _("supplier price")
        verbose_name_plural = _("supplier prices")
        constraints = [
            models.UniqueConstraint(
                fields=["supplier", "sku", "valid_from"], name="supplier_price_once_per_start"
            ),
            models.CheckConstraint(condition=Q(price__gt=0), name="supplier_price_gt_0"),
            models.CheckConstraint(condition=Q(min_quantity__gt=0), name="supplier_moq_gt_0"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="supplier_price_dates_ordered",
            ),
        ]
        indexes = [models.Index(fields=["sku", "valid_from"], name="supplier_price_sku_idx")]

    def __str__(self) -> str:
        return f"{self.supplier_id}/{self.sku_id}: {self.price}"


class POStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("purchase order", "Draft")
    PENDING_LEAD = "pending_lead", _("Awaiting lead approval")
    PENDING_FINANCE = "pending_finance", _("Awaiting finance approval")
    APPROVED = "approved", pgettext_lazy("purchase order", "Approved")
    SENT = "sent", pgettext_lazy("purchase order", "Ordered")
    PARTIALLY_RECEIVED = "partially_received", _("Partially received")
    RECEIVED = "received", _("Fully received")
    CLOSED = "closed", pgettext_lazy("purchase order", "Closed")
    CANCELLED = "cancelled", pgettext_lazy("purchase order", "Cancelled")


class PurchaseOrder(TimeStampedModel):
    number = models.CharField(_("PO number"), max_length=24, unique=True)
    supplier = models.ForeignKey(
        Supplier, verbose_name=_("supplier"), on_delete=models.PROTECT, related_name="orders"
    )
    warehouse = models.ForeignKey(
        "inventory.Warehouse", verbose_name=_("deliver to"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    status = models.CharField(
        _("status"), max_length=20, choices=POStatus.choices, default=POStatus.DRAFT
    )
    promised_date = models.DateField(_("promised delivery date"))
    total = models.DecimalField(_("order total"), max_digits=14, decimal_places=2, default=ZERO)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("purchase order")
        verbose_name_plural = _("purchase orders")
        permissions = [
            ("approve_purchaseorder", "Can approve purchase orders (lead)"),
            ("approve_large_purchaseorder", "Can approve purchase orders above the finance limit"),
            ("receive_goods", "Can receive goods against purchase orders"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="po_total_gte_0"),
        ]
        indexes = [models.Index(fields=["status", "-id"], name="po_status_idx")]

    def __str__(self) -> str:
        return self.number


class PurchaseOrderLine(models.Model):
    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey("catalog.Sku", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    # Counted at the dock, then split by the quality check into accepted and rejected.
    received = models.PositiveIntegerField(_("received"), default=0)
    accepted = models.PositiveIntegerField(_("accepted"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)

    class Meta:
        ordering = ["order_id", "id"]
        verbose_name = _("purchase order line")
        verbose_name_plural = _("purchase order lines")
        constraints = [
            models.UniqueConstraint(fields=["order", "sku"], name="po_line_sku_once"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="po_line_quantity_gt_0"),
            models.CheckConstraint(condition=Q(unit_price__gt=0), name="po_line_price_gt_0"),
            models.CheckConstraint(
                condition=Q(received=F("accepted") + F("rejected")), name="po_line_qc_adds_up"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.sku_id} x{self.quantity}"

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def open_quantity(self) -> int:
        return max(self.quantity - self.received, 0)


class PurchaseOrderEvent(models.Model):
    """Every step of a purchase order: who, when, from which status to which, and why."""

    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, choices=POStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=POStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["order_id", "id"]
        verbose_name = _("purchase order event")
        verbose_name_plural = _("purchase order events")

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status} → {self.to_status}"


class Receipt(models.Model):
    """One delivery received against a purchase order (入库单)."""

    order = models.ForeignKey(PurchaseOrder, on_delete=models.PROTECT, related_name="receipts")
    number = models.CharField(_("receipt number"), max_length=30, unique=True)
    received_at = models.DateTimeField(_("received at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["-id"]
        verbose_name = _("goods receipt")
        verbose_name_plural = _("goods receipts")

    def __str__(self) -> str:
        return self.number


class ReceiptLine(models.Model):
    receipt = models.ForeignKey(Receipt, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        PurchaseOrderLine, on_delete=models.PROTECT, related_name="receipt_lines"
    )
    received = models.PositiveIntegerField(_("received"))
    accepted = models.PositiveIntegerField(_("accepted"))
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    reject_reason = models.CharField(_("reason for rejection"), max_length=200, blank=True)
    bin = models.ForeignKey(
        "inventory.Bin", verbose_name=_("bin"), on_delete=models.SET_NULL, null=True,
        blank=True, related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["receipt_id", "id"]
        verbose_name = _("goods receipt line")
        verbose_name_plural = _("goods receipt lines")
        constraints = [
            models.CheckConstraint(condition=Q(received__gt=0), name="receipt_line_received_gt_0"),
            models.CheckConstraint(
                condition=Q(received=F("accepted") + F("rejected")),
                name="receipt_line_qc_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(rejected=0) | ~Q(reject_reason=""), name="receipt_line_reject_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.receipt_id}: {self.order_line_id} +{self.received}"


# ---------------------------------------------------------------------------------------
# Transfers between warehouses (调拨单, issue 14 part 7): procurement.transfers writes these.
# Stock in transit is derived: the lines of shipped, not yet received transfers.
# ---------------------------------------------------------------------------------------


class TransferStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("transfer order", "Draft")
    SHIPPED = "shipped", pgettext_lazy("transfer order", "Shipped")
    RECEIVED = "received", pgettext_lazy("transfer order", "Received")
    CANCELLED = "cancelled", pgettext_lazy("transfer order", "Cancelled")


class TransferOrder(TimeStampedModel):
    number = models.CharField(_("transfer number"), max_length=24, unique=True)
    from_warehouse = models.ForeignKey(
        "inventory.Warehouse", verbose_name=_("from warehouse"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    to_warehouse = models.ForeignKey(
        "inventory.Warehouse", verbose_name=_("to warehouse"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    status = models.CharField(
        _("status"), max_length=20, choices=TransferStatus.choices, default=TransferStatus.DRAFT
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("transfer order")
        verbose_name_plural = _("transfer orders")
        permissions = [("ship_transferorder", "Can ship and receive transfer orders")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_warehouse=F("to_warehouse")), name="transfer_two_warehouses"
            ),
        ]
        indexes = [models.Index(fields=["status", "to_warehouse"], name="transfer_status_idx")]

    def __str__(self) -> str:
        return self.number


class TransferOrderLine(models.Model):
    order = models.ForeignKey(TransferOrder, on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey("catalog.Sku", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    received = models.PositiveIntegerField(_("received"), default=0)
    shortfall_reason = models.CharField(_("reason for shortfall"), max_length=200, blank=True)

    class Meta:
        ordering = ["order_id", "id"]
        verbose_name = _("transfer order line")
        verbose_name_plural = _("transfer order lines")
        constraints = [
            models.UniqueConstraint(fields=["order", "sku"], name="transfer_line_sku_once"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="transfer_line_qty_gt_0"),
            models.CheckConstraint(
                condition=Q(received__lte=F("quantity")), name="transfer_line_received_lte_qty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.sku_id} x{self.quantity}"

    @property
    def shortfall(self) -> int:
        return self.quantity - self.received


class TransferOrderEvent(models.Model):
    order = models.ForeignKey(TransferOrder, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, choices=TransferStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=TransferStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["order_id", "id"]
        verbose_name = _("transfer order event")
        verbose_name_plural = _("transfer order events")

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status} → {self.to_status}"


class TransferCost(models.Model):
    """The cost per unit of moving goods from one warehouse to another (¥), when it is not
    the distance-based default of procurement.rebalance."""

    from_warehouse = models.ForeignKey(
        "inventory.Warehouse", verbose_name=_("from warehouse"), on_delete=models.CASCADE,
        related_name="+",
    )  # fmt: skip
    to_warehouse = models.ForeignKey(
        "inventory.Warehouse", verbose_name=_("to warehouse"), on_delete=models.CASCADE,
        related_name="+",
    )  # fmt: skip
    unit_cost = models.DecimalField(_("cost per unit"), max_digits=8, decimal_places=2)

    class Meta:
        verbose_name = _("transfer cost")
        verbose_name_plural = _("transfer costs")
        constraints = [
            models.UniqueConstraint(
                fields=["from_warehouse", "to_warehouse"], name="transfer_cost_once"
            ),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="transfer_cost_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.from_warehouse_id} → {self.to_warehouse_id}: {self.unit_cost}"


# ---------------------------------------------------------------------------------------
# Purchase lists (采购名单, issue 14 part 2): procurement.planning writes these. A list's
# lines are SKU × warehouse × quantity, typed by hand or generated from suggestions (the
# "why" of a suggestion is kept on its line); converting the list makes draft POs.
# ---------------------------------------------------------------------------------------


class PurchaseListStatus(models.TextChoices):
    GENERATING = "generating", _("Generating suggestions")
    DRAFT = "draft", pgettext_lazy("purchase list", "Draft")
    CONVERTED = "converted", _("Purchase orders created")
    FAILED = "failed", _("Generation failed")


class PurchaseList(TimeStampedModel):
    number = models.CharField(_("list number"), max_length=24, unique=True)
    status = models.CharField(
        _("status"), max_length=20, choices=PurchaseListStatus.choices,
        default=PurchaseListStatus.DRAFT,
    )  # fmt: skip
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    # Generation in the background: series done of series to forecast (progress bar).
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    message = models.CharField(_("message"), max_length=200, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("purchase list")
        verbose_name_plural = _("purchase lists")

    def __str__(self) -> str:
        return self.number


class PurchaseListLine(models.Model):
    purchase_list = models.ForeignKey(PurchaseList, on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey("catalog.Sku", verbose_name=_("SKU"), on_delete=models.PROTECT,
                            related_name="+")  # fmt: skip
    warehouse = models.ForeignKey(
        "inventory.Warehouse", verbose_name=_("warehouse"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    quantity = models.PositiveIntegerField(_("quantity"))
    # The cheapest supplier with a valid price list row, chosen at generation or on entry.
    supplier = models.ForeignKey(
        Supplier, verbose_name=_("supplier"), on_delete=models.SET_NULL, null=True,
        blank=True, related_name="+",
    )  # fmt: skip
    suggested = models.BooleanField(_("from a suggestion"), default=False)
    # Why (filled for suggested lines): the method, forecast units over the cover period,
    # cover days (lead time + review period), safety stock and the stock position.
    method = models.CharField(_("forecast method"), max_length=20, blank=True)
    daily_forecast = models.FloatField(_("daily forecast"), null=True, blank=True)
    forecast_units = models.FloatField(_("forecast over the cover period"), null=True, blank=True)
    cover_days = models.PositiveSmallIntegerField(_("cover days"), null=True, blank=True)
    lead_time_days = models.PositiveSmallIntegerField(_("lead time"), null=True, blank=True)
    safety_stock = models.FloatField(_("safety stock"), null=True, blank=True)
    available = models.IntegerField(_("available"), null=True, blank=True)
    in_transit = models.IntegerField(_("in transit"), null=True, blank=True)
    on_order = models.IntegerField(_("on order"), null=True, blank=True)
    min_quantity = models.PositiveIntegerField(_("minimum order quantity"), null=True, blank=True)
    purchase_order = models.ForeignKey(
        PurchaseOrder, verbose_name=_("purchase order"), on_delete=models.SET_NULL, null=True,
        blank=True, related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["purchase_list_id", "warehouse_id", "sku_id"]
        verbose_name = _("purchase list line")
        verbose_name_plural = _("purchase list lines")
        constraints = [
            models.UniqueConstraint(
                fields=["purchase_list", "sku", "warehouse"], name="purchase_list_line_once"
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="purchase_list_qty_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.purchase_list_id}: {self.sku_id}@{self.warehouse_id} x{self.quantity}"


# ---------------------------------------------------------------------------------------
# Tenders (招标 / RFQ, issue 14 part 3): procurement.tenders and procurement.tender_award
# write these. Bids are sealed until the deadline: no page, endpoint or audit log shows a
# bid's prices before it (they are deliberately not registered with auditlog).
# ---------------------------------------------------------------------------------------


class TenderStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("tender", "Draft")
    OPEN = "open", pgettext_lazy("tender", "Open for bids")
    CLOSED = "closed", pgettext_lazy("tender", "Closed")
    AWARDED = "awarded", pgettext_lazy("tender", "Awarded")
    CANCELLED = "cancelled", pgettext_lazy("tender", "Cancelled")


class Tender(TimeStampedModel):
    number = models.CharField(_("tender number"), max_length=24, unique=True)
    title = models.CharField(_("title"), max_length=100)
    status = models.CharField(
        _("status"), max_length=20, choices=TenderStatus.choices, default=TenderStatus.DRAFT
    )
    deadline = models.DateTimeField(_("deadline for bids"))
    # Scoring weights in percent (they add up to 100).
    weight_price = models.PositiveSmallIntegerField(_("weight of price"), default=60)
    weight_delivery = models.PositiveSmallIntegerField(_("weight of delivery date"), default=20)
    weight_supplier = models.PositiveSmallIntegerField(_("weight of supplier score"), default=20)
    award_reason = models.CharField(_("reason for the award"), max_length=300, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["-id"]
        verbose_name = _("tender")
        verbose_name_plural = _("tenders")
        constraints = [
            models.CheckConstraint(
                condition=Q(weight_price=100 - F("weight_delivery") - F("weight_supplier")),
                name="tender_weights_add_to_100",
            ),
        ]
        indexes = [models.Index(fields=["status", "-id"], name="tender_status_idx")]

    def __str__(self) -> str:
        return self.number


class TenderLine(models.Model):
    """A SKU and the units wanted at one warehouse."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey("catalog.Sku", on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(
        "inventory.Warehouse", verbose_name=_("deliver to"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        ordering = ["tender_id", "id"]
        verbose_name = _("tender line")
        verbose_name_plural = _("tender lines")
        constraints = [
            models.UniqueConstraint(fields=["tender", "sku", "warehouse"], name="tender_line_once"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="tender_line_qty_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.tender_id}: {self.sku_id}@{self.warehouse_id} x{self.quantity}"


class TenderInvitation(models.Model):
    """A supplier invited to bid; its links (BidToken) let it bid without an account."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="invitations")
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="+")
    invited_at = models.DateTimeField(_("invited at"), auto_now_add=True)

    class Meta:
        ordering = ["tender_id", "id"]
        verbose_name = _("tender invitation")
        verbose_name_plural = _("tender invitations")
        constraints = [
            models.UniqueConstraint(fields=["tender", "supplier"], name="tender_invite_once"),
        ]

    def __str__(self) -> str:
        return f"{self.tender_id}: {self.supplier_id}"


class BidToken(models.Model):
    """One link for a supplier to bid: unguessable, valid until the tender's deadline and
    good for one submission (the answer to a submission carries the next link)."""

    invitation = models.ForeignKey(
        TenderInvitation, on_delete=models.CASCADE, related_name="tokens"
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["invitation_id", "-id"]
        verbose_name = _("bid link")
        verbose_name_plural = _("bid links")

    def __str__(self) -> str:
        return f"{self.invitation_id}: {'used' if self.used_at else 'open'}"


class ResourceKind(models.TextChoices):
    HOME_BANNER = "home_banner", _("Home-page banner")
    HOME_FEATURED = "home_featured", _("Home-page featured product")
    OTHER = "other", _("Other placement")


class Bid(TimeStampedModel):
    """A supplier's offer for a tender (at most one: a revision replaces it)."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="bids")
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="+")
    delivery_date = models.DateField(_("delivery date"))
    # 资源换价格: a site resource given to the supplier in return for a lower price.
    resource_kind = models.CharField(
        _("resource in return"), max_length=20, choices=ResourceKind.choices, blank=True
    )
    resource_days = models.PositiveSmallIntegerField(_("days of the resource"), default=0)
    resource_value = models.DecimalField(
        _("value of the resource"), max_digits=12, decimal_places=2, default=ZERO
    )
    resource_note = models.CharField(_("resource terms"), max_length=200, blank=True)
    by_supplier = models.BooleanField(_("submitted by the supplier"), default=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    revisions = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["tender_id", "id"]
        verbose_name = _("bid")
        verbose_name_plural = _("bids")
        constraints = [
            models.UniqueConstraint(fields=["tender", "supplier"], name="bid_once_per_supplier"),
            models.CheckConstraint(condition=Q(resource_value__gte=0), name="bid_resource_gte_0"),
            models.CheckConstraint(
                condition=Q(resource_kind="") | Q(resource_value__gt=0, resource_days__gt=0),
                name="bid_resource_terms",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tender_id}: {self.supplier_id}"


class BidLine(models.Model):
    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="lines")
    tender_line = models.ForeignKey(TenderLine, on_delete=models.CASCADE, related_name="bids")
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    quantity = models.PositiveIntegerField(_("quantity offered"))
    awarded = models.PositiveIntegerField(_("quantity awarded"), default=0)
    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["bid_id", "tender_line_id"]
        verbose_name = _("bid line")
        verbose_name_plural = _("bid lines")
        constraints = [
            models.UniqueConstraint(fields=["bid", "tender_line"], name="bid_line_once"),
            models.CheckConstraint(condition=Q(unit_price__gt=0), name="bid_line_price_gt_0"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="bid_line_qty_gt_0"),
            models.CheckConstraint(
                condition=Q(awarded__lte=F("quantity")), name="bid_line_awarded_lte_qty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bid_id}/{self.tender_line_id}"


class TenderEvent(models.Model):
    """Every step of a tender (who, when, from, to, note); a bid received or revised is an
    event with no change of status, and says nothing of its prices."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, choices=TenderStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=TenderStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["tender_id", "id"]
        verbose_name = _("tender event")
        verbose_name_plural = _("tender events")

    def __str__(self) -> str:
        return f"{self.tender_id}: {self.from_status} → {self.to_status}"


class ResourceTaskStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("resource task", "To do")
    DONE = "done", pgettext_lazy("resource task", "Done")


class ResourceTask(TimeStampedModel):
    """A resource promised to a supplier in an awarded bid, for website operations to give
    (a home-page banner: done by scheduling a catalog HomeSlot)."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="tasks")
    bid = models.OneToOneField(Bid, on_delete=models.CASCADE, related_name="task")
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("resource"), max_length=20, choices=ResourceKind.choices)
    days = models.PositiveSmallIntegerField(_("days"))
    value = models.DecimalField(_("value of the resource"), max_digits=12, decimal_places=2)
    terms = models.CharField(_("resource terms"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ResourceTaskStatus.choices,
        default=ResourceTaskStatus.OPEN,
    )  # fmt: skip
    home_slot = models.ForeignKey(
        "catalog.HomeSlot", verbose_name=_("home page slot"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    done_note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["status", "-id"]
        verbose_name = _("resource task")
        verbose_name_plural = _("resource tasks")
        indexes = [models.Index(fields=["status", "-id"], name="resource_task_status_idx")]

    def __str__(self) -> str:
        return f"{self.tender_id}: {self.kind}"
