"""The coupons pages of the operations workspace: create a template (a bad one refused on
its field), issue it to a segment with a progress page, and read a coupon's history."""

import pytest

from mercato.promotions.models import Coupon, CouponTemplate, IssueJob
from mercato.testing.coupons import give_coupon, make_template
from mercato.testing.factories import make_customer

pytestmark = pytest.mark.django_db

FORM = {
    "name": "满200减30",
    "kind": "amount_off",
    "amount": "30.00",
    "threshold": "200.00",
    "scope": "all",
    "scope_ids": "",
    "valid_days": "30",
    "per_customer_limit": "1",
    "claimable": "on",
    "stackable": "on",
    "active": "on",
}


@pytest.fixture
def ops(client, ops_user):
    client.force_login(ops_user)
    return ops_user


def test_operations_creates_a_coupon_and_a_bad_one_is_refused_on_its_field(client, ops):
    response = client.post("/backoffice/coupons/new/", FORM)
    template = CouponTemplate.objects.get()
    assert response["Location"] == f"/backoffice/coupons/{template.pk}/"
    assert (template.amount, template.claimable, template.valid_days) == (30, True, 30)
    bad = client.post("/backoffice/coupons/new/", FORM | {"kind": "percent_off", "percent": "120"})
    assert bad.status_code == 200
    assert 'data-field="percent"' in bad.content.decode()
    assert CouponTemplate.objects.count() == 1
    listing = client.get("/backoffice/coupons/").content.decode()
    assert "满200减30" in listing


def test_a_bulk_issue_runs_and_its_page_shows_the_result(
    client, ops, django_capture_on_commit_callbacks
):
    for _ in range(3):
        make_customer(channel="wechat")
    template = make_template(name="微信专享")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/backoffice/coupons/{template.pk}/issue/", {"channel": "wechat"})
    job = IssueJob.objects.get()
    assert response["Location"] == f"/backoffice/coupons/jobs/{job.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert 'value="100"' in page and "coupon-job-summary" in page
    assert Coupon.objects.filter(template=template).count() == 3


def test_a_coupons_history_names_the_order_and_masks_the_phone(client, ops):
    customer = make_customer(mobile="13812345678", name="")
    coupon = give_coupon(make_template(), customer)
    coupon.uses.create(customer=customer, order_number="M2026X1", discount="30.00", shipping_off=0)
    page = client.get(f"/backoffice/coupons/code/{coupon.code}/").content.decode()
    assert "M2026X1" in page and "138****5678" in page and "13812345678" not in page


def test_staff_without_the_permission_are_refused(client, make_staff):
    client.force_login(make_staff("finance"))
    assert client.get("/backoffice/coupons/").status_code == 403


def test_the_coupon_list_and_a_templates_page_keep_a_query_budget(
    client, ops, django_assert_max_num_queries
):
    """20 templates listed, and a template's page with 20 coupons of 20 customers."""
    templates = [make_template(name=f"券{n}") for n in range(20)]
    for _ in range(20):
        give_coupon(templates[0], make_customer())
    with django_assert_max_num_queries(8):
        assert client.get("/backoffice/coupons/").status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(f"/backoffice/coupons/{templates[0].pk}/").status_code == 200
