"""Real concurrency on PostgreSQL: threads released together by a barrier, and the check
that stock, reservations and the ledger still agree afterwards."""

import threading

from django.db import connection
from django.db.models import Sum

from mercato.inventory.models import Reservation, Stock


def run_concurrently(calls) -> list:
    """Start every call at the same moment, one thread and connection each; their outcomes
    in call order: the return value, or the exception raised.

    Each thread sets a lock and statement timeout on its connection, so a deadlock or a lost
    wake-up fails the test with an error instead of hanging it."""
    gate = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index, call):
        try:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SET lock_timeout = '30s'")
                    cursor.execute("SET statement_timeout = '60s'")
            except Exception:
                # No connection (the server's max_connections reached by other work): the
                # others must not wait at the gate for this thread for ever.
                gate.abort()
                raise
            gate.wait()
            outcomes[index] = call()
        except Exception as exc:  # the test inspects every failure
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def assert_stock_matches_reservations_and_ledger():
    """Every stock row: reserved = active reservations = sum of the ledger's reserved
    changes, on hand = sum of its on-hand changes, and never more reserved than on hand."""
    for row in Stock.objects.all():
        held = Reservation.objects.filter(
            sku=row.sku_id, warehouse=row.warehouse_id, status=Reservation.Status.ACTIVE
        ).aggregate(n=Sum("quantity"))["n"]
        ledger = row.movements.aggregate(on_hand=Sum("on_hand_delta"), held=Sum("reserved_delta"))
        assert row.reserved == (held or 0) == ledger["held"]
        assert row.on_hand == ledger["on_hand"]
        assert 0 <= row.reserved <= row.on_hand
