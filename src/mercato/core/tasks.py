"""Celery tasks of the shared kernel."""

from celery import shared_task

from . import outbox


@shared_task
def relay_outbox_task() -> int:
    """Run by celery beat every few seconds: sends outbox messages the fast path left."""
    return outbox.relay_outbox()
