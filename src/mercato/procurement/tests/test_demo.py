import pytest

from mercato.demo.seed_procurement import seed_procurement
from mercato.inventory.locations import define_bins
from mercato.procurement.models import POStatus, PurchaseOrder, Receipt, Supplier
from mercato.testing.factories import SkuFactory
from mercato.testing.procurement import make_shanghai_warehouse


@pytest.mark.django_db
def test_the_demo_has_purchase_orders_in_every_state_and_runs_once(make_staff):
    users = {n: make_staff(d, username=n) for n, d in
             [("procurement", "procurement"), ("finance", "finance"), ("hr", "hr")]}  # fmt: skip
    lead = make_staff("procurement", username="procurement01")
    warehouse = make_shanghai_warehouse()
    define_bins(actor=None, warehouse_id=warehouse.pk, bins=[("A", "A-01")])
    for _ in range(6):
        SkuFactory()
    counts = seed_procurement(users=users)
    assert counts["suppliers"] == 3 and counts["receipts"] == 3
    statuses = set(PurchaseOrder.objects.values_list("status", flat=True))
    assert statuses == set(POStatus.values)
    assert type(lead).objects.get(pk=lead.pk).has_perm("procurement.approve_purchaseorder")
    assert seed_procurement(users=users) == {}
    # A fourth supplier (杭州) comes with the demo tenders.
    assert Supplier.objects.count() == 4 and Receipt.objects.count() == 3


@pytest.mark.django_db
def test_the_demo_has_an_awarded_a_closed_and_an_open_tender(make_staff):
    from mercato.procurement.models import ResourceTask, Tender

    users = {n: make_staff(d, username=n) for n, d in
             [("procurement", "procurement"), ("finance", "finance"), ("hr", "hr")]}  # fmt: skip
    make_staff("procurement", username="procurement01")
    make_shanghai_warehouse()
    for _ in range(6):
        SkuFactory()
    assert seed_procurement(users=users)["tenders"] == 3
    assert sorted(Tender.objects.values_list("status", flat=True)) == ["awarded", "closed", "open"]
    closed = Tender.objects.get(status="closed")
    assert closed.bids.count() == 3
    assert ResourceTask.objects.get().kind == "home_banner"  # the awarded tender's banner


@pytest.mark.django_db
def test_the_demo_has_transfers_in_every_state_one_in_transit(make_staff):
    from mercato.demo.seed_procurement import seed_transfers
    from mercato.inventory.services import receive_stock
    from mercato.procurement.models import TransferOrder, TransferStatus
    from mercato.procurement.selectors import in_transit

    buyer = make_staff("procurement")
    source = make_shanghai_warehouse("sh")
    target = make_shanghai_warehouse("sh2")
    for _ in range(4):
        receive_stock(actor=None, sku_id=SkuFactory().pk, warehouse_id=source.pk, quantity=20)
    assert seed_transfers(buyer) == 4
    assert set(TransferOrder.objects.values_list("status", flat=True)) == set(TransferStatus.values)
    assert list(in_transit().items())[0][0][1] == target.pk
    assert sum(in_transit().values()) == 6
