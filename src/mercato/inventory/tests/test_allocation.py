"""The allocation rule with hand-made warehouses and stock (no database but for plan_parcels)."""

from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mercato.core.errors import ValidationFailed
from mercato.core.regions import mainland_provinces
from mercato.inventory.allocation import (
    CAPITALS,
    OutOfStock,
    WarehouseInfo,
    distance_km,
    plan_allocation,
    plan_parcels,
    rank_warehouses,
)

# Four warehouses: Chengdu serves the south-west, Shanghai the east, Guangzhou the south,
# Beijing the north. Ids are the list positions + 1.
CD = WarehouseInfo(1, "CD", "成都仓", "四川省", 10, frozenset({"四川省", "重庆市", "贵州省"}))
SH = WarehouseInfo(2, "SH", "上海仓", "上海市", 10, frozenset({"上海市", "江苏省", "浙江省"}))
GZ = WarehouseInfo(3, "GZ", "广州仓", "广东省", 10, frozenset({"广东省", "广西壮族自治区"}))
BJ = WarehouseInfo(4, "BJ", "北京仓", "北京市", 10, frozenset({"北京市", "天津市", "河北省"}))
ALL = [BJ, GZ, SH, CD]
A, B, C = 101, 102, 103  # SKU ids


def plan(lines, province, available, warehouses=ALL):
    parcels = plan_allocation(
        lines=lines, province=province, warehouses=warehouses, available=available
    )
    return [(p.warehouse.code, list(p.lines)) for p in parcels]


def test_every_mainland_province_has_a_capital_for_the_distance_order():
    """Distances are known for all 31 province-level regions, so no warehouse ranks as
    infinitely far by accident."""
    assert set(CAPITALS) == set(mainland_provinces())
    assert distance_km("四川省", "四川省") == 0
    assert 1600 < distance_km("上海市", "四川省") < 1700  # 上海–成都 is about 1,660 km


def test_warehouses_serving_the_province_come_first_by_priority_then_the_rest_by_distance():
    """For 重庆市: the two warehouses that serve it by priority, then Guangzhou (~980 km)
    before Beijing (~1,460 km) and Shanghai (~1,440 km from 重庆, further than Guangzhou)."""
    backup = WarehouseInfo(5, "CQ", "重庆仓", "重庆市", 20, frozenset({"重庆市"}))
    ranked = rank_warehouses(warehouses=ALL + [backup], province="重庆市")
    assert [w.code for w in ranked][:2] == ["CD", "CQ"]
    assert [w.code for w in ranked][2] == "GZ"
    assert {w.code for w in ranked[3:]} == {"SH", "BJ"}


def test_the_serving_warehouse_fills_the_whole_order_when_it_can():
    """Stock everywhere: a Sichuan order ships in one parcel from Chengdu."""
    stock = {(sku, w.id): 10 for sku in (A, B) for w in ALL}
    assert plan([(A, 2), (B, 1)], "四川省", stock) == [("CD", [(A, 2), (B, 1)])]


def test_the_nearest_warehouse_that_can_fill_everything_beats_a_nearer_partial_one():
    """Chengdu lacks B: the order goes whole from the nearest other warehouse that has
    both (Guangzhou, nearer to 四川 than Shanghai or Beijing), not split."""
    stock = {(A, CD.id): 5, (A, GZ.id): 5, (B, GZ.id): 5, (A, BJ.id): 5, (B, BJ.id): 5}
    assert plan([(A, 1), (B, 1)], "四川省", stock) == [("GZ", [(A, 1), (B, 1)])]


def test_when_no_warehouse_has_everything_the_order_splits_into_the_fewest_parcels():
    """A in Chengdu and Shanghai, B only in Shanghai, C only in Beijing: two parcels
    (Shanghai A+B, Beijing C) rather than three with the nearer Chengdu (CD A, SH B, BJ C)."""
    stock = {(A, CD.id): 5, (A, SH.id): 5, (B, SH.id): 5, (C, BJ.id): 5}
    # Parcels come nearest first: 成都–北京 ~1,520 km, 成都–上海 ~1,660 km.
    assert plan([(A, 1), (B, 1), (C, 1)], "四川省", stock) == [
        ("BJ", [(C, 1)]),
        ("SH", [(A, 1), (B, 1)]),
    ]


def test_among_equally_small_splits_the_nearer_warehouses_win():
    """A in Chengdu and Beijing, B in Shanghai and Guangzhou: for 四川 the pair is Chengdu +
    Guangzhou; for 北京 it is Beijing + Shanghai (nearer to 北京 than Guangzhou)."""
    stock = {(A, CD.id): 3, (A, BJ.id): 3, (B, SH.id): 3, (B, GZ.id): 3}
    assert plan([(A, 1), (B, 1)], "四川省", stock) == [("CD", [(A, 1)]), ("GZ", [(B, 1)])]
    assert plan([(A, 1), (B, 1)], "北京市", stock) == [("BJ", [(A, 1)]), ("SH", [(B, 1)])]


def test_a_line_larger_than_any_one_warehouse_is_split_nearest_first():
    """8 units of A, 5 in Chengdu and 5 in Guangzhou: 5 from Chengdu, 3 from Guangzhou."""
    stock = {(A, CD.id): 5, (A, GZ.id): 5, (A, BJ.id): 5}
    assert plan([(A, 8)], "四川省", stock) == [("CD", [(A, 5)]), ("GZ", [(A, 3)])]


def test_repeated_lines_of_one_sku_are_added_up():
    """Two lines of A (2 + 3) need 5 units, more than Chengdu's 4."""
    stock = {(A, CD.id): 4, (A, SH.id): 5}
    assert plan([(A, 2), (A, 3)], "四川省", stock) == [("SH", [(A, 5)])]


def test_out_of_stock_names_only_the_skus_that_all_warehouses_together_cannot_supply():
    """B has 3 units in all (1 + 2) against 4 wanted, C has none; A is fine."""
    stock = {(A, CD.id): 9, (B, CD.id): 1, (B, SH.id): 2}
    with pytest.raises(OutOfStock) as caught:
        plan([(A, 1), (B, 4), (C, 1)], "四川省", stock)
    assert caught.value.sku_ids == [B, C]
    assert caught.value.code == "out_of_stock"
    assert "102" in caught.value.message and "103" in caught.value.message


def test_reserved_units_are_not_available():
    """A negative or zero availability (everything reserved) counts as nothing."""
    with pytest.raises(OutOfStock):
        plan([(A, 1)], "四川省", {(A, CD.id): 0, (A, SH.id): -2})


@pytest.mark.parametrize("lines", [[], [(A, 0)], [(A, -1)], [(A, 1.5)], [(A, True)]])
def test_bad_quantities_are_refused_naming_the_lines(lines):
    """Nothing, zero, negative, fractional or boolean quantities are a validation error."""
    with pytest.raises(ValidationFailed) as caught:
        plan(lines, "四川省", {(A, CD.id): 5})
    assert caught.value.field_errors.keys() == {"lines"}


def test_many_warehouses_fall_back_to_a_greedy_cover_that_still_fills_the_order():
    """With twelve warehouses (beyond exact search) each holding one SKU, plus one holding
    the first six: the plan uses the big one and six singles, seven parcels, all filled."""
    many = [
        WarehouseInfo(10 + i, f"W{i:02d}", f"仓{i}", "河南省", 50, frozenset()) for i in range(12)
    ]
    big = WarehouseInfo(99, "BIG", "大仓", "湖北省", 50, frozenset())
    stock = {(200 + i, 10 + i): 1 for i in range(12)}
    stock.update({(200 + i, 99): 1 for i in range(6)})
    parcels = plan([(200 + i, 1) for i in range(12)], "湖北省", stock, warehouses=many + [big])
    assert parcels[0] == ("BIG", [(200 + i, 1) for i in range(6)])
    assert len(parcels) == 7
    assert sorted(line for _, lines in parcels for line in lines) == [
        (200 + i, 1) for i in range(12)
    ]


@pytest.mark.django_db
def test_plan_parcels_reads_the_database_without_changing_it(django_assert_max_num_queries):
    """Checkout's preview: parcels from real warehouses and stock, SKU codes in the sold-out
    message, in four queries whatever the order size, and no ledger rows written."""
    from mercato.inventory.models import StockMovement
    from mercato.inventory.services import create_warehouse, receive_stock
    from mercato.testing.factories import SkuFactory

    address = {"city": "成都市", "district": "双流区", "address": "物联大道200号"}
    cd = create_warehouse(
        actor=None, code="CD01", name="成都仓", provinces=["四川省"], province="四川省", **address
    )
    sh = create_warehouse(
        actor=None, code="SH01", name="上海仓", provinces=["上海市"], province="上海市", **address
    )
    a, b = SkuFactory(), SkuFactory()
    receive_stock(actor=None, sku_id=a.pk, warehouse_id=cd.pk, quantity=2)
    receive_stock(actor=None, sku_id=b.pk, warehouse_id=sh.pk, quantity=2)
    ledger_rows = StockMovement.objects.count()

    with django_assert_max_num_queries(3):
        parcels = plan_parcels(lines=[(a.pk, 2), (b.pk, 1)], province="四川省")
    assert [(p.warehouse.name, list(p.lines)) for p in parcels] == [
        ("成都仓", [(a.pk, 2)]),
        ("上海仓", [(b.pk, 1)]),
    ]
    with pytest.raises(OutOfStock) as caught:
        plan_parcels(lines=[(a.pk, 3)], province="四川省")
    assert a.code in caught.value.message
    assert StockMovement.objects.count() == ledger_rows


def fewest_warehouses(wanted: dict, available: dict, warehouses) -> int | None:
    """The smallest number of warehouses that together hold enough, by brute force."""
    for size in range(1, len(warehouses) + 1):
        for members in combinations(warehouses, size):
            if all(
                sum(available.get((s, w.id), 0) for w in members) >= q for s, q in wanted.items()
            ):
                return size
    return None


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(
        st.tuples(st.sampled_from([A, B, C]), st.integers(1, 5)), min_size=1, max_size=4
    ),
    available=st.dictionaries(
        st.tuples(st.sampled_from([A, B, C]), st.sampled_from([w.id for w in ALL])),
        st.integers(0, 6),
    ),
    province=st.sampled_from(["四川省", "上海市", "新疆维吾尔自治区", "海南省"]),
)
def test_any_plan_fills_the_order_exactly_in_the_fewest_parcels(lines, available, province):
    """For any order and stock: either every unit is planned, from stock that exists, in as
    few parcels as brute force finds, or OutOfStock names exactly the SKUs short."""
    wanted: dict[int, int] = {}
    for sku, qty in lines:
        wanted[sku] = wanted.get(sku, 0) + qty
    short = sorted(
        s for s, q in wanted.items() if sum(available.get((s, w.id), 0) for w in ALL) < q
    )
    try:
        parcels = plan_allocation(
            lines=lines, province=province, warehouses=ALL, available=available
        )
    except OutOfStock as exc:
        assert exc.sku_ids == short
        return
    assert short == []
    planned: dict[int, int] = {}
    for parcel in parcels:
        assert parcel.lines
        for sku, qty in parcel.lines:
            assert 0 < qty <= available[(sku, parcel.warehouse.id)]
            planned[sku] = planned.get(sku, 0) + qty
    assert planned == wanted
    assert len({p.warehouse.id for p in parcels}) == len(parcels)
    assert len(parcels) == fewest_warehouses(wanted, available, ALL)


@pytest.mark.postgres
def test_the_stock_read_as_a_column_is_the_snapshot_read_on_its_own(db):
    """stock_column in another query (checkout's lines), of one SKU or several, kept to the
    active warehouses by
    snapshot_of_columns, is what read_stock reads: a closed warehouse's units are not
    planned on, a SKU with no stock row has none."""
    from django.db.models import OuterRef

    from mercato.catalog.models import Sku
    from mercato.inventory.allocation import read_stock, snapshot_of_columns, stock_column
    from mercato.inventory.models import Warehouse
    from mercato.inventory.services import create_warehouse, receive_stock
    from mercato.testing.factories import SkuFactory

    address = {"city": "成都市", "district": "双流区", "address": "物联大道200号"}
    warehouses = [
        create_warehouse(
            actor=None, code=code, name=code, provinces=[province], province=province, **address
        )
        for code, province in (("CD01", "四川省"), ("SH01", "上海市"), ("GZ01", "广东省"))
    ]
    a, b, none = SkuFactory(), SkuFactory(), SkuFactory()
    for n, warehouse in enumerate(warehouses, 1):
        receive_stock(actor=None, sku_id=a.pk, warehouse_id=warehouse.pk, quantity=n)
    receive_stock(actor=None, sku_id=b.pk, warehouse_id=warehouses[1].pk, quantity=4)
    closed = Warehouse.objects.get(pk=warehouses[2].pk)
    closed.is_active = False
    closed.save()  # forgets the cached warehouse list (inventory.apps)
    sku_ids = [a.pk, b.pk, none.pk]
    columns = dict(
        Sku.objects.filter(pk__in=sku_ids)
        .annotate(stock=stock_column(sku_id=OuterRef("pk")))
        .values_list("pk", "stock")
    )
    snapshot = snapshot_of_columns(sku_ids=sku_ids, columns=columns.values())
    assert snapshot == read_stock(sku_ids=sku_ids)
    # Several SKUs' stock in one column: the same.
    ids = Sku.objects.filter(pk__in=sku_ids).values("pk")
    ((column,),) = (
        Sku.objects.filter(pk=a.pk).annotate(stock=stock_column(sku_ids=ids)).values_list("stock")
    )
    assert snapshot_of_columns(sku_ids=sku_ids, columns=[column]) == snapshot
    assert {key: free for key, (_pk, free) in snapshot.rows.items()} == {
        (a.pk, warehouses[0].pk): 1,
        (a.pk, warehouses[1].pk): 2,
        (b.pk, warehouses[1].pk): 4,
    }
