"""Celery tasks of search: load by id, call a service."""

from celery import shared_task


@shared_task(acks_late=True)
def reindex_products_task(product_ids: list[int]) -> int:
    from .services import reindex_products

    return reindex_products(product_ids=product_ids)


@shared_task(acks_late=True)
def reindex_changed_since_task(since_iso: str) -> int:
    from django.utils.dateparse import parse_datetime

    from .services import products_changed_since, reindex_products

    return reindex_products(product_ids=products_changed_since(parse_datetime(since_iso)))
