"""The order console's export: the filtered orders as CSV or XLSX (openpyxl), masked as
the list is for staff without `core.view_full_phone`."""

from django.utils import timezone
from django.utils.translation import gettext as _

from mercato.core import masking
from mercato.core.errors import ValidationFailed
from mercato.core.permissions import require_perm
from mercato.core.tables import write_table
from mercato.orders.models import OrderChannel, OrderStatus

FORMATS = ("csv", "xlsx")
MAX_ROWS = 200_000
COLUMNS = (
    "number", "status", "placed_at", "paid_at", "payment_method", "channel", "total",
    "recipient", "mobile", "province", "city", "district", "detail", "on_hold",
)  # fmt: skip


def _rows(queryset, *, actor):
    statuses, channels = dict(OrderStatus.choices), dict(OrderChannel.choices)
    for row in queryset.values_list(*COLUMNS).iterator(chunk_size=2000):
        values = dict(zip(COLUMNS, row, strict=True))
        values["status"] = str(statuses.get(values["status"], values["status"]))
        values["channel"] = str(channels.get(values["channel"], values["channel"]))
        for name in ("placed_at", "paid_at"):
            at = values[name]
            values[name] = timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S") if at else ""
        values["total"] = str(values["total"])
        values["on_hold"] = _("yes") if values["on_hold"] else ""
        values["recipient"] = masking.name_for(actor, values["recipient"])
        values["mobile"] = masking.phone_for(actor, values["mobile"])
        values["detail"] = masking.address_for(actor, values["detail"])
        yield [values[c] for c in COLUMNS]


def export_orders(*, actor, queryset, file, fmt: str) -> int:
    """Write the orders of `queryset` to the binary `file`; returns the number of rows.
    More than MAX_ROWS: ValidationFailed (narrow the filters), nothing written."""
    require_perm(actor, "orders.export_orders")
    if fmt not in FORMATS:
        raise ValidationFailed({"format": [_("Choose CSV or XLSX.")]})
    if queryset[MAX_ROWS : MAX_ROWS + 1].exists():
        raise ValidationFailed(
            {"q": [_("More than %(n)s orders: narrow the filters.") % {"n": MAX_ROWS}]}
        )
    return write_table(
        file, fmt=fmt, header=list(COLUMNS), rows=_rows(queryset, actor=actor), sheet="orders"
    )
