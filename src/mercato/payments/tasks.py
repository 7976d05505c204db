"""Celery tasks: load by id, call a service (the service re-checks everything).

Every task here is idempotent and safe to run twice or late: refunds and attempts are
claimed with a conditional UPDATE before any gateway call, the gateways refund one
refund number once, and what a gateway answers is applied under row locks that re-check.
The beat schedule (settings.CELERY_BEAT_SCHEDULE) runs the sweeps that find whatever a
lost task left undone.
"""

from celery import shared_task

from . import certificates, expiry, refund_checks, services


@shared_task
def query_pending_payments_task() -> int:
    """Beat, every few minutes: asks the gateways about attempts still pending, in case
    their notice was lost."""
    return services.query_pending_payments()


@shared_task
def sweep_expired_orders_task() -> int:
    """Beat, every minute: overdue unpaid orders, the gateway asked first, cancelled in
    SKIP LOCKED batches until none is left. Returns how many were cancelled."""
    return expiry.sweep_expired_orders().cancelled


@shared_task
def check_attempts_task(payment_ids: list[int]) -> int:
    """From the expiry sweep: close these overdue attempts at their gateways (or find them
    paid); the next sweep cancels the orders left unpaid."""
    return expiry.check_attempts(payment_ids=payment_ids)


@shared_task
def close_attempts_task(order_ids: list[int]) -> int:
    """After a cancellation: close the orders' open attempts at their gateways."""
    return expiry.close_attempts_of(order_ids=order_ids)


@shared_task
def close_ended_attempts_task() -> int:
    """Beat: attempts whose order ended and that are still open (a lost task)."""
    return expiry.close_ended_attempts()


@shared_task
def send_refund_task(refund_id: int) -> str:
    """The first sending of an automatic refund (money that arrived for an ended order)."""
    return refund_checks.send_requested_refund(refund_id=refund_id).status


@shared_task
def settle_refund_task(refund_id: int) -> str:
    """Queued for when a refund with an unknown outcome is due: query it, send the same
    number again if the gateway never got it."""
    return refund_checks.settle_refund(refund_id=refund_id).status


@shared_task
def settle_due_refunds_task() -> int:
    """Beat, every minute: every unresolved refund that is due, whatever happened to its
    own task."""
    return refund_checks.settle_due_refunds()


@shared_task
def refresh_wechatpay_certificates_task() -> int:
    """Beat, every 6 hours (WeChat Pay asks for less than 12): download the platform
    certificates, so a rotation finds the new serial already known."""
    return certificates.refresh_wechatpay_certificates()


@shared_task
def recalculate_member_tiers_task() -> int:
    """Beat, daily: every member's tier from the last 12 months' spend (payments.membership)."""
    from .membership import recalculate_all_tiers

    return recalculate_all_tiers()
