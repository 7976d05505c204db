"""Demo orders for order processing (issue 13): orders in every state, so the department's
workspace, customer service's order console and finance's pages have something to show,
and the whole path from a paid order to a delivered parcel and a completed return can be
clicked through.

Every order goes through the real services, as in production: placed by checkout, paid
through the sandbox gateway's verified path (or cash on delivery), reviewed, allocated,
put into waves, packed by scanning, handed to the carrier, tracked by carrier events,
returned by its customer. Only the clock differs: eight weeks of history are handed over
on past days (ship_parcels' handed_over_at) and tracked with past events, so the delivery
audit has weeks to chart and late parcels to list.

Idempotent: once the demo's orders exist (idempotency keys starting "demo-orders-"), a
second run adds nothing. `mercato seed_demo_orders` runs it; `make demo` calls that.
"""

import io
import random
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from mercato.aftersales import services as returns
from mercato.cart.services import add_to_cart, get_or_create_cart
from mercato.catalog.models import Sku
from mercato.checkout.placement import place_order
from mercato.customers.models import Address, Customer
from mercato.fulfillment import audit, cod, packing, shipping, tracking
from mercato.fulfillment.allocation import allocate_approved_orders
from mercato.fulfillment.models import Shipment, ShipmentStatus, TrackingCode
from mercato.fulfillment.review.services import review_paid_orders
from mercato.fulfillment.setup import load_carriers
from mercato.fulfillment.waves import create_waves
from mercato.inventory.locations import define_bins, put_away
from mercato.inventory.models import Bin, Warehouse
from mercato.orders.models import Order, OrderLine
from mercato.orders.services import DeliveryAddress, cancel_order
from mercato.payments.gateways import enabled_methods
from mercato.payments.models import Payment
from mercato.payments.notices import apply_paid
from mercato.payments.services import start_payment
from mercato.promotions.coupons import CouponError, issue_reward
from mercato.promotions.models import CouponTemplate

from .seed_buying import demo_sku_ids
from .seed_promotions import REWARD
from .seed_reviews import seed_reviews

KEY = "demo-orders-"
HISTORY_WEEKS = 8
PER_WEEK = 6
BINS_PER_ZONE = 20
SHOP_URL = "http://127.0.0.1:8000/"
COD_PRICE = Decimal("600.00")


@dataclass
class Seeded:
    counts: dict = field(default_factory=dict)

    def add(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n


def _users():
    names = ("orders", "finance", "service", "tech")
    users = {u.username: u for u in get_user_model().objects.filter(username__in=names)}
    missing = set(names) - set(users)
    if missing:
        raise RuntimeError(f"run seed_demo first (no demo log-ins {sorted(missing)})")
    return users


def seed_bins(*, sku_ids: list[int]) -> int:
    """Zones A and B with 20 bins each in every warehouse; each demo SKU in a bin, so pick
    lists walk the bins in order."""
    made = 0
    codes = [(z, f"{z}-{n:02d}") for z in "AB" for n in range(1, BINS_PER_ZONE + 1)]
    for warehouse in Warehouse.objects.order_by("pk"):
        if not Bin.objects.filter(warehouse=warehouse).exists():
            define_bins(actor=None, warehouse_id=warehouse.pk, bins=codes)
            made += 1
        for i, sku_id in enumerate(sku_ids):
            put_away(
                actor=None, sku_id=sku_id, warehouse_id=warehouse.pk,
                bin_code=codes[(i * 7) % len(codes)][1],
            )  # fmt: skip
    return made


def _address(row: Address, **changes) -> DeliveryAddress:
    fields = {
        "recipient": row.recipient, "mobile": row.mobile, "province": row.province,
        "city": row.city, "district": row.district, "detail": row.detail,
    }  # fmt: skip
    return DeliveryAddress(**{**fields, **changes})


class Shop:
    """Places and pays the demo's orders, one customer and address each."""

    def __init__(self, rng: random.Random, sku_ids: list[int]):
        self.rng = rng
        self.sku_ids = sku_ids
        # Cash on delivery for everyday goods: COD orders above ¥2,000 are held for review
        # (a risk rule), which the demo shows with one order, not with its history.
        prices = dict(Sku.objects.filter(pk__in=sku_ids).values_list("pk", "list_price"))
        self.cheap_ids = [pk for pk in sku_ids if prices.get(pk, 0) <= COD_PRICE] or sku_ids
        self.n = 0
        methods = {m.code for m in enabled_methods()}
        self.prepaid = "sandbox" if "sandbox" in methods else None
        self.people = list(
            Address.objects.filter(is_default=True).select_related("customer").order_by("pk")[:400]
        )

    def place(self, *, cod=False, pay=True, units=None, coupon=False, **changes) -> Order:
        self.n += 1
        row = self.people[(self.n * 37) % len(self.people)]
        code = _reward_coupon(row.customer) if coupon else ""
        cart = get_or_create_cart(customer=row.customer)
        method = "cod" if cod or not self.prepaid else self.prepaid
        pool = self.cheap_ids if method == "cod" and not units else self.sku_ids
        for sku_id in self.rng.sample(pool, self.rng.choice((1, 1, 2))):
            add_to_cart(cart=cart, sku_id=sku_id, quantity=units or 1)
        order = place_order(
            customer=row.customer, cart=cart, address=_address(row, **changes),
            payment_method=method, idempotency_key=f"{KEY}{self.n}",
            client_ip=f"10.{self.n // 250}.{self.n % 250}.7", coupon_code=code,
        ).order  # fmt: skip
        if method != "cod" and pay:
            payment, _action = start_payment(order=order, client_ip="127.0.0.1", base_url=SHOP_URL)
            with transaction.atomic():
                locked = Payment.objects.select_for_update().get(pk=payment.pk)
                apply_paid(payment=locked, trade_no=f"DEMO{self.n:06d}", reason="demo")
        order.refresh_from_db()
        return order


def _reward_coupon(customer) -> str:
    """The code of a 售后补偿券 given to the customer (seed_promotions' template), for an
    order that uses a coupon; "" when the template is not there or already given."""
    template = CouponTemplate.objects.filter(name=REWARD).first()
    if template is None:
        return ""
    try:
        return issue_reward(customer_id=customer.pk, template_id=template.pk, note="demo").code
    except CouponError:
        return ""


def _parcels(orders) -> list[Shipment]:
    return list(Shipment.objects.filter(order__in=orders).select_related("carrier").order_by("pk"))


def _to_waves(orders, worker) -> list[Shipment]:
    review_paid_orders()
    allocate_approved_orders()
    parcels = _parcels(orders)
    # Waves only for these parcels' warehouses and carriers (others wait for the staff).
    for warehouse_id, carrier_id in sorted({(p.warehouse_id, p.carrier_id) for p in parcels}):
        if carrier_id:
            create_waves(actor=worker, warehouse_id=warehouse_id, carrier_id=carrier_id)
    return _parcels(orders)


def _pack(parcel: Shipment, worker) -> None:
    for line in parcel.lines.select_related("sku"):
        for _unit in range(line.quantity - line.packed):
            packing.scan_item(actor=worker, shipment_id=parcel.pk, code=line.sku.barcode)
    weight = sum(line.quantity * (line.sku.weight_g or 300) for line in parcel.lines.all())
    packing.finish_packing(actor=worker, shipment_id=parcel.pk, weight_g=weight + 150)


def _event(parcel: Shipment, code: str, at, n: int = 0, **kw) -> None:
    event = tracking.IncomingEvent(
        event_id=f"DEMO-{parcel.waybill_no}-{code}-{n}", waybill_no=parcel.waybill_no,
        code=code, occurred_at=at, **kw,
    )  # fmt: skip
    with transaction.atomic():
        tracking.apply_events(carrier=parcel.carrier, events=[event], source="csv")


def _ship(orders, worker, *, at) -> list[Shipment]:
    parcels = [p for p in _to_waves(orders, worker) if p.status == ShipmentStatus.PICKING]
    for parcel in parcels:
        _pack(parcel, worker)
    if parcels:
        shipping.ship_parcels(actor=worker, shipment_ids=[p.pk for p in parcels], handed_over_at=at)
    shipped = _parcels(orders)
    for parcel in shipped:
        if parcel.status == ShipmentStatus.SHIPPED:
            _event(parcel, TrackingCode.PICKED_UP, at + timedelta(hours=2), location="揽收网点")
    return shipped


def seed_history(shop: Shop, users, seeded: Seeded, now) -> list[Order]:
    """Eight weeks of parcels handed over and tracked: mostly on time, some late, a few
    damaged, one lost, COD parcels refused (one received back). Returns the orders whose
    parcels were delivered in the last days (returns can still be asked for)."""
    rng, worker = shop.rng, users["orders"]
    recent = []
    for week in range(HISTORY_WEEKS, 0, -1):
        for k in range(PER_WEEK):
            handed = now - timedelta(days=week * 7 - k, hours=rng.randint(0, 6))
            order = shop.place(cod=k % 3 == 0)
            for parcel in _ship([order], worker, at=handed):
                days = parcel.promised_days or 3
                roll = rng.random()
                if (week, k) == (5, 1):
                    _event(parcel, TrackingCode.LOST, handed + timedelta(days=days + 2))
                    seeded.add("lost")
                    continue
                if (week, k) in ((6, 0), (2, 3)) and parcel.cod_amount:
                    _event(parcel, TrackingCode.REFUSED, handed + timedelta(days=days))
                    if week > 3:
                        shipping.receive_refused_parcel(actor=worker, shipment_id=parcel.pk)
                    seeded.add("refused")
                    continue
                if roll < 0.08:
                    _event(parcel, TrackingCode.DAMAGED, handed + timedelta(days=1), n=1)
                    seeded.add("damaged")
                late = rng.choice((1, 2, 4)) if roll > 0.80 else 0
                arrive = handed + timedelta(days=rng.randint(1, days) + late, hours=3)
                if arrive < now - timedelta(hours=1):
                    _event(parcel, TrackingCode.DELIVERED, arrive, location="本人签收")
                    seeded.add("delivered")
                    if now - arrive < timedelta(days=5):
                        recent.append(order)
    return recent


def seed_current(shop: Shop, users, seeded: Seeded, now) -> None:
    """Work in progress today: late parcels and exceptions on the way, parcels packed,
    picking and waiting for a wave, orders held for review, waiting for payment, cancelled."""
    worker = users["orders"]
    for _n in range(3):  # with the carrier past the promised day: the late list
        order = shop.place()
        for parcel in _ship([order], worker, at=now - timedelta(days=8)):
            _event(parcel, TrackingCode.IN_TRANSIT, now - timedelta(days=5), location="中转场")
        seeded.add("late")
    for _n in range(2):  # delivery exceptions
        order = shop.place()
        for parcel in _ship([order], worker, at=now - timedelta(days=2)):
            _event(
                parcel, TrackingCode.DELAYED, now - timedelta(hours=20),
                description="天气原因延误", location="中转场",
            )  # fmt: skip
        seeded.add("exception")
    for _n in range(3):  # recently shipped, on time
        _ship([shop.place(cod=_n == 0)], worker, at=now - timedelta(hours=5))
        seeded.add("shipped")
    packed = [shop.place() for _n in range(3)]
    for parcel in _to_waves(packed, worker):
        if parcel.status == ShipmentStatus.PICKING:
            _pack(parcel, worker)
    seeded.add("packed", len(packed))
    picking = [shop.place() for _n in range(4)]
    _to_waves(picking, worker)
    seeded.add("picking", len(picking))
    # Allocated, no wave yet: the waves page's waiting list.
    waiting = [shop.place(cod=n == 0) for n in range(5)]
    review_paid_orders()
    allocate_approved_orders()
    seeded.add("allocated", len(waiting))
    # Held by the review, each for another reason.
    shop.place(recipient="收货人")  # a placeholder name
    shop.place(detail="火车站附近")  # no house or building
    shop.place(cod=True, units=30)  # 30 units of one SKU, cash on delivery
    shop.place(recipient="asdfgh")  # gibberish
    review_paid_orders()
    seeded.add("under_review", 4)
    if shop.prepaid:
        for _n in range(2):  # the first with a coupon: used while the order waits
            shop.place(pay=False, coupon=_n == 0)
        seeded.add("pending_payment", 2)
    for _n in range(2):  # paid after the last review: the scheduled job takes them next
        shop.place(cod=_n == 1)
    seeded.add("paid", 2)
    cancelled = shop.place()
    cancel_order(order_id=cancelled.pk, actor=users["service"], reason="客户来电取消：买重了",
                 by_customer=False)  # fmt: skip
    seeded.add("cancelled")
    if shop.prepaid:  # cancelled before it was paid: its coupon comes back
        unpaid = shop.place(pay=False, coupon=True)
        cancel_order(order_id=unpaid.pk, actor=unpaid.customer.user, reason="不想要了",
                     by_customer=True)  # fmt: skip
        seeded.add("cancelled")


def seed_returns(recent: list[Order], users, seeded: Seeded) -> None:
    """Returns of recently delivered orders: one completed to its refund, one approved and
    on its way back, one just requested."""
    steps = ("completed", "returning", "requested")
    for order, step in zip(recent, steps, strict=False):
        line = OrderLine.objects.filter(order=order).order_by("pk").first()
        request = returns.request_return(
            customer=order.customer, order_number=order.number, kind="return",
            reason="no_reason" if step != "completed" else "quality",
            description="不太合适" if step != "completed" else "收到时外壳有裂痕",
            lines=[returns.LineRequest(order_line_id=line.pk, quantity=1)],
        )  # fmt: skip
        seeded.add(f"return_{step}")
        if step == "requested":
            continue
        returns.decide_return(actor=users["service"], return_id=request.pk, approve=True)
        returns.record_return_parcel(
            customer=order.customer, return_id=request.pk, carrier="顺丰",
            waybill_no=f"SF{order.pk:010d}",
        )  # fmt: skip
        if step == "returning":
            continue
        returns.receive_return(actor=users["orders"], return_id=request.pk)
        rline = request.lines.get()
        returns.inspect_return(
            actor=users["orders"], return_id=request.pk, results={rline.pk: (1, 0)}
        )
        returns.refund_return(actor=users["finance"], return_id=request.pk)


def seed_money(users, seeded: Seeded, now) -> None:
    """Penalty rules and their penalties; a complaint; one remittance file of a COD carrier
    (one row short-paid, one waybill unknown), leaving later parcels missing."""
    lead = users["tech"]  # the sysadmin: the demo has no logistics lead of its own
    for kind, days, fine in (("late", 1, "5.00"), ("late", 3, "15.00"), ("damaged", 0, "20.00"),
                             ("lost", 0, "100.00")):  # fmt: skip
        audit.save_penalty_rule(actor=lead, kind=kind, min_days_late=days, fine=fine)
    seeded.add("penalties", audit.apply_penalties().created)
    late = Shipment.objects.filter(status=ShipmentStatus.DELIVERED).order_by("-pk").first()
    if late:
        audit.record_complaint(actor=users["service"], shipment_id=late.pk,
                               note="快递员未送货上门", source="电话")  # fmt: skip
    delivered = list(
        cod.missing_remittances(delivered_before=now - timedelta(days=14)).order_by("pk")
    )
    if not delivered:
        return
    carrier = delivered[0].carrier
    mine = [p for p in delivered if p.carrier_id == carrier.pk]
    rows = ["waybill_no,amount"]
    for i, parcel in enumerate(mine):
        amount = parcel.cod_amount - (Decimal("10.00") if i == 1 else 0)
        rows.append(f"{parcel.waybill_no},{amount}")
    rows.append(f"{carrier.waybill_prefix}999999999999,88.00")  # a waybill not ours
    cod.import_remittance(
        actor=users["finance"], carrier_code=carrier.code,
        file=io.BytesIO("\n".join(rows).encode()), filename=f"{carrier.code}-remittance.csv",
    )  # fmt: skip
    seeded.add("remittances")


def seed_order_processing(*, seed: int = 1, now=None) -> dict[str, int]:
    """Orders in every state (see the module's docstring); {} when they exist already."""
    if Order.objects.filter(idempotency_key__startswith=KEY).exists():
        return {}
    if not Customer.objects.exists():
        raise RuntimeError("run seed_demo first (no customers)")
    now = now or timezone.now()
    users = _users()
    seeded = Seeded()
    sku_ids = demo_sku_ids()
    load_carriers()
    seeded.add("bins", seed_bins(sku_ids=sku_ids))
    shop = Shop(random.Random(seed), sku_ids)
    recent = seed_history(shop, users, seeded, now)
    seed_current(shop, users, seeded, now)
    seed_returns(recent, users, seeded)
    seed_money(users, seeded, now)
    seed_reviews(users, seeded, seed=seed)
    seeded.add("orders", shop.n)
    return seeded.counts
