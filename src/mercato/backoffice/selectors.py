"""Read queries of the back office, with the joins that keep their query counts fixed."""

from auditlog.models import LogEntry
from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce

from mercato.catalog.models import Category, Product, ProductImage, Sku, SpecAttribute
from mercato.staff.models import StaffProfile


def _count_of(model, fk: str):
    """A correlated subquery counting `model` rows pointing at the outer row (0 when none);
    unlike Count() over a join it needs no GROUP BY on every selected column."""
    rows = model.objects.filter(**{fk: OuterRef("pk")}).order_by().values(fk)
    return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n")), 0)


def product_list_rows(queryset: QuerySet[Product]) -> QuerySet[Product]:
    """Products with category, brand, SKU count and images: one query each, whatever the rows."""
    return (
        queryset.select_related("category", "brand")
        .annotate(sku_count=_count_of(Sku, "product"))
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
    return Category.objects.order_by("path").annotate(product_count=_count_of(Product, "category"))


def audit_entries() -> QuerySet[LogEntry]:
    return LogEntry.objects.select_related("actor", "content_type").order_by("-timestamp", "-id")


def staff_rows() -> QuerySet[StaffProfile]:
    return StaffProfile.objects.select_related("user", "department").order_by(
        "department__position", "employee_no"
    )
