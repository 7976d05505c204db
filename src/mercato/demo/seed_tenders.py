"""Demo tenders (issue 14 part 3): one open with a sealed bid, one closed with three bids
waiting for the award (one offering a home-page banner for a lower price), and one
awarded, split between two suppliers, whose banner is a task for website operations.

Through the procurement services, with `now` set in the past for the tenders whose
deadline has passed (a deadline must be in the future when the tender is made).
Called by seed_procurement after its suppliers exist; adds a fourth supplier (杭州) so
that three are qualified (北京京都's food permit has expired).
"""

import datetime

from django.utils import timezone

from mercato.procurement import suppliers, tender_award, tenders
from mercato.procurement.models import Tender

HANGZHOU = ("HZ001", "杭州西湖数码有限公司", "91330106MA2CFNWX1H")


def seed_tenders(*, buyer, warehouse, skus, now=None) -> int:
    """The number of tenders made (0 when the demo already has some)."""
    if Tender.objects.exists() or len(skus) < 3:
        return 0
    now = now or timezone.now()
    code, name, uscc = HANGZHOU
    hz = suppliers.create_supplier(actor=buyer, code=code, name=name, uscc=uscc,
                                   address="杭州市西湖区文三路1号")  # fmt: skip
    licence_expiry = timezone.localdate(now) + datetime.timedelta(days=700)
    suppliers.add_document(actor=buyer, supplier_id=hz.pk, kind="营业执照", number=uscc,
                           expires_on=licence_expiry)  # fmt: skip
    invited = list(tenders.qualified_suppliers().values_list("pk", flat=True)[:3])

    def tender(title, deadline, made_at, lines):
        return tenders.create_tender(
            actor=buyer, title=title, deadline=deadline, now=made_at, supplier_ids=invited,
            lines=[{"sku_id": s.pk, "warehouse_id": warehouse.pk, "quantity": q} for s, q in lines],
        )  # fmt: skip

    def bid(t, supplier_id, prices, days, made_at, resource=None):
        lines = list(t.lines.order_by("id"))
        tenders.enter_bid(
            actor=buyer, tender_id=t.pk, supplier_id=supplier_id, now=made_at,
            delivery_date=timezone.localdate(t.deadline) + datetime.timedelta(days=days),
            lines=[{"tender_line_id": ln.pk, "unit_price": p, "quantity": q}
                   for ln, (p, q) in zip(lines, prices, strict=False)],
            resource=resource,
        )  # fmt: skip

    banner = {"kind": "home_banner", "days": 7, "value": "300.00", "note": "首页轮播第2位，7天"}
    a, b, c = invited[0], invited[1], invited[2] if len(invited) > 2 else invited[0]

    # Awarded: closed ten days ago, split between the two best bids.
    made = now - datetime.timedelta(days=20)
    done = tender("二季度手机备货招标", now - datetime.timedelta(days=10), made,
                  [(skus[0], 300)])  # fmt: skip
    tenders.open_tender(actor=buyer, tender_id=done.pk, now=made)
    bid(done, a, [("52.00", 120)], 5, made)
    bid(done, b, [("53.50", 200)], 3, made, resource=banner)
    bid(done, c, [("55.00", 200)], 9, made)
    after = now - datetime.timedelta(days=9)
    [(line, rows)] = tender_award.ranking(done, now=after)
    awards, left = [], line.quantity
    for r in rows:
        take = min(r.quantity, left)
        if take:
            awards.append({"bid_line_id": r.bid_line.pk, "quantity": take})
        left -= take
    tender_award.award_tender(actor=buyer, tender_id=done.pk, awards=awards, now=after,
                              reason="按评分排名分配")  # fmt: skip

    # Closed yesterday: three bids, waiting for the award.
    made = now - datetime.timedelta(days=6)
    closed = tender("27英寸显示器年度采购", now - datetime.timedelta(days=1), made,
                    [(skus[1], 100), (skus[2], 50)])  # fmt: skip
    tenders.open_tender(actor=buyer, tender_id=closed.pk, now=made)
    bid(closed, a, [("10.00", 100), ("20.00", 50)], 5, made)
    bid(closed, b, [("10.50", 100), ("21.00", 50)], 10, made,
        resource={**banner, "value": "100.00"})  # fmt: skip
    bid(closed, c, [("9.80", 60)], 2, made)
    tenders.close_due_tenders(now=now)

    # Open for five more days: one bid in, sealed.
    deadline = now + datetime.timedelta(days=5)
    current = tender("双十一耳机备货招标", deadline, now, [(skus[2], 300)])
    tenders.open_tender(actor=buyer, tender_id=current.pk, now=now)
    bid(current, a, [("30.00", 300)], 4, now)
    return 3
