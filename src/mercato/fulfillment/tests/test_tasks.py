"""Order processing's scheduled jobs: each beat entry names a task that exists, and the
jobs run (eagerly here) through their services."""

import importlib

import pytest
from django.conf import settings

from mercato.fulfillment import tasks
from mercato.orders.models import Order
from mercato.testing.fulfillment import carriers, make_customer, make_shop, make_sku, place, stock

pytestmark = pytest.mark.django_db
JOBS = {
    "review-paid-orders": "review_orders_task",
    "allocate-approved-orders": "allocate_orders_task",
    "poll-carrier-tracking": "poll_tracking_task",
    "apply-carrier-penalties": "apply_penalties_task",
    "purge-webhook-nonces": "purge_webhook_nonces_task",
}


def test_every_order_processing_job_is_scheduled():
    for name, task in JOBS.items():
        entry = settings.CELERY_BEAT_SCHEDULE[name]
        module, _dot, attr = entry["task"].rpartition(".")
        assert (module, attr) == ("mercato.fulfillment.tasks", task)
        assert hasattr(importlib.import_module(module), attr)


def test_the_jobs_take_a_paid_order_to_allocated():
    warehouses = make_shop()
    carriers()
    sku = make_sku()
    stock(sku, warehouses["四川省"], 5, "A-01")
    order = place(make_customer(), (sku, 1))
    assert tasks.review_orders_task.delay().get() == 1
    assert tasks.allocate_orders_task.delay().get() == 1
    assert Order.objects.get(pk=order.pk).status == "allocated"
    assert tasks.poll_tracking_task.delay().get() == 0  # no carrier has a tracking API here
    assert tasks.apply_penalties_task.delay().get() == 0
