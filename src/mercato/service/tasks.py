"""Customer service's scheduled jobs (celery beat, settings.CELERY_BEAT_SCHEDULE). Both are
idempotent: a second run, or two workers at once, make nothing twice."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from . import callbacks, qa


@shared_task
def create_due_callbacks_task() -> int:
    """The callbacks the rules call for now (hourly)."""
    return callbacks.create_due_callbacks()


@shared_task
def sample_last_week_task() -> int:
    """Last week's QA sample, once its week is over (every six hours; idempotent)."""
    return qa.sample_week(week=timezone.localdate() - timedelta(days=7))
