"""Rebalancing: the LP's moves are optimal (checked against brute force on small cases),
and the plan from orders, stock and transit becomes transfer orders."""

import dataclasses
import datetime
import itertools
import random

import numpy as np
import pytest
import time_machine

from mercato.inventory.services import create_warehouse, receive_stock
from mercato.procurement import rebalance, transfers
from mercato.procurement.models import TransferCost, TransferOrder
from mercato.testing.factories import ORDER_ADDRESS, SkuFactory, make_order, priced_line


def brute_force(position, target, cost, penalty):
    """The least objective over every whole-unit plan: any warehouse to any other, a
    warehouse giving at most its surplus and receiving at most its deficit."""
    w = len(position)
    surplus = [max(p - t, 0) for p, t in zip(position, target, strict=True)]
    deficit = [max(t - p, 0) for p, t in zip(position, target, strict=True)]
    pairs = [(i, j) for i in range(w) for j in range(w) if i != j]
    best = None
    ranges = [range(min(surplus[i], deficit[j]) + 1) for i, j in pairs]
    for amounts in itertools.product(*ranges):
        moves = np.zeros((w, w), dtype=int)
        for (i, j), x in zip(pairs, amounts, strict=True):
            moves[i, j] = x
        if (moves.sum(axis=1) > surplus).any() or (moves.sum(axis=0) > deficit).any():
            continue
        value = rebalance.objective(moves, np.array(position), np.array(target), cost, penalty)
        best = value if best is None else min(best, value)
    return best


@pytest.mark.parametrize("seed", range(40))
def test_moves_are_optimal_against_brute_force(seed):
    rng = random.Random(seed)
    w = rng.choice([2, 3])
    k = 3
    position = np.array([[rng.randint(0, 6) for _ in range(w)] for _ in range(k)])
    target = np.array([[rng.randint(0, 6) for _ in range(w)] for _ in range(k)])
    cost = np.array([[0 if i == j else rng.randint(1, 9) for j in range(w)] for i in range(w)])
    penalty = rng.choice([3, 5, 10])
    moves = rebalance.solve(position, target, cost, penalty)
    for n in range(k):  # SKUs solved in one block LP, each optimal on its own
        got = rebalance.objective(moves[n], position[n], target[n], cost, penalty)
        assert got == pytest.approx(brute_force(position[n], target[n], cost, penalty)), (
            position[n], target[n], cost, penalty, moves[n],
        )  # fmt: skip
        after = position[n] - moves[n].sum(axis=1) + moves[n].sum(axis=0)
        surplus_side = position[n] > target[n]
        assert (after[surplus_side] >= target[n][surplus_side]).all()


def test_the_cheaper_source_is_used_and_a_move_dearer_than_the_penalty_is_not():
    # Warehouse 2 needs 5; 0 and 1 each have 5 spare; 1 is cheaper.
    cost = np.array([[0, 1, 4], [1, 0, 2], [4, 2, 0]])
    moves = rebalance.solve([[10, 10, 0]], [[5, 5, 5]], cost, penalty=10)[0]
    assert moves[1, 2] == 5 and moves[0, 2] == 0
    none = rebalance.solve([[10, 10, 0]], [[5, 5, 5]], cost, penalty=1.5)[0]
    assert none.sum() == 0


def test_default_cost_grows_with_distance(settings):
    settings.MERCATO_TRANSFER_COST_BASE = 0.5
    settings.MERCATO_TRANSFER_COST_PER_1000KM = 2.0
    near = rebalance.default_unit_cost("上海市", "江苏省")
    far = rebalance.default_unit_cost("上海市", "新疆维吾尔自治区")
    assert 0.5 < near < 1.5 < far
    assert rebalance.default_unit_cost("上海市", "上海市") == 0.5


def _warehouse(code, province, city):
    return create_warehouse(
        actor=None, code=code, name=f"{city}仓", provinces=[province], province=province,
        city=city, district="-", address="1号",
    )  # fmt: skip


@pytest.mark.django_db
@time_machine.travel(datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.UTC), tick=False)
def test_plan_from_orders_stock_and_transit_becomes_transfer_orders(make_staff, settings):
    settings.MERCATO_REBALANCE_COVER_DAYS = 10
    settings.MERCATO_REBALANCE_PENALTY = 20
    sh = _warehouse("sh", "上海市", "上海市")
    cd = _warehouse("cd", "四川省", "成都市")
    TransferCost.objects.create(from_warehouse=sh, to_warehouse=cd, unit_cost="3.00")
    sku = SkuFactory()
    receive_stock(actor=None, sku_id=sku.pk, warehouse_id=sh.pk, quantity=100)
    # 30 units ordered from 四川省 in 30 days: 1 a day, target 10 days → 10 units at cd.
    address = dataclasses.replace(
        ORDER_ADDRESS, province="四川省", city="成都市", district="武侯区"
    )
    make_order(lines=[priced_line(sku=sku, quantity=30)], address=address)
    plan = rebalance.suggest()
    [suggestion] = plan.suggestions
    [move] = suggestion.moves
    assert (move.from_warehouse, move.to_warehouse, move.units) == (sh, cd, 10)
    assert suggestion.cost == 30.0
    assert suggestion.cover_before[1] == 0 and suggestion.cover_after[1] == 10

    clerk = make_staff("procurement")
    [order] = rebalance.create_transfers(actor=clerk, sku_ids=[sku.pk])
    assert (order.from_warehouse, order.to_warehouse) == (sh, cd)
    assert [(line.sku_id, line.quantity) for line in order.lines.all()] == [(sku.pk, 10)]
    # Shipped, the units count at cd as in transit: nothing more to suggest.
    transfers.ship_transfer(actor=clerk, order_id=order.pk)
    assert rebalance.suggest().suggestions == []
    assert TransferOrder.objects.count() == 1
