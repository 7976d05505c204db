"""Celery tasks of aftersales: load by id, call a service."""

from celery import shared_task

from . import completion


@shared_task
def complete_delivered_orders_task() -> int:
    """Beat, hourly: complete delivered orders past MERCATO_AUTO_COMPLETE_DAYS with no open
    return (completion.complete_delivered_orders); how many completed."""
    return completion.complete_delivered_orders()
