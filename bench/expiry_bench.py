"""The unpaid-order expiry sweep (issue 10 item 3, issue 17 part 2): how long 10,000
orders past their deadline take to be cancelled, against a floor measured in the same run.

    .venv/bin/python bench/expiry_bench.py [--orders 10000] [--batch-size 500]
        [--gateway-orders 300] [--keep]

1. Drops and creates the PostgreSQL database `mercato_expiry_bench` (MERCATO_BENCH_DB to
   name another) at 127.0.0.1:5432 and migrates it.
2. Writes, in bulk, N unpaid orders whose deadline passed 10 minutes ago, each with one
   line, its first event, a reservation of one unit (spread over 40 SKUs in 2
   warehouses: the stock rows' `reserved` agrees) and an open sandbox payment attempt.
3. Floor: the bare statements that cancel those rows, run once and rolled back: one
   UPDATE of the orders and one INSERT ... SELECT of their events.
4. The sweep: `payments.expiry.sweep_expired_orders(batch_size=...)` in this process,
   with Celery eager as in the embedded mode (so the attempts are closed in the same run),
   timed; then the database is checked: every order cancelled once, every reservation
   released with a ledger row, no unit left reserved, every attempt closed.
5. Gateway-bound: M overdue orders with an Alipay attempt, against a fake Alipay on
   127.0.0.1:8111 answering alipay.trade.close with an RSA2-signed answer (no network
   latency: the figure is the per-attempt cost on our side; a real gateway adds its own
   round trip, which the workers absorb side by side when a broker is configured).
Prints one JSON object with the figures and the machine.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

from benchdb import recreate_database, setup_django

DATABASE = os.environ.get("MERCATO_BENCH_DB", "mercato_expiry_bench")
FAKE_PORT = int(os.environ.get("MERCATO_BENCH_FAKE_PORT", "8111"))
SKUS, WAREHOUSES = 40, 2


def log(message: str) -> None:
    print(f"[expiry-bench] {message}", file=sys.stderr, flush=True)


def make_stock():
    from mercato.inventory.services import receive_stock
    from mercato.testing.factories import SkuFactory, make_warehouse

    warehouses = [make_warehouse(f"W{i}", "广东省") for i in range(WAREHOUSES)]
    skus = [SkuFactory() for _ in range(SKUS)]
    for sku in skus:
        for warehouse in warehouses:
            receive_stock(actor=None, sku_id=sku.pk, warehouse_id=warehouse.pk, quantity=100_000)
    return skus, warehouses


def make_orders(n: int, *, skus, warehouses, method: str, prefix: str) -> list:
    """N overdue unpaid orders with a line, an event, a reservation and an open attempt."""
    from django.db import transaction
    from django.db.models import F
    from django.utils import timezone

    from mercato.inventory.models import Reservation, Stock
    from mercato.orders.models import Order, OrderEvent, OrderLine, OrderStatus
    from mercato.payments.gateways import METHODS
    from mercato.payments.models import Payment

    now = timezone.now()
    due = now - timedelta(minutes=10)
    price = Decimal("99.00")
    with transaction.atomic():
        orders = Order.objects.bulk_create(
            Order(
                number=f"{prefix}-{i:06d}",
                guest_token=f"g{prefix}{i:030d}"[:32],
                status=OrderStatus.PENDING_PAYMENT,
                payment_method=method,
                lines_total=price,
                shipping_fee=Decimal("0.00"),
                discount_total=Decimal("0.00"),
                total=price,
                recipient="张三",
                mobile="13800138000",
                province="广东省",
                city="广州市",
                district="天河区",
                detail="天河路1号",
                placed_at=due - timedelta(minutes=30),
                expires_at=due,
            )
            for i in range(n)
        )
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                sku=skus[i % len(skus)],
                product_id=skus[i % len(skus)].product_id,
                product_name="商品",
                sku_code=skus[i % len(skus)].code,
                unit_price=price,
                quantity=1,
                line_total=price,
            )
            for i, order in enumerate(orders)
        )
        OrderEvent.objects.bulk_create(
            OrderEvent(order=order, from_status="", to_status=OrderStatus.PENDING_PAYMENT)
            for order in orders
        )
        held = {}
        reservations = []
        for i, order in enumerate(orders):
            sku, warehouse = skus[i % len(skus)], warehouses[(i // len(skus)) % len(warehouses)]
            reservations.append(
                Reservation(
                    reference=order.number,
                    sku=sku,
                    warehouse=warehouse,
                    quantity=1,
                    status=Reservation.Status.ACTIVE,
                )
            )
            held[(sku.pk, warehouse.pk)] = held.get((sku.pk, warehouse.pk), 0) + 1
        Reservation.objects.bulk_create(reservations)
        for (sku_id, warehouse_id), units in held.items():
            Stock.objects.filter(sku_id=sku_id, warehouse_id=warehouse_id).update(
                reserved=F("reserved") + units
            )
        Payment.objects.bulk_create(
            Payment(
                order=order,
                number=f"P{prefix}{i:010d}",
                method=method,
                gateway=METHODS[method].gateway,
                channel=METHODS[method].channel,
                amount=price,
            )
            for i, order in enumerate(orders)
        )
    return orders


def floor_seconds() -> float:
    """The bare cancellation of the same rows: two statements, rolled back."""
    from django.db import connection, transaction

    sql_update = (
        "UPDATE orders_order SET status = 'cancelled', cancelled_at = now(), "
        "expires_at = NULL, updated_at = now() "
        "WHERE status = 'pending_payment' AND expires_at <= now() RETURNING id"
    )
    sql_events = (
        "INSERT INTO orders_orderevent (order_id, from_status, to_status, reason, kind, data, "
        "created_at) SELECT id, 'pending_payment', 'cancelled', 'Not paid in time', 'status', "
        "'{}', now() "
        "FROM unnest(%s::bigint[]) AS id"
    )
    started = time.perf_counter()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql_update)
            ids = [row[0] for row in cursor.fetchall()]
            cursor.execute(sql_events, [ids])
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed


def check(orders) -> dict:
    from django.db.models import Sum

    from mercato.inventory.models import Reservation, Stock, StockMovement
    from mercato.orders.models import Order, OrderEvent
    from mercato.payments.models import Payment

    numbers = [o.number for o in orders]
    ids = [o.pk for o in orders]
    return {
        "cancelled": Order.objects.filter(pk__in=ids, status="cancelled").count(),
        "cancel_events": OrderEvent.objects.filter(order_id__in=ids, to_status="cancelled").count(),
        "released": Reservation.objects.filter(reference__in=numbers, status="released").count(),
        "ledger_rows": StockMovement.objects.filter(
            reference__in=numbers, reason="release"
        ).count(),
        "units_still_reserved": Stock.objects.aggregate(s=Sum("reserved"))["s"],
        "attempts_closed": Payment.objects.filter(order_id__in=ids, status="closed").count(),
    }


# A fake Alipay for the gateway-bound part ---------------------------------------------------
def start_fake_alipay(gateway_key):
    from mercato.payments.gateways import keys

    def answer(method: str, member: dict) -> bytes:
        key = method.replace(".", "_") + "_response"
        text = json.dumps(member, ensure_ascii=False)
        return (
            f'{{"{key}":{text},"sign":"{keys.sign_sha256(gateway_key, text.encode())}"}}'.encode()
        )

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            params = dict(parse_qsl(self.rfile.read(length).decode()))
            biz = json.loads(params["biz_content"])
            body = answer(
                params["method"],
                {"code": "10000", "msg": "Success", "out_trade_no": biz["out_trade_no"]},
            )
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", FAKE_PORT), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def configure_alipay(merchant_pem: str, gateway_public_pem: str) -> None:
    from django.conf import settings

    settings.MERCATO_PAYMENTS = {
        "MERCATO_PAYMENT_METHODS": "cod,alipay_page",
        "ALIPAY_APP_ID": "2021000000000001",
        "ALIPAY_SELLER_ID": "2088000000000001",
        "ALIPAY_APP_PRIVATE_KEY": merchant_pem,
        "ALIPAY_PUBLIC_KEY": gateway_public_pem,
        "ALIPAY_GATEWAY_URL": f"http://127.0.0.1:{FAKE_PORT}/gateway.do",
    }


def rsa_pair():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return key, private, public


def machine() -> dict:
    cpus = os.cpu_count()
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {"cpus": cpus, "load_average": load, "python": platform.python_version()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--gateway-orders", type=int, default=300)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    log(f"recreating {DATABASE} and migrating")
    recreate_database(DATABASE)
    setup_django(DATABASE)
    from django.db import connection

    from mercato.core.db import refresh_planner_statistics
    from mercato.payments.expiry import sweep_expired_orders

    skus, warehouses = make_stock()
    log(f"writing {args.orders} overdue orders")
    orders = make_orders(
        args.orders, skus=skus, warehouses=warehouses, method="sandbox", prefix="B"
    )
    refresh_planner_statistics()
    floor = floor_seconds()
    log(f"floor {floor:.3f} s; sweeping")
    started = time.perf_counter()
    result = sweep_expired_orders(batch_size=args.batch_size)
    sweep = time.perf_counter() - started
    checked = check(orders)
    assert checked == {
        "cancelled": args.orders,
        "cancel_events": args.orders,
        "released": args.orders,
        "ledger_rows": args.orders,
        "units_still_reserved": 0,
        "attempts_closed": args.orders,
    }, checked
    figures = {
        "orders": args.orders,
        "batch_size": args.batch_size,
        "floor_seconds": round(floor, 3),
        "sweep_seconds": round(sweep, 2),
        "orders_per_second": round(args.orders / sweep),
        "ratio_to_floor": round(sweep / floor, 1),
        "cancelled": result.cancelled,
        "database_after": checked,
    }
    if args.gateway_orders:
        key, merchant_private, merchant_public = rsa_pair()
        gateway_key, _gateway_private, gateway_public = rsa_pair()
        server = start_fake_alipay(gateway_key)
        configure_alipay(merchant_private, gateway_public)
        gated = make_orders(
            args.gateway_orders, skus=skus, warehouses=warehouses, method="alipay_page", prefix="G"
        )
        started = time.perf_counter()
        gated_result = sweep_expired_orders(batch_size=args.batch_size)
        gated_seconds = time.perf_counter() - started
        server.shutdown()
        gated_check = check(gated)
        assert gated_check["cancelled"] == args.gateway_orders, gated_check
        figures["gateway_bound"] = {
            "orders": args.gateway_orders,
            "attempts_closed_at_fake_alipay": gated_result.checked,
            "seconds": round(gated_seconds, 2),
            "ms_per_order": round(gated_seconds / args.gateway_orders * 1000, 1),
        }
    figures["machine"] = machine()
    connection.ensure_connection()
    figures["postgres"] = connection.connection.info.server_version
    connection.close()
    if not args.keep:
        subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-q",
                "-c",
                f'DROP DATABASE "{DATABASE}"',
            ],
            check=False,
        )
    print(json.dumps(figures, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
