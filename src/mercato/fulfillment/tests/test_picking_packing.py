"""Allocation, carrier choice, waves with bin-ordered pick lists, packing by scan, boxes,
shipping (stock out through inventory), refused COD parcels back into stock, splits."""

from decimal import Decimal

import pytest
from django.utils import translation

from mercato.core.errors import Conflict, ValidationFailed
from mercato.fulfillment import packing, shipping, waves
from mercato.fulfillment.allocation import allocate_approved_orders
from mercato.fulfillment.carriers import CarrierBook, fee_for
from mercato.fulfillment.errors import WrongItem
from mercato.fulfillment.models import (
    BoxSize,
    Carrier,
    ChoiceRule,
    RateCard,
    Shipment,
    ShipmentStatus,
    Wave,
)
from mercato.fulfillment.review.services import review_paid_orders
from mercato.fulfillment.setup import add_choice_rule
from mercato.inventory.models import Reservation, Stock, StockMovement
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

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db):
    warehouses = make_shop()
    carriers()
    a, b, c = make_sku(weight_g=300), make_sku(weight_g=500), make_sku(weight_g=200)
    cd = warehouses["四川省"]
    stock(a, cd, 50, "A-07")
    stock(b, cd, 50, "A-02")
    stock(c, cd, 50)  # no bin
    return {"a": a, "b": b, "c": c, "cd": cd, "sh": warehouses["上海市"]}


@pytest.fixture
def packer(make_staff):
    return make_staff("procurement", roles=["order_processing"])


def status(order) -> str:
    return Order.objects.values_list("status", flat=True).get(pk=order.pk)


def test_carrier_choice_cheapest_meeting_the_promise_fixed_and_customer(shop):
    book = CarrierBook.load()
    cd = shop["cd"].pk
    # 四川 (mid tier): promise 4 days; 圆通 ¥7.50 in 3 days is the cheapest meeting it.
    choice = book.choose(warehouse_id=cd, province="四川省", weight_g=900, cod=False)
    assert (choice.carrier.code, choice.fee, choice.rule) == ("yto", Decimal("7.50"), "cheapest")
    # Cash on delivery: only carriers that collect (顺丰, 京东, EMS); 京东 is cheapest.
    cod = book.choose(warehouse_id=cd, province="四川省", weight_g=900, cod=True)
    assert cod.carrier.code == "jd"
    # 2.5 kg: first kilo + 2 started kilos.
    rate = RateCard.objects.get(carrier__code="yto", province="四川省")
    assert fee_for(rate, 2500) == Decimal("7.50") + 2 * Decimal("3.00")
    add_choice_rule(actor=None, kind="fixed", province="西藏自治区", carrier_code="ems", priority=1)
    add_choice_rule(actor=None, kind="customer", fee="8.00", priority=2)
    book = CarrierBook.load()
    tibet = book.choose(warehouse_id=cd, province="西藏自治区", weight_g=900, cod=False)
    assert (tibet.carrier.code, tibet.rule) == ("ems", "fixed")
    chosen = book.choose(warehouse_id=cd, province="四川省", weight_g=900, cod=False,
                         customer_choice="sf")  # fmt: skip
    assert (chosen.carrier.code, chosen.rule, chosen.surcharge) == (
        "sf",
        "customer",
        Decimal("8.00"),
    )
    # A fixed rule for a carrier that does not collect cash does not take COD parcels.
    ChoiceRule.objects.all().delete()
    add_choice_rule(actor=None, kind="fixed", carrier_code="zto", priority=1)
    assert CarrierBook.load().choose(warehouse_id=cd, province="四川省", weight_g=900,
                                     cod=True).carrier.code == "jd"  # fmt: skip


def test_no_promise_met_takes_the_fastest(shop):
    from mercato.fulfillment.models import DeliveryPromise

    DeliveryPromise.objects.filter(province="四川省").update(days=1)
    choice = CarrierBook.load().choose(warehouse_id=shop["cd"].pk, province="四川省",
                                       weight_g=500, cod=False)  # fmt: skip
    assert choice.rule == "fastest" and choice.days == 2  # SF and JD take 2 days there


def test_allocation_makes_one_parcel_per_warehouse_with_carrier_and_cod(shop):
    stock(shop["a"], shop["sh"], 10)
    order = place(make_customer(), (shop["a"], 2), (shop["b"], 1), method="cod")
    review_paid_orders()
    batch = allocate_approved_orders()
    assert (batch.orders, batch.parcels) == (1, 1)
    [parcel] = Shipment.objects.filter(order=order)
    assert parcel.warehouse == shop["cd"] and parcel.carrier.supports_cod
    assert parcel.cod_amount == order.total and parcel.weight_g == 2 * 300 + 500
    assert sorted(parcel.lines.values_list("sku_id", "quantity")) == sorted(
        [(shop["a"].pk, 2), (shop["b"].pk, 1)]
    )
    assert status(order) == OrderStatus.ALLOCATED


def test_an_approved_order_without_reserved_stock_is_held(shop):
    order = place(make_customer(), (shop["a"], 1))
    review_paid_orders()
    Reservation.objects.filter(reference=order.number).update(status="released")
    assert allocate_approved_orders().held == 1
    order.refresh_from_db()
    assert order.on_hold and order.status == OrderStatus.APPROVED


def test_waves_group_by_warehouse_and_carrier_and_pick_lists_follow_the_bins(shop):
    orders = [place(make_customer(), (shop["c"], 1), (shop["a"], 1), (shop["b"], 2))
              for _ in range(3)]  # fmt: skip
    parcels = to_picking(*orders)
    [wave] = Wave.objects.all()
    assert wave.parcel_count == 3 and wave.warehouse == shop["cd"]
    assert {p.status for ps in parcels for p in ps} == {ShipmentStatus.PICKING}
    assert {status(o) for o in orders} == {OrderStatus.PICKING}
    rows = waves.pick_list(wave=wave)
    # A-02 before A-07, the SKU without a bin last.
    assert [(r.bin, r.sku_id, r.quantity) for r in rows] == [
        ("A-02", shop["b"].pk, 6),
        ("A-07", shop["a"].pk, 3),
        ("", shop["c"].pk, 3),
    ]
    assert sorted(n for n, _q in rows[0].parcels) == sorted(ps[0].number for ps in parcels)


def test_held_orders_stay_out_of_waves_and_cutoff_is_respected(shop, make_staff):
    from datetime import timedelta

    from django.utils import timezone

    from mercato.orders.actions import hold_order

    held, later = place(make_customer(), (shop["a"], 1)), place(make_customer(), (shop["a"], 1))
    review_paid_orders()
    allocate_approved_orders()
    hold_order(order_id=held.pk, actor=make_staff("service"), reason="核实")
    Shipment.objects.filter(order=later).update(created_at=timezone.now() + timedelta(hours=1))
    assert waves.create_waves(actor=None).parcels == 0
    assert waves.create_waves(actor=None, cutoff=timezone.now() + timedelta(hours=2)).parcels == 1


@translation.override("en")  # the reasons read in English, whatever an earlier test left active
def test_packing_refuses_wrong_items_with_a_reason(shop, packer):
    mine = place(make_customer(), (shop["a"], 2))
    other = place(make_customer(), (shop["b"], 1))
    [[parcel], [_other_parcel]] = to_picking(mine, other)
    stranger = make_sku()
    with pytest.raises(WrongItem, match="another order"):
        packing.scan_item(actor=packer, shipment_id=parcel.pk, code=shop["b"].barcode)
    with pytest.raises(WrongItem, match="not in this parcel"):
        packing.scan_item(actor=packer, shipment_id=parcel.pk, code=stranger.barcode)
    with pytest.raises(WrongItem, match="Unknown barcode"):
        packing.scan_item(actor=packer, shipment_id=parcel.pk, code="6900000000000")
    assert not packing.scan_item(actor=packer, shipment_id=parcel.pk, code=shop["a"].barcode).done
    with pytest.raises(Conflict):
        packing.finish_packing(actor=packer, shipment_id=parcel.pk, weight_g=700)
    assert packing.scan_item(actor=packer, shipment_id=parcel.pk, code=shop["a"].code).done
    with pytest.raises(WrongItem, match="packed already"):
        packing.scan_item(actor=packer, shipment_id=parcel.pk, code=shop["a"].barcode)
    assert parcel.lines.get().packed == 2


def test_box_suggestion_by_volume_and_weight(shop, packer):
    order = place(make_customer(), (shop["a"], 2))
    [[parcel]] = to_picking(order)
    boxes = list(BoxSize.objects.all())
    # 2 × 1000 cm³ × 1.15 fits the small box (3000 cm³, 2 kg).
    assert packing.suggest_box(shipment=parcel, boxes=boxes).code == "s"
    shop["a"].__class__.objects.filter(pk=shop["a"].pk).update(volume_cm3=5000, weight_g=3000)
    assert packing.suggest_box(shipment=parcel, boxes=boxes).code == "l"  # 11,500 cm³, 6 kg


def test_finish_packing_records_box_weight_and_waybill(shop, packer):
    order = place(make_customer(), (shop["a"], 1))
    [[parcel]] = to_picking(order)
    packing.scan_item(actor=packer, shipment_id=parcel.pk, code=shop["a"].barcode)
    with pytest.raises(ValidationFailed):
        packing.finish_packing(actor=packer, shipment_id=parcel.pk, weight_g="heavy")
    done = packing.finish_packing(actor=packer, shipment_id=parcel.pk, weight_g="420")
    assert done.status == ShipmentStatus.PACKED and done.weight_g == 420 and done.box.code == "s"
    carrier = Carrier.objects.get(pk=done.carrier_id)
    assert done.waybill_no == f"{carrier.waybill_prefix}{1:0{carrier.waybill_digits}d}"
    assert status(order) == OrderStatus.PACKED


def test_shipping_deducts_stock_with_ledger_rows(shop, packer):
    order = place(make_customer(), (shop["a"], 2), (shop["b"], 1))
    [[parcel]] = to_picking(order)
    packed(parcel, packer)
    before = {s.sku_id: (s.on_hand, s.reserved) for s in Stock.objects.filter(warehouse=shop["cd"])}
    assert shipping.ship_parcels(actor=packer, shipment_ids=[parcel.pk]) == 1
    after = {s.sku_id: (s.on_hand, s.reserved) for s in Stock.objects.filter(warehouse=shop["cd"])}
    assert after[shop["a"].pk] == (before[shop["a"].pk][0] - 2, before[shop["a"].pk][1] - 2)
    moves = StockMovement.objects.filter(reference=order.number, reason="shipment")
    assert sorted(moves.values_list("stock__sku_id", "on_hand_delta", "note")) == sorted(
        [(shop["a"].pk, -2, parcel.number), (shop["b"].pk, -1, parcel.number)]
    )
    parcel.refresh_from_db()
    assert parcel.status == ShipmentStatus.SHIPPED and parcel.promised_by is not None
    assert status(order) == OrderStatus.SHIPPED
    assert set(
        Reservation.objects.filter(reference=order.number).values_list("status", flat=True)
    ) == {"shipped"}
    # Shipping again is refused, and nothing moves twice.
    with pytest.raises(Conflict):
        shipping.ship_parcels(actor=packer, shipment_ids=[parcel.pk])
    assert moves.count() == 2


def test_a_cancelled_order_leaves_its_wave_and_cannot_ship(shop, packer, make_staff):
    from mercato.orders.services import cancel_order

    order = place(make_customer(), (shop["a"], 1))
    [[parcel]] = to_picking(order)
    cancel_order(
        order_id=order.pk, actor=make_staff("service"), reason="客户取消", by_customer=False
    )
    parcel.refresh_from_db()
    assert parcel.status == ShipmentStatus.CANCELLED
    with pytest.raises(Conflict):
        packing.scan_item(actor=packer, shipment_id=parcel.pk, code=shop["a"].barcode)


def test_split_parcel_ships_separately(shop, packer, make_staff):
    order = place(make_customer(), (shop["a"], 3), (shop["b"], 1))
    review_paid_orders()
    allocate_approved_orders()
    [parcel] = Shipment.objects.filter(order=order)
    line_a = parcel.lines.get(sku=shop["a"])
    service = make_staff("service")
    with pytest.raises(ValidationFailed):
        shipping.split_parcel(actor=service, shipment_id=parcel.pk, lines=[(line_a.pk, 4)])
    second = shipping.split_parcel(actor=service, shipment_id=parcel.pk, lines=[(line_a.pk, 2)])
    assert second.number.endswith("-2")
    assert sorted(second.lines.values_list("sku_id", "quantity")) == [(shop["a"].pk, 2)]
    assert parcel.lines.get(sku=shop["a"]).quantity == 1
    waves.create_waves(actor=None)
    first = Shipment.objects.get(pk=parcel.pk)
    packed(first, packer)
    shipping.ship_parcels(actor=packer, shipment_ids=[first.pk])
    reservation = Reservation.objects.get(reference=order.number, sku=shop["a"])
    assert (reservation.shipped, reservation.status) == (1, "active")  # 2 units still held
    assert status(order) == OrderStatus.SHIPPED
    packed(Shipment.objects.get(pk=second.pk), packer)
    shipping.ship_parcels(actor=packer, shipment_ids=[second.pk])
    reservation.refresh_from_db()
    assert (reservation.shipped, reservation.status) == (3, "shipped")


def test_refused_cod_parcel_comes_back_into_stock(shop, packer):
    order = place(make_customer(), (shop["a"], 2), method="cod")
    [[parcel]] = to_picking(order)
    packed(parcel, packer)
    shipping.ship_parcels(actor=packer, shipment_ids=[parcel.pk])
    Shipment.objects.filter(pk=parcel.pk).update(status=ShipmentStatus.REFUSED)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.EXCEPTION)
    on_hand = Stock.objects.get(sku=shop["a"], warehouse=shop["cd"]).on_hand
    shipping.receive_refused_parcel(actor=packer, shipment_id=parcel.pk)
    assert Stock.objects.get(sku=shop["a"], warehouse=shop["cd"]).on_hand == on_hand + 2
    assert StockMovement.objects.filter(reference=parcel.number, reason="return").count() == 1
    assert status(order) == OrderStatus.CLOSED
    with pytest.raises(Conflict):
        shipping.receive_refused_parcel(actor=packer, shipment_id=parcel.pk)


def test_only_order_processing_packs_and_ships(shop, make_staff):
    from mercato.core.errors import PermissionDeniedError

    order = place(make_customer(), (shop["a"], 1))
    [[parcel]] = to_picking(order)
    buyer = make_staff("procurement")
    with pytest.raises(PermissionDeniedError):
        packing.scan_item(actor=buyer, shipment_id=parcel.pk, code=shop["a"].barcode)
    with pytest.raises(PermissionDeniedError):
        shipping.ship_parcels(actor=buyer, shipment_ids=[parcel.pk])


def test_address_change_after_shipping_is_refused(shop, packer, make_staff):
    from mercato.orders.actions import change_delivery
    from mercato.orders.errors import IllegalTransition

    order = place(make_customer(), (shop["a"], 1))
    [[parcel]] = to_picking(order)
    packed(parcel, packer)
    shipping.ship_parcels(actor=packer, shipment_ids=[parcel.pk])
    with pytest.raises(IllegalTransition):
        change_delivery(order_id=order.pk, actor=make_staff("service"),
                        address=at("四川省", "成都市", "锦江区", "春熙路1号"),
                        confirmation="x")  # fmt: skip


def test_a_large_backlog_moves_its_orders_in_chunks(shop, monkeypatch):
    """Orders enter picking a chunk of ids at a time (a backlog of 100,000 parcels once
    passed PostgreSQL's 65,535 parameters in one statement): every order moves, once."""
    monkeypatch.setattr(waves, "ORDER_CHUNK", 2)
    orders = [place(make_customer(), (shop["a"], 1)) for _ in range(5)]
    to_picking(*orders)
    assert {status(o) for o in orders} == {OrderStatus.PICKING}
    assert Wave.objects.get().parcel_count == 5


def test_an_order_whose_parcels_enter_waves_in_two_batches_moves_to_picking_once(shop):
    """The background wave job takes parcels a batch at a time: an order with a parcel in
    each of two warehouses enters picking with its first parcel, and the second batch
    neither fails (picking → picking is no move) nor writes a second event."""
    from mercato.orders.models import OrderEvent

    shanghai_only = make_sku(weight_g=100)
    stock(shanghai_only, shop["sh"], 10)
    order = place(make_customer(), (shop["a"], 1), (shanghai_only, 1))
    review_paid_orders()
    assert allocate_approved_orders().parcels == 2
    first = waves.create_waves(actor=None, limit=1)
    assert first.parcels == 1 and status(order) == OrderStatus.PICKING
    second = waves.create_waves(actor=None, limit=1)
    assert second.parcels == 1 and status(order) == OrderStatus.PICKING
    assert Shipment.objects.filter(order=order, status=ShipmentStatus.PICKING).count() == 2
    moves = OrderEvent.objects.filter(order=order, to_status=OrderStatus.PICKING)
    assert moves.count() == 1
