"""What payments does when orders (below it) announce something: orders.signals."""

from django.dispatch import receiver

from mercato.core import outbox
from mercato.orders.signals import orders_cancelled, unpaid_order_due

from .expiry import ended_attempts, expire_order


@receiver(orders_cancelled, dispatch_uid="payments.close_attempts_of_cancelled_orders")
def close_attempts_of_cancelled_orders(sender, order_ids, **kwargs):
    """After a cancellation commits: close the orders' open attempts (at their gateways)
    in a task; the beat sweep close_ended_attempts catches any the task misses."""
    if ended_attempts().filter(order_id__in=list(order_ids)).exists():
        from .tasks import close_attempts_task

        outbox.enqueue(close_attempts_task, args=[list(order_ids)])  # a broker away: later


@receiver(unpaid_order_due, dispatch_uid="payments.expire_due_order")
def expire_due_order(sender, order_id, **kwargs) -> bool:
    """The countdown queued at placement: the gateway is asked before the order expires."""
    return expire_order(order_id=order_id)
