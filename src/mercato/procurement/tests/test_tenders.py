"""Tenders: the life of a tender, bid links, sealed bids, scoring and awards."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from mercato.core.errors import Conflict, NotFound, PermissionDeniedError, ValidationFailed
from mercato.procurement import selectors, tender_award, tenders
from mercato.procurement.models import (
    Bid,
    BidToken,
    POStatus,
    PurchaseOrder,
    ResourceTask,
    TenderEvent,
    TenderStatus,
)
from mercato.testing.factories import SkuFactory
from mercato.testing.tenders import (
    AFTER,
    DEADLINE,
    START,
    make_open_tender,
    make_qualified_supplier,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def trio(db):
    """Three qualified suppliers X, Y, Z (no receipts yet: supplier score 50 each)."""
    return [make_qualified_supplier(code, n) for n, code in enumerate(["X", "Y", "Z"])]


@pytest.fixture
def sku_a(db):
    return SkuFactory(code="MON-27")


@pytest.fixture
def tender(buyer, warehouse, sku_a, trio):
    with time_machine.travel(START, tick=False):
        return make_open_tender(
            buyer=buyer, deadline=DEADLINE, supplier_ids=[s.pk for s in trio],
            lines=[{"sku_id": sku_a.pk, "warehouse_id": warehouse.pk, "quantity": 100}],
        )  # fmt: skip


def _line(tender):
    return tender.lines.get()


def _bid(buyer, tender, supplier, price, quantity, days, resource=None):
    return tenders.enter_bid(
        actor=buyer, tender_id=tender.pk, supplier_id=supplier.pk,
        delivery_date=DEADLINE.date() + datetime.timedelta(days=days),
        lines=[{"tender_line_id": _line(tender).pk, "unit_price": price, "quantity": quantity}],
        resource=resource,
    )  # fmt: skip


@pytest.fixture
def three_bids(buyer, tender, trio):
    """X: ¥10.00 × 100 in 5 days. Y: ¥10.50 × 100 in 10 days with a 7-day banner worth ¥100
    (effective 10.50 × 950/1050 = 9.50). Z: ¥9.80 × 60 in 2 days."""
    x, y, z = trio
    with time_machine.travel(START, tick=False):
        _bid(buyer, tender, x, "10.00", 100, 5)
        _bid(
            buyer,
            tender,
            y,
            "10.50",
            100,
            10,
            resource={"kind": "home_banner", "days": 7, "value": "100", "note": "首页轮播"},
        )
        _bid(buyer, tender, z, "9.80", 60, 2)  # fmt: skip
    return trio


# The life of a tender ---------------------------------------------------------------


def test_every_status_has_its_allowed_moves():
    assert set(tenders.ALLOWED) == set(TenderStatus.values)


def test_each_step_writes_an_event(tender, buyer):
    """Created, invited and opened: three events, the last one draft → open."""
    events = list(TenderEvent.objects.filter(tender=tender).values_list("from_status", "to_status"))
    assert events == [("", "draft"), ("draft", "draft"), ("draft", "open")]
    assert tender.number.startswith("TD20260301")


def test_an_open_tender_closes_when_its_deadline_passes(tender):
    """The periodic task (settings.CELERY_BEAT_SCHEDULE) closes it, once."""
    from mercato.procurement.tasks import close_due_tenders_task

    with time_machine.travel(START, tick=False):
        assert close_due_tenders_task() == 0
    with time_machine.travel(AFTER, tick=False):
        assert close_due_tenders_task() == 1
        assert close_due_tenders_task() == 0
    tender.refresh_from_db()
    assert tender.status == TenderStatus.CLOSED
    assert tender.events.last().note == "Deadline passed"


def test_only_qualified_suppliers_are_invited(buyer, warehouse, sku_a):
    with time_machine.travel(START, tick=False):
        good = make_qualified_supplier("G", 0)
        expired = make_qualified_supplier("E", 1, name="过期供应商", expires_in=-1)
        tender = tenders.create_tender(
            actor=buyer, title="T", deadline=DEADLINE,
            lines=[{"sku_id": sku_a.pk, "warehouse_id": warehouse.pk, "quantity": 5}],
        )  # fmt: skip
        with pytest.raises(ValidationFailed) as exc:
            tenders.invite_suppliers(
                actor=buyer, tender_id=tender.pk, supplier_ids=[good.pk, expired.pk]
            )
    assert "过期供应商" in exc.value.field_errors["suppliers"][0]
    assert not tender.invitations.exists()  # nothing changed, not even the good one


@pytest.mark.parametrize("quantity", [0, -5, "2.5", ""])
def test_a_tender_line_needs_units_above_zero(buyer, warehouse, sku_a, quantity):
    with time_machine.travel(START, tick=False), pytest.raises(ValidationFailed):
        tenders.create_tender(
            actor=buyer, title="T", deadline=DEADLINE,
            lines=[{"sku_id": sku_a.pk, "warehouse_id": warehouse.pk, "quantity": quantity}],
        )  # fmt: skip


def test_weights_must_add_up_to_100(buyer, warehouse, sku_a):
    with time_machine.travel(START, tick=False), pytest.raises(ValidationFailed) as exc:
        tenders.create_tender(
            actor=buyer, title="T", deadline=DEADLINE, weights=(50, 20, 20),
            lines=[{"sku_id": sku_a.pk, "warehouse_id": warehouse.pk, "quantity": 5}],
        )  # fmt: skip
    assert "weight_price" in exc.value.field_errors


# Bids: bad input, links -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "quantity"), [("0", 10), ("-1.00", 10), ("9.999", 10), ("10.00", 0), ("10.00", -3)]
)
def test_a_bid_needs_a_price_and_units_above_zero(buyer, tender, trio, price, quantity):
    with time_machine.travel(START, tick=False), pytest.raises(ValidationFailed):
        _bid(buyer, tender, trio[0], price, quantity, 5)
    assert not Bid.objects.exists()


def test_a_resource_must_be_worth_less_than_the_bid(buyer, tender, trio):
    with time_machine.travel(START, tick=False), pytest.raises(ValidationFailed) as exc:
        _bid(buyer, tender, trio[0], "1.00", 10, 5,
             resource={"kind": "home_banner", "days": 3, "value": "10.00"})  # fmt: skip
    assert "resource_value" in exc.value.field_errors


def _link(tender, supplier):
    return BidToken.objects.get(
        invitation__tender=tender, invitation__supplier=supplier, used_at__isnull=True
    ).token


def _by_link(token, tender, price="9.00", quantity=50):
    return tenders.submit_bid_by_token(
        token=token, delivery_date=datetime.date(2026, 3, 9),
        lines=[{"tender_line_id": _line(tender).pk, "unit_price": price, "quantity": quantity}],
    )  # fmt: skip


def test_a_supplier_bids_and_revises_through_its_links(tender, trio):
    """Each link is good for one submission; the answer carries the next one."""
    token = _link(tender, trio[0])
    assert len(token) >= 40
    with time_machine.travel(START, tick=False):
        bid, next_link = _by_link(token, tender, price="9.00")
        with pytest.raises(Conflict) as used:
            _by_link(token, tender, price="1.00")
        revised, _third = _by_link(next_link.token, tender, price="8.50")
    assert used.value.code == "token_used"
    assert revised.pk == bid.pk and revised.revisions == 1 and revised.by_supplier
    assert revised.lines.get().unit_price == Decimal("8.50")


def test_a_link_expires_at_the_deadline(tender, trio):
    token = _link(tender, trio[0])
    with time_machine.travel(AFTER, tick=False), pytest.raises(Conflict) as exc:
        _by_link(token, tender)
    assert exc.value.code == "token_expired"
    assert not Bid.objects.exists()
    assert BidToken.objects.get(token=token).used_at is None


def test_an_unknown_link_is_refused(tender):
    with time_machine.travel(START, tick=False), pytest.raises(NotFound):
        _by_link("not-a-real-token", tender)


def test_a_buyer_cannot_enter_a_bid_after_the_deadline(buyer, tender, trio):
    with time_machine.travel(AFTER, tick=False), pytest.raises(Conflict) as exc:
        _bid(buyer, tender, trio[0], "10.00", 10, 5)
    assert exc.value.code == "deadline_passed"
    assert not Bid.objects.exists()


def test_bad_bid_through_a_link_leaves_the_link_unused(tender, trio):
    token = _link(tender, trio[0])
    with time_machine.travel(START, tick=False), pytest.raises(ValidationFailed):
        _by_link(token, tender, price="0")
    assert BidToken.objects.get(token=token).used_at is None


def test_bid_events_never_carry_prices(three_bids, tender):
    notes = " ".join(tender.events.values_list("note", flat=True))
    assert "收到报价" in notes
    for price in ("10.00", "10.50", "9.80", "100"):
        assert price not in notes


# Sealed bids and scoring -----------------------------------------------------------------


def test_ranking_is_refused_before_the_deadline(three_bids, tender):
    with time_machine.travel(START, tick=False), pytest.raises(Conflict) as exc:
        tender_award.ranking(tender)
    assert exc.value.code == "sealed"


def test_scores_match_the_hand_computed_case(three_bids, tender):
    """Cheapest effective 9.50 (Y), soonest 2 days (Z), supplier scores 50:
    X 60×95 + 20×40 + 20×50 → 75.00; Y 60×100 + 20×20 + 20×50 → 74.00;
    Z 60×96.94 + 20×100 + 20×50 → 88.16."""
    with time_machine.travel(AFTER, tick=False):
        [(line, rows)] = tender_award.ranking(tender)
    got = [(r.supplier, r.effective_price, r.price_score, r.delivery_score,
            r.supplier_score, r.total, r.rank) for r in rows]  # fmt: skip
    d = Decimal
    assert got == [
        ("供应商Z", d("9.80"), d("96.94"), d("100.00"), d("50.00"), d("88.16"), 1),
        ("供应商X", d("10.00"), d("95.00"), d("40.00"), d("50.00"), d("75.00"), 2),
        ("供应商Y", d("9.50"), d("100.00"), d("20.00"), d("50.00"), d("74.00"), 3),
    ]


def test_ranking_reads_all_suppliers_performance_at_once(
    three_bids, tender, django_assert_num_queries
):
    """The bids, their lines, every bidder's receipts (one query for all suppliers), the
    tender's lines: four queries for three suppliers, as for one."""
    with time_machine.travel(AFTER, tick=False), django_assert_num_queries(4):
        [(_line, rows)] = tender_award.ranking(tender)
    assert len(rows) == 3


def test_supplier_score_from_performance():
    perf = selectors.Performance(
        receipts=4, on_time=3, on_time_rate=Decimal("0.75"), received=100, rejected=2,
        reject_rate=Decimal("0.02"), price_vs_market=None,
    )  # fmt: skip
    assert tender_award.supplier_score(perf) == Decimal("86.50")  # 37.5 + 49


# Awards ------------------------------------------------------------------------------------


def _award(buyer, tender, picks, reason=""):
    ids = {b.supplier.code: b.lines.get().pk for b in Bid.objects.filter(tender=tender)}
    with time_machine.travel(AFTER, tick=False):
        return tender_award.award_tender(
            actor=buyer, tender_id=tender.pk, reason=reason,
            awards=[{"bid_line_id": ids[code], "quantity": q} for code, q in picks],
        )  # fmt: skip


def test_a_split_award_down_the_ranking_makes_draft_purchase_orders(three_bids, tender, buyer):
    made = _award(buyer, tender, [("Z", 60), ("X", 40)])
    tender.refresh_from_db()
    assert tender.status == TenderStatus.AWARDED
    assert [(o.supplier.code, o.status, o.lines.get().quantity, o.lines.get().unit_price)
            for o in made] == [("X", POStatus.DRAFT, 40, Decimal("10.00")),
                               ("Z", POStatus.DRAFT, 60, Decimal("9.80"))]  # fmt: skip
    assert made[1].promised_date == datetime.date(2026, 3, 7)
    assert f"招标 {tender.number}" == made[0].note
    assert not ResourceTask.objects.exists()  # Y, who offered the banner, got nothing
    assert list(tender.events.values_list("to_status", flat=True))[-2:] == ["closed", "awarded"]


def test_an_award_off_the_ranking_needs_a_reason(three_bids, tender, buyer):
    with pytest.raises(ValidationFailed) as exc:
        _award(buyer, tender, [("Y", 100)])
    assert "reason" in exc.value.field_errors
    assert not PurchaseOrder.objects.exists()
    made = _award(buyer, tender, [("Y", 100)], reason="首页资源对新品上市更重要")
    task = ResourceTask.objects.get()
    assert (task.supplier.code, task.kind, task.days, task.value) == (
        "Y",
        "home_banner",
        7,
        Decimal("100.00"),
    )
    tender.refresh_from_db()
    assert tender.award_reason == "首页资源对新品上市更重要"
    assert made[0].total == Decimal("1050.00")


@pytest.mark.parametrize(
    "picks",
    [
        [("Z", 60), ("X", 41)],  # 101 units, the tender asks for 100
        [("Z", 61)],  # Z offered 60
        [("X", -1)],
        [("X", 0)],  # nothing awarded
    ],
)
def test_a_bad_award_changes_nothing(three_bids, tender, buyer, picks):
    with pytest.raises(ValidationFailed):
        _award(buyer, tender, picks, reason="试")
    tender.refresh_from_db()
    assert tender.status == TenderStatus.CLOSED  # the deadline closed it; no award
    assert not PurchaseOrder.objects.exists()


def test_award_is_refused_before_the_deadline(three_bids, tender, buyer):
    line_id = Bid.objects.get(supplier__code="X").lines.get().pk
    with time_machine.travel(START, tick=False), pytest.raises(Conflict):
        tender_award.award_tender(actor=buyer, tender_id=tender.pk,
                                  awards=[{"bid_line_id": line_id, "quantity": 10}])  # fmt: skip


# Resource tasks --------------------------------------------------------------------------


def test_operations_schedule_the_promised_banner(three_bids, tender, buyer, ops_user):
    _award(buyer, tender, [("Y", 100)], reason="资源换价格")
    task = ResourceTask.objects.get()
    with pytest.raises(PermissionDeniedError):
        tender_award.schedule_home_slot(actor=buyer, task_id=task.pk,
                                        starts_on=datetime.date(2026, 3, 10))  # fmt: skip
    task = tender_award.schedule_home_slot(
        actor=ops_user, task_id=task.pk, starts_on=datetime.date(2026, 3, 10)
    )
    slot = task.home_slot
    assert (slot.kind, slot.title) == ("banner", "供应商Y")
    assert timezone.localtime(slot.ends_at).date() == datetime.date(2026, 3, 17)
    assert task.status == "done"
    with pytest.raises(Conflict):
        tender_award.complete_resource_task(actor=ops_user, task_id=task.pk, note="again")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_link_submitted_twice_at_once_records_one_bid(tender, trio):
    """Two submissions through the same link at the same moment: the link's row is locked
    first, so one bid is recorded and the other is refused as a used link."""
    import threading

    from django.db import connection

    token = _link(tender, trio[0])
    gate, outcomes = threading.Barrier(2), []

    def submit(price):
        try:
            gate.wait()
            _by_link(token, tender, price=price)
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(p,)) for p in ("9.00", "8.00")]
    with time_machine.travel(START, tick=True):  # process-wide: the threads too
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(outcomes) == ["ok", "token_used"]
    bid = Bid.objects.get()
    assert bid.revisions == 0
    assert BidToken.objects.filter(invitation__supplier=trio[0], used_at__isnull=True).count() == 1
