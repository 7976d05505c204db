"""Celery tasks of the catalogue: load by id, call a service."""

from celery import shared_task


@shared_task(acks_late=True)
def import_products_task(job_id: int) -> None:
    from .importing import run_import_job

    run_import_job(job_id=job_id)
