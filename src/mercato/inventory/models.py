from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mercato.core.models import TimeStampedModel


class Warehouse(TimeStampedModel):
    """A warehouse that ships orders to the provinces it serves (see WarehouseProvince).

    When several warehouses serve a province, the lower `priority` is tried first.
    """

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=60, unique=True)
    province = models.CharField(_("province"), max_length=20)
    city = models.CharField(_("city"), max_length=30)
    district = models.CharField(_("district"), max_length=30)
    address = models.CharField(_("street address"), max_length=200)
    contact = models.CharField(_("contact person"), max_length=40, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=100, help_text=_("Lower is tried first")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["priority", "code"]
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        constraints = [
            models.CheckConstraint(condition=~Q(code=""), name="warehouse_code_not_empty"),
            models.CheckConstraint(condition=~Q(province=""), name="warehouse_province_not_empty"),
        ]
        indexes = [models.Index(fields=["is_active", "priority"], name="warehouse_active_prio_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def served_provinces(self) -> list[str]:
        return [row.province for row in self.served.all()]


class WarehouseProvince(models.Model):
    """One province a warehouse delivers to, in cpca's spelling (core.regions)."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="served")
    province = models.CharField(_("province"), max_length=20)

    class Meta:
        ordering = ["warehouse_id", "province"]
        verbose_name = _("served province")
        verbose_name_plural = _("served provinces")
        constraints = [
            models.UniqueConstraint(
                fields=["warehouse", "province"], name="warehouse_province_unique"
            )
        ]
        # Allocation asks "who serves 四川省?": look up by province first.
        indexes = [models.Index(fields=["province", "warehouse"], name="warehouse_prov_lookup_idx")]

    def __str__(self) -> str:
        return f"{self.warehouse_id} → {self.province}"


class Zone(models.Model):
    """An area of a warehouse (A: small items, B: bulky ...): bins belong to one."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="zones")
    code = models.CharField(_("code"), max_length=10)
    name = models.CharField(_("name"), max_length=40, blank=True)

    class Meta:
        ordering = ["warehouse_id", "code"]
        verbose_name = _("zone")
        verbose_name_plural = _("zones")
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "code"], name="zone_code_unique"),
            models.CheckConstraint(condition=~Q(code=""), name="zone_code_not_empty"),
        ]

    def __str__(self) -> str:
        return self.code


class Bin(models.Model):
    """A storage location (货位) in a zone, like A-03-02-1 (zone, aisle, shelf, level).

    Pickers walk the bins in `walk_order` (then code): pick lists are sorted by it.
    """

    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="bins")
    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="bins")
    code = models.CharField(_("bin"), max_length=20)
    walk_order = models.PositiveIntegerField(_("walk order"), default=0)

    class Meta:
        ordering = ["warehouse_id", "walk_order", "code"]
        verbose_name = _("bin")
        verbose_name_plural = _("bins")
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "code"], name="bin_code_unique"),
            models.CheckConstraint(condition=~Q(code=""), name="bin_code_not_empty"),
        ]

    def __str__(self) -> str:
        return self.code


class Stock(models.Model):
    """Units of one SKU in one warehouse. `available` = on_hand - reserved.

    Changed only through inventory.services, which keeps a StockMovement row per change.
    `reserved` is held for placed, unshipped orders (reservations come with issue 5).
    """

    sku = models.ForeignKey("catalog.Sku", on_delete=models.PROTECT, related_name="stocks")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stocks")
    on_hand = models.IntegerField(_("on hand"), default=0)
    reserved = models.IntegerField(_("reserved"), default=0)
    # Where the units are kept in the warehouse (pick lists are sorted by it).
    bin = models.ForeignKey(
        Bin, verbose_name=_("bin"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="stocks",
    )  # fmt: skip
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Units shipped since `recent_since` (set nightly to the start of the velocity window,
    # MERCATO_VELOCITY_DAYS; every shipment adds to it): never fewer than the window
    # shipped, so the overstock filter trusts it for the rows it clears and reads the
    # ledger only for the rest (selectors.overstocked). None: not rolled yet.
    recent_shipped = models.PositiveIntegerField(default=0, db_default=0)
    recent_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["sku_id", "warehouse_id"]
        verbose_name = _("stock")
        verbose_name_plural = _("stock")
        constraints = [
            models.UniqueConstraint(fields=["sku", "warehouse"], name="stock_sku_warehouse_unique"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stock_on_hand_gte_0"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="stock_reserved_gte_0"),
            models.CheckConstraint(
                condition=Q(reserved__lte=models.F("on_hand")), name="stock_reserved_lte_on_hand"
            ),
        ]
        indexes = [models.Index(fields=["warehouse", "sku"], name="stock_warehouse_sku_idx")]

    def __str__(self) -> str:
        return f"{self.sku_id}@{self.warehouse_id}: {self.on_hand}/{self.reserved}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class StockMovement(models.Model):
    """The stock ledger: one row per change of one Stock row, never updated or deleted."""

    class Reason(models.TextChoices):
        RECEIPT = "receipt", _("Received")
        ADJUSTMENT = "adjustment", _("Stock count adjustment")
        RESERVATION = "reservation", _("Reserved for an order")
        RELEASE = "release", _("Reservation released")
        SHIPMENT = "shipment", pgettext_lazy("stock movement", "Shipped")
        RETURN = "return", _("Returned")
        TRANSFER_OUT = "transfer_out", _("Transferred out")
        TRANSFER_IN = "transfer_in", _("Transferred in")
        WRITE_OFF = "write_off", _("Written off")

    stock = models.ForeignKey(Stock, on_delete=models.PROTECT, related_name="movements")
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    # Change of on_hand (receipt +, shipment -) and of reserved (reservation +, release -).
    on_hand_delta = models.IntegerField(default=0)
    reserved_delta = models.IntegerField(default=0)
    on_hand_before = models.IntegerField()
    on_hand_after = models.IntegerField()
    reserved_before = models.IntegerField()
    reserved_after = models.IntegerField()
    reference = models.CharField(_("reference"), max_length=60, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    actor = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        indexes = [
            models.Index(fields=["stock", "-id"], name="movement_stock_idx"),
            models.Index(fields=["reference"], name="movement_reference_idx"),
            # Sales velocity (cover in days, overstock, ABC, KPIs) sums a window of
            # shipments per stock row.
            models.Index(
                fields=["stock", "created_at"],
                name="movement_shipped_idx",
                include=["on_hand_delta"],
                condition=Q(reason="shipment"),
            ),  # fmt: skip
        ]

    def __str__(self) -> str:
        return f"{self.reason} {self.on_hand_delta:+d}/{self.reserved_delta:+d}"


class Reservation(TimeStampedModel):
    """Units of one SKU held in one warehouse for an order, named by an opaque `reference`
    (the order number). Made, released and shipped only by inventory.reservations.

    An order's reservations are its parcels: one row per (SKU, warehouse) it ships from.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("Reserved")
        RELEASED = "released", _("Released")
        SHIPPED = "shipped", _("Shipped")

    reference = models.CharField(_("reference"), max_length=60)
    sku = models.ForeignKey("catalog.Sku", on_delete=models.PROTECT, related_name="+")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    # Units that left in parcels so far (a split order ships one warehouse's units in more
    # than one parcel); the rest is still held. Status becomes shipped when all have left.
    shipped = models.PositiveIntegerField(_("shipped"), default=0, db_default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["reference", "warehouse_id", "sku_id"]
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        constraints = [
            # A retried placement cannot hold the same units twice.
            models.UniqueConstraint(
                fields=["reference", "sku", "warehouse"], name="reservation_once_per_reference"
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="reservation_quantity_gt_0"),
            models.CheckConstraint(
                condition=Q(status__in=["active", "released", "shipped"]),
                name="reservation_status_valid",
            ),
            models.CheckConstraint(condition=~Q(reference=""), name="reservation_reference_set"),
            models.CheckConstraint(
                condition=Q(shipped__lte=models.F("quantity")), name="reservation_shipped_lte_qty"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "warehouse"], name="reservation_status_wh_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.sku_id}@{self.warehouse_id} x{self.quantity}"


# Cycle counts (盘点) ----------------------------------------------------------------------
class CountStatus(models.TextChoices):
    COUNTING = "counting", _("Counting")
    AWAITING_APPROVAL = "awaiting_approval", _("Variance awaiting approval")
    POSTED = "posted", _("Adjusted")
    CANCELLED = "cancelled", pgettext_lazy("cycle count", "Cancelled")


class CountTask(models.Model):
    """A cycle count (盘点任务) of one warehouse's stock rows in a zone or of an ABC class.

    Made, counted, approved and posted only by inventory.counts; every step a CountEvent.
    """

    class Scope(models.TextChoices):
        ZONE = "zone", _("Zone")
        ABC = "abc", _("ABC class")

    number = models.CharField(_("count number"), max_length=24, unique=True)
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="+"
    )
    scope = models.CharField(_("counted by"), max_length=4, choices=Scope.choices)
    zone = models.ForeignKey(
        Zone, verbose_name=_("zone"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    abc_class = models.CharField(_("ABC class"), max_length=1, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=CountStatus.choices, default=CountStatus.COUNTING
    )
    # Why the books were wrong (given when the variance is submitted): the adjustments'
    # ledger note.
    reason = models.CharField(_("reason for the variance"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("cycle count")
        verbose_name_plural = _("cycle counts")
        permissions = [
            ("count_stock", "Can make and enter cycle counts"),
            ("approve_count", "Can approve cycle-count variances above the limit"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(scope="zone", zone__isnull=False, abc_class="")
                           | Q(scope="abc", zone__isnull=True, abc_class__in=["A", "B", "C"])),
                name="count_task_scope_valid",
            ),
        ]  # fmt: skip
        indexes = [models.Index(fields=["status", "-id"], name="count_task_status_idx")]

    def __str__(self) -> str:
        return self.number


class CountLine(models.Model):
    """One stock row on a count sheet: the units the books held when the sheet was made,
    and, once counted, the units found and the books' figure at that moment (the
    variance is counted − expected_at_count: movements between sheet and count are not
    a variance)."""

    task = models.ForeignKey(CountTask, on_delete=models.CASCADE, related_name="lines")
    stock = models.ForeignKey(Stock, on_delete=models.PROTECT, related_name="+")
    bin_code = models.CharField(_("bin"), max_length=20, blank=True)
    expected = models.IntegerField(_("on the sheet"))
    counted = models.IntegerField(_("counted"), null=True, blank=True)
    expected_at_count = models.IntegerField(_("on hand when counted"), null=True, blank=True)
    unit_cost = models.DecimalField(
        _("unit cost"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    counted_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    counted_at = models.DateTimeField(_("counted at"), null=True, blank=True)

    class Meta:
        ordering = ["task_id", "bin_code", "id"]
        verbose_name = _("count line")
        verbose_name_plural = _("count lines")
        constraints = [
            models.UniqueConstraint(fields=["task", "stock"], name="count_line_once"),
            models.CheckConstraint(condition=Q(counted__gte=0), name="count_line_counted_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.stock_id} {self.counted}/{self.expected}"

    @property
    def variance(self) -> int | None:
        if self.counted is None or self.expected_at_count is None:
            return None
        return self.counted - self.expected_at_count


class CountEvent(models.Model):
    """Every step of a cycle count: who, when, from which status to which, and why."""

    task = models.ForeignKey(CountTask, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, choices=CountStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=CountStatus.choices)
    action = models.CharField(_("action"), max_length=20)
    note = models.CharField(_("note"), max_length=200, blank=True)
    actor = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("cycle count event")
        verbose_name_plural = _("cycle count events")

    def __str__(self) -> str:
        return f"{self.task_id}: {self.action} {self.from_status} → {self.to_status}"
