import itertools
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Max, Min, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from mercato.core.audit import acting_as
from mercato.core.errors import Conflict, NotFound, ValidationFailed
from mercato.core.permissions import require_perm

from ..models import ZERO, Brand, Category, Product, ProductStatus, Sku
from ..shopcache import bump_shop_version
from ..text import barcode_error, sanitize_html, unique_slug
from ._common import full_clean_or_fail
from .shop import record_old_slug, sync_spec_values

PRODUCT_FIELDS = {
    "name", "subtitle", "slug", "category_id", "brand_id", "description",
    "seo_title", "seo_keywords", "seo_description",
}  # fmt: skip
SKU_FIELDS = {"code", "barcode", "weight_g", "volume_cm3", "is_active", "list_price", "cost_price"}
PRICE_FIELDS = {"list_price", "cost_price"}


def spec_key(specs: dict) -> str:
    """A stable key for a spec combination: 颜色:黑色|存储容量:128GB (in the given order)."""
    return "|".join(f"{k}:{v}" for k, v in specs.items())[:255]


def to_money(value, field: str) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed(
            {field: [_("Not a valid amount: %(value)r") % {"value": value}]}
        ) from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e10"):
        raise ValidationFailed({field: [_("An amount must be between 0 and 9,999,999,999.99")]})
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed({field: [_("An amount has at most two decimal places")]})
    return amount.quantize(Decimal("0.01"))


def refresh_price_range(product_ids) -> None:
    """Keep Product.min_price/max_price equal to the range of its active SKUs' list prices.

    Every write to SKUs ends here (services, bulk price changes, imports), so this also
    rebuilds the products' spec values for facets and invalidates the shop's cached pages.
    """
    product_ids = list(product_ids)
    # One UPDATE with correlated subqueries: imports call this for thousands of products,
    # where bulk_update's CASE per row was the slowest step.
    active = Sku.objects.filter(product_id=OuterRef("pk"), is_active=True).values("product_id")
    Product.objects.filter(pk__in=list(product_ids)).update(
        min_price=Coalesce(Subquery(active.annotate(lo=Min("list_price")).values("lo")), ZERO),
        max_price=Coalesce(Subquery(active.annotate(hi=Max("list_price")).values("hi")), ZERO),
    )
    sync_spec_values(product_ids)
    bump_shop_version()


def _check_refs(fields: dict) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if "category_id" in fields and not Category.objects.filter(pk=fields["category_id"]).exists():
        errors["category"] = [_("Unknown category")]
    if fields.get("brand_id") and not Brand.objects.filter(pk=fields["brand_id"]).exists():
        errors["brand"] = [_("Unknown brand")]
    return errors


@transaction.atomic
def create_product(*, actor, code: str, name: str, category_id: int, **fields) -> Product:
    """A draft SPU. Slug defaults to the pinyin of the name; the description is sanitised."""
    if actor is not None:
        require_perm(actor, "catalog.add_product")
    unknown = set(fields) - PRODUCT_FIELDS
    if unknown:
        raise ValidationFailed({f: [_("Unknown field")] for f in sorted(unknown)})
    errors = _check_refs({"category_id": category_id, **fields})
    if Product.objects.filter(code=code).exists():
        errors["code"] = [_("A product with this code exists")]
    if errors:
        raise ValidationFailed(errors)
    fields["description"] = sanitize_html(fields.get("description", ""))
    with acting_as(actor):
        product = Product(code=code, name=(name or "").strip(), category_id=category_id, **fields)
        if not product.slug:
            product.slug = unique_slug(Product, product.name, max_length=160)
        full_clean_or_fail(product)
        product.save()
    return product


@transaction.atomic
def update_product(*, actor, product_id: int, **fields) -> Product:
    require_perm(actor, "catalog.change_product")
    unknown = set(fields) - PRODUCT_FIELDS - {"code"}
    if unknown:
        raise ValidationFailed({f: [_("Unknown field")] for f in sorted(unknown)})
    errors = _check_refs(fields)
    if errors:
        raise ValidationFailed(errors)
    product = Product.objects.select_for_update().filter(pk=product_id).first()
    if product is None:
        raise NotFound(_("Product not found"))
    if "description" in fields:
        fields["description"] = sanitize_html(fields["description"])
    if "slug" in fields and not fields["slug"]:
        fields["slug"] = unique_slug(
            Product, fields.get("name", product.name), exclude_pk=product.pk
        )
    old_slug = product.slug
    with acting_as(actor):
        for key, value in fields.items():
            setattr(product, key, value)
        full_clean_or_fail(product)
        product.save()
        record_old_slug(product=product, old_slug=old_slug)
    return product


@transaction.atomic
def generate_skus(
    *,
    actor,
    product_id: int,
    spec_values: dict[str, list[str]],
    list_price,
    cost_price=ZERO,
    weight_g: int = 0,
    volume_cm3: int = 0,
) -> list[Sku]:
    """Create one SKU per combination of spec values that the product does not have yet.

    `spec_values` is ordered: {"颜色": ["黑", "白"], "存储容量": ["128GB", "256GB"]} makes
    four SKUs. Codes are the product code plus a running number.
    """
    if actor is not None:
        require_perm(actor, "catalog.change_product")
        require_perm(actor, "catalog.change_price")
    product = Product.objects.select_for_update().filter(pk=product_id).first()
    if product is None:
        raise NotFound(_("Product not found"))
    cleaned: dict[str, list[str]] = {}
    for name, values in spec_values.items():
        name = str(name).strip()
        values = list(dict.fromkeys(str(v).strip() for v in values if str(v).strip()))
        if not name or not values:
            raise ValidationFailed(
                {"specs": [_("Spec %(name)s needs at least one value") % {"name": name or "?"}]}
            )
        cleaned[name] = values
    price = to_money(list_price, "list_price")
    cost = to_money(cost_price, "cost_price")
    existing = set(product.skus.values_list("spec_key", flat=True))
    taken_codes = set(
        Sku.objects.filter(code__startswith=product.code).values_list("code", flat=True)
    )
    combos = [
        dict(zip(cleaned, combo, strict=True)) for combo in itertools.product(*cleaned.values())
    ]
    if len(combos) > 500:
        raise ValidationFailed({"specs": [_("More than 500 combinations; split the product")]})
    new, n = [], 1
    for specs in combos or [{}]:
        key = spec_key(specs)
        if key in existing:
            continue
        while f"{product.code}-{n:02d}" in taken_codes:
            n += 1
        code = f"{product.code}-{n:02d}"
        taken_codes.add(code)
        new.append(
            Sku(
                product=product,
                code=code,
                specs=specs,
                spec_key=key,
                list_price=price,
                cost_price=cost,
                weight_g=weight_g,
                volume_cm3=volume_cm3,
            )
        )
    with acting_as(actor):
        for sku in new:
            full_clean_or_fail(sku, exclude=["product"])
            sku.save()  # one save each so the audit log records every new SKU
        refresh_price_range([product.pk])
    return new


@transaction.atomic
def update_sku(*, actor, sku_id: int, **fields) -> Sku:
    """Change a SKU. Prices need `change_price` on top of `change_product`."""
    require_perm(actor, "catalog.change_product")
    unknown = set(fields) - SKU_FIELDS
    if unknown:
        raise ValidationFailed({f: [_("Unknown field")] for f in sorted(unknown)})
    if PRICE_FIELDS & set(fields):
        require_perm(actor, "catalog.change_price")
    for f in PRICE_FIELDS & set(fields):
        fields[f] = to_money(fields[f], f)
    if "barcode" in fields:
        fields["barcode"] = (fields["barcode"] or "").strip()
        problem = barcode_error(fields["barcode"])
        if problem:
            raise ValidationFailed({"barcode": [problem]})
    sku = Sku.objects.select_for_update().filter(pk=sku_id).first()
    if sku is None:
        raise NotFound(_("SKU not found"))
    with acting_as(actor):
        for key, value in fields.items():
            setattr(sku, key, value)
        full_clean_or_fail(sku)
        sku.save()
        refresh_price_range([sku.product_id])
    return sku


@transaction.atomic
def set_product_status(*, actor, product_id: int, status: str) -> Product:
    """Publish (on sale) or take off the shelf. A product on sale needs a priced active SKU."""
    require_perm(actor, "catalog.publish_product")
    if status not in ProductStatus.values:
        raise ValidationFailed({"status": [_("Unknown status: %(status)s") % {"status": status}]})
    product = Product.objects.select_for_update().filter(pk=product_id).first()
    if product is None:
        raise NotFound(_("Product not found"))
    if (
        status == ProductStatus.ON_SALE
        and not product.skus.filter(is_active=True, list_price__gt=0).exists()
    ):
        raise Conflict(
            _("A product needs at least one active SKU with a price to go on sale"),
            field="status",
            code="no_sellable_sku",
        )
    with acting_as(actor):
        product.status = status
        if status == ProductStatus.ON_SALE and product.published_at is None:
            product.published_at = timezone.now()
        product.save(update_fields=["status", "published_at", "updated_at"])
    return product
