"""Flash sales as staff change them (back office → 秒杀活动): edit a sale before it starts,
cancel one, and the list with what each item sold and has left.

A sale may be edited (name, times, items) only before it starts: once buyers hold tokens
and units, its terms stay as they were sold. It can be cancelled at any time before its
end: the buy endpoint then answers "ended" (flash.check_open), orders already placed stay.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from mercato.core.errors import Conflict, NotFound

from . import flash
from .models import FlashSale, FlashSaleItem, FlashSaleStatus


def _locked(sale_id: int) -> FlashSale:
    sale = FlashSale.objects.select_for_update().filter(pk=sale_id).first()
    if sale is None:
        raise NotFound(_("No such flash sale."), field="sale")
    return sale


@transaction.atomic
def update_flash_sale(
    *,
    sale_id: int,
    name: str,
    starts_at: datetime,
    ends_at: datetime,
    items: list[flash.ItemSpec],
    now=None,
) -> FlashSale:
    """New terms for a sale that has not started (checked as create_flash_sale checks);
    Conflict once it started or was cancelled. The items are replaced whole."""
    now = now or timezone.now()
    sale = _locked(sale_id)
    if sale.status == FlashSaleStatus.CANCELLED or sale.starts_at <= now:
        raise Conflict(_("A flash sale can only be changed before it starts."), field="sale")
    name, checked = flash.clean_flash_sale(
        name=name, starts_at=starts_at, ends_at=ends_at, items=items
    )
    old_ids = list(sale.items.values_list("pk", flat=True))
    sale.items.all().delete()
    flash.add_items(sale, checked)
    sale.name, sale.starts_at, sale.ends_at = name, starts_at, ends_at
    sale.save(update_fields=["name", "starts_at", "ends_at", "updated_at"])
    transaction.on_commit(lambda: [flash.forget(pk) for pk in old_ids])
    return sale


@transaction.atomic
def cancel_flash_sale(*, sale_id: int, now=None) -> FlashSale:
    """Stop a sale that has not ended: no more purchases (orders placed stay)."""
    now = now or timezone.now()
    sale = _locked(sale_id)
    if sale.status == FlashSaleStatus.CANCELLED or sale.ends_at <= now:
        raise Conflict(_("This flash sale has already ended."), field="sale")
    sale.status = FlashSaleStatus.CANCELLED
    sale.save(update_fields=["status", "updated_at"])
    return sale


@dataclass(frozen=True)
class SaleRow:
    sale: FlashSale
    state: str  # planned, running, ended, cancelled
    items: list[FlashSaleItem]  # with .sku and .product; .remaining = quantity − sold

    @property
    def editable(self) -> bool:
        return self.state == "planned"


def state_of(sale: FlashSale, now) -> str:
    if sale.status == FlashSaleStatus.CANCELLED:
        return "cancelled"
    if now < sale.starts_at:
        return "planned"
    return "running" if now < sale.ends_at else "ended"


def sales_for_staff(*, limit: int = 100, now=None) -> list[SaleRow]:
    """The latest sales first, each with its items, SKUs and products: two queries."""
    now = now or timezone.now()
    items = FlashSaleItem.objects.select_related("sku__product").order_by("pk")
    sales = FlashSale.objects.order_by("-starts_at", "-pk").prefetch_related(
        Prefetch("items", queryset=items)
    )[:limit]
    return [SaleRow(sale=s, state=state_of(s, now), items=list(s.items.all())) for s in sales]


def sale_for_staff(*, sale_id: int, now=None) -> SaleRow:
    now = now or timezone.now()
    sale = FlashSale.objects.filter(pk=sale_id).first()
    if sale is None:
        raise NotFound(_("No such flash sale."), field="sale")
    items = list(sale.items.select_related("sku__product").order_by("pk"))
    return SaleRow(sale=sale, state=state_of(sale, now), items=items)
