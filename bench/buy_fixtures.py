"""Data for bench/buy_bench.py, written into the (seeded) bench database. Not for the shop.

    DATABASE_URL=... .venv/bin/python bench/buy_fixtures.py prepare --members 6000 --out DIR
    DATABASE_URL=... .venv/bin/python bench/buy_fixtures.py check-race --out DIR

`prepare` makes, in bulk (COPY), logged-in members with a session row each, a default
address and a cart of three lines from a pool of SKUs with a million units in every
warehouse; guest sessions for add-to-cart; one row with a huge on-hand count for the bare
conditional-update view; and the race: one SKU with exactly 20 units left (12 + 8 in two
warehouses) and 50 members with one unit of it in their carts. Stock is received through
inventory.services, so the ledger agrees. It writes DIR/fixtures.json and one
"sessionid csrftoken address_id" line per shopper for the wrk scripts.

`check-race` prints, as JSON, what the database says about the race SKU afterwards.
"""

import argparse
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mercato.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.sessions.backends.cached_db import SessionStore as CachedSessionStore  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.contrib.sessions.models import Session  # noqa: E402
from django.core.cache import caches  # noqa: E402
from django.db import transaction  # noqa: E402
from django.db.models import Sum  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.crypto import get_random_string  # noqa: E402

from mercato.cart.models import Cart, CartLine  # noqa: E402
from mercato.catalog.bulk import insert_objects  # noqa: E402
from mercato.catalog.models import ProductStatus, Sku  # noqa: E402
from mercato.core.db import refresh_planner_statistics  # noqa: E402
from mercato.customers.models import Address, Customer  # noqa: E402
from mercato.inventory.models import Reservation, Stock, StockMovement, Warehouse  # noqa: E402
from mercato.inventory.services import receive_stock  # noqa: E402
from mercato.orders.models import OrderLine  # noqa: E402

User = get_user_model()
POOL_SKUS = 60  # the placement carts' SKUs: three per cart, spread so rows are not one hot spot
# Per SKU and warehouse (the largest receipt inventory.services takes): no run of a few
# minutes exhausts it, for placement nor for the bare view's row.
POOL_UNITS = BARE_UNITS = 1_000_000
RACE_BUYERS, RACE_UNITS = 50, {"SH01": 12, "BJ01": 8}
# Members' delivery provinces, one served first by each demo warehouse, round-robin.
PROVINCES = [
    ("上海市", "上海市", "浦东新区"),
    ("北京市", "北京市", "朝阳区"),
    ("广东省", "广州市", "天河区"),
    ("四川省", "成都市", "武侯区"),
    ("湖北省", "武汉市", "洪山区"),
    ("陕西省", "西安市", "雁塔区"),
]
AUTH_BACKEND = "mercato.customers.backends.ModelBackend"
UNUSABLE = "!bench-member"  # noqa: S105 - matches no password: members come in by session
KEY_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"


def sellable_skus():
    return Sku.objects.filter(is_active=True, product__status=ProductStatus.ON_SALE).order_by("pk")


def receive(sku_id: int, warehouse_id: int, units: int, note: str) -> None:
    receive_stock(
        actor=None, sku_id=sku_id, warehouse_id=warehouse_id, quantity=units,
        reference="BENCH", note=note,
    )  # fmt: skip


def members(tag: str, count: int) -> list[Customer]:
    """`count` members (email log-ins, no usable password) with a default address each."""
    users = [
        User(username=f"{tag}-{i}@bench.invalid", display_name=f"压测{i}", password=UNUSABLE)
        for i in range(count)
    ]
    insert_objects(User, users, key="username")
    customers = [Customer(user_id=u.pk, email=u.username, name=u.display_name) for u in users]
    insert_objects(Customer, customers, key="email")
    addresses = []
    for i, customer in enumerate(customers):
        province, city, district = PROVINCES[i % len(PROVINCES)]
        addresses.append(
            Address(
                customer_id=customer.pk, recipient=customer.name, mobile="13800138000",
                province=province, city=city, district=district,
                detail=f"压测路{i + 1}号", is_default=True,
            )
        )  # fmt: skip
    insert_objects(Address, addresses)
    address_of = dict(
        Address.objects.filter(customer__in=customers).values_list("customer_id", "pk")
    )
    for user, customer in zip(users, customers, strict=True):
        customer.bench_user = user
        customer.bench_address_id = address_of[customer.pk]
    return customers


def sessions(data_per_key: dict[str, dict]) -> None:
    """Sessions as the session middleware stores them at log-in: a row (signed, encoded
    data) and, with the cached_db engine the settings use, the same data in the cache,
    where the shop reads it on every request of that visitor."""
    store = SessionStore()
    expires = timezone.now() + timedelta(days=1)
    Session.objects.bulk_create(
        [
            Session(session_key=key, session_data=store.encode(data), expire_date=expires)
            for key, data in data_per_key.items()
        ],
        batch_size=2000,
    )
    if settings.SESSION_ENGINE in (
        "django.contrib.sessions.backends.cached_db",
        "mercato.core.sessions",  # cached_db that works on without the cache
    ):
        caches[settings.SESSION_CACHE_ALIAS].set_many(
            {f"{CachedSessionStore.cache_key_prefix}{k}": d for k, d in data_per_key.items()},
            timeout=int(timedelta(days=1).total_seconds()),
        )


def logged_in(customers) -> list[tuple[str, str, int]]:
    """(session key, csrf secret, address id) per member, with their session rows."""
    rows, data = [], {}
    for customer in customers:
        key = get_random_string(32, KEY_CHARS)
        user = customer.bench_user
        data[key] = {
            "_auth_user_id": str(user.pk),
            "_auth_user_backend": AUTH_BACKEND,
            "_auth_user_hash": user.get_session_auth_hash(),
        }
        rows.append((key, get_random_string(32), customer.bench_address_id))
    sessions(data)
    return rows


def fill_carts(customers, sku_lists: list[list[Sku]]) -> None:
    carts = [Cart(customer_id=c.pk) for c in customers]
    insert_objects(Cart, carts, key="customer_id")
    lines = [
        CartLine(
            cart_id=cart.pk, sku_id=sku.pk, quantity=1, selected=True, price_seen=sku.list_price
        )
        for cart, skus in zip(carts, sku_lists, strict=True)
        for sku in skus
    ]
    insert_objects(CartLine, lines)


def write_shoppers(path: Path, rows) -> None:
    path.write_text("".join(f"{key} {csrf} {address_id}\n" for key, csrf, address_id in rows))


@transaction.atomic
def prepare(*, member_count: int, guest_count: int, out: Path) -> dict:
    started = time.perf_counter()
    tag = f"b{int(time.time())}"
    warehouses = dict(Warehouse.objects.values_list("code", "pk"))
    pool = list(sellable_skus().select_related("product")[:POOL_SKUS])
    if len(pool) < POOL_SKUS:
        raise SystemExit("the bench database has too few sellable SKUs: run seed_demo first")
    for sku in pool:
        for warehouse_id in warehouses.values():
            receive(sku.pk, warehouse_id, POOL_UNITS, "bench pool")
    # The bare view's row: a SKU outside the pool, so its lock never meets placement's.
    bare_sku = sellable_skus().exclude(pk__in=[s.pk for s in pool]).first()
    receive(bare_sku.pk, warehouses["SH01"], BARE_UNITS, "bench bare view")
    bare_stock = Stock.objects.get(sku=bare_sku, warehouse_id=warehouses["SH01"])

    placing = members(f"{tag}p", member_count)
    fill_carts(
        placing, [[pool[(3 * i + k) % POOL_SKUS] for k in range(3)] for i in range(member_count)]
    )
    write_shoppers(out / "members.txt", logged_in(placing))

    # Race SKU: sellable, with no stock anywhere yet, then exactly 20 units in two warehouses.
    stocked = Stock.objects.filter(on_hand__gt=0).values("sku_id")
    race_sku = sellable_skus().exclude(pk__in=stocked).exclude(pk__in=[s.pk for s in pool]).first()
    for code, units in RACE_UNITS.items():
        receive(race_sku.pk, warehouses[code], units, "bench race: the last units")
    racers = members(f"{tag}r", RACE_BUYERS)
    fill_carts(racers, [[race_sku]] * RACE_BUYERS)
    race_rows = logged_in(racers)

    guest_keys = [get_random_string(32, KEY_CHARS) for _ in range(guest_count)]
    sessions({key: {"bench_guest": True} for key in guest_keys})
    write_shoppers(out / "guests.txt", [(key, get_random_string(32), 0) for key in guest_keys])

    fixtures = {
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
        "pool_sku_ids": [s.pk for s in pool],
        # The product page of each pool SKU: where a guest's add-to-cart form is.
        "pool_pages": {str(s.pk): f"/p/{s.product.slug}/" for s in pool},
        "bare_stock_id": bare_stock.pk,
        "members": member_count,
        "guests": guest_count,
        "race": {
            "sku_id": race_sku.pk,
            "sku_code": race_sku.code,
            "units": sum(RACE_UNITS.values()),
            "buyers": [list(row) for row in race_rows],
        },
        "seconds": round(time.perf_counter() - started, 1),
    }
    (out / "fixtures.json").write_text(json.dumps(fixtures))
    refresh_planner_statistics()  # thousands of new members, carts and sessions
    return fixtures


def check_race(out: Path) -> dict:
    """Stock, ledger, reservations and order lines of the race SKU, as the database has them."""
    sku_id = json.loads((out / "fixtures.json").read_text())["race"]["sku_id"]
    stocks = Stock.objects.filter(sku_id=sku_id)
    reserved = stocks.aggregate(n=Sum("reserved"))["n"] or 0
    on_hand = stocks.aggregate(n=Sum("on_hand"))["n"] or 0
    ledger = StockMovement.objects.filter(stock__sku_id=sku_id).aggregate(
        on_hand=Sum("on_hand_delta"), reserved=Sum("reserved_delta")
    )
    return {
        "on_hand": on_hand,
        "reserved": reserved,
        "available": on_hand - reserved,
        "ledger_on_hand": ledger["on_hand"] or 0,
        "ledger_reserved": ledger["reserved"] or 0,
        "reservation_rows_units": Reservation.objects.filter(sku_id=sku_id).aggregate(
            n=Sum("quantity")
        )["n"]
        or 0,
        "order_lines_units": OrderLine.objects.filter(sku_id=sku_id).aggregate(n=Sum("quantity"))[
            "n"
        ]
        or 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["prepare", "check-race"])
    parser.add_argument("--members", type=int, default=6000)
    parser.add_argument("--guests", type=int, default=2000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.action == "prepare":
        result = prepare(member_count=args.members, guest_count=args.guests, out=args.out)
        result = {k: v for k, v in result.items() if k != "race"}
    else:
        result = check_race(args.out)
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
