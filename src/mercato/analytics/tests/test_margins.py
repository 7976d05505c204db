"""The margin report against figures computed by hand, and its back-office page."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from mercato.analytics import margins
from mercato.orders.models import Order, OrderLine, OrderStatus
from mercato.orders.services import cancel_order
from mercato.payments.refunds import refund_payment
from mercato.testing.fulfillment import at, costed, make_customer, make_shop, place, stock

pytestmark = pytest.mark.django_db
D = Decimal
SHANGHAI = at("上海市", "上海市", "浦东新区", "世纪大道1号")


@pytest.fixture
def sales(make_staff):
    """成都 (四川): A = phone ×2 (¥199, cost ¥100 at sale) + case ×1 (¥19, cost ¥10), one
    phone then refunded with a restock (¥199 back, its cost back in stock); C = phone ×1
    placed "before costs were recorded" (its unit_cost cleared), costed at today's ¥150;
    D = a sample ×1 (¥50) never costed. 上海: B = case ×4 (¥76, cost ¥40). Not sales: an
    unpaid order and a cancelled one.

    Revenue 417 − 199 + 199 + 50 + 76 = 543; cost 100 + 10 + 150 + 0 + 40 = 300; margin
    243, 243 / 543 = 44.75…% → 44.8%. 成都: 467 − 260 = 207 (44.3%); 上海: 76 − 40 = 36
    (47.4%). 手机: 398 − 250; 配件: 95 − 50; 样品: 50 − 0, flagged."""
    warehouses = make_shop()
    cd, sh = warehouses["四川省"], warehouses["上海市"]
    phone = costed("199.00", "100.00", "手机")
    case = costed("19.00", "10.00", "配件")
    sample = costed("50.00", "0.00", "样品")
    for sku, units in ((phone, 20), (case, 20), (sample, 5)):
        stock(sku, cd, units)
    stock(case, sh, 10)
    finance = make_staff("finance")
    customer = make_customer()
    a = place(customer, (phone, 2), (case, 1))
    assert a.lines.get(sku=phone).unit_cost == D("100.00")  # kept on the line at placement
    b = place(customer, (case, 4), address=SHANGHAI)
    phone.cost_price = D("150.00")  # a receipt moved the average after A was placed
    phone.save(update_fields=["cost_price"])
    c = place(customer, (phone, 1))
    OrderLine.objects.filter(order=c).update(unit_cost=None)
    place(customer, (sample, 1))
    place(customer, (phone, 5), paid=False)
    cancelled = place(customer, (case, 2))
    cancel_order(
        order_id=cancelled.pk, actor=make_staff("service"), by_customer=False, reason="缺货"
    )
    # A restock refund is for goods that left and came back: A counts as shipped.
    Order.objects.filter(pk=a.pk).update(status=OrderStatus.SHIPPED)
    line = a.lines.get(sku=phone)
    refund_payment(
        order=a, lines=[(line.pk, 1)], refund_no="RFM00001", reason="少发", restock=True,
        actor=finance,
    )  # fmt: skip
    return {
        "phone": phone,
        "case": case,
        "sample": sample,
        "cd": cd,
        "sh": sh,
        "b": b,
        "finance": finance,
    }


def figures(rows, name):
    (row,) = [r for r in rows if r.name == name]
    f = row.figures
    return f.units, f.revenue, f.cost, f.margin, f.margin_pct, f.estimated_units, f.uncosted_units


def test_margins_by_category_sku_warehouse_with_refunds_and_cost_basis(sales):
    today = timezone.localdate()
    report = margins.margin_report(start=today, end=today)

    t = report.total
    assert (t.units, t.revenue, t.cost, t.margin, t.margin_pct) == (
        8, D("543.00"), D("300.00"), D("243.00"), D("44.8"))  # fmt: skip
    assert (t.estimated_units, t.uncosted_units) == (1, 1)
    by_wh = report.groups["warehouse"]
    assert figures(by_wh, sales["cd"].name) == (4, D("467.00"), D("260.00"), D("207.00"),
                                                D("44.3"), 1, 1)  # fmt: skip
    assert figures(by_wh, sales["sh"].name) == (4, D("76.00"), D("40.00"), D("36.00"),
                                                D("47.4"), 0, 0)  # fmt: skip
    by_cat = report.groups["category"]
    assert [r.name for r in by_cat] == ["手机", "配件", "样品"]  # the largest revenue first
    assert figures(by_cat, "手机") == (2, D("398.00"), D("250.00"), D("148.00"), D("37.2"), 1, 0)
    assert figures(by_cat, "样品") == (1, D("50.00"), D("0.00"), D("50.00"), D("100.0"), 0, 1)
    assert [r.code for r in report.uncosted] == [sales["sample"].code]
    (day,) = report.groups["period"]
    assert (day.key, day.figures.revenue) == (today, D("543.00"))
    assert not report.monthly


def test_refund_without_restock_keeps_the_cost(sales):
    """B's refund of 2 cases without the goods back: revenue −¥38, the cost stays."""
    b = sales["b"]
    line = b.lines.get()
    refund_payment(
        order=b, lines=[(line.pk, 2)], refund_no="RFM00002", reason="破损补偿",
        actor=sales["finance"],
    )  # fmt: skip
    today = timezone.localdate()
    report = margins.margin_report(start=today, end=today)
    assert figures(report.groups["warehouse"], sales["sh"].name)[:4] == (
        2, D("38.00"), D("40.00"), D("-2.00"))  # fmt: skip


def test_a_line_split_between_warehouses_is_shared_by_units():
    """¥100.00 and cost ¥33.33 over 1 : 2 units → ¥33.33 / ¥66.67 and ¥11.11 / ¥22.22."""
    parts = margins._shares(margins.Figures(units=3, revenue=D("100.00"), cost=D("33.33")), [1, 2])
    assert [(p.units, p.revenue, p.cost) for p in parts] == [
        (1, D("33.33"), D("11.11")), (2, D("66.67"), D("22.22"))]  # fmt: skip


def test_long_ranges_go_by_month_and_bad_ranges_are_refused():
    today = timezone.localdate()
    assert margins.margin_report(start=today - timedelta(days=90), end=today).monthly
    assert margins.check_range(today, today - timedelta(days=1)) == {
        "end": _("The end date is before the start date.")}  # fmt: skip
    assert "end" in margins.check_range(today - timedelta(days=400), today)
    assert margins.check_range(today - timedelta(days=365), today) == {}


URL = "backoffice:margin_report"


@pytest.mark.parametrize(
    ("department", "roles", "status"),
    [("finance", [], 200), ("operations", [], 200), ("procurement", ["procurement_lead"], 200),
     ("procurement", [], 403), ("marketing", [], 403)],
)  # fmt: skip
def test_who_sees_the_report(client, make_staff, department, roles, status):
    client.force_login(make_staff(department, roles=roles))
    assert client.get(reverse(URL)).status_code == status


def test_page_figures_flags_chart_and_query_budget(sales, client, make_staff,
                                                   django_assert_num_queries):  # fmt: skip
    client.force_login(make_staff("finance"))
    today = f"{timezone.localdate():%Y-%m-%d}"
    url = f"{reverse(URL)}?start={today}&end={today}&by=warehouse"
    # user, permissions (2), department (menu); the sold lines, their refunds, their
    # resaleable returns, their warehouses. The same with more orders or SKUs.
    with django_assert_num_queries(8):
        response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert "¥543.00" in body and "¥243.00" in body and "44.8%" in body
    assert 'id="margin-chart"' in body
    assert 'id="margin-uncosted"' in body and sales["sample"].code in body
    assert body.count('class="flag"') == 1 and body.count('class="tag"') == 1  # 成都's row
    assert sales["cd"].name in body and "¥207.00" in body


def test_download_has_every_grouping_and_the_total(sales, client, make_staff):
    client.force_login(make_staff("operations"))
    today = f"{timezone.localdate():%Y-%m-%d}"
    response = client.get(f"{reverse(URL)}?start={today}&end={today}&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[-1][:8] == [
        pgettext("margin report", "Total"),
        "",
        "",
        "8",
        "543.00",
        "300.00",
        "243.00",
        "44.8",
    ]
    assert {r[0] for r in rows[1:-1]} == {str(label) for label in margins.GROUPINGS.values()}
    response = client.get(f"{reverse(URL)}?start={today}&end={today}&format=xlsx")
    assert response.content[:2] == b"PK"


def test_an_end_before_the_start_is_a_form_error(client, make_staff):
    client.force_login(make_staff("finance"))
    response = client.get(f"{reverse(URL)}?start=2026-05-02&end=2026-05-01")
    assert response.status_code == 400
    assert _("The end date is before the start date.") in response.content.decode()
    assert 'id="margin-total"' not in response.content.decode()
    response = client.get(f"{reverse(URL)}?start=2026-13-01")
    assert response.status_code == 400
