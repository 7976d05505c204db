"""Flash sales (秒杀): the sale rules, the page token and the gate in front of placement.

A flash sale lists SKUs at a sale price, each with a quantity and a limit per customer.
Buying one unit goes through two counts, both atomic:

1. The gate (`try_take`): with Redis (the default cache is Redis), one Lua script per
   item checks what is left and the customer's units and takes them in one step. Keys are
   seeded from the database the first time an item is asked for (SEED is atomic too), so a
   flushed Redis seeds itself again. What is left reaching 0 is the sold-out flag:
   `sold_out()` answers it from Redis without touching PostgreSQL. Without Redis (the
   embedded default, or Redis unreachable) the gate lets everyone through to step 2.
2. The database (`take_units`, in the placement transaction): `sold = sold + q WHERE
   sold + q <= quantity` and the customer's FlashPurchase row `units + q <= limit`. These
   always run: they are the truth, Redis only keeps the crowd away from them. When the
   placement fails after the gate took units, `give_back` returns them to Redis; the
   database part rolls back with the placement.

Stock is not held when the sale is created: creating it checks that the SKU's available
stock covers the quantity, and each order reserves its units through inventory like any
other order (checkout.flash). Stock sold elsewhere meanwhile shows as "sold out" at the
flash price (the placement's OutOfStock gives the gate's units back).

A cancelled or expired unpaid flash order gives its units back (`return_units`, called by
orders in the cancelling transaction; Redis after the commit).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core import signing
from django.core.cache import caches
from django.db import connection, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from mercato.catalog.models import Sku
from mercato.core.db import sql_names
from mercato.core.errors import DomainError, NotFound, ValidationFailed
from mercato.inventory.models import Stock

from .models import FlashOrder, FlashPurchase, FlashSale, FlashSaleItem, FlashSaleStatus

logger = logging.getLogger(__name__)

TOKEN_SALT = "mercato.promotions.flash"  # noqa: S105 (a signing salt)
TOKEN_EARLY_SECONDS = 60  # the page hands out the buy token this long before the start
KEY_PREFIX = "flash:"

# Why a purchase was refused (FlashRefused.code), for the page and the API.
SOLD_OUT = "sold_out"
LIMIT_REACHED = "limit_reached"
NOT_STARTED = "not_started"
ENDED = "ended"
TOKEN_INVALID = "token_invalid"  # noqa: S105 (a reason code)
TOO_MANY = "too_many_requests"


class FlashRefused(DomainError):
    """A purchase the sale refuses; `code` is one of the reasons above."""

    status = 409

    def __init__(self, code: str, message: str):
        super().__init__(message, field="flash", code=code)


def refused(code: str) -> FlashRefused:
    messages = {
        SOLD_OUT: _("Sold out."),
        LIMIT_REACHED: _("You have reached the limit per customer for this item."),
        NOT_STARTED: _("The flash sale has not started yet."),
        ENDED: _("The flash sale has ended."),
        TOKEN_INVALID: _("This page is out of date: reload it and try again."),
        TOO_MANY: _("Too many tries: wait a moment and try again."),
    }
    return FlashRefused(code, messages[code])


def pay_minutes() -> int:
    """How long a flash order waits for payment (MERCATO_FLASH_PAY_MINUTES, default 10)."""
    return int(getattr(settings, "MERCATO_FLASH_PAY_MINUTES", 10))


# Creating a sale ------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemSpec:
    sku_id: int
    price: Decimal
    quantity: int
    per_customer_limit: int = 1


def _available(sku_id: int) -> int:
    row = Stock.objects.filter(
        sku_id=sku_id, warehouse__is_active=True, on_hand__gt=F("reserved")
    ).aggregate(units=Sum(F("on_hand") - F("reserved")))
    return row["units"] or 0


def _check_item(spec: ItemSpec, index: int) -> ItemSpec:
    field = f"items.{index}"
    sku = Sku.objects.filter(pk=spec.sku_id, is_active=True).first()
    if sku is None:
        raise ValidationFailed({field: [_("No such SKU on sale.")]})
    try:
        price = Decimal(str(spec.price)).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ValidationFailed({field: [_("The flash price is not an amount.")]}) from None
    if price <= 0 or price >= sku.list_price:
        raise ValidationFailed(
            {
                field: [
                    _("The flash price must be above zero and below the price (¥%(price)s).")
                    % {"price": sku.list_price}
                ]
            }
        )
    if int(spec.quantity) <= 0:
        raise ValidationFailed({field: [_("The quantity must be at least 1.")]})
    if int(spec.per_customer_limit) <= 0:
        raise ValidationFailed({field: [_("The limit per customer must be at least 1.")]})
    available = _available(sku.pk)
    if available < int(spec.quantity):
        raise ValidationFailed(
            {
                field: [
                    _("Only %(units)d units of %(sku)s are in stock.")
                    % {"units": available, "sku": sku.code}
                ]
            }
        )
    return ItemSpec(sku.pk, price, int(spec.quantity), int(spec.per_customer_limit))


def clean_flash_sale(
    *, name: str, starts_at: datetime, ends_at: datetime, items: list[ItemSpec]
) -> tuple[str, list[ItemSpec]]:
    """(name, items) checked, or ValidationFailed naming the field when the name is empty,
    the end is not after the start, an item's price is not between zero and the SKU's
    price, its quantity or limit is below 1, or the stock does not cover it."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed({"name": [_("Give the flash sale a name.")]})
    if starts_at is None or ends_at is None or ends_at <= starts_at:
        raise ValidationFailed({"ends_at": [_("The end must be after the start.")]})
    if not items:
        raise ValidationFailed({"items": [_("Add at least one item.")]})
    checked = [_check_item(spec, i) for i, spec in enumerate(items)]
    if len({c.sku_id for c in checked}) != len(checked):
        raise ValidationFailed({"items": [_("Each SKU can be listed once.")]})
    return name, checked


@transaction.atomic
def create_flash_sale(
    *, name: str, starts_at: datetime, ends_at: datetime, items: list[ItemSpec]
) -> FlashSale:
    """A scheduled flash sale of `items`, checked by clean_flash_sale."""
    name, checked = clean_flash_sale(name=name, starts_at=starts_at, ends_at=ends_at, items=items)
    sale = FlashSale.objects.create(name=name, starts_at=starts_at, ends_at=ends_at)
    add_items(sale, checked)
    return sale


def add_items(sale: FlashSale, checked: list[ItemSpec]) -> None:
    """The rows of `checked` (clean_flash_sale's items) for `sale`: one statement."""
    FlashSaleItem.objects.bulk_create(
        FlashSaleItem(
            sale=sale,
            sku_id=c.sku_id,
            price=c.price,
            quantity=c.quantity,
            per_customer_limit=c.per_customer_limit,
        )
        for c in checked
    )


def check_open(sale: FlashSale, *, now=None) -> None:
    """FlashRefused unless `sale` is running now."""
    now = now or timezone.now()
    if sale.status == FlashSaleStatus.CANCELLED or now >= sale.ends_at:
        raise refused(ENDED)
    if now < sale.starts_at:
        raise refused(NOT_STARTED)


# The page token ----------------------------------------------------------------------------


def issue_token(*, sale: FlashSale, user_id: int, now=None) -> str:
    """The buy token the countdown page gives a logged-in customer, from
    TOKEN_EARLY_SECONDS before the start; "" before that (the page reloads it)."""
    now = now or timezone.now()
    if (sale.starts_at - now).total_seconds() > TOKEN_EARLY_SECONDS or now >= sale.ends_at:
        return ""
    payload = {
        "s": sale.pk,
        "u": user_id,
        "a": int(sale.starts_at.timestamp()),
        "e": int(sale.ends_at.timestamp()),
    }
    return signing.dumps(payload, salt=TOKEN_SALT, compress=False)


@dataclass(frozen=True)
class TokenWindow:
    sale_id: int
    starts: float
    ends: float
    user_id: int = 0  # the customer the page gave the token to


def read_token(token: str) -> TokenWindow:
    """What a token holds, its signature checked (no database, no session):
    FlashRefused TOKEN_INVALID when it is forged or not a token."""
    try:
        payload = signing.loads(token or "", salt=TOKEN_SALT)
        return TokenWindow(
            int(payload["s"]), float(payload["a"]), float(payload["e"]), int(payload["u"])
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise refused(TOKEN_INVALID) from None


def check_window(window: TokenWindow, *, now=None) -> None:
    """FlashRefused NOT_STARTED or ENDED unless the token's sale is running now."""
    stamp = (now or timezone.now()).timestamp()
    if stamp < window.starts:
        raise refused(NOT_STARTED)
    if stamp >= window.ends:
        raise refused(ENDED)


def check_token(token: str, *, user_id: int, now=None) -> TokenWindow:
    """The sale window a token holds, checked against the buyer and the clock without the
    database: FlashRefused TOKEN_INVALID (forged, another customer's), NOT_STARTED, ENDED."""
    window = read_token(token)
    if window.user_id != user_id:
        raise refused(TOKEN_INVALID)
    check_window(window, now=now)
    return window


# The Redis gate ------------------------------------------------------------------------------

# KEYS[1]: the item's hash: "left", "limit", "u:<user id>" units. ARGV: user, qty, ttl.
# -> units left after the take; -1 sold out; -2 over the limit; -3 not seeded.
TAKE = """
local left = redis.call('HGET', KEYS[1], 'left')
if not left then return -3 end
left = tonumber(left)
local q = tonumber(ARGV[2])
if left < q then return -1 end
local field = 'u:' .. ARGV[1]
local had = tonumber(redis.call('HGET', KEYS[1], field) or '0')
if had + q > tonumber(redis.call('HGET', KEYS[1], 'limit')) then return -2 end
redis.call('HINCRBY', KEYS[1], 'left', -q)
redis.call('HINCRBY', KEYS[1], field, q)
return left - q
"""

# ARGV: user, qty. Gives units back (not below 0 for the user) when the hash exists.
GIVE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local field = 'u:' .. ARGV[1]
local q = tonumber(ARGV[2])
local had = tonumber(redis.call('HGET', KEYS[1], field) or '0')
redis.call('HINCRBY', KEYS[1], 'left', q)
if had > 0 then redis.call('HINCRBY', KEYS[1], field, -math.min(had, q)) end
return 1
"""

# ARGV: left, limit, ttl, then user/units pairs. Seeds only a missing hash.
SEED = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'left', ARGV[1], 'limit', ARGV[2])
for i = 4, #ARGV, 2 do
  redis.call('HSET', KEYS[1], 'u:' .. ARGV[i], ARGV[i + 1])
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""

_scripts: dict[tuple[int, str], object] = {}


def _client():
    """A redis-py client of the default cache when it is Redis and the gate may use it
    (MERCATO_FLASH_GATE is not "database"), else None."""
    if getattr(settings, "MERCATO_FLASH_GATE", "auto") == "database":
        return None
    from django.core.cache.backends.redis import RedisCache

    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        return None
    return cache._cache.get_client(write=True)


def _script(client, source: str):
    key = (id(client), source)
    script = _scripts.get(key)
    if script is None:
        script = _scripts[key] = client.register_script(source)
    return script


def _key(item_id: int) -> str:
    # Under the cache's key prefix (and its generation, mercato.core.cache): a new
    # generation after an outage seeds again from the database, which is the truth.
    return caches["default"].make_key(f"{KEY_PREFIX}{item_id}")


def _redis_errors() -> tuple[type[BaseException], ...]:
    import redis

    return (redis.RedisError, OSError)


def _ttl(item: FlashSaleItem) -> int:
    return max(60, int((item.sale.ends_at - timezone.now()).total_seconds()) + 3600)


def _seed(client, item: FlashSaleItem) -> None:
    held = FlashPurchase.objects.filter(item=item, units__gt=0).values_list(
        "customer__user_id", "units"
    )
    pairs = [str(v) for user_id, units in held for v in (user_id, units)]
    _script(client, SEED)(
        keys=[_key(item.pk)],
        args=[item.quantity - item.sold, item.per_customer_limit, _ttl(item), *pairs],
    )


def sold_out(item_id: int) -> bool:
    """True when Redis says the item has nothing left (no database query); False when it
    has, or Redis is absent, unreachable or not seeded yet."""
    client = _client()
    if client is None:
        return False
    try:
        left = client.hget(_key(item_id), "left")
    except _redis_errors():
        return False
    return left is not None and int(left) <= 0


def try_take(item: FlashSaleItem, user_id: int, qty: int) -> bool:
    """Take `qty` units for the customer at the gate. True: taken in Redis (give_back if
    the purchase then fails); False: no Redis gate here, the database decides alone.
    FlashRefused SOLD_OUT / LIMIT_REACHED when Redis refuses."""
    client = _client()
    if client is None:
        return False
    try:
        take = _script(client, TAKE)
        result = take(keys=[_key(item.pk)], args=[user_id, qty])
        if result == -3:
            _seed(client, item)
            result = take(keys=[_key(item.pk)], args=[user_id, qty])
    except _redis_errors() as exc:
        logger.warning("flash gate: Redis unreachable, the database decides: %s", exc)
        return False
    if result == -1:
        raise refused(SOLD_OUT)
    if result == -2:
        raise refused(LIMIT_REACHED)
    return result >= 0


def give_back(item_id: int, user_id: int, qty: int) -> None:
    """Return units the gate took (a failed placement, a cancelled order)."""
    client = _client()
    if client is None:
        return
    try:
        _script(client, GIVE)(keys=[_key(item_id)], args=[user_id, qty])
    except _redis_errors() as exc:
        logger.warning("flash gate: could not give back %s of item %s: %s", qty, item_id, exc)


def forget(item_id: int) -> None:
    """Drop the item's gate keys (tests, a sale edited by staff): seeded again on use."""
    client = _client()
    if client is not None:
        client.delete(_key(item_id))


# The database count, in the placement transaction -----------------------------------------


def item_for_sale(item_id: int) -> FlashSaleItem:
    item = FlashSaleItem.objects.select_related("sale", "sku__product").filter(pk=item_id).first()
    if item is None:
        raise NotFound(_("No such flash sale item."), field="item")
    return item


def take_units(*, item: FlashSaleItem, customer_id: int, qty: int, order_number: str) -> None:
    """Count `qty` units of `item` for the customer and the order, in the caller's
    transaction, with conditional writes: FlashRefused SOLD_OUT or LIMIT_REACHED (the
    caller rolls back) when another buyer got there first."""
    if qty < 1:
        raise ValidationFailed({"quantity": [_("The quantity must be at least 1.")]})
    if qty > item.per_customer_limit:
        raise refused(LIMIT_REACHED)
    if not _count_for_customer(item, customer_id, qty):
        raise refused(LIMIT_REACHED)
    if not FlashSaleItem.objects.filter(pk=item.pk, sold__lte=F("quantity") - qty).update(
        sold=F("sold") + qty
    ):
        raise refused(SOLD_OUT)
    FlashOrder.objects.create(
        item=item, customer_id=customer_id, order_number=order_number, quantity=qty
    )


def _count_for_customer(item: FlashSaleItem, customer_id: int, qty: int) -> bool:
    """The customer's units of `item` counted up by `qty` if that stays within the limit:
    their FlashPurchase row made at the first purchase, in one statement (an upsert, where
    get_or_create and an UPDATE took five)."""
    table, item_col, customer, units = sql_names(FlashPurchase, "item", "customer", "units")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({item_col}, {customer}, {units}) VALUES (%s, %s, %s)"  # noqa: S608
            f" ON CONFLICT ({item_col}, {customer}) DO UPDATE SET {units} = {table}.{units} + %s"
            f" WHERE {table}.{units} + %s <= %s RETURNING {units}",
            [item.pk, customer_id, qty, qty, qty, item.per_customer_limit],
        )
        return cursor.fetchone() is not None


def return_units(*, order_numbers) -> int:
    """Give back the units of these orders (cancelled or expired before payment), in the
    caller's transaction; Redis after the commit. An order given back before, or not a
    flash order, is left alone. How many orders."""
    rows = list(
        FlashOrder.objects.select_for_update()
        .filter(order_number__in=list(order_numbers), returned_at__isnull=True)
        .values_list("pk", "item_id", "customer_id", "customer__user_id", "quantity")
    )
    if not rows:
        return 0
    FlashOrder.objects.filter(pk__in=[r[0] for r in rows]).update(returned_at=timezone.now())
    for _pk, item_id, customer_id, _user_id, qty in sorted(rows, key=lambda r: r[1]):
        # The purchase row before the item's, as take_units locks them.
        FlashPurchase.objects.filter(item_id=item_id, customer_id=customer_id).update(
            units=F("units") - qty
        )
        FlashSaleItem.objects.filter(pk=item_id).update(sold=F("sold") - qty)

    def to_gate():
        for _pk, item_id, _customer_id, user_id, qty in rows:
            give_back(item_id, user_id, qty)

    transaction.on_commit(to_gate)
    return len(rows)
