"""Celery tasks: call a service (the service re-checks everything)."""

from celery import shared_task

from . import services


@shared_task
def query_pending_payments_task() -> int:
    """For celery beat (every few minutes): asks the gateways about payments still pending,
    in case their notice was lost. Add it to CELERY_BEAT_SCHEDULE to run it."""
    return services.query_pending_payments()
