"""Order processing's scheduled jobs (celery beat, settings.CELERY_BEAT_SCHEDULE): review,
allocation, tracking polls, penalties and the webhook nonces' purge. Each calls a service
that takes its rows with SKIP LOCKED or is idempotent, so two workers running the same job
at once, or a job delivered twice, change nothing twice."""

import logging

from celery import shared_task

from mercato.core.errors import DomainError

from . import audit, tracking
from .allocation import allocate_all
from .models import Carrier
from .review.services import review_all

logger = logging.getLogger(__name__)


@shared_task
def review_orders_task() -> int:
    """Paid and COD-confirmed orders through the automatic review (every minute)."""
    return review_all()


@shared_task
def allocate_orders_task() -> int:
    """Approved orders allocated into parcels in their warehouses (every minute)."""
    return allocate_all()


@shared_task
def poll_tracking_task() -> int:
    """Ask each carrier with a tracking API about its parcels without a recent event. A
    carrier that does not answer is logged and skipped; the others are still asked."""
    applied = 0
    for carrier in Carrier.objects.filter(is_active=True).exclude(tracking_api_url=""):
        try:
            result = tracking.poll_carrier(carrier=carrier)
        except (OSError, ValueError) as exc:  # unreachable, timed out, not JSON
            logger.warning("Tracking poll of %s failed: %r", carrier.code, exc)
            continue
        except DomainError as exc:  # a bad answer (ValidationFailed): nothing applied
            logger.warning("Tracking poll of %s refused: %r", carrier.code, exc)
            continue
        applied += result.applied if result else 0
    return applied


@shared_task
def apply_penalties_task() -> int:
    """Penalty rules applied to parcels (hourly); a parcel is fined once per rule."""
    return audit.apply_penalties().created


@shared_task
def purge_webhook_nonces_task() -> int:
    return tracking.purge_nonces()


@shared_task(acks_late=True)
def run_bulk_job_task(job_id: int) -> None:
    """A bulk action over many orders or parcels (fulfillment.bulk); a redelivered task
    resumes the job after its last committed chunk, or leaves a finished job alone."""
    from .bulk import run_bulk_job

    run_bulk_job(job_id=job_id)
