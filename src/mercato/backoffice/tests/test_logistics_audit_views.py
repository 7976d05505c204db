"""Delivery audit and COD pages, and the department's home with its queue counts: the
scorecard and its chart, the late list (phones masked for who may not see them), penalty
rules (the lead's) and their export (finance's), remittance upload and reconciliation."""

import dataclasses
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from mercato.fulfillment.models import PenaltyRule, Remittance, Shipment
from mercato.fulfillment.review.services import review_paid_orders
from mercato.testing.fulfillment import (
    ADDRESS,
    carriers,
    deliver,
    make_customer,
    make_shop,
    make_sku,
    packed,
    place,
    stock,
    to_picking,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def parcels(db, make_staff):
    """Two delivered COD parcels and one shipped, late parcel (promised two days ago)."""
    from mercato.fulfillment import shipping

    warehouses = make_shop()
    carriers()
    sku = make_sku(price="50.00")
    stock(sku, warehouses["四川省"], 30, "A-01")
    worker = make_staff("procurement", roles=["order_processing"])
    orders = []
    for n in range(3):
        customer = make_customer()
        address = dataclasses.replace(
            ADDRESS, mobile=customer.mobile, detail=f"人民南路四段{n + 1}号"
        )
        orders.append(place(customer, (sku, 1), method="cod", address=address))
    deliver(*orders[:2], actor=worker)
    [[late]] = to_picking(orders[2])
    packed(late, worker)
    shipping.ship_parcels(actor=worker, shipment_ids=[late.pk])
    Shipment.objects.filter(pk=late.pk).update(
        promised_by=timezone.localdate() - timedelta(days=2)
    )  # set up: the carrier promised it two days ago
    return {
        "delivered": list(Shipment.objects.filter(order__in=orders[:2]).order_by("pk")),
        "late": Shipment.objects.get(pk=late.pk),
        "worker": worker,
    }


def test_scorecard_page_with_the_weekly_chart(client, parcels):
    client.force_login(parcels["worker"])
    response = client.get(reverse("backoffice:delivery_audit"))
    assert response.status_code == 200
    [(carrier, score)] = response.context["totals"]
    assert (score.shipped, score.delivered) == (3, 2)
    assert carrier.pk == parcels["late"].carrier_id
    assert b'id="on-time-chart"' in response.content and b"<polyline" in response.content


def test_late_list_masks_the_phone_for_who_may_not_see_it(client, parcels, make_staff):
    late = parcels["late"]
    client.force_login(make_staff("service"))  # service sees phones in full
    page = client.get(reverse("backoffice:late_parcels"))
    assert [(p.pk, days) for p, days in page.context["rows"]] == [(late.pk, 2)]
    assert late.order.mobile.encode() in page.content
    client.force_login(make_staff("finance"))
    page = client.get(reverse("backoffice:late_parcels"))
    assert late.order.mobile.encode() not in page.content
    assert late.waybill_no.encode() in page.content


def test_the_lead_adds_penalty_rules_and_finance_exports_them(client, parcels, make_staff):
    url = reverse("backoffice:penalties")
    client.force_login(parcels["worker"])
    assert client.post(url, {"kind": "late", "fine": "5"}).status_code == 403
    client.force_login(make_staff("procurement", roles=["lead"]))
    bad = client.post(url, {"kind": "late", "fine": "0"})
    assert bad.status_code == 200 and "fine" in bad.context["rule_form"].errors
    assert client.post(url, {"kind": "late", "fine": "5", "min_days_late": "1"}).status_code == 302
    rule = PenaltyRule.objects.get()
    from mercato.fulfillment.tasks import apply_penalties_task

    assert apply_penalties_task() == 1  # the late parcel, 2 days > 1
    client.post(reverse("backoffice:penalty_rule_toggle", args=[rule.pk]))
    rule.refresh_from_db()
    assert rule.is_active is False
    client.force_login(make_staff("finance"))
    page = client.get(url)
    assert page.context["may_export"] and not page.context["may_edit"]
    export = client.get(url, {"export": "csv"})
    assert export["Content-Type"].startswith("text/csv")
    body = export.content.decode("utf-8-sig")
    assert parcels["late"].waybill_no in body and "5.00" in body


def test_remittance_upload_reconciles_and_a_bad_file_imports_nothing(client, parcels, make_staff):
    one, two = parcels["delivered"]
    client.force_login(make_staff("finance"))
    url = reverse("backoffice:remittances")
    bad = io.BytesIO(f"waybill_no,amount\n{one.waybill_no},abc\n".encode())
    bad.name = "bad.csv"
    response = client.post(url, {"carrier": one.carrier_id, "file": bad})
    assert response.status_code == 200 and not Remittance.objects.exists()
    assert any(e.startswith("row 2.amount:") for e in response.context["form"].non_field_errors())
    good = io.BytesIO(
        f"waybill_no,amount\n{one.waybill_no},{one.cod_amount}\nSF999,10.00\n".encode()
    )
    good.name = "week.csv"
    response = client.post(url, {"carrier": one.carrier_id, "file": good})
    remittance = Remittance.objects.get()
    assert response.status_code == 302
    detail = client.get(reverse("backoffice:remittance_detail", args=[remittance.pk]))
    counts = {value: n for value, _label, n in detail.context["counts"]}
    assert (counts["matched"], counts["unexpected"]) == (1, 1)


def test_home_shows_the_queues_the_user_works_on(
    client, parcels, make_staff, django_assert_max_num_queries
):
    customer = make_customer()
    sku = parcels["late"].lines.get().sku
    place(customer, (sku, 1), address=dataclasses.replace(ADDRESS, recipient="收货人"))
    review_paid_orders()  # held: a placeholder name
    client.force_login(parcels["worker"])
    # 12 allowed before, 11 made; the order-processing queues' counts are one statement
    # now (fulfillment.selectors.queue_counts: 3 before).
    with django_assert_max_num_queries(9):
        page = client.get(reverse("backoffice:home"))
    queues = {q.code: q.count for q in page.context["queues"]}
    assert queues["to_review"] == 1 and queues["late"] == 1
    assert queues["to_pack"] == 0 and queues["returns"] == 0
    client.force_login(make_staff("marketing"))
    assert client.get(reverse("backoffice:home")).context["queues"] == []
