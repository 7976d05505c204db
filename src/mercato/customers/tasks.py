"""Celery tasks of customers: nightly points work (customers.points)."""

from celery import shared_task

from . import points


@shared_task
def points_nightly_task() -> dict:
    """Beat, daily: expire due points, send the expiry notices, give birthday points."""
    expired = points.expire_due()
    noticed = points.notify_expiring()
    birthdays = sum(
        points.give_birthday_points(customer_id=pk) for pk in points.birthday_customer_ids()
    )
    return {"expired": expired, "noticed": noticed, "birthday_points": birthdays}
