"""采购及物流部's tiles on the home page (issue 14 part 10): purchase orders waiting for
the user's approval, deliveries due today or late, cycle-count variances to approve,
tenders closing soon, low stock and suppliers' qualification documents expiring. Each a
count linking to its filtered list; the tiles the user may act on, counted in one query."""

from django.urls import reverse
from django.utils.translation import gettext as _

from mercato.core.db import count_together
from mercato.inventory import counts
from mercato.inventory.models import CountStatus
from mercato.inventory.selectors import low_stock_rows
from mercato.procurement import selectors

from .views_logistics_audit import Queue as Tile

APPROVERS = ("procurement.approve_purchaseorder", "procurement.approve_large_purchaseorder")
AWAITING = CountStatus.AWAITING_APPROVAL


def procurement_queues(user) -> list[Tile]:
    po_list = reverse("backoffice:po_list")
    # code: (permission or permissions (any), label, rows, link, urgent)
    wanted = {
        "po_to_approve": (APPROVERS, _("Purchase orders to approve"),
                          lambda: selectors.awaiting_approval(user), po_list + "?show=to_approve",
                          True),
        "deliveries_due": ("procurement.receive_goods", _("Deliveries due today or overdue"),
                           selectors.deliveries_due, po_list + "?show=due", False),
        "counts_to_approve": ("inventory.approve_count", _("Count variances to approve"),
                              lambda: counts.count_tasks(status=AWAITING),
                              reverse("backoffice:count_list") + f"?status={AWAITING}", True),
        "tenders_closing": ("procurement.view_tender", _("Tenders closing within 72 hours"),
                            selectors.tenders_closing,
                            reverse("backoffice:tender_list") + "?show=closing", False),
        "low_stock": ("inventory.change_stock", _("Low stock"), low_stock_rows,
                      reverse("backoffice:stock_list") + "?low=on", False),
        "documents_expiring": (
            "procurement.change_supplier",
            _("Qualification documents expired or expiring within %(days)s days")
            % {"days": selectors.EXPIRY_WARNING_DAYS},
            selectors.expiring_documents, reverse("backoffice:supplier_list") + "#expiring", True,
        ),
    }  # fmt: skip
    shown = {
        code: tile
        for code, tile in wanted.items()
        if any(user.has_perm(p) for p in ((tile[0],) if isinstance(tile[0], str) else tile[0]))
    }
    found = count_together({code: tile[2]() for code, tile in shown.items()})
    return [
        Tile(code, label, found[code], url, urgent)
        for code, (_perm, label, _rows, url, urgent) in shown.items()
    ]
