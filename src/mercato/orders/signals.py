"""Signals orders sends to the apps above it (which orders must not import).

`order_cancelled` is sent inside the cancelling transaction, with the order row locked:
a receiver's writes commit or roll back with the cancellation (fulfillment cancels the
order's parcels and takes them out of their picking wave).
"""

from django.dispatch import Signal

order_cancelled = Signal()  # sender=Order, order=, actor=, reason=
