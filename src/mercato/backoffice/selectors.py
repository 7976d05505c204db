"""Read queries of the back office, with the joins that keep their query counts fixed."""

import uuid

from auditlog.models import LogEntry
from django.core.cache import cache
from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce

from mercato.catalog.models import Brand, Category, Product, ProductImage, Sku, SpecAttribute
from mercato.staff.models import StaffProfile

from .markup import option_tags

# Indents a category under its parent in a plain <select> (filters.py uses it too).
IDEOGRAPHIC_SPACE = "\u3000"


def _count_of(model, fk: str):
    """A correlated subquery counting `model` rows pointing at the outer row (0 when none);
    unlike Count() over a join it needs no GROUP BY on every selected column."""
    rows = model.objects.filter(**{fk: OuterRef("pk")}).order_by().values(fk)
    return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n")), 0)


# What the product list shows: values, not model instances (see product_rows.py); the
# description (HTML) and SEO text stay in the database.
PRODUCT_LIST_VALUES = (
    "id", "code", "name", "subtitle", "status", "min_price", "max_price", "updated_at",
    "category__name", "brand__name", "sku_count",
)  # fmt: skip


def product_list_rows(queryset: QuerySet[Product]) -> QuerySet:
    """Product rows as dicts with category and brand names, the SKU count and the file name
    of the first image (by position): one query.

    `queryset` may be a page already sliced from a filtered, ordered queryset.
    """
    first_image = ProductImage.objects.filter(product=OuterRef("pk")).order_by("position", "id")
    return queryset.annotate(
        sku_count=_count_of(Sku, "product"),
        first_image=Subquery(first_image.values("image")[:1]),
    ).values(*PRODUCT_LIST_VALUES, "first_image")


def product_for_page(product_id: int) -> Product | None:
    return (
        Product.objects.select_related("category", "brand")
        .prefetch_related(
            Prefetch("skus", queryset=Sku.objects.order_by("id")),
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
        )
        .filter(pk=product_id)
        .first()
    )


def specs_for_category(category: Category) -> list[SpecAttribute]:
    """The specs a category's products vary by: its own and those of its ancestors."""
    paths = [category.path[:i] for i in range(category.steplen, len(category.path) + 1,
                                               category.steplen)]  # fmt: skip
    return list(
        SpecAttribute.objects.filter(category__path__in=paths).order_by(
            "category__depth", "position", "id"
        )
    )


# The product list's category and brand <select>s, cached under a catalogue version.
# Saving or deleting a category or brand starts a new version (apps.py connects the
# signals); a category move says so itself (views_categories.py), treebeard sends none.
# Changes that send no signal (brands created by a bulk import) and, with a per-process
# memory cache, changes made in another process show within OPTIONS_TTL seconds.
CATALOGUE_VERSION_KEY = "backoffice:catalogue-version"
OPTIONS_TTL = 60


def bump_catalogue_version(**_signal_kwargs) -> None:
    cache.set(CATALOGUE_VERSION_KEY, uuid.uuid4().hex, None)


def filter_options() -> dict[str, str]:
    """{"category": <option>s of every category in tree order, indented by depth,
    "brand": <option>s of every brand}, none selected and without the empty option.

    Written once per catalogue version from tuples (no model instances) and cached.
    """
    version = cache.get(CATALOGUE_VERSION_KEY)
    if version is None:
        bump_catalogue_version()
        version = cache.get(CATALOGUE_VERSION_KEY)
    key = f"backoffice:filter-options:{version}"
    options = cache.get(key)
    if options is None:
        categories = Category.objects.order_by("path").values_list("pk", "name", "depth")
        brands = Brand.objects.order_by("name").values_list("pk", "name")
        options = {
            "category": option_tags(
                (pk, IDEOGRAPHIC_SPACE * (depth - 1) + name) for pk, name, depth in categories
            ),
            "brand": option_tags(brands),
        }
        cache.set(key, options, OPTIONS_TTL)
    return options


def categories_with_counts() -> QuerySet[Category]:
    return Category.objects.order_by("path").annotate(product_count=_count_of(Product, "category"))


def audit_entries() -> QuerySet[LogEntry]:
    return LogEntry.objects.select_related("actor", "content_type").order_by("-timestamp", "-id")


def staff_rows() -> QuerySet[StaffProfile]:
    return StaffProfile.objects.select_related("user", "department").order_by(
        "department__position", "employee_no"
    )
