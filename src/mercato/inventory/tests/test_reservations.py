"""Reserving, releasing and shipping stock for an order reference, with the ledger."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from mercato.core.errors import Conflict, NotFound, ValidationFailed
from mercato.inventory.models import Reservation, Stock, StockMovement
from mercato.inventory.reservations import (
    OutOfStock,
    deduct_on_shipment,
    release_reservation,
    release_reservations,
    reserve_stock,
    ship_units,
)
from mercato.inventory.selectors import reservations_for
from mercato.inventory.services import receive_stock
from mercato.testing.factories import SkuFactory, make_warehouse

Reason = StockMovement.Reason
Status = Reservation.Status


def stock_of(sku, warehouse) -> tuple[int, int]:
    stock = Stock.objects.get(sku=sku, warehouse=warehouse)
    return stock.on_hand, stock.reserved


def movements(reference: str) -> list[tuple]:
    return list(
        StockMovement.objects.filter(reference=reference)
        .order_by("pk")
        .values_list("reason", "stock__sku_id", "on_hand_delta", "reserved_delta")
    )


@pytest.fixture
def shop(db):
    """Chengdu (serves 四川) holds 5 of A; Shanghai (serves 上海) holds 5 of A and 5 of B."""
    cd, sh = make_warehouse("CD", "四川省"), make_warehouse("SH", "上海市")
    a, b = SkuFactory(), SkuFactory()
    for sku, warehouse in [(a, cd), (a, sh), (b, sh)]:
        receive_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, quantity=5)
    return cd, sh, a, b


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_plan_made_stale_by_another_buyer_is_made_again_on_locked_rows(shop, monkeypatch):
    """Reservation plans on a snapshot and locks only the rows of that plan. When another
    buyer took those units in between, the locked rows show it and the plan is made again
    on every locked row: the Sichuan order goes to Shanghai, Chengdu is not oversold.
    (PostgreSQL only: SQLite takes its write lock at BEGIN, so no other buyer writes
    between a placement's snapshot and its locks there.)"""
    from mercato.inventory import reservations

    cd, sh, a, b = shop
    real_plan, calls = reservations.plan_allocation, []

    def rival_takes_chengdu():
        Stock.objects.filter(sku=a, warehouse=cd).update(reserved=5)
        connection.close()

    def rival_takes_chengdu_after_the_snapshot(**kwargs):
        calls.append(kwargs["available"].copy())
        plan = real_plan(**kwargs)
        if len(calls) == 1:  # the snapshot plan; the rival commits before our locks
            rival = threading.Thread(target=rival_takes_chengdu)  # its own connection
            rival.start()
            rival.join()
        return plan

    monkeypatch.setattr(reservations, "plan_allocation", rival_takes_chengdu_after_the_snapshot)
    rows = reserve_stock(lines=[(a.pk, 2)], province="四川省", reference="O-stale")
    assert [(r.warehouse_id, r.quantity) for r in rows] == [(sh.pk, 2)]
    assert stock_of(a, cd) == (5, 5)  # the rival's 5, none of ours
    assert stock_of(a, sh) == (5, 2)
    assert movements("O-stale") == [(Reason.RESERVATION, a.pk, 0, 2)]
    assert calls[1][(a.pk, cd.pk)] == 0  # planned again on what the locks show


def test_reserving_holds_units_in_the_nearest_warehouse_and_writes_the_ledger(
    shop, make_staff, django_assert_max_num_queries
):
    """A Sichuan order of 2 A is held in Chengdu: reserved rises, on hand does not, one
    ledger row names the order and the clerk."""
    cd, sh, a, b = shop
    clerk = make_staff("operations")
    with django_assert_max_num_queries(14):
        rows = reserve_stock(lines=[(a.pk, 2)], province="四川省", reference="O-1", actor=clerk)
    assert [(r.sku_id, r.warehouse_id, r.quantity, r.status) for r in rows] == [
        (a.pk, cd.pk, 2, Status.ACTIVE)
    ]
    assert stock_of(a, cd) == (5, 2)
    assert stock_of(a, sh) == (5, 0)
    assert movements("O-1") == [(Reason.RESERVATION, a.pk, 0, 2)]
    assert StockMovement.objects.get(reference="O-1").actor == clerk


def test_an_order_no_warehouse_can_fill_alone_is_split_into_parcels(
    shop, django_assert_num_queries
):
    """8 A and 1 B to 四川: Shanghai alone cannot (5 A), so Chengdu sends 5 A and Shanghai
    3 A and 1 B; two parcels, four units reserved in Shanghai, listed by warehouse."""
    cd, sh, a, b = shop
    rows = reserve_stock(lines=[(a.pk, 8), (b.pk, 1)], province="四川省", reference="O-2")
    assert sorted((r.warehouse_id, r.sku_id, r.quantity) for r in rows) == sorted(
        [(cd.pk, a.pk, 5), (sh.pk, a.pk, 3), (sh.pk, b.pk, 1)]
    )
    assert (stock_of(a, cd), stock_of(a, sh), stock_of(b, sh)) == ((5, 5), (5, 3), (5, 1))
    with django_assert_num_queries(1):
        parcels = [
            (r.warehouse.code, r.sku.code, r.quantity) for r in reservations_for(reference="O-2")
        ]
    assert parcels == [("CD", a.code, 5), ("SH", a.code, 3), ("SH", b.code, 1)]


def test_out_of_stock_names_the_skus_and_writes_nothing(shop):
    """11 A (10 in all) and 1 B: refused with A's code in the message; no reservation, no
    ledger row, and B's stock untouched."""
    cd, sh, a, b = shop
    before = StockMovement.objects.count()
    with pytest.raises(OutOfStock) as caught:
        reserve_stock(lines=[(a.pk, 11), (b.pk, 1)], province="四川省", reference="O-3")
    assert caught.value.code == "out_of_stock"
    assert caught.value.sku_ids == [a.pk]
    assert a.code in caught.value.message and b.code not in caught.value.message
    assert not Reservation.objects.exists()
    assert StockMovement.objects.count() == before
    assert stock_of(b, sh) == (5, 0)


def test_the_sold_out_message_is_in_chinese_for_chinese_customers(shop):
    """The customer reads which SKU sold out in Simplified Chinese."""
    cd, sh, a, b = shop
    with translation.override("zh-hans"), pytest.raises(OutOfStock) as caught:
        reserve_stock(lines=[(b.pk, 6)], province="四川省", reference="O-3b")
    assert caught.value.message == f"已售罄，以下商品库存不足：{b.code}"


def test_reserved_units_are_not_reserved_again(shop):
    """Two orders of 5 A for 四川: the first takes Chengdu's five, the second Shanghai's;
    a third is sold out."""
    cd, sh, a, b = shop
    first = reserve_stock(lines=[(a.pk, 5)], province="四川省", reference="O-4")
    second = reserve_stock(lines=[(a.pk, 5)], province="四川省", reference="O-5")
    assert (first[0].warehouse_id, second[0].warehouse_id) == (cd.pk, sh.pk)
    with pytest.raises(OutOfStock):
        reserve_stock(lines=[(a.pk, 1)], province="四川省", reference="O-6")


def test_inactive_warehouses_are_never_reserved_from(shop):
    """Chengdu closed: the Sichuan order goes to Shanghai."""
    cd, sh, a, b = shop
    cd.is_active = False
    cd.save()
    rows = reserve_stock(lines=[(a.pk, 1)], province="四川省", reference="O-7")
    assert rows[0].warehouse_id == sh.pk


def test_a_reference_reserves_once(shop):
    """Placing the same order twice is a Conflict and holds nothing more."""
    cd, sh, a, b = shop
    reserve_stock(lines=[(a.pk, 1)], province="四川省", reference="O-8")
    with pytest.raises(Conflict) as caught:
        reserve_stock(lines=[(a.pk, 1)], province="四川省", reference="O-8")
    assert caught.value.code == "already_reserved"
    assert stock_of(a, cd) == (5, 1)


def test_the_database_refuses_a_second_row_for_one_reference_sku_and_warehouse(shop):
    """The unique constraint backs the service: one reference holds one (SKU, warehouse)."""
    cd, sh, a, b = shop
    Reservation.objects.create(reference="O-9", sku=a, warehouse=cd, quantity=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Reservation.objects.create(reference="O-9", sku=a, warehouse=cd, quantity=2)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"lines": [], "reference": "O-10"}, "lines"),
        ({"lines": [(1, 0)], "reference": "O-10"}, "lines"),
        ({"lines": [(1, 1)], "reference": " "}, "reference"),
        ({"lines": [(1, 1)], "reference": "x" * 61}, "reference"),
        ({"lines": [(1, 1)], "reference": "O-10", "province": "四川"}, "province"),
        ({"lines": [(1, 1)], "reference": "O-10", "province": "香港特别行政区"}, "province"),
    ],
)
def test_bad_input_names_the_field(shop, kwargs, field):
    """No lines, a zero quantity, a blank or overlong reference, or a province outside
    cpca's mainland list: a validation error naming the field."""
    with pytest.raises(ValidationFailed) as caught:
        reserve_stock(**{"province": "四川省", **kwargs})
    assert field in caught.value.field_errors


def test_releasing_gives_the_units_back_once(shop):
    """Cancelling a split order frees every parcel's units with a release row each; a
    second release (a retried cancel) changes nothing."""
    cd, sh, a, b = shop
    reserve_stock(lines=[(a.pk, 8), (b.pk, 1)], province="四川省", reference="O-11")
    released = release_reservation(reference="O-11", reason="customer cancelled")
    assert len(released) == 3
    assert (stock_of(a, cd), stock_of(a, sh), stock_of(b, sh)) == ((5, 0), (5, 0), (5, 0))
    assert {r.status for r in Reservation.objects.filter(reference="O-11")} == {Status.RELEASED}
    rows = movements("O-11")
    assert [r[0] for r in rows].count(Reason.RELEASE) == 3

    assert release_reservation(reference="O-11", reason="again") == []
    assert movements("O-11") == rows


def test_releasing_an_unknown_reference_is_a_no_op_and_a_reason_is_required(shop):
    """An order that never reserved can be cancelled (nothing to release); a release needs
    a reason."""
    assert release_reservation(reference="NEVER", reason="expired") == []
    with pytest.raises(ValidationFailed) as caught:
        release_reservation(reference="NEVER", reason=" ")
    assert "reason" in caught.value.field_errors


def test_the_expiry_sweep_releases_many_orders_at_once_each_with_its_own_ledger_rows(shop):
    """release_reservations (the expiry sweep's batches): every order's units come back,
    two orders holding units of one stock row included; each reservation gets a release
    row naming its own order; an order that never reserved is no trouble; a second sweep
    over the same orders (a retried batch) changes nothing."""
    cd, sh, a, b = shop
    reserve_stock(lines=[(a.pk, 2)], province="四川省", reference="E-1")  # Chengdu
    reserve_stock(lines=[(a.pk, 1)], province="四川省", reference="E-2")  # Chengdu as well
    reserve_stock(lines=[(a.pk, 4), (b.pk, 2)], province="四川省", reference="E-3")  # split
    reserve_stock(lines=[(b.pk, 1)], province="上海市", reference="E-kept")
    held = sorted(
        Reservation.objects.filter(reference__in=["E-1", "E-2", "E-3"]).values_list(
            "reference", "sku_id", "quantity"
        )
    )
    assert len(held) == 4  # E-3 is split over both warehouses

    released = release_reservations(
        references=["E-3", "E-1", "NEVER", "E-2", "E-1"], reason="Not paid in time"
    )

    assert sorted((r.reference, r.sku_id, r.quantity) for r in released) == held
    assert (stock_of(a, cd), stock_of(a, sh), stock_of(b, sh)) == ((5, 0), (5, 0), (5, 1))
    releases = StockMovement.objects.filter(reason=Reason.RELEASE)
    assert sorted(
        (m.reference, m.stock.sku_id, -m.reserved_delta, m.on_hand_delta) for m in releases
    ) == [(reference, sku, quantity, 0) for reference, sku, quantity in held]
    assert set(
        Reservation.objects.filter(reference__in=["E-1", "E-2", "E-3"]).values_list(
            "status", "note"
        )
    ) == {(Status.RELEASED, "Not paid in time")}
    assert Reservation.objects.get(reference="E-kept").status == Status.ACTIVE

    ledger = StockMovement.objects.count()
    assert release_reservations(references=["E-1", "E-2", "E-3"], reason="again") == []
    assert StockMovement.objects.count() == ledger
    assert (stock_of(a, cd), stock_of(a, sh), stock_of(b, sh)) == ((5, 0), (5, 0), (5, 1))


def test_releasing_a_batch_costs_the_same_queries_for_two_orders_or_twelve(db):
    """The sweep's batch of 500 must not run a query per order: releasing twelve orders
    takes exactly as many statements as releasing two."""
    warehouse = make_warehouse("CD", "四川省")
    skus = [SkuFactory() for _ in range(3)]
    for sku in skus:
        receive_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, quantity=50)
    for n in range(14):
        reserve_stock(lines=[(skus[n % 3].pk, 1)], province="四川省", reference=f"Q-{n}")

    def statements(references) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert len(release_reservations(references=references, reason="expired")) == len(
                references
            )
        return len(queries)

    assert statements([f"Q-{n}" for n in range(2, 14)]) == statements(["Q-0", "Q-1"])
    assert Stock.objects.get(sku=skus[0]).reserved == 0


def test_releasing_a_partly_shipped_order_gives_back_only_the_units_still_held(shop):
    """A split order whose first parcel left with some units: the release gives back the
    rest of that reservation, not units another order holds on the same row."""
    cd, sh, a, b = shop
    reserve_stock(lines=[(a.pk, 4)], province="四川省", reference="P-1")  # Chengdu
    reserve_stock(lines=[(a.pk, 1)], province="四川省", reference="P-other")  # Chengdu
    ship_units(reference="P-1", warehouse=cd, units=[(a.pk, 1)], parcel="P-1-1")
    assert stock_of(a, cd) == (4, 4)

    [released] = release_reservations(references=["P-1"], reason="cancelled")

    assert (released.quantity, released.shipped, released.status) == (4, 1, Status.RELEASED)
    assert stock_of(a, cd) == (4, 1)  # P-other's unit is still held
    assert movements("P-1")[-1] == (Reason.RELEASE, a.pk, 0, -3)
    assert Reservation.objects.get(reference="P-other").status == Status.ACTIVE


def test_a_batch_with_a_shipped_order_is_refused_whole_and_a_reason_is_required(shop):
    """An order whose goods left cannot be released by a sweep: Conflict naming it, and
    the other orders of the batch are left as they were (one transaction)."""
    cd, sh, a, b = shop
    reserve_stock(lines=[(a.pk, 1)], province="四川省", reference="S-1")
    reserve_stock(lines=[(a.pk, 1)], province="四川省", reference="S-shipped")
    deduct_on_shipment(reference="S-shipped")
    with pytest.raises(Conflict) as caught:
        release_reservations(references=["S-1", "S-shipped"], reason="expired")
    assert caught.value.code == "already_shipped"
    assert "S-shipped" in caught.value.message
    assert Reservation.objects.get(reference="S-1").status == Status.ACTIVE
    assert stock_of(a, cd) == (4, 1)

    with pytest.raises(ValidationFailed) as caught:
        release_reservations(references=["S-1"], reason=" ")
    assert "reason" in caught.value.field_errors
    with pytest.raises(ValidationFailed) as caught:
        release_reservations(references=["S-1", ""], reason="expired")
    assert "reference" in caught.value.field_errors
    assert release_reservations(references=[], reason="expired") == []


def test_shipping_deducts_on_hand_and_reserved_once(shop):
    """Shipment turns the hold into a deduction: on hand and reserved both fall; shipping
    again changes nothing."""
    cd, sh, a, b = shop
    reserve_stock(lines=[(a.pk, 2)], province="四川省", reference="O-12")
    shipped = deduct_on_shipment(reference="O-12")
    assert [(r.quantity, r.status) for r in shipped] == [(2, Status.SHIPPED)]
    assert stock_of(a, cd) == (3, 0)
    assert movements("O-12")[-1] == (Reason.SHIPMENT, a.pk, -2, -2)
    assert deduct_on_shipment(reference="O-12") == []
    assert stock_of(a, cd) == (3, 0)


def test_a_split_order_ships_parcel_by_parcel(shop):
    """Shipping Shanghai's parcel leaves Chengdu's held until it ships too."""
    cd, sh, a, b = shop
    reserve_stock(lines=[(a.pk, 8), (b.pk, 1)], province="四川省", reference="O-13")
    assert len(deduct_on_shipment(reference="O-13", warehouse=sh)) == 2
    assert (stock_of(a, cd), stock_of(a, sh), stock_of(b, sh)) == ((5, 5), (2, 0), (4, 0))
    assert len(deduct_on_shipment(reference="O-13", warehouse=cd.pk)) == 1
    assert stock_of(a, cd) == (0, 0)


def test_released_goods_cannot_ship_and_shipped_goods_cannot_be_released(shop):
    """The late caller hears a Conflict naming what happened; stock stays as it was."""
    cd, sh, a, b = shop
    reserve_stock(lines=[(a.pk, 1)], province="四川省", reference="O-14")
    release_reservation(reference="O-14", reason="expired")
    with pytest.raises(Conflict) as caught:
        deduct_on_shipment(reference="O-14")
    assert caught.value.code == "already_released"

    reserve_stock(lines=[(a.pk, 1)], province="四川省", reference="O-15")
    deduct_on_shipment(reference="O-15")
    with pytest.raises(Conflict) as caught:
        release_reservation(reference="O-15", reason="too late")
    assert caught.value.code == "already_shipped"
    assert stock_of(a, cd) == (4, 0)


def test_shipping_what_was_never_reserved_is_not_found(shop):
    """An unknown reference, or a warehouse that holds nothing for it: NotFound."""
    cd, sh, a, b = shop
    with pytest.raises(NotFound):
        deduct_on_shipment(reference="NEVER")
    reserve_stock(lines=[(a.pk, 1)], province="四川省", reference="O-16")
    with pytest.raises(NotFound):
        deduct_on_shipment(reference="O-16", warehouse=sh)


def test_the_cached_warehouse_list_follows_every_change(
    shop, make_staff, django_assert_num_queries
):
    """Placement reads the warehouse list from the cache; a new warehouse, new served
    provinces and a deactivated warehouse all show at once."""
    from mercato.inventory.allocation import load_warehouses
    from mercato.inventory.services import set_served_provinces

    cd, sh, a, b = shop
    assert {w.code for w in load_warehouses()} == {"CD", "SH"}
    with django_assert_num_queries(0):
        load_warehouses()
    make_warehouse("GZ", "广东省")
    assert {w.code for w in load_warehouses()} == {"CD", "SH", "GZ"}
    set_served_provinces(
        actor=make_staff("tech", roles=["sysadmin"]),
        warehouse_id=cd.pk,
        provinces=["四川省", "重庆市"],
    )
    assert next(w for w in load_warehouses() if w.code == "CD").serves == {"四川省", "重庆市"}
    cd.is_active = False
    cd.save()
    assert {w.code for w in load_warehouses()} == {"SH", "GZ"}


def test_a_process_keeps_the_warehouse_list_under_the_version_placement_read(
    shop, django_assert_num_queries
):
    """Placement reads the list's version in its lines query (warehouses_version); while
    it holds, the list its process kept is used without a query or a cache call. Every
    change of a warehouse renews it."""
    from django.core.cache import cache

    from mercato.inventory.allocation import load_warehouses, warehouses_version
    from mercato.inventory.models import Warehouse

    def version():
        return Warehouse.objects.annotate(v=warehouses_version()).values_list("v", flat=True)[0]

    cd, sh, a, b = shop
    before = version()
    assert {w.code for w in load_warehouses(version=before)} == {"CD", "SH"}
    cache.clear()
    with django_assert_num_queries(0):
        assert {w.code for w in load_warehouses(version=before)} == {"CD", "SH"}
    Warehouse.objects.filter(pk=cd.pk).update(is_active=False)  # no signal: not seen
    assert {w.code for w in load_warehouses(version=before)} == {"CD", "SH"}
    make_warehouse("GZ", "广东省")
    assert version() != before
    assert {w.code for w in load_warehouses(version=version())} == {"SH", "GZ"}
