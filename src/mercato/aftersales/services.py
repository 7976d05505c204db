"""Returns and exchanges (退换货): the customer's request within the return window, staff's
decision, the parcel back, inspection (resaleable → stock, damaged → written off, both
through inventory.services), and then the refund through the payment's own refund service
(payments.refunds.refund_payment: never more than was paid for the lines returned) or,
for an exchange, a replacement parcel with the price difference settled.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from PIL import Image, UnidentifiedImageError

from mercato.catalog.models import Category, ProductStatus, Sku
from mercato.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from mercato.core.permissions import require_perm
from mercato.fulfillment.carriers import CarrierBook
from mercato.fulfillment.models import Shipment, ShipmentEvent, ShipmentKind, ShipmentLine
from mercato.fulfillment.models import ShipmentStatus as PS
from mercato.inventory.reservations import OutOfStock, reserve_stock
from mercato.inventory.services import receive_returned_goods, write_off_returned_goods
from mercato.orders.models import Order, OrderEvent, OrderLine, OrderStatus
from mercato.payments.models import Refund, RefundStatus
from mercato.payments.refunds import refund_payment
from mercato.payments.services import new_refund_number

from .models import (
    SHOP_FAULT,
    ReturnKind,
    ReturnLine,
    ReturnPhoto,
    ReturnReason,
    ReturnRequest,
    ReturnStatus,
    ReturnWindow,
)
from .status import move_return

R = ReturnStatus
RETURNABLE_ORDERS = (OrderStatus.DELIVERED, OrderStatus.COMPLETED)
OPEN = (R.REQUESTED, R.APPROVED, R.RETURNING, R.RECEIVED, R.INSPECTED, R.REFUNDING, R.REPLACING)
MAX_PHOTOS, MAX_PHOTO_BYTES = 6, 5 * 1024 * 1024
REASON_REQUESTED = gettext_noop("Requested by the customer")
REASON_SHIPPED_BACK = gettext_noop("The customer sent the goods back")
REASON_RECEIVED = gettext_noop("Received in the warehouse")
REASON_INSPECTED = gettext_noop("Inspected")
REASON_REFUNDED = gettext_noop("Refunded")
REASON_REPLACED = gettext_noop("Replacement delivered")
REASON_REPLACEMENT = gettext_noop("Replacement parcel for an exchange")
REASON_WRITE_OFF = gettext_noop("Returned damaged")


def default_window_days() -> int:
    return int(getattr(settings, "MERCATO_RETURN_DAYS", 7))


def delivered_at(order: Order):
    """When the order reached the customer: its last parcel's delivery, else the time it
    became delivered."""
    at = Shipment.objects.filter(order=order, kind=ShipmentKind.ORDER).aggregate(
        at=Max("delivered_at")
    )["at"]
    if at is None:
        at = (
            OrderEvent.objects.filter(order=order, to_status=OrderStatus.DELIVERED)
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )
    return at


def window_days(category_id: int | None) -> int:
    """The return window of a category: its own, else its nearest parent's, else the
    default (MERCATO_RETURN_DAYS, 7)."""
    if category_id is None:
        return default_window_days()
    category = Category.objects.filter(pk=category_id).first()
    if category is None:
        return default_window_days()
    chain = [category.pk, *reversed([c.pk for c in category.get_ancestors()])]
    windows = dict(
        ReturnWindow.objects.filter(category_id__in=chain).values_list("category_id", "days")
    )
    for pk in chain:
        if pk in windows:
            return windows[pk]
    return default_window_days()


@transaction.atomic
def set_return_window(*, actor, category_id: int, days: int) -> ReturnWindow:
    require_perm(actor, "aftersales.manage_return_windows")
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 365:
        raise ValidationFailed({"days": [_("Enter 0 to 365 days.")]})
    if not Category.objects.filter(pk=category_id).exists():
        raise NotFound(_("No such category."), field="category")
    window, _created = ReturnWindow.objects.update_or_create(
        category_id=category_id, defaults={"days": days}
    )
    return window


def _check_photo(upload, i: int) -> None:
    if upload.size > MAX_PHOTO_BYTES:
        raise ValidationFailed({f"photos.{i}": [_("A photo may be at most 5 MB.")]})
    try:
        with Image.open(upload) as img:
            img.verify()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise ValidationFailed({f"photos.{i}": [_("Not a readable image.")]}) from None
    finally:
        upload.seek(0)


def _new_number(order: Order) -> str:
    digits = "".join(ch for ch in order.number if ch.isdigit())
    return f"RT{digits}{secrets.token_hex(2).upper()}"


@dataclass(frozen=True)
class LineRequest:
    order_line_id: int
    quantity: int
    replacement_sku_id: int | None = None


def request_return(
    *,
    customer,
    order_number: str,
    kind: str,
    reason: str,
    lines,
    description: str = "",
    photos=(),
    now=None,
) -> ReturnRequest:
    """A customer's request to return (or exchange) units of a delivered order of theirs,
    within each line's return window after delivery. Refused, nothing written: another
    customer's or an undelivered order, a line not of the order, more units than bought
    (less those already in other requests), a window passed, an exchange without a
    replacement on sale, photos that are not images (at most 6, 5 MB each)."""
    now = now or timezone.now()
    order = Order.objects.filter(number=order_number, customer=customer).first()
    if customer is None or order is None:
        raise NotFound(_("No such order."), field="order")
    if order.status not in RETURNABLE_ORDERS:
        raise Conflict(_("Only a delivered order can be returned."), field="order")
    if kind not in ReturnKind.values:
        raise ValidationFailed({"kind": [_("Choose return or exchange.")]})
    if reason not in ReturnReason.values:
        raise ValidationFailed({"reason": [_("Choose a reason.")]})
    description = str(description or "").strip()[:500]
    photos = list(photos or [])
    if len(photos) > MAX_PHOTOS:
        raise ValidationFailed({"photos": [_("At most %(n)s photos.") % {"n": MAX_PHOTOS}]})
    for i, photo in enumerate(photos):
        _check_photo(photo, i)
    delivered = delivered_at(order)
    if delivered is None:
        raise Conflict(_("The order has not been delivered."), field="order")
    order_lines = {
        ln.pk: ln for ln in OrderLine.objects.filter(order=order).select_related("product")
    }
    taken = dict(
        ReturnLine.objects.filter(request__order=order, request__status__in=OPEN + (R.COMPLETED,))
        .values_list("order_line_id")
        .annotate(n=Sum("quantity"))
    )
    wanted, seen = [], set()
    for i, item in enumerate(lines):
        line = order_lines.get(getattr(item, "order_line_id", None))
        if line is None or line.pk in seen:
            raise ValidationFailed({f"lines.{i}.order_line": [_("Not a line of this order.")]})
        seen.add(line.pk)
        left = line.quantity - taken.get(line.pk, 0)
        quantity = item.quantity
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 < quantity <= left:
            raise ValidationFailed(
                {f"lines.{i}.quantity": [_("Return 1 to %(n)s units of this line.") % {"n": left}]}
                if left
                else {f"lines.{i}.quantity": [_("Every unit of this line is returned already.")]}
            )
        days = window_days(line.product.category_id if line.product else None)
        if now > delivered + timedelta(days=days):
            raise ValidationFailed(
                {
                    f"lines.{i}": [
                        _("The return window of %(d)s days after delivery has passed.")
                        % {"d": days}
                    ]
                }  # fmt: skip
            )
        replacement = None
        if kind == ReturnKind.EXCHANGE:
            replacement = Sku.objects.filter(
                pk=item.replacement_sku_id or line.sku_id,
                is_active=True,
                product__status=ProductStatus.ON_SALE,
            ).first()
            if replacement is None:
                raise ValidationFailed(
                    {f"lines.{i}.replacement": [_("Choose a replacement that is on sale.")]}
                )
        wanted.append((line, quantity, replacement))
    if not wanted:
        raise ValidationFailed({"lines": [_("Choose at least one item to return.")]})
    shipped_from = Shipment.objects.filter(order=order).values_list("warehouse_id", flat=True)
    request = ReturnRequest(
        number=_new_number(order),
        order=order,
        customer=customer,
        kind=kind,
        reason=reason,
        description=description,
        warehouse_id=shipped_from.first(),
    )
    if kind == ReturnKind.EXCHANGE:
        request.price_difference = sum(
            ((rep.list_price - line.unit_price) * qty for line, qty, rep in wanted), Decimal("0.00")
        )
    request.save()
    ReturnLine.objects.bulk_create(
        ReturnLine(request=request, order_line=line, quantity=qty, replacement_sku=rep)
        for line, qty, rep in wanted
    )
    for position, photo in enumerate(photos):
        item = ReturnPhoto(request=request, position=position)
        item.image.save(photo.name, photo, save=False)
        item.save()
    from .models import ReturnEvent

    ReturnEvent.objects.create(request=request, to_status=R.REQUESTED, reason=REASON_REQUESTED)
    return request


def _locked(return_id: int) -> ReturnRequest:
    request = ReturnRequest.objects.select_for_update().filter(pk=return_id).first()
    if request is None:
        raise NotFound(_("No such return."), field="return")
    return request


@transaction.atomic
def decide_return(*, actor, return_id: int, approve: bool, note: str = "") -> ReturnRequest:
    """Customer service approves a request, or rejects it with a reason."""
    require_perm(actor, "aftersales.decide_return")
    note = str(note or "").strip()
    if not approve and not note:
        raise ValidationFailed({"note": [_("Say why the request is rejected.")]})
    request = _locked(return_id)
    request.decision_note = note[:200]
    move_return(
        request=request, to=R.APPROVED if approve else R.REJECTED, actor=actor, reason=note,
        update_fields=["decision_note"],
    )  # fmt: skip
    return request


@transaction.atomic
def cancel_return(*, customer, return_id: int) -> ReturnRequest:
    """The customer withdraws a request before the goods are on their way."""
    request = _locked(return_id)
    if customer is None or request.customer_id != customer.pk:
        raise NotFound(_("No such return."), field="return")
    move_return(request=request, to=R.CANCELLED, actor=customer.user, reason="")
    return request


@transaction.atomic
def record_return_parcel(
    *, customer, return_id: int, carrier: str, waybill_no: str
) -> ReturnRequest:
    """The customer sent the goods back: the carrier and waybill, for tracking."""
    request = _locked(return_id)
    if customer is None or request.customer_id != customer.pk:
        raise NotFound(_("No such return."), field="return")
    carrier, waybill_no = str(carrier or "").strip(), str(waybill_no or "").strip().upper()
    if not carrier:
        raise ValidationFailed({"carrier": [_("Name the carrier.")]})
    if not (6 <= len(waybill_no) <= 30 and waybill_no.isalnum()):
        raise ValidationFailed(
            {"waybill_no": [_("Enter the waybill number (6-30 letters and digits).")]}
        )
    request.return_carrier, request.return_waybill = carrier[:40], waybill_no
    move_return(
        request=request, to=R.RETURNING, actor=customer.user, reason=REASON_SHIPPED_BACK,
        update_fields=["return_carrier", "return_waybill"],
    )  # fmt: skip
    return request


@transaction.atomic
def receive_return(*, actor, return_id: int) -> ReturnRequest:
    require_perm(actor, "aftersales.receive_return")
    request = _locked(return_id)
    move_return(request=request, to=R.RECEIVED, actor=actor, reason=REASON_RECEIVED)
    return request


@transaction.atomic
def inspect_return(*, actor, return_id: int, results: dict[int, tuple[int, int]], note: str = ""):
    """The goods are looked at: for each return line, (resaleable, damaged) units adding up
    to what came back. Resaleable units go into stock (RETURN ledger row), damaged ones are
    received and written off (RETURN + WRITE_OFF rows), both with the return number as
    reference, in the warehouse that shipped them."""
    require_perm(actor, "aftersales.receive_return")
    request = _locked(return_id)
    if request.status != R.RECEIVED:
        raise Conflict(_("Receive the goods before inspecting them."), field="return")
    lines = list(request.lines.select_related("order_line").order_by("pk"))
    if request.warehouse_id is None:
        raise Conflict(_("The return has no warehouse to go back to."), field="return")
    for i, line in enumerate(lines):
        good, bad = results.get(line.pk, (None, None))
        if not all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in (good, bad)):
            raise ValidationFailed({f"lines.{i}": [_("Give the resaleable and damaged units.")]})
        if good + bad != line.quantity:
            raise ValidationFailed(
                {
                    f"lines.{i}": [
                        _("Resaleable and damaged must add up to %(n)s.") % {"n": line.quantity}
                    ]
                }
            )
        line.resaleable, line.damaged = good, bad
    # Each line back to the warehouse whose parcel carried it (split orders had several).
    shipped_from = dict(
        ShipmentLine.objects.filter(
            order_line_id__in=[ln.order_line_id for ln in lines], shipment__kind=ShipmentKind.ORDER
        ).values_list("order_line_id", "shipment__warehouse_id")
    )
    for line in sorted(lines, key=lambda ln: ln.order_line.sku_id or 0):
        sku_id = line.order_line.sku_id
        if sku_id is None:
            continue
        warehouse_id = shipped_from.get(line.order_line_id, request.warehouse_id)
        if line.resaleable:
            receive_returned_goods(
                actor=actor, sku_id=sku_id, warehouse_id=warehouse_id, quantity=line.resaleable,
                reference=request.number, note=note or REASON_INSPECTED,
            )  # fmt: skip
        if line.damaged:
            write_off_returned_goods(
                actor=actor, sku_id=sku_id, warehouse_id=warehouse_id, quantity=line.damaged,
                reference=request.number, reason=note or REASON_WRITE_OFF,
            )  # fmt: skip
    ReturnLine.objects.bulk_update(lines, ["resaleable", "damaged"])
    move_return(request=request, to=R.INSPECTED, actor=actor, reason=note or REASON_INSPECTED)
    return request


def shipping_refund_due(request: ReturnRequest) -> Decimal:
    """The shipping rule: the shop's fault (quality, damage, wrong item, not as described)
    refunds the order's shipping fee, once per order; a change of mind does not."""
    if request.reason not in SHOP_FAULT or request.kind != ReturnKind.RETURN:
        return Decimal("0.00")
    already = (
        ReturnRequest.objects.filter(order_id=request.order_id, shipping_refund__gt=0)
        .exclude(pk=request.pk)
        .exists()
    )
    return Decimal("0.00") if already else request.order.shipping_fee


def refund_return(*, actor, return_id: int) -> ReturnRequest:
    """Refund an inspected return through the payment's refund service: the returned lines
    (each priced at what was paid for it, so never more), then the shipping by rule. A
    refund still processing at the gateway leaves the return refunding; the scheduled job
    finishes it (settle_refunds)."""
    require_perm(actor, "payments.refund_payment")
    with transaction.atomic():
        request = _locked(return_id)
        if request.kind != ReturnKind.RETURN:
            raise Conflict(_("An exchange is settled with a replacement parcel."), field="return")
        if request.status != R.INSPECTED:
            raise Conflict(_("Inspect the goods before refunding."), field="return")
        move_return(request=request, to=R.REFUNDING, actor=actor, reason=REASON_REFUNDED)
    return settle_refund(return_id=return_id, actor=actor)


def _send_refund(request, *, actor, **what) -> Refund:
    refund_no = new_refund_number(request.order)
    refund = refund_payment(
        order=request.order, refund_no=refund_no, actor=actor,
        reason=f"{_('Return')} {request.number}", restock=False, **what,
    )  # fmt: skip
    ReturnRequest.objects.filter(pk=request.pk).update(
        refund_numbers=[*request.refund_numbers, refund.refund_no]
    )
    request.refund_numbers = [*request.refund_numbers, refund.refund_no]
    return refund


def settle_refund(*, return_id: int, actor) -> ReturnRequest:
    """One step of a refunding return: send the lines' refund if none was sent, then the
    shipping refund once the first succeeded, then complete when every refund succeeded.
    Safe to repeat (the scheduled job does)."""
    request = ReturnRequest.objects.select_related("order").get(pk=return_id)
    if request.status != R.REFUNDING:
        return request
    refunds = list(Refund.objects.filter(refund_no__in=request.refund_numbers))
    if not refunds:
        lines = [(ln.order_line_id, ln.quantity) for ln in request.lines.order_by("pk")]
        refund = _send_refund(request, actor=actor, lines=lines)
        amount = refund.amount
        ReturnRequest.objects.filter(pk=request.pk).update(refund_amount=amount)
        request.refund_amount = amount
        refunds = [refund]
    if any(r.status in (RefundStatus.REQUESTED, RefundStatus.PROCESSING) for r in refunds):
        return request
    if any(r.status == RefundStatus.FAILED for r in refunds):
        return request  # finance sees the failed refund on the payment and acts
    due = shipping_refund_due(request)
    if due > 0 and request.shipping_refund == 0:
        refund = _send_refund(request, actor=actor, amount=due)
        ReturnRequest.objects.filter(pk=request.pk).update(shipping_refund=due)
        request.shipping_refund = due
        if refund.status != RefundStatus.SUCCEEDED:
            return request
    with transaction.atomic():
        locked = _locked(request.pk)
        if locked.status == R.REFUNDING:
            move_return(request=locked, to=R.COMPLETED, actor=actor, reason=REASON_REFUNDED)
        return locked


def ship_replacement(*, actor, return_id: int) -> ReturnRequest:
    """An inspected exchange: reserve the replacement SKUs (reference EX + the return
    number) and make the replacement parcels, which go through waves, packing and
    shipping like any parcel. A dearer replacement's difference is collected on delivery
    (the parcel's COD amount); a cheaper one's is refunded by finance
    (refund_exchange_difference)."""
    require_perm(actor, "aftersales.decide_return")
    with transaction.atomic():
        request = _locked(return_id)
        if request.kind != ReturnKind.EXCHANGE or request.status != R.INSPECTED:
            raise Conflict(_("Only an inspected exchange gets a replacement."), field="return")
        order = request.order
        lines = list(request.lines.select_related("order_line", "replacement_sku").order_by("pk"))
        reference = f"EX{request.number}"
        wanted = [(ln.replacement_sku_id, ln.quantity) for ln in lines]
        try:
            reservations = reserve_stock(
                lines=wanted, province=order.province, reference=reference, actor=actor
            )
        except OutOfStock as exc:
            raise Conflict(exc.message, field="replacement") from None
        book = CarrierBook.load()
        by_warehouse = {}
        for r in reservations:
            by_warehouse.setdefault(r.warehouse_id, []).append(r)
        collect = max(request.price_difference, Decimal("0.00"))
        for n, (warehouse_id, held) in enumerate(sorted(by_warehouse.items()), start=1):
            weight = sum(
                (Sku.objects.values_list("weight_g", flat=True).get(pk=r.sku_id) or 0) * r.quantity
                for r in held
            )
            choice = book.choose(warehouse_id=warehouse_id, province=order.province,
                                 weight_g=weight, cod=collect > 0 and n == 1)  # fmt: skip
            shipment = Shipment.objects.create(
                number=f"{reference}-{n}", order=order, kind=ShipmentKind.REPLACEMENT,
                reference=reference, warehouse_id=warehouse_id, province=order.province,
                carrier=choice.carrier if choice else None,
                carrier_fee=choice.fee if choice else 0,
                promised_days=choice.days if choice else None,
                cod_amount=collect if n == 1 else 0, weight_g=weight or None,
            )  # fmt: skip
            by_sku = {ln.replacement_sku_id: ln.order_line_id for ln in lines}
            ShipmentLine.objects.bulk_create(
                ShipmentLine(shipment=shipment, sku_id=r.sku_id, quantity=r.quantity,
                             order_line_id=by_sku.get(r.sku_id))
                for r in held
            )  # fmt: skip
            ShipmentEvent.objects.create(shipment=shipment, from_status="", to_status=PS.ALLOCATED,
                                         actor=actor, reason=REASON_REPLACEMENT)  # fmt: skip
        request.replacement_reference = reference
        move_return(
            request=request, to=R.REPLACING, actor=actor, reason=REASON_REPLACEMENT,
            update_fields=["replacement_reference"],
        )  # fmt: skip
    return request


def refund_exchange_difference(*, actor, return_id: int) -> ReturnRequest:
    """Finance refunds what a cheaper replacement saves the customer, once, through the
    payment (after the replacement is on its way)."""
    require_perm(actor, "payments.refund_payment")
    request = ReturnRequest.objects.select_related("order").get(pk=return_id)
    if request.kind != ReturnKind.EXCHANGE or request.status not in (R.REPLACING, R.COMPLETED):
        raise Conflict(_("Send the replacement first."), field="return")
    if request.price_difference >= 0 or request.refund_amount:
        raise Conflict(_("Nothing to refund for this exchange."), field="return")
    _send_refund(request, actor=actor, amount=-request.price_difference)
    ReturnRequest.objects.filter(pk=request.pk).update(refund_amount=-request.price_difference)
    request.refund_amount = -request.price_difference
    return request


@transaction.atomic
def complete_replaced(*, actor=None) -> int:
    """Exchanges whose replacement parcels are all delivered are completed (scheduled)."""
    done = 0
    for request in ReturnRequest.objects.select_for_update(skip_locked=True).filter(
        status=R.REPLACING
    ):
        statuses = set(
            Shipment.objects.filter(reference=request.replacement_reference).values_list(
                "status", flat=True
            )
        )
        if statuses and statuses <= {PS.DELIVERED}:
            move_return(request=request, to=R.COMPLETED, actor=actor, reason=REASON_REPLACED)
            done += 1
    return done


def settle_refunds(*, actor=None, limit: int = 200) -> int:
    """The scheduled step for returns still refunding (a gateway answered later)."""
    from .models import ReturnEvent

    done = 0
    waiting = ReturnRequest.objects.filter(status=R.REFUNDING).order_by("pk")
    for pk in waiting.values_list("pk", flat=True)[:limit]:
        # The refund goes on in the name of the person who started it (finance).
        starter = actor or (
            ReturnEvent.objects.filter(request_id=pk, to_status=R.REFUNDING)
            .select_related("actor")
            .order_by("-id")
            .first()
        )
        starter = getattr(starter, "actor", starter)
        try:
            if settle_refund(return_id=pk, actor=starter).status == R.COMPLETED:
                done += 1
        except (DomainError, IntegrityError):
            continue  # left refunding, shown to finance
    return done
