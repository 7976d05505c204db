"""Celery tasks: load by id, call a service."""

from celery import shared_task

from . import coupons


@shared_task
def issue_coupons_task(job_id: int) -> int:
    """Issue a bulk job's coupons (coupons.run_issue_job); how many were issued."""
    return coupons.run_issue_job(job_id=job_id).issued
