"""Tenders in the back office, the staff API and the supplier's bid page: bids sealed until
the deadline (for the buyer and the 采购主管 alike), the ranking after it, links refused when
used or expired, and bad awards refused with nothing changed."""

import datetime
import json

import pytest
import time_machine
from django.utils import timezone

from mercato.procurement import tenders
from mercato.procurement.models import BidToken, PurchaseOrder, Tender, TenderStatus
from mercato.testing.api import bearer
from mercato.testing.factories import SkuFactory
from mercato.testing.procurement import make_shanghai_warehouse
from mercato.testing.tenders import (
    AFTER,
    DEADLINE,
    START,
    make_open_tender,
    make_qualified_supplier,
)

pytestmark = pytest.mark.django_db
API = "/api/staff/procurement/tenders"
PRICES = ["10.00", "10.50", "9.80", "13.37"]  # the bids' prices: none may leak while sealed


@pytest.fixture
def people(make_staff):
    return {
        "buyer": make_staff("procurement"),
        "lead": make_staff("procurement", roles=["procurement_lead"]),
    }


@pytest.fixture
def tender(people):
    """An open tender of 100 × MON-27 and 50 × KB-1 with two bids entered by the buyer
    (X: ¥10.00/¥13.37 in 5 days; Y: ¥10.50 in 10 days) and Z invited, not yet bid."""
    buyer = people["buyer"]
    with time_machine.travel(START, tick=False):
        warehouse = make_shanghai_warehouse()
        mon, kb = SkuFactory(code="MON-27"), SkuFactory(code="KB-1")
        trio = [make_qualified_supplier(c, n) for n, c in enumerate(["X", "Y", "Z"])]
        tender = make_open_tender(
            buyer=buyer, deadline=DEADLINE, supplier_ids=[s.pk for s in trio],
            lines=[{"sku_id": mon.pk, "warehouse_id": warehouse.pk, "quantity": 100},
                   {"sku_id": kb.pk, "warehouse_id": warehouse.pk, "quantity": 50}],
        )  # fmt: skip
        a, b = tender.lines.order_by("id")
        day = DEADLINE.date()
        tenders.enter_bid(
            actor=buyer, tender_id=tender.pk, supplier_id=trio[0].pk,
            delivery_date=day + datetime.timedelta(days=5),
            lines=[{"tender_line_id": a.pk, "unit_price": "10.00", "quantity": 100},
                   {"tender_line_id": b.pk, "unit_price": "13.37", "quantity": 50}],
        )  # fmt: skip
        tenders.enter_bid(
            actor=buyer, tender_id=tender.pk, supplier_id=trio[1].pk,
            delivery_date=day + datetime.timedelta(days=10),
            lines=[{"tender_line_id": a.pk, "unit_price": "10.50", "quantity": 100}],
        )  # fmt: skip
    return tender


def _page(client, user, tender):
    client.force_login(user)
    return client.get(f"/backoffice/procurement/tenders/{tender.pk}/").content.decode()


@pytest.mark.parametrize("who", ["buyer", "lead"])
def test_bids_are_sealed_on_the_page_and_in_the_api(client, people, tender, who):
    """Before the deadline nobody — not the buyer who typed them, not the 采购主管 — sees a
    price, on the page or through the API: only that two bids came in."""
    user = people[who]
    with time_machine.travel(START, tick=False):
        html = _page(client, user, tender)
        answer = client.get(f"{API}/{tender.pk}", headers=bearer(user))
        listing = client.get(API, headers=bearer(user))
    assert 'id="bid-count">2<' in html and 'id="sealed-notice"' in html
    assert answer.status_code == 200
    body = answer.json()
    assert (body["sealed"], body["bid_count"], body["ranking"]) == (True, 2, [])
    for text in (html, answer.content.decode(), listing.content.decode()):
        for price in PRICES:
            assert price not in text


def test_after_the_deadline_the_ranking_shows_each_component(client, people, tender):
    with time_machine.travel(AFTER, tick=False):
        html = _page(client, people["lead"], tender)
        body = client.get(f"{API}/{tender.pk}", headers=bearer(people["lead"])).json()
    assert "13.37" in html and 'id="ranking-' in html
    tender.refresh_from_db()
    assert tender.status == TenderStatus.CLOSED
    first = body["ranking"][0]["bids"]
    # X: price 100 × 10.00/10.00, delivery 100 × 5/5, supplier 50 → 60 + 20 + 10 = 90.00;
    # Y: price 100 × 10.00/10.50 = 95.24, delivery 50.00 → (5714.4 + 1000 + 1000)/100.
    assert [(b["supplier"], b["price_score"], b["delivery_score"], b["total"]) for b in first] == [
        ("供应商X", "100.00", "100.00", "90.00"),
        ("供应商Y", "95.24", "50.00", "77.14"),
    ]


def test_award_over_the_quantity_is_refused_through_the_api(client, people, tender):
    with time_machine.travel(AFTER, tick=False):
        ranking = client.get(f"{API}/{tender.pk}", headers=bearer(people["buyer"])).json()
        x, y = (b["bid_line_id"] for b in ranking["ranking"][0]["bids"])
        over = client.post(
            f"{API}/{tender.pk}/award", content_type="application/json",
            data=json.dumps({"awards": [{"bid_line_id": x, "quantity": 100},
                                        {"bid_line_id": y, "quantity": 1}], "reason": "多"}),
            headers=bearer(people["buyer"]),
        )  # fmt: skip
        assert over.status_code == 422
        assert not PurchaseOrder.objects.exists()
        split = client.post(
            f"{API}/{tender.pk}/award", content_type="application/json",
            data=json.dumps({"awards": [{"bid_line_id": x, "quantity": 60},
                                        {"bid_line_id": y, "quantity": 40}]}),
            headers=bearer(people["buyer"]),
        )  # fmt: skip
    # 60 to X and 40 to Y departs from the ranking (X offered 100): a reason is needed.
    assert split.status_code == 422 and split.json()["errors"][0]["field"] == "reason"


def test_bids_after_the_deadline_are_refused_through_the_api(client, people, tender):
    line = tender.lines.order_by("id").first()
    body = {
        "supplier_id": tender.invitations.last().supplier_id, "delivery_date": "2026-03-09",
        "lines": [{"tender_line_id": line.pk, "unit_price": "1.00", "quantity": 1}],
    }  # fmt: skip
    with time_machine.travel(AFTER, tick=False):
        late = client.post(f"{API}/{tender.pk}/bids", content_type="application/json",
                           data=json.dumps(body), headers=bearer(people["buyer"]))  # fmt: skip
    assert late.status_code == 409
    assert tender.bids.count() == 2


# The supplier's page ------------------------------------------------------------------------


def _token(tender):
    return BidToken.objects.get(invitation__tender=tender, invitation__supplier__code="Z").token


def _bid(client, token, tender, price="9.80"):
    line = tender.lines.order_by("id").first()
    return client.post(f"/tender-bid/{token}/", {
        "delivery_date": "2026-03-07", f"price_{line.pk}": price, f"quantity_{line.pk}": "60",
    })  # fmt: skip


def test_a_supplier_bids_through_its_link_and_revises_with_the_next(client, tender):
    token = _token(tender)
    with time_machine.travel(START, tick=False):
        page = client.get(f"/tender-bid/{token}/")
        assert page.status_code == 200 and "供应商Z" in page.content.decode()
        done = _bid(client, token, tender)
        assert done.status_code == 200 and 'id="bid-recorded"' in done.content.decode()
        again = _bid(client, token, tender, price="1.00")
        assert again.status_code == 409 and 'id="bid-refused"' in again.content.decode()
        next_token = BidToken.objects.get(
            invitation__supplier__code="Z", used_at__isnull=True
        ).token
        assert next_token in done.content.decode()
        revised = _bid(client, next_token, tender, price="9.70")
        assert revised.status_code == 200
    bid = tender.bids.get(supplier__code="Z")
    assert (str(bid.lines.get().unit_price), bid.revisions) == ("9.70", 1)


def test_a_bad_bid_on_the_page_changes_nothing(client, tender):
    token = _token(tender)
    with time_machine.travel(START, tick=False):
        answer = _bid(client, token, tender, price="0")
    assert answer.status_code == 400 and 'id="bid-error"' in answer.content.decode()
    assert not tender.bids.filter(supplier__code="Z").exists()
    assert BidToken.objects.get(token=token).used_at is None


def test_a_link_after_the_deadline_is_refused_and_changes_nothing(client, tender):
    token = _token(tender)
    with time_machine.travel(AFTER, tick=False):
        late = _bid(client, token, tender)
        look = client.get(f"/tender-bid/{token}/")
    assert late.status_code == 409 and look.status_code == 409
    assert not tender.bids.filter(supplier__code="Z").exists()
    assert client.get("/tender-bid/made-up-token/").status_code == 404


# Pages --------------------------------------------------------------------------------------


def test_a_buyer_creates_a_tender_on_the_page(client, people):
    with time_machine.travel(START, tick=False):
        make_shanghai_warehouse()
        SkuFactory(code="MON-27")
        x = make_qualified_supplier("X", 0)
        client.force_login(people["buyer"])
        answer = client.post("/backoffice/procurement/tenders/new/", {
            "title": "显示器", "deadline": "2026-03-05T18:00", "lines": "MON-27, sh, 100",
            "suppliers": [x.pk], "weight_price": 60, "weight_delivery": 20,
            "weight_supplier": 20,
        })  # fmt: skip
    tender = Tender.objects.get()
    assert answer.status_code == 302
    assert timezone.localtime(tender.deadline).strftime("%H:%M") == "18:00"
    assert tender.invitations.get().supplier == x


def test_the_tender_list_query_budget(client, people, tender, django_assert_num_queries):
    client.force_login(people["buyer"])
    with time_machine.travel(START, tick=False):
        with django_assert_num_queries(6):
            answer = client.get("/backoffice/procurement/tenders/")
    assert answer.status_code == 200 and tender.number in answer.content.decode()


def test_query_budgets_of_the_tender_page_and_the_api(
    client, people, tender, django_assert_num_queries
):
    """Sealed or ranked, the tender page and the API answer in a fixed number of queries
    for two bids (the ranking reads every bidder's receipts in one query, whatever the
    number of suppliers)."""
    client.force_login(people["buyer"])
    headers = bearer(people["buyer"])
    page = f"/backoffice/procurement/tenders/{tender.pk}/"
    with time_machine.travel(START, tick=False):
        for url, kw, budget in [(page, {}, 12), (API, {"headers": headers}, 6),
                                (f"{API}/{tender.pk}", {"headers": headers}, 8)]:  # fmt: skip
            with django_assert_num_queries(budget):
                assert client.get(url, **kw).status_code == 200
    tenders.close_due_tenders(now=DEADLINE + datetime.timedelta(minutes=1))
    with time_machine.travel(AFTER, tick=False):
        for url, kw, budget in [(page, {}, 16), (f"{API}/{tender.pk}", {"headers": headers}, 13)]:
            with django_assert_num_queries(budget):
                assert client.get(url, **kw).status_code == 200
