"""What staff do to an order from the order console (docs/backoffice.md): change the
delivery address or phone before shipment (with the customer's confirmation noted), hold
and release, notes, sending an unpaid order's payment link again.

Each is one transaction that takes the order's row lock, checks the permission and the
status, and writes an OrderEvent (kind != status when the status stays) — or changes
nothing and raises.
"""

from dataclasses import asdict

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mercato.core.errors import NotFound, ValidationFailed
from mercato.core.models import User
from mercato.core.permissions import require_perm
from mercato.customers.services import check_region, validate_cn_mobile
from mercato.customers.sms import SmsMessage, get_backend

from .errors import IllegalTransition
from .models import EventKind, Order, OrderNote, OrderStatus
from .services import DeliveryAddress
from .status import BEFORE_SHIPMENT, record_event

ADDRESS_FIELDS = ("recipient", "mobile", "province", "city", "district", "detail")
REASON_PAYMENT_LINK = gettext_noop("Payment link sent to the customer again")


def _locked(order_id: int) -> Order:
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise NotFound(_("No such order."), field="order_id")
    return order


def _required_text(value, *, field: str, message: str, max_length: int = 200) -> str:
    text = str(value or "").strip()
    if not text:
        raise ValidationFailed({field: [message]})
    if len(text) > max_length:
        raise ValidationFailed({field: [_("At most %(n)s characters.") % {"n": max_length}]})
    return text


def clean_delivery_address(address: DeliveryAddress) -> DeliveryAddress:
    """The address with its region checked against cpca's districts and the mobile
    normalised; ValidationFailed naming the first bad field."""
    fields = {k: str(getattr(address, k) or "").strip() for k in ADDRESS_FIELDS}
    if not fields["recipient"]:
        raise ValidationFailed({"recipient": [_("Enter the recipient's name.")]})
    if len(fields["recipient"]) > 40:
        raise ValidationFailed({"recipient": [_("At most %(n)s characters.") % {"n": 40}]})
    fields["mobile"] = validate_cn_mobile(fields["mobile"])
    check_region(province=fields["province"], city=fields["city"], district=fields["district"])
    if not fields["detail"]:
        raise ValidationFailed({"detail": [_("Enter the street address.")]})
    if len(fields["detail"]) > 200:
        raise ValidationFailed({"detail": [_("At most %(n)s characters.") % {"n": 200}]})
    return DeliveryAddress(**fields)


def address_of(order: Order) -> DeliveryAddress:
    return DeliveryAddress(**{k: getattr(order, k) for k in ADDRESS_FIELDS})


@transaction.atomic
def change_delivery(
    *, order_id: int, actor: User, address: DeliveryAddress, confirmation: str
) -> Order:
    """Change the delivery address and/or phone of an order that has not shipped.

    `confirmation` says how the customer confirmed the change ("called 13:05, customer
    confirmed the new flat number"): required, kept on the event with the old and the new
    address. Needs `orders.change_delivery`. A shipped or ended order raises
    IllegalTransition; an unchanged address ValidationFailed; nothing is written then.
    """
    require_perm(actor, "orders.change_delivery")
    confirmation = _required_text(
        confirmation,
        field="confirmation",
        message=_("Note how the customer confirmed the change."),
    )
    new = clean_delivery_address(address)
    order = _locked(order_id)
    if order.status not in BEFORE_SHIPMENT:
        raise IllegalTransition(
            current=order.status,
            target=order.status,
            message=_("The parcel has left: the address can no longer change."),
        )
    old = address_of(order)
    if old == new:
        raise ValidationFailed({"detail": [_("The address is the same as before.")]})
    for name in ADDRESS_FIELDS:
        setattr(order, name, getattr(new, name))
    order.save(update_fields=[*ADDRESS_FIELDS, "updated_at"])
    changed = [k for k in ADDRESS_FIELDS if getattr(old, k) != getattr(new, k)]
    record_event(
        order=order,
        kind=EventKind.ADDRESS,
        actor=actor,
        reason=confirmation,
        data={"old": asdict(old), "new": asdict(new), "changed": changed},
    )
    return order


@transaction.atomic
def hold_order(*, order_id: int, actor: User, reason: str) -> Order:
    """Stop an order where it is (no allocation, wave, packing or shipping) until it is
    released. Needs `orders.hold_order` and a reason; only before shipment."""
    require_perm(actor, "orders.hold_order")
    reason = _required_text(reason, field="reason", message=_("Say why the order is held."))
    order = _locked(order_id)
    if order.status not in BEFORE_SHIPMENT:
        raise IllegalTransition(
            current=order.status,
            target=order.status,
            message=_("Only an order that has not shipped can be held."),
        )
    if order.on_hold:
        raise ValidationFailed({"reason": [_("The order is already on hold.")]})
    order.on_hold, order.hold_reason = True, reason
    order.save(update_fields=["on_hold", "hold_reason", "updated_at"])
    record_event(order=order, kind=EventKind.HOLD, actor=actor, reason=reason)
    return order


@transaction.atomic
def release_hold(*, order_id: int, actor: User, reason: str = "") -> Order:
    """Let a held order move on again."""
    require_perm(actor, "orders.hold_order")
    order = _locked(order_id)
    if not order.on_hold:
        raise ValidationFailed({"order": [_("The order is not on hold.")]})
    order.on_hold, order.hold_reason = False, ""
    order.save(update_fields=["on_hold", "hold_reason", "updated_at"])
    record_event(order=order, kind=EventKind.RELEASE, actor=actor, reason=str(reason or "").strip())
    return order


@transaction.atomic
def add_note(*, order_id: int, actor: User, text: str) -> OrderNote:
    """A note on the order, for everyone who may see it."""
    require_perm(actor, "orders.view_order")
    text = _required_text(text, field="text", message=_("Write the note."), max_length=500)
    order = Order.objects.filter(pk=order_id).only("pk").first()
    if order is None:
        raise NotFound(_("No such order."), field="order_id")
    return OrderNote.objects.create(order=order, author=actor, text=text)


@transaction.atomic
def send_payment_link(*, order_id: int, actor: User, link: str) -> Order:
    """Text the payment link of an unpaid order to its mobile again and note it as an
    event. Needs `orders.send_payment_link`; only while payment is pending. The SMS goes
    after the commit (customers.sms; the provider needs a "payment_link" template); a
    provider that refuses raises SmsDeliveryFailed to the caller, the event stays."""
    require_perm(actor, "orders.send_payment_link")
    order = _locked(order_id)
    if order.status != OrderStatus.PENDING_PAYMENT or order.expires_at is None:
        raise IllegalTransition(
            current=order.status,
            target=order.status,
            message=_("Only an unpaid order has a payment link."),
        )
    minutes = max(int((order.expires_at - timezone.now()).total_seconds() // 60), 0)
    record_event(
        order=order,
        kind=EventKind.PAYMENT_LINK,
        actor=actor,
        reason=REASON_PAYMENT_LINK,
        data={"channel": "sms"},
    )
    message = SmsMessage(mobile=order.mobile, purpose="payment_link", code=link, minutes=minutes)
    transaction.on_commit(lambda: get_backend().send(message))
    return order
