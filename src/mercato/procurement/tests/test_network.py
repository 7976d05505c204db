"""Warehouse network planning: the assignment MILP is optimal (brute force on small random
cases, and a case worked by hand), the plan reads orders and carriers, and applying it
changes the warehouse the next reservation uses; bad input changes nothing."""

import datetime
import itertools
import random

import numpy as np
import pytest
import time_machine

from mercato.core.errors import Conflict, ValidationFailed
from mercato.inventory.allocation import load_warehouses, rank_warehouses
from mercato.inventory.models import WarehouseProvince
from mercato.inventory.reservations import reserve_stock
from mercato.inventory.services import receive_stock
from mercato.inventory.serving import assign_provinces, served_version
from mercato.procurement import network
from mercato.testing.procurement import make_network_shop

NOW = datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.UTC)


def brute_force(orders, cost, days, weight, caps):
    """The least objective over every assignment of provinces to warehouses that keeps
    each warehouse within its cap."""
    w_count, p_count = cost.shape
    best = None
    for assignment in itertools.product(range(w_count), repeat=p_count):
        load = np.zeros(w_count)
        for p, w in enumerate(assignment):
            load[w] += orders[p]
        if (load > caps).any() or not np.isfinite(cost[list(assignment), range(p_count)]).all():
            continue
        value = network.objective(np.array(assignment), orders, cost, days, weight=weight)
        best = value if best is None else min(best, value)
    return best


@pytest.mark.parametrize("seed", range(40))
def test_assignment_is_optimal_against_brute_force(seed):
    rng = random.Random(seed)
    w_count, p_count = rng.choice([2, 3]), rng.choice([3, 4, 5])
    orders = np.array([rng.choice([0, rng.randint(1, 20)]) for _ in range(p_count)], float)
    cost = np.array([[rng.randint(4, 25) for _ in range(p_count)] for _ in range(w_count)], float)
    if rng.random() < 0.3:  # a lane no carrier serves
        cost[rng.randrange(w_count - 1), rng.randrange(p_count)] = np.inf
    days = np.array([[rng.randint(1, 5) for _ in range(p_count)] for _ in range(w_count)])
    weight = rng.choice([0, 1.5, 4])
    caps = np.array([rng.choice([np.inf, orders.sum() * 0.6]) for _ in range(w_count)])
    best = brute_force(orders, cost, days, weight, caps)
    if best is None:
        with pytest.raises(network.NoWarehouse):
            network.solve(orders, cost, days, weight=weight, caps=caps)
        return
    got = network.solve(orders, cost, days, weight=weight, caps=caps)
    assert network.objective(got, orders, cost, days, weight=weight) == pytest.approx(best)
    load = np.bincount(got, weights=orders, minlength=w_count)
    assert (load <= caps + 1e-9).all()


def test_hand_computed_case():
    # ¥ + 2 × days per order. W0: 7, 16, 12; W1: 13, 8, 11 (p0, p1, p2).
    orders = np.array([10, 5, 0])
    cost = np.array([[5, 10, 8], [9, 6, 7]], float)
    days = np.array([[1, 3, 2], [2, 1, 2]])
    got = network.solve(orders, cost, days, weight=2)
    assert got.tolist() == [0, 1, 1]  # 10×7 + 5×8 = 110
    assert network.objective(got, orders, cost, days, weight=2) == pytest.approx(110, abs=0.1)
    # W0 may take at most 5 orders: p0 (10 orders) must go to W1, and p1 is cheaper there.
    capped = network.solve(orders, cost, days, weight=2, caps=[5, np.inf])
    assert capped.tolist() == [1, 1, 1]  # 10×13 + 5×8 = 170
    # Days weigh nothing: cost alone, p2 to the cheaper W1 (7 < 8).
    assert network.solve(orders, cost, days, weight=0).tolist() == [0, 1, 1]


def test_a_province_without_any_lane_is_refused():
    cost = np.array([[5, np.inf], [6, np.inf]])
    with pytest.raises(network.NoWarehouse, match="没有任何仓库能够发货"):
        network.solve([1, 1], cost, np.ones((2, 2)), weight=1)


def test_zones_scale_a_national_rate_by_distance():
    assert network.zone_for("四川省", "四川省") == (0.75, -1)
    assert network.zone_for("四川省", "重庆市") == (0.9, 0)  # ~270 km
    assert network.zone_for("上海市", "新疆维吾尔自治区") == (1.15, 1)


@pytest.fixture
def network_shop(db):
    """30 orders to 四川 (served from far-away 上海) and 5 to 上海 in the last 90 days."""
    return make_network_shop(
        orders={"四川省": 30, "上海市": 5}, placed_at=NOW - datetime.timedelta(days=10)
    )


@time_machine.travel(NOW, tick=False)
def test_plan_moves_a_far_province_to_the_near_warehouse(network_shop):
    plan = network.plan_network(days=90)
    rows = {r.province: r for r in plan.rows}
    sichuan = rows["四川省"]
    assert sichuan.orders == 30
    assert sichuan.current.code == "SH" and sichuan.proposed.code == "CD"
    # yto is the cheapest carrier meeting 四川's promise: ¥7.50 nationally, 3 days; from
    # 上海 (> 1,600 km) ×1.15 and +1 day, from 成都 (same province) ×0.75 and −1 day.
    assert (sichuan.current_lane.cost, sichuan.current_lane.days) == (8.63, 4)
    assert (sichuan.proposed_lane.cost, sichuan.proposed_lane.days) == (5.63, 2)
    assert sichuan.saving == pytest.approx(30 * 3.0)
    assert plan.proposed.cost < plan.current.cost
    assert plan.proposed.mean_days < plan.current.mean_days
    assert rows["上海市"].proposed.code == "SH"
    assert plan.proposed.orders == 35
    # New sites: every capital without a warehouse, best first; none beats the plan by
    # more than the orders it could take.
    assert {c.province for c in plan.candidates} == set(network.CAPITALS) - {"上海市", "四川省"}
    assert all(c.cost_saving >= -0.01 for c in plan.candidates)


@time_machine.travel(NOW, tick=False)
def test_applying_the_plan_moves_the_next_reservation(network_shop, make_staff):
    sku, sh, cd = network_shop["sku"], network_shop["sh"], network_shop["cd"]
    receive_stock(actor=None, sku_id=sku.pk, warehouse_id=sh.pk, quantity=10)
    receive_stock(actor=None, sku_id=sku.pk, warehouse_id=cd.pk, quantity=10)
    [before] = reserve_stock(lines=[(sku.pk, 1)], province="四川省", reference="NET-1")
    assert before.warehouse_id == sh.pk
    plan = network.plan_network(days=90, candidates=False)
    lead = make_staff("procurement", roles=["procurement_lead"])
    changed = assign_provinces(
        actor=lead, assignment={r.province: r.proposed.id for r in plan.rows},
        expected_version=plan.version,
    )  # fmt: skip
    assert changed >= 1
    [after] = reserve_stock(lines=[(sku.pk, 1)], province="四川省", reference="NET-2")
    assert after.warehouse_id == cd.pk
    assert list(
        WarehouseProvince.objects.filter(province="四川省").values_list("warehouse_id", flat=True)
    ) == [cd.pk]
    assert rank_warehouses(warehouses=load_warehouses(), province="四川省")[0].id == cd.pk


def test_bad_input_names_it_and_changes_nothing(network_shop, make_staff):
    lead = make_staff("procurement", roles=["procurement_lead"])
    sh = network_shop["sh"]
    before = served_version()
    with pytest.raises(ValidationFailed) as exc:
        assign_provinces(actor=lead, assignment={"四川省": sh.pk, "火星省": sh.pk})
    assert "火星省" in str(exc.value.field_errors)
    with pytest.raises(ValidationFailed) as exc:
        assign_provinces(actor=lead, assignment={"重庆市": 999_999})
    assert "重庆市" in str(exc.value.field_errors)
    with pytest.raises(ValidationFailed):
        assign_provinces(actor=lead, assignment={})
    with pytest.raises(Conflict):
        assign_provinces(actor=lead, assignment={"重庆市": sh.pk}, expected_version="stale")
    assert served_version() == before


def test_a_buyer_without_the_lead_role_cannot_apply(network_shop, make_staff):
    from mercato.core.errors import PermissionDeniedError

    buyer = make_staff("procurement")
    with pytest.raises(PermissionDeniedError):
        assign_provinces(actor=buyer, assignment={"重庆市": network_shop["sh"].pk})


def test_no_active_warehouse_is_a_clear_message(db):
    with pytest.raises(network.NoWarehouse, match="没有启用的仓库"):
        network.plan_network()


@pytest.mark.parametrize("days", ["x", 3, 9999])
def test_a_bad_period_is_refused(db, days):
    with pytest.raises(ValidationFailed, match="Invalid input") as exc:
        network.plan_network(days=days)
    assert "days" in exc.value.field_errors
