"""Catalogue upkeep for the shop front: spec values for facets, old slugs, removal for good."""

from django.db import transaction
from django.utils.translation import gettext as _

from mercato.core.audit import acting_as
from mercato.core.errors import NotFound
from mercato.core.permissions import require_perm

from ..bulk import any_of, insert_objects
from ..models import (
    Product,
    ProductSlugHistory,
    ProductStatus,
    RemovedProduct,
    Sku,
    SkuSpecValue,
)

MAX_VALUE = SkuSpecValue._meta.get_field("value").max_length
MAX_NAME = SkuSpecValue._meta.get_field("name").max_length


def sync_spec_values(product_ids) -> None:
    """Rebuild the SkuSpecValue rows of these products from their active SKUs' specs.

    Three queries whatever the number of products; call it after any write that creates
    SKUs or changes their specs or `is_active` (refresh_price_range does).
    """
    ids = list(product_ids)
    if not ids:
        return
    SkuSpecValue.objects.filter(any_of("product_id", ids)).delete()
    add_spec_values(
        Sku.objects.filter(any_of("product_id", ids), is_active=True).values_list(
            "pk", "product_id", "specs"
        )
    )


def add_spec_values(skus) -> None:
    """Write the SkuSpecValue rows of new active SKUs, given as (sku id, product id, specs).

    For SKUs of products that had none (an import's new products): what sync_spec_values
    would write, without a DELETE and without reading back specs the caller holds (decoding
    their JSON was most of the time it took in an import).
    """
    rows = [
        {
            "product_id": product_id,
            "sku_id": sku_id,
            "name": str(name)[:MAX_NAME],
            "value": str(value)[:MAX_VALUE],
        }
        for sku_id, product_id, specs in skus
        for name, value in (specs or {}).items()
        if str(value).strip()
    ]
    insert_objects(SkuSpecValue, rows)  # COPY on PostgreSQL: imports write thousands


def record_old_slug(*, product: Product, old_slug: str) -> None:
    """Keep `old_slug` so links to it redirect (301) to the product's current page."""
    if not old_slug or old_slug == product.slug:
        return
    ProductSlugHistory.objects.filter(slug=product.slug).delete()  # the slug is current again
    ProductSlugHistory.objects.update_or_create(slug=old_slug, defaults={"product": product})


@transaction.atomic
def remove_product(*, actor, product_id: int) -> Product:
    """Take a product out of the shop for good: off shelf, and its slugs answer 410 Gone.

    The row stays for its history (stock ledger, orders, audit log).
    """
    require_perm(actor, "catalog.publish_product")
    product = Product.objects.select_for_update().filter(pk=product_id).first()
    if product is None:
        raise NotFound(_("Product not found"))
    slugs = [product.slug, *product.old_slugs.values_list("slug", flat=True)]
    RemovedProduct.objects.bulk_create(
        [
            RemovedProduct(product=product, slug=s, code=product.code, name=product.name)
            for s in slugs
        ],
        ignore_conflicts=True,
    )
    with acting_as(actor):
        product.status = ProductStatus.OFF_SHELF
        product.save(update_fields=["status", "updated_at"])
    return product
