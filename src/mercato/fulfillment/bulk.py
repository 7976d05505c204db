"""Bulk actions over many orders or parcels, run in the background with their progress.

A bulk action over at most `inline_limit()` items (200 unless settings say otherwise)
runs inside the request, as it always did. A larger one becomes a BulkJob that a Celery
task works through (in-process when there is no broker, as the catalogue import does):
the page polls the job for its progress bar and shows the result, with each failed item
named and why.

Safe to run twice and to crash: items are handled in chunks, each chunk in one
transaction that also advances the job's counters, so after a crash every item is either
done and counted or untouched, and a redelivered task resumes after the last committed
chunk. Each item goes through the same service as the inline action (approve_order,
ship_parcels, create_waves), which re-checks the item's state under its row lock: an order
approved meanwhile, or a parcel already shipped, is reported as a failure, never handled
twice.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_noop

from mercato.core import outbox
from mercato.core.errors import DomainError, NotFound, ValidationFailed
from mercato.core.permissions import require_perm
from mercato.inventory.models import Warehouse
from mercato.orders.models import Order

from . import shipping, waves
from .models import BulkJob, Carrier, Shipment
from .review import services as review

logger = logging.getLogger(__name__)

A = BulkJob.Action
CHUNK = 50  # items per transaction: the progress bar moves this far at a time
MAX_FAILURES = 500  # failures kept on the job (all are counted)
PERMISSION = {
    A.APPROVE: "fulfillment.review_order",
    A.WAVES: "fulfillment.manage_waves",
    A.SHIP: "fulfillment.ship_parcel",
}
UNEXPECTED = gettext_noop("An unexpected error; this item is unchanged.")


def inline_limit() -> int:
    """Up to this many items a bulk action runs in the request (settings.BULK_INLINE_LIMIT)."""
    return getattr(settings, "BULK_INLINE_LIMIT", 200)


def runs_in_background(count: int) -> bool:
    return count > inline_limit()


def _message(exc: DomainError) -> str:
    # Stored as raised (an English msgid or an already translated text); the page
    # translates it for the reader.
    if isinstance(exc, ValidationFailed) and exc.field_errors:
        return "; ".join(str(m) for msgs in exc.field_errors.values() for m in msgs)
    return str(exc.message)


def start_bulk_job(*, actor, action: str, item_ids=(), params: dict | None = None) -> BulkJob:
    """Record a bulk action and queue it (sent once the caller's transaction commits).

    The actor needs the inline action's permission; the job runs as the actor, so each
    item is checked and recorded as if the actor had done it by hand."""
    if action not in PERMISSION:
        raise ValidationFailed({"action": [f"Unknown bulk action {action!r}"]})
    require_perm(actor, PERMISSION[action])
    from .tasks import run_bulk_job_task

    ids = sorted({int(pk) for pk in item_ids})
    # The failures are written in the language of whoever started the job, as inline.
    params = {**(params or {}), "language": translation.get_language()}
    if action == A.WAVES:
        cutoff = params.get("cutoff") or timezone.now()
        params["cutoff"] = cutoff.isoformat() if hasattr(cutoff, "isoformat") else cutoff
        total = waves.waiting_parcels(
            warehouse_id=params.get("warehouse_id"),
            carrier_id=params.get("carrier_id"),
            cutoff=parse_datetime(params["cutoff"]),
        ).count()
    elif not ids:
        raise ValidationFailed({"items": ["Tick at least one item"]})
    else:
        total = len(ids)
    with transaction.atomic():
        job = BulkJob.objects.create(
            action=action, created_by=actor, item_ids=ids, params=params, total=total
        )
        outbox.enqueue(run_bulk_job_task, args=[job.pk])
    return job


# One item of each action: the inline action's own service -----------------------------------
def _approve(*, actor, pk: int) -> None:
    review.approve_order(order_id=pk, actor=actor)


def _ship(*, actor, pk: int) -> None:
    shipping.ship_parcels(actor=actor, shipment_ids=[pk])  # raises when it did not ship


STEPS = {A.APPROVE: _approve, A.SHIP: _ship}


def _labels(action: str, ids: list[int]) -> dict[int, str]:
    """Order or parcel numbers for the failures: one query per chunk."""
    model = Order if action == A.APPROVE else Shipment
    return dict(model.objects.filter(pk__in=ids).values_list("pk", "number"))


def run_bulk_job(*, job_id: int) -> BulkJob:
    """Work through a job (the task). A finished job is left as it is; a running one
    (a task redelivered after a crash) resumes after its last committed chunk."""
    job = BulkJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None:
        raise NotFound(f"Bulk job {job_id} not found")
    if job.is_finished:
        return job
    BulkJob.objects.filter(pk=job.pk, status=BulkJob.Status.PENDING).update(
        status=BulkJob.Status.RUNNING, started_at=timezone.now()
    )
    try:
        with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
            if job.action == A.WAVES:
                _run_waves(job)
            else:
                _run_items(job)
    except Exception:  # noqa: BLE001  the page must show the end, never poll forever
        logger.exception("Bulk job %s stopped", job.pk)
        status, message = (
            BulkJob.Status.FAILED,
            gettext_noop(
                "The job stopped on an unexpected error; the items counted as processed are done, "
                "the others are unchanged."
            ),
        )
    else:
        status, message = BulkJob.Status.DONE, ""
    BulkJob.objects.filter(pk=job.pk).update(
        status=status, message=message, finished_at=timezone.now()
    )
    job.refresh_from_db()
    return job


def _record(
    job: BulkJob, *, processed: int, succeeded: int, failures: list[dict], failed=None
) -> None:
    job.processed += processed
    job.total = max(job.total, job.processed)
    job.succeeded += succeeded
    job.failed += len(failures) if failed is None else failed
    job.failures = (job.failures + failures)[:MAX_FAILURES]
    job.save(update_fields=["processed", "total", "succeeded", "failed", "failures", "result"])


def _run_items(job: BulkJob) -> None:
    step, actor = STEPS[job.action], job.created_by
    while True:
        with transaction.atomic():
            locked = BulkJob.objects.select_for_update().get(pk=job.pk)
            chunk = locked.item_ids[locked.processed : locked.processed + CHUNK]
            if not chunk:
                return
            labels = _labels(job.action, chunk)
            succeeded, failures = 0, []
            for pk in chunk:
                try:
                    with transaction.atomic():  # one item's failure undoes only that item
                        step(actor=actor, pk=pk)
                except DomainError as exc:
                    message = _message(exc)
                except Exception:  # noqa: BLE001  one broken item must not stop the others
                    logger.exception("Bulk job %s: item %s failed", job.pk, pk)
                    message = UNEXPECTED
                else:
                    succeeded += 1
                    continue
                failures.append({"item": pk, "label": labels.get(pk, str(pk)), "message": message})
            _record(locked, processed=len(chunk), succeeded=succeeded, failures=failures)


def _run_waves(job: BulkJob) -> None:
    """Waves as create_waves makes them inline (per warehouse and carrier, oldest parcels
    first, `max_parcels` each), one wave per transaction."""
    params, actor = job.params, job.created_by
    cutoff = parse_datetime(params["cutoff"])
    max_parcels = int(params.get("max_parcels") or waves.MAX_WAVE)
    groups = sorted(
        set(
            waves.waiting_parcels(
                warehouse_id=params.get("warehouse_id"),
                carrier_id=params.get("carrier_id"),
                cutoff=cutoff,
            ).values_list("warehouse_id", "carrier_id")
        )
    )
    for warehouse_id, carrier_id in groups:
        while True:
            with transaction.atomic():
                locked = BulkJob.objects.select_for_update().get(pk=job.pk)
                try:
                    with transaction.atomic():
                        summary = waves.create_waves(
                            actor=actor,
                            warehouse_id=warehouse_id,
                            carrier_id=carrier_id,
                            cutoff=cutoff,
                            max_parcels=max_parcels,
                            limit=max_parcels,
                        )
                except DomainError as exc:
                    left = waves.waiting_parcels(
                        warehouse_id=warehouse_id, carrier_id=carrier_id, cutoff=cutoff
                    ).count()
                    warehouse = Warehouse.objects.filter(pk=warehouse_id).first()
                    carrier = Carrier.objects.filter(pk=carrier_id).first()
                    failure = {
                        "item": None,
                        "label": f"{warehouse} · {carrier}",
                        "message": _message(exc),
                    }
                    _record(locked, processed=left, succeeded=0, failures=[failure], failed=left)
                    break
                if not summary.waves:
                    break
                locked.result.setdefault("waves", []).extend(w.pk for w in summary.waves)
                _record(locked, processed=summary.parcels, succeeded=summary.parcels, failures=[])
