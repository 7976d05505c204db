"""采购及物流部's home tiles: each count, its link to the filtered list, who sees which,
and the page's query budget."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from mercato.inventory.models import CountStatus, CountTask
from mercato.procurement import orders
from mercato.procurement.models import SupplierDocument, Tender, TenderStatus
from mercato.testing.factories import SkuFactory
from mercato.testing.fulfillment import stock
from mercato.testing.procurement import make_sent_po, make_shanghai_warehouse, make_supplier

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(make_staff, settings):
    """One order awaiting the lead (¥6,000 over the ¥5,000 limit); sent orders promised
    yesterday (late), today (due) and next week (not yet); a count awaiting approval and
    one counting; tenders closing in a day, in a week and one past its deadline; one of
    two stock rows low (3 available); documents expired, expiring in 10 days and in 90."""
    settings.MERCATO_PO_LEAD_LIMIT = "5000"
    today, now = timezone.localdate(), timezone.now()
    buyer = make_staff("procurement")
    lead = make_staff("procurement", roles=["procurement_lead"])
    wh, supplier = make_shanghai_warehouse(), make_supplier()
    sku, other = SkuFactory(), SkuFactory()
    big = orders.create_purchase_order(
        actor=buyer, supplier_id=supplier.pk, warehouse_id=wh.pk, promised_date=today,
        lines=[{"sku_id": sku.pk, "quantity": 600, "unit_price": "10.00"}],
    )  # fmt: skip
    orders.submit_purchase_order(actor=buyer, order_id=big.pk)
    sent = {
        days: make_sent_po(
            buyer=buyer, supplier=supplier, warehouse=wh,
            promised=today + datetime.timedelta(days=days),
            lines=[{"sku_id": sku.pk, "quantity": 10, "unit_price": "10.00"}],
        )
        for days in (-1, 0, 7)
    }  # fmt: skip
    for n, status in enumerate((CountStatus.AWAITING_APPROVAL, CountStatus.COUNTING)):
        CountTask.objects.create(
            number=f"PD{n}", warehouse=wh, scope="abc", abc_class="A", status=status
        )
    for n, hours in enumerate((24, 24 * 7, -1)):
        Tender.objects.create(number=f"ZB{n}", title="纸箱", status=TenderStatus.OPEN,
                              deadline=now + datetime.timedelta(hours=hours))  # fmt: skip
    stock(sku, wh, 3)
    stock(other, wh, 50)
    for days in (-2, 10, 90):
        SupplierDocument.objects.create(
            supplier=supplier, kind="营业执照", expires_on=today + datetime.timedelta(days=days)
        )
    return {"buyer": buyer, "lead": lead, "big": big, "sent": sent}


def tiles(client, user):
    client.force_login(user)
    return {
        q.code: (q.count, q.url) for q in client.get(reverse("backoffice:home")).context["queues"]
    }


def test_the_lead_sees_every_tile_with_its_count_and_link(client, desk):
    got = tiles(client, desk["lead"])
    assert got["po_to_approve"] == (1, reverse("backoffice:po_list") + "?show=to_approve")
    assert got["deliveries_due"] == (2, reverse("backoffice:po_list") + "?show=due")
    assert got["counts_to_approve"] == (
        1, reverse("backoffice:count_list") + "?status=awaiting_approval")  # fmt: skip
    assert got["tenders_closing"] == (1, reverse("backoffice:tender_list") + "?show=closing")
    assert got["low_stock"] == (1, reverse("backoffice:stock_list") + "?low=on")
    assert got["documents_expiring"] == (2, reverse("backoffice:supplier_list") + "#expiring")


def test_a_buyer_has_no_approval_tiles_and_other_departments_none(client, desk, make_staff):
    assert set(tiles(client, desk["buyer"])) >= {"deliveries_due", "tenders_closing"}
    assert not {"po_to_approve", "counts_to_approve"} & set(tiles(client, desk["buyer"]))
    assert tiles(client, make_staff("marketing")) == {}
    finance = tiles(client, make_staff("finance"))
    assert finance["po_to_approve"][0] == 0  # nothing above the finance limit waits
    assert not {"deliveries_due", "counts_to_approve", "tenders_closing", "low_stock",
                "documents_expiring"} & set(finance)  # fmt: skip


def test_the_links_list_what_the_tiles_count(client, desk):
    client.force_login(desk["lead"])
    page = client.get(reverse("backoffice:po_list") + "?show=to_approve")
    assert [o.number for o in page.context["page"].object_list] == [desk["big"].number]
    page = client.get(reverse("backoffice:po_list") + "?show=due")
    assert {o.number for o in page.context["page"].object_list} == {
        desk["sent"][-1].number, desk["sent"][0].number}  # fmt: skip
    page = client.get(reverse("backoffice:tender_list") + "?show=closing")
    assert [t.number for t in page.context["page"].object_list] == ["ZB0"]
    page = client.get(reverse("backoffice:stock_list") + "?low=on")
    assert page.context["page"].paginator.count == 1


def test_the_home_page_query_budget(client, desk, django_assert_num_queries):
    client.force_login(desk["lead"])
    client.get(reverse("backoffice:home"))
    # user, permissions (2), department; the delivery audit's and the returns' queues the
    # department sees (4: the order-processing queues' counts are one statement,
    # fulfillment.selectors.queue_counts, 3 before); the six tiles' counts together (1).
    # The same with more rows.
    with django_assert_num_queries(9):
        client.get(reverse("backoffice:home"))
