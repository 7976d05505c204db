"""Celery tasks: load by id, call a service (the service re-checks everything)."""

from celery import shared_task

from . import popularity, services


@shared_task
def cancel_unpaid_order_task(order_id: int) -> bool:
    """Scheduled at placement for when the payment deadline passes."""
    return services.expire_unpaid_order(order_id=order_id)


@shared_task
def sweep_expired_orders_task() -> int:
    """Safety net run by celery beat: cancels unpaid orders whose task was lost."""
    # One transaction per order: one order's lock wait doesn't hold the others.
    return sum(services.expire_unpaid_order(order_id=pk) for pk in services.expired_order_ids())


@shared_task
def recompute_popularity_task() -> int:
    """Run hourly by celery beat: the shop's 销量 figures from recent orders."""
    return popularity.recompute_popularity()
