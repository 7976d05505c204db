"""Signals the apps above catalog send about catalogue things they change.

- `sku_availability_changed(sku_ids)`: stock of these SKUs went to zero or came back from
  it (inventory sends it, inside the transaction that changed the stock). The shop's page
  caches (shopcache) listen: a page must show a SKU sold out once its last units go.
  Inventory does not call shopcache itself (pyproject's import-linter contract): stock
  knows nothing of page caches.
"""

from django.dispatch import Signal

sku_availability_changed = Signal()
