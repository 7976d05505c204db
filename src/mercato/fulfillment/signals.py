"""Receivers of other apps' signals (connected in apps.py)."""

from django.dispatch import receiver

from mercato.orders.signals import order_cancelled

from .models import Shipment
from .status import BEFORE_SHIPPING, move_shipment


@receiver(order_cancelled)
def cancel_parcels(sender, order, actor, reason, **kwargs):
    """An order cancelled before shipping: its parcels are cancelled too and leave their
    picking wave (inside the cancelling transaction)."""
    for shipment in (
        Shipment.objects.select_for_update()
        .filter(order_id=order.pk, status__in=BEFORE_SHIPPING)
        .order_by("pk")
    ):
        move_shipment(shipment=shipment, to="cancelled", actor=actor, reason=reason)
