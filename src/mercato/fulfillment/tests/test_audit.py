"""Delivery audit (配送稽核): scorecard figures against hand-computed ones, penalties
(rules adding up, never twice), the late-parcel list and the penalty export for finance."""

import csv
import dataclasses
import io
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from mercato.core.errors import PermissionDeniedError, ValidationFailed
from mercato.fulfillment import audit, shipping, tracking
from mercato.fulfillment.models import Carrier, ChoiceRule, Penalty, Shipment
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

pytestmark = pytest.mark.django_db
SHANGHAI = at("上海市", "上海市", "徐汇区", "虹漕路461号58号楼5楼")


def local(day, hour=12, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_current_timezone())


def send(parcel, code, when, n=0):
    event = tracking.IncomingEvent(
        event_id=f"{code}-{parcel.waybill_no}-{n}", waybill_no=parcel.waybill_no, code=code,
        occurred_at=when,
    )  # fmt: skip
    with transaction.atomic():
        tracking.apply_events(carrier=parcel.carrier, events=[event], source="csv")


@pytest.fixture
def journeys(db, make_staff):
    """Eight parcels of 顺丰 (a fixed carrier for both provinces): six to 四川, two to
    上海, each with a journey written below, and one complaint."""
    warehouses = make_shop()
    carriers()
    sf = Carrier.objects.get(code="sf")
    for province in ("四川省", "上海市"):
        ChoiceRule.objects.create(priority=1, kind="fixed", province=province, carrier=sf)
    sku = make_sku()
    stock(sku, warehouses["四川省"], 50, "A-01")
    stock(sku, warehouses["上海市"], 50, "A-02")
    worker = make_staff("procurement", roles=["order_processing"])
    orders = []
    for n in range(8):  # each its own phone and door, or the review would hold them
        customer = make_customer()
        home = (
            at("四川省", "成都市", "武侯区", f"人民南路四段{n + 1}号")
            if n < 6
            else dataclasses.replace(SHANGHAI, detail=f"虹漕路{n}号")
        )
        orders.append(
            place(customer, (sku, 1), address=dataclasses.replace(home, mobile=customer.mobile))
        )
    parcels = [p for [p] in to_picking(*orders)]
    for parcel in parcels:
        packed(parcel, worker)
    shipping.ship_parcels(actor=worker, shipment_ids=[p.pk for p in parcels])
    p = [Shipment.objects.select_related("carrier").get(pk=x.pk) for x in parcels]
    assert {x.carrier.code for x in p} == {"sf"} and all(x.promised_by for x in p)
    send(p[0], "delivered", local(p[0].promised_by - timedelta(days=1)))  # early
    send(p[1], "delivered", local(p[1].promised_by, 23, 30))  # the promised day, late evening
    send(p[2], "delivered", local(p[2].promised_by + timedelta(days=1), 0, 30))  # 1 day late
    send(p[3], "damaged", local(p[3].promised_by))
    send(p[3], "delivered", local(p[3].promised_by + timedelta(days=3)), n=1)  # 3 days late
    send(p[4], "lost", local(p[4].promised_by))
    send(p[5], "refused", local(p[5].promised_by))
    send(p[6], "delivered", local(p[6].promised_by))  # 上海, on time
    # p[7] (上海) is still on the way.
    audit.record_complaint(actor=worker, shipment_id=p[2].pk, note="快递员态度差", source="ticket")
    return {"parcels": p, "carrier": sf, "worker": worker}


def test_scorecard_per_region_matches_the_hand_computed_figures(
    journeys, django_assert_num_queries
):
    """Per carrier and province: shipped, delivered, on time (by the local day), late,
    damaged, lost, refused and complaints, with the rates computed from them."""
    today = timezone.localdate()
    with django_assert_num_queries(2):
        scores = audit.scorecard(since=today - timedelta(days=1), until=today)
    by_province = {s.province: s for s in scores}
    sichuan, shanghai = by_province["四川省"], by_province["上海市"]
    assert (sichuan.shipped, sichuan.delivered, sichuan.on_time, sichuan.late) == (6, 4, 2, 2)
    assert (sichuan.damaged, sichuan.lost, sichuan.refused, sichuan.complaints) == (1, 1, 1, 1)
    assert sichuan.on_time_rate == Decimal("50.0")
    assert sichuan.damage_rate == sichuan.loss_rate == sichuan.refusal_rate == Decimal("16.7")
    assert (shanghai.shipped, shanghai.delivered, shanghai.on_time, shanghai.late) == (2, 1, 1, 0)
    assert shanghai.on_time_rate == Decimal("100.0") and shanghai.complaints == 0


def test_scorecard_per_carrier_and_per_week(journeys):
    today = timezone.localdate()
    [whole] = audit.scorecard(since=today, until=today, by_province=False)
    assert (whole.carrier_id, whole.shipped, whole.on_time, whole.late) == (
        journeys["carrier"].pk, 8, 3, 2,
    )  # fmt: skip
    assert whole.on_time_rate == Decimal("60.0") and whole.complaints == 1
    weekly = audit.scorecard(since=today, until=today, by_province=False, by_week=True)
    assert [(s.week, s.shipped) for s in weekly] == [(today - timedelta(days=today.weekday()), 8)]
    # Parcels shipped outside the period are not counted.
    assert audit.scorecard(since=today + timedelta(days=1), until=today + timedelta(days=9)) == []


def test_penalties_add_up_per_rule_and_are_never_made_twice(journeys, make_staff):
    lead = make_staff("procurement", roles=["lead"])
    sf = journeys["carrier"]
    audit.save_penalty_rule(actor=lead, kind="late", min_days_late=0, fine="5")
    audit.save_penalty_rule(actor=lead, kind="late", min_days_late=2, fine="20", carrier_id=sf.pk)
    audit.save_penalty_rule(actor=lead, kind="damaged", fine="30")
    audit.save_penalty_rule(actor=lead, kind="lost", fine="100")
    # Another carrier's rule fines none of 顺丰's parcels.
    other = Carrier.objects.get(code="ems")
    audit.save_penalty_rule(actor=lead, kind="late", fine="99", carrier_id=other.pk)
    p = journeys["parcels"]
    today = p[7].promised_by + timedelta(days=4)  # the 上海 parcel on the way: 4 days late
    run = audit.apply_penalties(today=today)
    fines = sorted(
        (row.shipment_id, row.kind, row.days_late, row.amount) for row in Penalty.objects.all()
    )
    assert fines == sorted([
        (p[2].pk, "late", 1, Decimal("5.00")),
        (p[3].pk, "late", 3, Decimal("5.00")),
        (p[3].pk, "late", 3, Decimal("20.00")),
        (p[3].pk, "damaged", 0, Decimal("30.00")),
        (p[4].pk, "lost", 0, Decimal("100.00")),
        (p[7].pk, "late", 4, Decimal("5.00")),
        (p[7].pk, "late", 4, Decimal("20.00")),
    ])  # fmt: skip
    assert (run.created, run.amount) == (7, Decimal("185.00"))
    again = audit.apply_penalties(today=today)
    assert (again.created, Penalty.objects.count()) == (0, 7)


def test_penalty_rules_are_the_leads_and_checked(journeys, make_staff):
    with pytest.raises(PermissionDeniedError):
        audit.save_penalty_rule(actor=journeys["worker"], kind="late", fine="5")
    lead = make_staff("procurement", roles=["lead"])
    with pytest.raises(ValidationFailed) as error:
        audit.save_penalty_rule(actor=lead, kind="late", fine="0")
    assert "fine" in error.value.field_errors
    with pytest.raises(ValidationFailed) as error:
        audit.save_penalty_rule(actor=lead, kind="late", fine="5", min_days_late="-1")
    assert "min_days_late" in error.value.field_errors
    with pytest.raises(ValidationFailed):
        audit.save_penalty_rule(actor=lead, kind="slow", fine="5")


def test_late_parcel_list_has_only_parcels_still_on_the_way_past_their_day(journeys):
    p = journeys["parcels"]
    assert list(audit.late_parcels(today=p[7].promised_by)) == []
    late = list(audit.late_parcels(today=p[7].promised_by + timedelta(days=2)))
    assert late == [p[7]]
    assert audit.days_late(late[0], p[7].promised_by + timedelta(days=2)) == 2


def test_penalty_export_for_finance(journeys, make_staff):
    lead = make_staff("procurement", roles=["lead"])
    audit.save_penalty_rule(actor=lead, kind="lost", fine="100")
    audit.save_penalty_rule(actor=lead, kind="damaged", fine="30")
    audit.apply_penalties()
    today = timezone.localdate()
    with pytest.raises(PermissionDeniedError):
        audit.export_penalties_csv(actor=journeys["worker"], since=today, until=today)
    raw = audit.export_penalties_csv(actor=make_staff("finance"), since=today, until=today)
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert sorted((r["waybill_no"], r["kind"], r["amount"]) for r in rows[:-1]) == sorted([
        (journeys["parcels"][3].waybill_no, "damaged", "30.00"),
        (journeys["parcels"][4].waybill_no, "lost", "100.00"),
    ])  # fmt: skip
    assert (rows[-1]["carrier"], rows[-1]["kind"], rows[-1]["amount"]) == ("sf", "total", "130.00")
