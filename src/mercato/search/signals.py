"""Keep the index current. The catalogue does not know about search (it is a lower layer),
so search listens to its models' signals and enqueues a reindex when the change commits.

Bulk writes (imports) send no per-row signal: a finished import job re-indexes everything
it touched, found by updated_at. A brand or category saved changes the dictionary (its
name is a word jieba keeps whole) and the text of its products: once per transaction,
search.services.catalogue_changed brings both up to date.
"""

import threading

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from mercato.catalog.models import Brand, Category, ImportJob, Product, Sku
from mercato.core import outbox

_pending = threading.local()


def _enqueue(product_id: int) -> None:
    # Many saves in one transaction (a product and its SKUs) become one task at commit:
    # every save registers a flush, the first flush takes all ids, the others find none.
    # Ids of a rolled-back transaction go out with the next flush, which is harmless.
    if not hasattr(_pending, "ids"):
        _pending.ids = set()
    _pending.ids.add(product_id)
    transaction.on_commit(_flush)


def _flush() -> None:
    from .tasks import reindex_products_task

    ids, _pending.ids = sorted(getattr(_pending, "ids", ())), set()
    if ids:
        # Through the outbox (core.outbox): a broker that is away delays the reindex
        # instead of failing the request that saved the product.
        outbox.enqueue(reindex_products_task, args=[ids])


def _catalogue_flush() -> None:
    from .services import catalogue_changed

    brands, _pending.brands = sorted(getattr(_pending, "brands", ())), set()
    categories, _pending.categories = sorted(getattr(_pending, "categories", ())), set()
    if brands or categories:
        catalogue_changed(brand_ids=brands, category_ids=categories)


def brand_saved(sender, instance, **kwargs):
    if not kwargs.get("raw"):
        if not hasattr(_pending, "brands"):
            _pending.brands = set()
        _pending.brands.add(instance.pk)
        transaction.on_commit(_catalogue_flush)


def category_saved(sender, instance, **kwargs):
    if not kwargs.get("raw"):
        if not hasattr(_pending, "categories"):
            _pending.categories = set()
        _pending.categories.add(instance.pk)
        transaction.on_commit(_catalogue_flush)


def product_saved(sender, instance, **kwargs):
    if not kwargs.get("raw"):
        _enqueue(instance.pk)


def sku_saved(sender, instance, **kwargs):
    if not kwargs.get("raw"):
        _enqueue(instance.product_id)


def import_finished(sender, instance, **kwargs):
    if (
        instance.status == ImportJob.Status.DONE
        and instance.started_at
        and instance.summary.get("written")
    ):
        from .tasks import reindex_changed_since_task

        since = instance.started_at.isoformat()
        transaction.on_commit(lambda: outbox.enqueue(reindex_changed_since_task, args=[since]))


def connect() -> None:
    post_save.connect(product_saved, sender=Product, dispatch_uid="search.product_saved")
    post_delete.connect(product_saved, sender=Product, dispatch_uid="search.product_deleted")
    post_save.connect(sku_saved, sender=Sku, dispatch_uid="search.sku_saved")
    post_delete.connect(sku_saved, sender=Sku, dispatch_uid="search.sku_deleted")
    post_save.connect(import_finished, sender=ImportJob, dispatch_uid="search.import_finished")
    for model, handler in ((Brand, brand_saved), (Category, category_saved)):
        name = model.__name__.lower()
        post_save.connect(handler, sender=model, dispatch_uid=f"search.{name}_saved")
        post_delete.connect(handler, sender=model, dispatch_uid=f"search.{name}_deleted")
