"""Bulk actions over more items than the inline limit run as a background job: the page
shows a progress bar that polls, then the result with every failed item named. The
limit and the chunk size are lowered here so a handful of orders is a "large" batch."""

import pytest
from django.test import override_settings
from django.urls import reverse

from mercato.fulfillment import bulk
from mercato.fulfillment.allocation import allocate_approved_orders
from mercato.fulfillment.models import BulkJob, Shipment, ShipmentStatus, Wave
from mercato.fulfillment.review import services as review
from mercato.fulfillment.review.services import review_paid_orders
from mercato.orders.models import Order, OrderStatus
from mercato.testing.fulfillment import (
    at,
    carriers,
    make_customer,
    make_shop,
    make_sku,
    packed,
    place,
    stock,
    to_picking,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("small_batches")]


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(bulk, "CHUNK", 2)
    with override_settings(BULK_INLINE_LIMIT=3):
        yield


@pytest.fixture
def shop(db):
    warehouses = make_shop()
    carriers()
    sku = make_sku()
    stock(sku, warehouses["四川省"], 100, "A-01")
    return {"sku": sku}


@pytest.fixture
def worker(client, make_staff):
    user = make_staff("procurement", roles=["order_processing"])
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return user


def held_orders(shop, n: int) -> list[Order]:
    """n orders the automatic review holds (an address without a street)."""
    orders = [
        place(make_customer(), (shop["sku"], 1), address=at("四川省", "成都市", "武侯区", "附近"))
        for _ in range(n)
    ]
    review_paid_orders()
    assert {o.status for o in Order.objects.filter(pk__in=[o.pk for o in orders])} == {
        OrderStatus.UNDER_REVIEW
    }
    return orders


def statuses(orders) -> list[str]:
    found = dict(Order.objects.filter(pk__in=[o.pk for o in orders]).values_list("pk", "status"))
    return [found[o.pk] for o in orders]


def test_approving_a_large_batch_runs_as_a_job_with_progress_and_names_the_refused(
    client, worker, shop, monkeypatch, django_capture_on_commit_callbacks
):
    # given six held orders, one of them approved by someone else meanwhile
    orders = held_orders(shop, 6)
    review.approve_order(order_id=orders[2].pk, actor=worker)
    seen = []  # the job's committed progress when each order is approved
    approve = review.approve_order

    def spy(*, order_id, actor, note=""):
        seen.append(BulkJob.objects.get().processed)
        return approve(order_id=order_id, actor=actor, note=note)

    monkeypatch.setattr(review, "approve_order", spy)
    # when the six are ticked and approved
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("backoffice:review_bulk_approve"), {"order": [o.pk for o in orders]}
        )
    # then a job ran them, in chunks of two, and counted each
    job = BulkJob.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("backoffice:bulk_job", args=[job.pk])
    assert seen == [0, 0, 2, 2, 4, 4]
    assert (job.status, job.total, job.processed, job.succeeded, job.failed) == (
        "done", 6, 6, 5, 1,
    )  # fmt: skip
    assert job.failures == [
        {"item": orders[2].pk, "label": orders[2].number,
         "message": "This order is not waiting for review."},
    ]  # fmt: skip
    assert statuses(orders) == [OrderStatus.APPROVED] * 6
    # the approval the reviewer did by hand is recorded once, the job's five once each
    for order in orders:
        assert order.events.filter(to_status=OrderStatus.APPROVED).count() == 1
    page = client.get(response.url)
    html = page.content.decode()
    assert '<progress max="100" value="100"' in html
    assert "5 orders approved, 1 not." in html
    assert orders[2].number in html and "This order is not waiting for review." in html
    assert "hx-trigger" not in html  # finished: no more polling


def test_small_batches_stay_inline(client, worker, shop):
    orders = held_orders(shop, 3)
    response = client.post(
        reverse("backoffice:review_bulk_approve"), {"order": [o.pk for o in orders]}
    )
    assert response.url == reverse("backoffice:review_queue")
    assert not BulkJob.objects.exists()
    assert statuses(orders) == [OrderStatus.APPROVED] * 3


def test_approve_all_of_the_filtered_queue(
    client, worker, shop, django_capture_on_commit_callbacks
):
    orders = held_orders(shop, 4)
    queue = client.get(reverse("backoffice:review_queue")).content.decode()
    assert "Approve all 4 orders of this list" not in queue  # all on one page: tick them
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("backoffice:review_bulk_approve"), {"scope": "all", "reason": ""})
    job = BulkJob.objects.get()
    assert (job.processed, job.succeeded, job.failed) == (4, 4, 0)
    assert statuses(orders) == [OrderStatus.APPROVED] * 4


def test_one_broken_order_does_not_stop_the_others_and_is_named(
    client, worker, shop, monkeypatch, django_capture_on_commit_callbacks
):
    orders = held_orders(shop, 5)
    approve = review.approve_order

    def breaks_on_the_third(*, order_id, actor, note=""):
        result = approve(order_id=order_id, actor=actor, note=note)
        if order_id == orders[2].pk:
            raise RuntimeError("disk on fire")  # after its writes: they must be undone
        return result

    monkeypatch.setattr(review, "approve_order", breaks_on_the_third)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("backoffice:review_bulk_approve"), {"order": [o.pk for o in orders]})
    job = BulkJob.objects.get()
    assert (job.status, job.succeeded, job.failed) == ("done", 4, 1)
    assert job.failures[0]["label"] == orders[2].number
    assert (
        statuses(orders)
        == [OrderStatus.APPROVED] * 2 + [OrderStatus.UNDER_REVIEW] + [OrderStatus.APPROVED] * 2
    )
    html = client.get(reverse("backoffice:bulk_job", args=[job.pk])).content.decode()
    assert orders[2].number in html and "unexpected error" in html


def test_a_crash_mid_batch_leaves_each_order_done_or_untouched_and_a_rerun_resumes(
    worker, shop, monkeypatch
):
    orders = held_orders(shop, 5)
    job = BulkJob.objects.create(
        action="approve", created_by=worker, item_ids=[o.pk for o in orders], total=5,
        params={"language": "en"},
    )  # fmt: skip
    record, calls = bulk._record, []

    def dies_in_the_second_chunk(locked, **kw):
        calls.append(1)
        if len(calls) == 2:
            raise SystemError("worker killed")  # before the chunk's counters commit
        record(locked, **kw)

    monkeypatch.setattr(bulk, "_record", dies_in_the_second_chunk)
    bulk.run_bulk_job(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.processed, job.succeeded) == ("failed", 2, 2)
    assert statuses(orders) == [OrderStatus.APPROVED] * 2 + [OrderStatus.UNDER_REVIEW] * 3
    # a worker that died leaves the job running; the redelivered task resumes it
    BulkJob.objects.filter(pk=job.pk).update(status="running")
    monkeypatch.setattr(bulk, "_record", record)
    bulk.run_bulk_job(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.processed, job.succeeded, job.failed) == ("done", 5, 5, 0)
    assert statuses(orders) == [OrderStatus.APPROVED] * 5
    for order in orders:
        assert order.events.filter(to_status=OrderStatus.APPROVED).count() == 1
    bulk.run_bulk_job(job_id=job.pk)  # delivered once more: a finished job is left alone
    assert BulkJob.objects.get().processed == 5


def test_a_running_job_shows_a_bar_that_polls(client, worker):
    job = BulkJob.objects.create(
        action="approve", created_by=worker, item_ids=list(range(1, 11)), total=10,
        processed=4, succeeded=4, status="running",
    )  # fmt: skip
    html = client.get(reverse("backoffice:bulk_job", args=[job.pk])).content.decode()
    assert '<progress max="100" value="40"' in html and "4 of 10 done" in html
    assert f'hx-get="{reverse("backoffice:bulk_job_progress", args=[job.pk])}"' in html
    fragment = client.get(reverse("backoffice:bulk_job_progress", args=[job.pk]))
    assert fragment.status_code == 200 and 'id="bulk-progress"' in fragment.content.decode()


def test_permissions_are_the_inline_actions(client, make_staff, shop, worker):
    orders = held_orders(shop, 5)
    job = BulkJob.objects.create(action="approve", created_by=worker, item_ids=[1], total=1)
    buyer = make_staff("procurement")  # the department, but not order processing
    client.force_login(buyer)
    response = client.post(
        reverse("backoffice:review_bulk_approve"), {"order": [o.pk for o in orders]}
    )
    assert response.status_code == 403
    assert BulkJob.objects.count() == 1
    assert client.get(reverse("backoffice:bulk_job", args=[job.pk])).status_code == 403
    assert statuses(orders) == [OrderStatus.UNDER_REVIEW] * 5


def test_creating_waves_over_a_large_backlog_runs_as_a_job(
    client, worker, shop, django_capture_on_commit_callbacks
):
    orders = [place(make_customer(), (shop["sku"], 1)) for _ in range(5)]
    review_paid_orders()
    allocate_approved_orders()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("backoffice:wave_list"), {"max_parcels": 2})
    job = BulkJob.objects.get()
    assert response.url == reverse("backoffice:bulk_job", args=[job.pk])
    # the waves inline creation makes: oldest parcels first, two per wave
    assert [w.parcel_count for w in Wave.objects.order_by("pk")] == [2, 2, 1]
    assert (job.status, job.total, job.processed, job.succeeded) == ("done", 5, 5, 5)
    assert job.result["waves"] == list(Wave.objects.order_by("pk").values_list("pk", flat=True))
    assert statuses(orders) == [OrderStatus.PICKING] * 5
    html = client.get(response.url).content.decode()
    assert "3 waves with 5 parcels created; 0 parcels not." in html
    assert Wave.objects.first().number in html


def test_shipping_many_parcels_runs_as_a_job_and_names_the_unpacked(
    client, worker, shop, django_capture_on_commit_callbacks
):
    orders = [place(make_customer(), (shop["sku"], 1)) for _ in range(4)]
    parcels = [group[0] for group in to_picking(*orders)]
    for parcel in parcels[:3]:
        packed(parcel, worker)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("backoffice:ship"), {"parcel": [p.pk for p in parcels]})
    job = BulkJob.objects.get()
    assert (job.action, job.succeeded, job.failed) == ("ship", 3, 1)
    assert job.failures[0]["label"] == parcels[3].number
    shipped = Shipment.objects.filter(status=ShipmentStatus.SHIPPED).count()
    assert shipped == 3 and statuses(orders) == [OrderStatus.SHIPPED] * 3 + [OrderStatus.PICKING]
