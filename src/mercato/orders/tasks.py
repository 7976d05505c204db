"""Celery tasks: load by id, call a service (the service re-checks everything)."""

from celery import shared_task

from . import popularity, services
from .models import Order
from .signals import unpaid_order_due


@shared_task
def cancel_unpaid_order_task(order_id: int) -> bool:
    """Queued at placement for the payment deadline plus the grace: a shortcut. payments
    (a receiver of unpaid_order_due) asks the gateway and closes the trade before expiring
    the order; its beat sweep cancels overdue orders whatever happened to this task."""
    answers = unpaid_order_due.send(sender=Order, order_id=order_id)
    if answers:
        return any(bool(result) for _receiver, result in answers)
    return services.expire_unpaid_order(order_id=order_id)


@shared_task
def recompute_popularity_task() -> int:
    """Run hourly by celery beat: the shop's 销量 figures from recent orders."""
    return popularity.recompute_popularity()
