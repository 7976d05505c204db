"""Signals for the apps above orders (payments, fulfillment), which orders must not import.

- `orders_cancelled(order_ids)`: sent after the commit of every cancellation (customer,
  staff, expiry, a full refund): payments closes the orders' open payment attempts at
  their gateways.
- `order_cancelled(order, actor, reason)`: sent inside the cancelling transaction, with the
  order row locked, so a receiver's writes commit or roll back with the cancellation
  (fulfillment cancels the order's parcels and takes them out of their picking wave).
- `unpaid_order_due(order_id)`: sent by the countdown task queued at placement. A
  receiver that takes the order on (payments: asks the gateway first, closes the trade,
  then expires it) returns True or False for "expired"; with no receiver the task expires
  the order itself.
"""

from django.dispatch import Signal

orders_cancelled = Signal()
order_cancelled = Signal()
unpaid_order_due = Signal()
