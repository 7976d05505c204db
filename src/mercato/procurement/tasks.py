"""Celery tasks: call a service."""

from celery import shared_task

from . import tenders


@shared_task
def close_due_tenders_task() -> int:
    """Open tenders whose deadline has passed become closed (an event each); how many."""
    return tenders.close_due_tenders()
