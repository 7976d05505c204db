"""Tenders for tests: qualified suppliers and a tender opened and bid on, through the
procurement services."""

import datetime

from django.utils import timezone

from mercato.procurement import suppliers, tenders

from .procurement import USCC, make_supplier

MORE_USCC = ["91310115MA1K3YJ42K", "91330106MA2CFNWX1H"]
# A tender's timeline in the tests (time-machine travels to these): opened at START, bids
# close at DEADLINE, the buyer looks again AFTER it.
START = "2026-03-01 10:00 +0800"
DEADLINE = datetime.datetime(
    2026, 3, 5, 18, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8))
)
AFTER = "2026-03-06 09:00 +0800"


def make_qualified_supplier(code: str, n: int, *, name: str = "", expires_in: int = 400):
    """A supplier with a business licence expiring in `expires_in` days (negative: it has
    expired, so the supplier may not be invited)."""
    uscc = (USCC + MORE_USCC)[n]
    supplier = make_supplier(code=code, uscc=uscc, name=name or f"供应商{code}")
    suppliers.add_document(
        actor=None, supplier_id=supplier.pk, kind="营业执照",
        expires_on=timezone.localdate() + datetime.timedelta(days=expires_in),
    )  # fmt: skip
    return supplier


def make_open_tender(*, buyer, lines, supplier_ids, deadline, title="显示器招标"):
    """A tender created, its suppliers invited and opened for bids."""
    tender = tenders.create_tender(actor=buyer, title=title, deadline=deadline, lines=lines)
    tenders.invite_suppliers(actor=buyer, tender_id=tender.pk, supplier_ids=supplier_ids)
    tenders.open_tender(actor=buyer, tender_id=tender.pk)
    tender.refresh_from_db()
    return tender
