from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from mercato.core import progress
from mercato.core.models import TimeStampedModel

ZERO = Decimal("0.00")


class SeoFields(models.Model):
    seo_title = models.CharField(_("SEO title"), max_length=120, blank=True)
    seo_keywords = models.CharField(_("SEO keywords"), max_length=255, blank=True)
    seo_description = models.CharField(_("SEO description"), max_length=300, blank=True)

    class Meta:
        abstract = True


class Category(MP_Node, SeoFields):
    """A node of the category tree. Siblings are ordered by their path (treebeard)."""

    name = models.CharField(_("name"), max_length=60)
    slug = models.SlugField(_("slug"), max_length=120, unique=True, allow_unicode=False)
    is_active = models.BooleanField(_("active"), default=True)

    steplen = 4
    node_order_by = None

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [models.UniqueConstraint(fields=["path"], name="category_path_unique")]

    def __str__(self) -> str:
        return self.name


class SpecAttribute(models.Model):
    """A spec a category's products vary by (颜色, 存储容量), with the values offered."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="specs")
    name = models.CharField(_("name"), max_length=30)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    options = models.JSONField(_("suggested values"), default=list, blank=True)

    class Meta:
        ordering = ["category_id", "position", "id"]
        verbose_name = _("spec")
        verbose_name_plural = _("specs")
        constraints = [
            models.UniqueConstraint(fields=["category", "name"], name="spec_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Brand(TimeStampedModel):
    name = models.CharField(_("name"), max_length=80, unique=True)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    country = models.CharField(_("country"), max_length=40, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("brand")
        verbose_name_plural = _("brands")

    def __str__(self) -> str:
        return self.name


class ProductStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ON_SALE = "on_sale", _("On sale")
    OFF_SHELF = "off_shelf", _("Off shelf")


class Product(TimeStampedModel, SeoFields):
    """An SPU: a product as customers see it. Its SKUs are the sellable variants."""

    code = models.CharField(_("product code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    subtitle = models.CharField(_("subtitle"), max_length=200, blank=True)
    slug = models.SlugField(_("slug"), max_length=160, unique=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    brand = models.ForeignKey(
        Brand, on_delete=models.PROTECT, related_name="products", null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ProductStatus.choices, default=ProductStatus.DRAFT
    )
    description = models.TextField(_("description"), blank=True)
    published_at = models.DateTimeField(_("first published"), null=True, blank=True)
    # Denormalised from the SKUs so the list can filter and sort by price without a join.
    min_price = models.DecimalField(
        _("lowest price"), max_digits=12, decimal_places=2, default=ZERO
    )
    max_price = models.DecimalField(
        _("highest price"), max_digits=12, decimal_places=2, default=ZERO
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        permissions = [
            ("publish_product", "Can put products on sale and take them off"),
            ("change_price", "Can change list prices"),
            ("view_cost_price", "Can see cost prices"),
            ("import_products", "Can import products from files"),
            ("export_products", "Can export products to files"),
        ]
        indexes = [
            models.Index(fields=["status", "category"], name="product_status_cat_idx"),
            models.Index(fields=["brand", "status"], name="product_brand_status_idx"),
            models.Index(fields=["min_price"], name="product_min_price_idx"),
            models.Index(fields=["updated_at"], name="product_updated_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class Sku(TimeStampedModel):
    """A sellable variant: one combination of spec values, with its own code and price."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="skus")
    code = models.CharField(_("SKU code"), max_length=40, unique=True)
    barcode = models.CharField(_("barcode (EAN-13)"), max_length=13, blank=True)
    specs = models.JSONField(_("specs"), default=dict, blank=True)
    spec_key = models.CharField(max_length=255, blank=True)
    list_price = models.DecimalField(
        _("list price"), max_digits=12, decimal_places=2, validators=[MinValueValidator(ZERO)]
    )
    cost_price = models.DecimalField(
        _("cost price"),
        max_digits=12,
        decimal_places=2,
        default=ZERO,
        validators=[MinValueValidator(ZERO)],
    )
    weight_g = models.PositiveIntegerField(_("weight (g)"), default=0)
    volume_cm3 = models.PositiveIntegerField(_("volume (cm³)"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["product_id", "id"]
        verbose_name = _("SKU")
        verbose_name_plural = _("SKUs")
        constraints = [
            models.UniqueConstraint(fields=["product", "spec_key"], name="sku_spec_unique"),
            models.UniqueConstraint(
                fields=["barcode"], condition=~Q(barcode=""), name="sku_barcode_unique"
            ),
            models.CheckConstraint(condition=Q(list_price__gte=0), name="sku_list_price_gte_0"),
            models.CheckConstraint(condition=Q(cost_price__gte=0), name="sku_cost_price_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.spec_label}".strip()

    @property
    def spec_label(self) -> str:
        return " ".join(str(v) for v in self.specs.values())


def product_image_path(instance, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    return f"products/{instance.product_id}/{instance.product_id}-{instance.position}.{ext}"


class ProductImage(TimeStampedModel):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(
        _("image"), upload_to=product_image_path, width_field="width", height_field="height"
    )
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    alt = models.CharField(_("alternative text"), max_length=120, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["product_id", "position", "id"]
        verbose_name = _("product image")
        verbose_name_plural = _("product images")

    def __str__(self) -> str:
        return self.alt or self.image.name


def import_file_path(instance, filename: str) -> str:
    # The stored name is ours (date and a random token); the user's name is kept in the row.
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "csv"
    return f"imports/{timezone.now():%Y/%m}/{instance.token}.{ext}"


class ImportJob(TimeStampedModel):
    """One upload of a product file: its mode, progress, counts and per-row errors."""

    class Mode(models.TextChoices):
        DRY_RUN = "dry_run", _("Dry run (preview, writes nothing)")
        ALL_OR_NOTHING = "all_or_nothing", _("All or nothing")
        PARTIAL = "partial", _("Partial (write the good rows)")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    created_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    token = models.CharField(max_length=16, editable=False)
    file = models.FileField(_("file"), upload_to=import_file_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices)
    create_brands = models.BooleanField(_("create unknown brands"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    total_rows = models.PositiveIntegerField(_("rows in the file"), null=True, blank=True)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    # {"products_created": n, "skus_updated": n, "rows_failed": n, "written": bool, ...}
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    # [{"row": 3, "column": "list_price", "message": "..."}], capped (see importing.MAX_ERRORS).
    errors = models.JSONField(_("errors"), default=list, blank=True)
    preview = models.JSONField(_("preview"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        indexes = [models.Index(fields=["created_by", "-id"], name="importjob_user_idx")]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_mode_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}

    @property
    def percent(self) -> int:
        return progress.percent(self.processed_rows, self.total_rows, finished=self.is_finished)


# Shop front support (issue 4) ---------------------------------------------------------------


class SkuSpecValue(models.Model):
    """One spec value of one active SKU, denormalised from Sku.specs for facet counts.

    `catalog.services.sync_spec_values` rebuilds a product's rows; every service that
    creates SKUs or changes their specs or `is_active` calls it (the importer too), so
    facets count with one GROUP BY on (name, value) on SQLite and PostgreSQL alike.
    """

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="spec_values")
    sku = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="spec_values")
    name = models.CharField(max_length=30)
    value = models.CharField(max_length=60)

    class Meta:
        ordering = ["product_id", "sku_id", "name"]
        constraints = [models.UniqueConstraint(fields=["sku", "name"], name="skuspecvalue_unique")]
        indexes = [
            models.Index(fields=["name", "value", "product"], name="skuspecvalue_lookup_idx")
        ]

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class ProductSlugHistory(models.Model):
    """A slug a product had before: the shop answers it with a 301 to the current one."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="old_slugs")
    slug = models.SlugField(max_length=160, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("old product slug")
        verbose_name_plural = _("old product slugs")

    def __str__(self) -> str:
        return self.slug


class RemovedProduct(models.Model):
    """A product removed from the shop for good: its slugs answer 410 Gone instead of 404.

    The product row itself stays (off shelf) for its history: stock ledger, orders, audit.
    """

    product = models.ForeignKey(
        Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    slug = models.SlugField(max_length=160, unique=True)
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=120)
    removed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-removed_at"]
        verbose_name = _("removed product")
        verbose_name_plural = _("removed products")

    def __str__(self) -> str:
        return self.slug


class ProductPopularity(models.Model):
    """Placeholder for sales figures until orders exist (issue 5 fills `units_sold`).

    The shop's 销量 sort reads `units_sold`; a product without a row counts as 0. The demo
    seed fills it with made-up numbers so the sort can be seen working.
    """

    product = models.OneToOneField(
        Product, on_delete=models.CASCADE, primary_key=True, related_name="popularity"
    )
    units_sold = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("product popularity")
        verbose_name_plural = _("product popularity")
        indexes = [models.Index(fields=["-units_sold"], name="popularity_units_idx")]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.units_sold}"


class HomeSlot(TimeStampedModel):
    """A merchandising slot of the home page, scheduled and ordered by operations staff.

    A banner has an image, title and link; a featured slot shows one product; a category
    block shows the best-selling products of one top category.
    """

    class Kind(models.TextChoices):
        BANNER = "banner", _("Banner")
        FEATURED = "featured", _("Featured product")
        CATEGORY = "category", _("Category block")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=80, blank=True)
    subtitle = models.CharField(_("subtitle"), max_length=160, blank=True)
    image = models.ImageField(_("image"), upload_to="merch/%Y/%m/", blank=True)
    link = models.CharField(
        _("link"), max_length=300, blank=True, help_text=_("A path on this site, e.g. /c/shouji/")
    )
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    starts_at = models.DateTimeField(_("shown from"), null=True, blank=True)
    ends_at = models.DateTimeField(_("shown until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "position", "id"]
        verbose_name = _("home page slot")
        verbose_name_plural = _("home page slots")
        permissions = [("manage_merchandising", "Can edit home page slots")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True)
                | Q(starts_at__isnull=True)
                | Q(ends_at__gt=models.F("starts_at")),
                name="homeslot_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(kind="featured") | Q(product__isnull=False),
                name="homeslot_featured_has_product",
            ),
            models.CheckConstraint(
                condition=~Q(kind="category") | Q(category__isnull=False),
                name="homeslot_category_has_category",
            ),
        ]
        indexes = [models.Index(fields=["is_active", "kind", "position"], name="homeslot_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"


class CacheVersion(models.Model):
    """A counter the shop front puts in its cache keys; bumping it invalidates the pages.

    Kept in the database, not the cache, so every server process sees a bump at once even
    with a per-process cache (the embedded default). See catalog/shopcache.py.
    """

    name = models.CharField(max_length=30, primary_key=True)
    version = models.BigIntegerField(default=1)

    def __str__(self) -> str:
        return f"{self.name}={self.version}"
