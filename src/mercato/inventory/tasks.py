"""Inventory's background work (each task calls a service): the nightly roll of the stock
rows' kept shipments (the overstock filter's figure)."""

from celery import shared_task

from .services import roll_recent_shipped


@shared_task
def roll_recent_shipped_task() -> int:
    return roll_recent_shipped()
