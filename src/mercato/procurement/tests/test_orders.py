from decimal import Decimal

import pytest

from mercato.core.errors import Conflict, PermissionDeniedError, ValidationFailed
from mercato.procurement import orders
from mercato.procurement.models import POStatus, PurchaseOrder, PurchaseOrderEvent

S = POStatus


@pytest.fixture(autouse=True)
def limits(settings):
    settings.MERCATO_PO_LEAD_LIMIT = Decimal("5000")
    settings.MERCATO_PO_FINANCE_LIMIT = Decimal("50000")


def test_every_status_has_its_transitions():
    assert set(orders.ALLOWED) == set(S.values)


@pytest.mark.django_db
def test_an_order_up_to_the_lead_limit_is_approved_when_submitted(make_po, buyer, sku):
    order = make_po([{"sku_id": sku.pk, "quantity": 500, "unit_price": "10.00"}])
    assert order.total == Decimal("5000.00") and order.status == S.DRAFT
    orders.submit_purchase_order(actor=buyer, order_id=order.pk)
    order.refresh_from_db()
    assert order.status == S.APPROVED


@pytest.mark.django_db
def test_above_the_lead_limit_the_lead_approves(make_po, buyer, lead, finance, sku):
    order = make_po([{"sku_id": sku.pk, "quantity": 501, "unit_price": "10.00"}])
    orders.submit_purchase_order(actor=buyer, order_id=order.pk)
    order.refresh_from_db()
    assert order.status == S.PENDING_LEAD
    # A buyer and finance may not give the lead's approval.
    for actor in (buyer, finance):
        with pytest.raises(PermissionDeniedError):
            orders.approve_purchase_order(actor=actor, order_id=order.pk)
    orders.approve_purchase_order(actor=lead, order_id=order.pk)
    order.refresh_from_db()
    assert order.status == S.APPROVED


@pytest.mark.django_db
def test_above_the_finance_limit_finance_approves_after_the_lead(
    make_po, buyer, lead, finance, sku
):
    order = make_po([{"sku_id": sku.pk, "quantity": 5001, "unit_price": "10.00"}])
    orders.submit_purchase_order(actor=buyer, order_id=order.pk)
    orders.approve_purchase_order(actor=lead, order_id=order.pk)
    order.refresh_from_db()
    assert order.status == S.PENDING_FINANCE
    with pytest.raises(PermissionDeniedError):
        orders.approve_purchase_order(actor=lead, order_id=order.pk)
    orders.approve_purchase_order(actor=finance, order_id=order.pk, note="预算内")
    order.refresh_from_db()
    assert order.status == S.APPROVED
    steps = list(PurchaseOrderEvent.objects.filter(order=order).values_list("to_status", "actor"))
    assert steps == [
        (S.DRAFT, buyer.pk),
        (S.PENDING_LEAD, buyer.pk),
        (S.PENDING_FINANCE, lead.pk),
        (S.APPROVED, finance.pk),
    ]


@pytest.mark.django_db
def test_changing_an_approved_order_asks_for_approval_again(make_po, buyer, lead, sku):
    order = make_po([{"sku_id": sku.pk, "quantity": 600, "unit_price": "10.00"}])
    orders.submit_purchase_order(actor=buyer, order_id=order.pk)
    orders.approve_purchase_order(actor=lead, order_id=order.pk)
    orders.change_lines(
        actor=buyer,
        order_id=order.pk,
        lines=[{"sku_id": sku.pk, "quantity": 700, "unit_price": "10"}],
    )
    order.refresh_from_db()
    assert order.status == S.PENDING_LEAD and order.total == Decimal("7000.00")
    with pytest.raises(Conflict):
        orders.send_purchase_order(actor=buyer, order_id=order.pk)


@pytest.mark.django_db
def test_the_creator_cannot_approve_their_own_order(make_po, lead, sku):
    order = make_po([{"sku_id": sku.pk, "quantity": 600, "unit_price": "10.00"}], actor=lead)
    orders.submit_purchase_order(actor=lead, order_id=order.pk)
    order.refresh_from_db()
    with pytest.raises(Conflict):
        orders.approve_purchase_order(actor=lead, order_id=order.pk)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"quantity": 0, "unit_price": "10"}, "lines.0"),
        ({"quantity": -3, "unit_price": "10"}, "lines.0"),
        ({"quantity": 5, "unit_price": "0"}, "lines.0"),
        ({"quantity": 5, "unit_price": "-1.00"}, "lines.0"),
        ({"quantity": 5, "unit_price": "1.001"}, "lines.0"),
        ({"quantity": 5}, "lines.0"),  # no price list price either
    ],
)
def test_bad_lines_are_refused_and_nothing_is_created(make_po, sku, line, field):
    with pytest.raises(ValidationFailed) as caught:
        make_po([{"sku_id": sku.pk, **line}])
    assert field in caught.value.field_errors
    assert not PurchaseOrder.objects.exists()


@pytest.mark.django_db
def test_a_line_without_a_price_takes_the_valid_price_list_price(make_po, supplier, sku):
    import datetime

    from mercato.procurement.suppliers import set_price

    set_price(actor=None, supplier_id=supplier.pk, sku_id=sku.pk, price="8.50",
              min_quantity=10, valid_from=datetime.date(2020, 1, 1))  # fmt: skip
    order = make_po([{"sku_id": sku.pk, "quantity": 10}])
    assert order.lines.get().unit_price == Decimal("8.50")
    with pytest.raises(ValidationFailed):  # below the minimum order quantity
        make_po([{"sku_id": sku.pk, "quantity": 9}])


@pytest.mark.django_db
def test_a_cancelled_order_cannot_be_sent(make_po, buyer, sku):
    order = make_po([{"sku_id": sku.pk, "quantity": 1, "unit_price": "10.00"}])
    orders.cancel_purchase_order(actor=buyer, order_id=order.pk)
    with pytest.raises(Conflict):
        orders.send_purchase_order(actor=buyer, order_id=order.pk)
    assert PurchaseOrder.objects.get().status == S.CANCELLED


@pytest.mark.django_db
def test_changing_an_order_awaiting_finance_starts_approval_again(make_po, buyer, lead, sku):
    order = make_po([{"sku_id": sku.pk, "quantity": 6000, "unit_price": "10.00"}])
    orders.submit_purchase_order(actor=buyer, order_id=order.pk)
    orders.approve_purchase_order(actor=lead, order_id=order.pk)
    for quantity, status in ((5500, S.PENDING_LEAD), (5600, S.PENDING_LEAD), (100, S.APPROVED)):
        lines = [{"sku_id": sku.pk, "quantity": quantity, "unit_price": "10.00"}]
        orders.change_lines(actor=buyer, order_id=order.pk, lines=lines)
        order.refresh_from_db()
        assert order.status == status
    last = PurchaseOrderEvent.objects.filter(order=order).last()
    assert (last.from_status, last.to_status, last.note) == (
        S.PENDING_LEAD,
        S.APPROVED,
        "Lines changed",
    )
