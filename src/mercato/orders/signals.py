"""Signals for the apps above orders (payments), which orders must not import.

- `orders_cancelled(order_ids)`: sent after the commit of every cancellation (customer,
  staff, expiry, a full refund): payments closes the orders' open payment attempts at
  their gateways.
- `unpaid_order_due(order_id)`: sent by the countdown task queued at placement. A
  receiver that takes the order on (payments: asks the gateway first, closes the trade,
  then expires it) returns True or False for "expired"; with no receiver the task expires
  the order itself.
"""

from django.dispatch import Signal

orders_cancelled = Signal()
unpaid_order_due = Signal()
