"""Reservations under real concurrency on PostgreSQL: threads released together by a barrier.

Each thread sets a lock and statement timeout on its connection, so a deadlock or a lost
wake-up fails the test with an error instead of hanging it (PostgreSQL itself reports a
deadlock after deadlock_timeout; either way the outcome is not one the test accepts).
"""

import pytest

from mercato.core.errors import Conflict
from mercato.inventory.models import Reservation, Stock, StockMovement
from mercato.inventory.reservations import (
    OutOfStock,
    deduct_on_shipment,
    release_reservation,
    release_reservations,
    reserve_stock,
)
from mercato.inventory.services import receive_stock
from mercato.testing.concurrency import (
    assert_stock_matches_reservations_and_ledger,
    run_concurrently,
)
from mercato.testing.factories import SkuFactory, make_warehouse

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    # Fifty connections each: never two of these at once on one server.
    pytest.mark.xdist_group("inventory_races"),
]

Reason = StockMovement.Reason


def test_fifty_buyers_for_the_last_twenty_units():
    """50 buyers want 1 unit each of the last 20: exactly 20 reservations, 30 sold-out
    answers, 20 units reserved, and 20 ledger rows whose reserved figures run 0→1 … 19→20."""
    buyers, units = 50, 20
    sku = SkuFactory()
    warehouse = make_warehouse("CD", "四川省")
    receive_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, quantity=units)

    outcomes = run_concurrently(
        [
            lambda i=i: reserve_stock(lines=[(sku.pk, 1)], province="四川省", reference=f"R-{i}")
            for i in range(buyers)
        ]
    )

    won = [o for o in outcomes if isinstance(o, list)]
    sold_out = [o for o in outcomes if isinstance(o, OutOfStock)]
    others = [o for o in outcomes if not isinstance(o, list | OutOfStock)]
    assert others == []
    assert (len(won), len(sold_out)) == (units, buyers - units)
    assert all(o.sku_ids == [sku.pk] for o in sold_out)
    stock = Stock.objects.get(sku=sku, warehouse=warehouse)
    assert (stock.on_hand, stock.reserved) == (units, units)
    rows = stock.movements.filter(reason=Reason.RESERVATION).order_by("pk")
    assert [(m.reserved_before, m.reserved_after) for m in rows] == [
        (n, n + 1) for n in range(units)
    ]
    assert len({m.reference for m in rows}) == units
    assert Reservation.objects.count() == units
    assert_stock_matches_reservations_and_ledger()


@pytest.mark.parametrize(
    ("wants", "winners"),
    [((4, 4), 1), ((4, 2), 2)],
    ids=["one-fits", "both-fit"],
)
def test_two_buyers_racing_for_stock_split_over_two_warehouses(wants, winners):
    """A has 3 units in each of two warehouses; each buyer needs a split. 4 + 4 > 6: one
    buyer gets a split order, the other is sold out. 4 + 2 = 6: both get theirs and every
    unit is held exactly once."""
    sku = SkuFactory()
    cd, sh = make_warehouse("CD", "四川省"), make_warehouse("SH", "上海市")
    for warehouse in (cd, sh):
        receive_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, quantity=3)

    outcomes = run_concurrently(
        [
            lambda q=q, i=i: reserve_stock(
                lines=[(sku.pk, q)], province="四川省", reference=f"S-{i}"
            )
            for i, q in enumerate(wants)
        ]
    )

    won = [o for o in outcomes if isinstance(o, list)]
    assert len(won) == winners
    assert all(isinstance(o, list | OutOfStock) for o in outcomes), outcomes
    for rows, wanted in zip(outcomes, wants, strict=True):
        if isinstance(rows, list):
            assert sum(r.quantity for r in rows) == wanted
    reserved = sum(Stock.objects.filter(sku=sku).values_list("reserved", flat=True))
    assert reserved == sum(q for o, q in zip(outcomes, wants, strict=True) if o in won)
    assert_stock_matches_reservations_and_ledger()


def test_release_racing_shipment_for_the_same_order():
    """Five split orders, each cancelled and shipped at the same moment: per order exactly
    one wins, the other hears a Conflict; stock ends either given back or deducted, never
    both, and the ledger agrees."""
    a, b = SkuFactory(), SkuFactory()
    cd, sh = make_warehouse("CD", "四川省"), make_warehouse("SH", "上海市")
    receive_stock(actor=None, sku_id=a.pk, warehouse_id=cd.pk, quantity=10)
    receive_stock(actor=None, sku_id=b.pk, warehouse_id=sh.pk, quantity=10)
    for n in range(5):
        reference = f"T-{n}"
        reserve_stock(lines=[(a.pk, 1), (b.pk, 1)], province="四川省", reference=reference)

        release, ship = run_concurrently(
            [
                lambda ref=reference: release_reservation(reference=ref, reason="unpaid"),
                lambda ref=reference: deduct_on_shipment(reference=ref),
            ]
        )

        winners = [o for o in (release, ship) if isinstance(o, list) and o]
        losers = [o for o in (release, ship) if isinstance(o, Conflict)]
        assert (len(winners), len(losers)) == (1, 1), (release, ship)
        statuses = set(Reservation.objects.filter(reference=reference).values_list("status"))
        reasons = sorted(
            StockMovement.objects.filter(reference=reference).values_list("reason", flat=True)
        )
        if isinstance(release, list):
            assert statuses == {(Reservation.Status.RELEASED,)}
            assert reasons == sorted([Reason.RESERVATION] * 2 + [Reason.RELEASE] * 2)
        else:
            assert statuses == {(Reservation.Status.SHIPPED,)}
            assert reasons == sorted([Reason.RESERVATION] * 2 + [Reason.SHIPMENT] * 2)
    assert_stock_matches_reservations_and_ledger()


def test_sweeps_side_by_side_release_each_order_once():
    """Expiry sweeps releasing overlapping batches at once, a single cancellation of one of
    their orders, and a new order reserving the same stock rows: no deadlock, every
    reservation released exactly once (one release row each), new units still held."""
    a, b = SkuFactory(), SkuFactory()
    cd = make_warehouse("CD", "四川省")
    receive_stock(actor=None, sku_id=a.pk, warehouse_id=cd.pk, quantity=100)
    receive_stock(actor=None, sku_id=b.pk, warehouse_id=cd.pk, quantity=100)
    references = [f"X-{n:02}" for n in range(24)]
    for n, reference in enumerate(references):
        lines = [(a.pk, 1), (b.pk, 1)] if n % 2 else [(b.pk, 2)]
        reserve_stock(lines=lines, province="四川省", reference=reference)

    outcomes = run_concurrently(
        [
            lambda: release_reservations(references=references[:16], reason="expired"),
            lambda: release_reservations(references=references[8:], reason="expired"),
            lambda: release_reservations(references=references[::-1], reason="expired"),
            lambda: release_reservation(reference=references[12], reason="customer cancelled"),
            lambda: reserve_stock(lines=[(b.pk, 3), (a.pk, 1)], province="四川省", reference="N"),
        ]
    )

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    released = [r.reference for o in outcomes[:4] for r in o]
    # Each order's reservations released by exactly one of the callers.
    assert sorted(set(released)) == references
    assert len(released) == len(set((r.pk) for o in outcomes[:4] for r in o))
    for reference in references:
        rows = Reservation.objects.filter(reference=reference)
        releases = StockMovement.objects.filter(reference=reference, reason=Reason.RELEASE)
        assert {r.status for r in rows} == {Reservation.Status.RELEASED}
        assert releases.count() == rows.count()
    assert sorted(Stock.objects.values_list("reserved", flat=True)) == [1, 3]
    assert_stock_matches_reservations_and_ledger()
