"""Read queries of the back office, with the joins that keep their query counts fixed."""

from auditlog.models import LogEntry
from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce

from mercato.catalog.models import Category, Product, ProductImage, Sku, SpecAttribute
from mercato.staff.models import StaffProfile


def product_list_rows(queryset: QuerySet[Product]) -> QuerySet[Product]:
    """Products with category, brand, SKU count and images: one query each, whatever the rows."""
    sku_count = (
        Sku.objects.filter(product=OuterRef("pk"))
        .order_by()
        .values("product")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        queryset.select_related("category", "brand")
        .annotate(sku_count=Coalesce(Subquery(sku_count), 0))
        .prefetch_related(
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "id"))
        )
    )


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


def categories_with_counts() -> QuerySet[Category]:
    product_count = (
        Product.objects.filter(category=OuterRef("pk"))
        .order_by()
        .values("category")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Category.objects.order_by("path").annotate(
        product_count=Coalesce(Subquery(product_count), 0)
    )


def audit_entries() -> QuerySet[LogEntry]:
    return LogEntry.objects.select_related("actor", "content_type").order_by("-timestamp", "-id")


def staff_rows() -> QuerySet[StaffProfile]:
    return StaffProfile.objects.select_related("user", "department").order_by(
        "department__position", "employee_no"
    )
