"""The promotions pages of the operations workspace: create and edit (bad input refused on
its field), the preview of a sample cart to the fen, the campaign calendar with 2026's
holidays, a campaign copied onto the next holiday, the results per promotion, and who may
see them."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from mercato.orders.models import Order
from mercato.orders.promotion_results import promotion_results
from mercato.promotions import campaign_calendar
from mercato.promotions.models import Kind, Promotion, Redemption, Status
from mercato.testing.factories import SkuFactory, make_customer, make_order, priced_line
from mercato.testing.promotions import make_promotion

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")

FORM = {
    "name": "满300减40",
    "kind": "spend_save",
    "tiers": "300:40",
    "scope": "all",
    "scope_ids": "",
    "starts_at": "2026-06-01T00:00",
    "ends_at": "2026-06-19T00:00",
    "channel": "all",
    "target": "all",
    "priority": "0",
    "stackable": "on",
}


@pytest.fixture
def ops(client, ops_user):
    client.force_login(ops_user)
    return ops_user


@pytest.fixture
def skus():
    return (
        SkuFactory(code="SKU-A", list_price=Decimal("200.00"), cost_price=Decimal("120.00")),
        SkuFactory(code="SKU-B", list_price=Decimal("150.00"), cost_price=Decimal("90.00")),
    )


def test_operations_create_a_promotion_edit_it_and_activate_it(client, ops):
    response = client.post("/backoffice/promotions/new/", FORM | {"save": "1"})
    promotion = Promotion.objects.get()
    assert response["Location"] == f"/backoffice/promotions/{promotion.pk}/"
    assert promotion.status == Status.DRAFT
    assert [(Decimal(t["threshold"]), Decimal(t["amount"])) for t in promotion.tiers] == [(300, 40)]
    assert promotion.starts_at == datetime(2026, 6, 1, tzinfo=SH)
    client.post(
        f"/backoffice/promotions/{promotion.pk}/edit/",
        FORM | {"tiers": "300:40\n600:90", "save": "1"},
    )
    promotion.refresh_from_db()
    assert [Decimal(t["amount"]) for t in promotion.tiers] == [40, 90]
    client.post(f"/backoffice/promotions/{promotion.pk}/status/", {"to": "active"})
    promotion.refresh_from_db()
    assert promotion.status == Status.ACTIVE
    page = client.get(f"/backoffice/promotions/{promotion.pk}/").content.decode()
    assert "满300减40" in page and "History" not in page  # shown in Chinese
    form = client.get(f"/backoffice/promotions/{promotion.pk}/edit/").content.decode()
    assert 'value="2026-06-01T00:00"' in form  # as a datetime-local input takes it


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "percent_off", "percent": "120"}, "percent"),
        ({"kind": "amount_off", "amount": "-5"}, "amount"),
        ({"ends_at": "2026-05-01T00:00"}, "ends_at"),
        ({"tiers": "300:400"}, "tiers"),
        ({"tiers": "300-40"}, "tiers"),
        ({"kind": "nth_item", "nth": "1", "percent": "50"}, "nth"),
        ({"scope": "products", "scope_ids": "999999"}, "scope_ids"),
        ({"get_sku_code": "NOPE", "kind": "buy_x_get_y"}, "get_sku_code"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_input_is_refused_on_its_field_and_nothing_is_saved(client, ops, changes, field):
    response = client.post("/backoffice/promotions/new/", FORM | changes | {"save": "1"})
    assert response.status_code == 200
    assert f'data-field="{field}"' in response.content.decode()
    assert not Promotion.objects.exists()


def test_an_overlapping_exclusive_promotion_is_refused_with_the_clash_named(client, ops):
    exclusive = {"exclusive_group": "满减", "stackable": ""}
    make_promotion(
        name="618 主会场",
        starts_at=datetime(2026, 6, 10, tzinfo=SH),
        ends_at=datetime(2026, 6, 20, tzinfo=SH),
        exclusive_group="满减",
        stackable=False,
    )
    response = client.post("/backoffice/promotions/new/", FORM | exclusive | {"save": "1"})
    page = response.content.decode()
    assert 'data-field="exclusive_group"' in page and "618 主会场" in page
    assert Promotion.objects.count() == 1


def test_the_preview_prices_an_unsaved_promotion_to_the_fen(client, ops, skus):
    """¥200 + ¥150 = ¥350, 满300减40 spread 22.86 / 17.14 (largest remainder); shipping ¥10.
    With a running 10% off: 20.00 + 15.00, then 满减 on ¥315: 22.86 / 17.14 → ¥285.00."""
    form = FORM | {"sample": "SKU-A, SKU-B x1", "preview": "1"}
    page = client.post("/backoffice/promotions/new/", form).content.decode()
    assert not Promotion.objects.exists()
    assert 'data-total="without">¥360.00' in page
    assert 'data-total="alone">¥320.00' in page
    assert "¥22.86" in page and "¥17.14" in page
    make_promotion(Kind.PERCENT_OFF, name="全场9折", percent="10")
    page = client.post("/backoffice/promotions/new/", form).content.decode()
    assert 'data-total="together">¥285.00' in page
    assert "¥42.86" in page and "¥32.14" in page and "全场9折" in page
    bad = client.post("/backoffice/promotions/new/", form | {"sample": "NOPE x2"})
    assert "NOPE" in bad.content.decode() and Promotion.objects.count() == 1


def test_a_saved_promotions_page_previews_the_best_sellers_by_default(client, ops, skus):
    promotion = make_promotion(name="满300减40")
    make_order(lines=[priced_line(sku=skus[1], quantity=5)])
    page = client.get(f"/backoffice/promotions/{promotion.pk}/?sample=").content.decode()
    assert "SKU-B" in page and "SKU-A" in page
    assert 'data-total="alone">¥320.00' in page  # 350 − 40 + 10


@time_machine.travel(datetime(2026, 2, 10, 12, tzinfo=SH), tick=False)
def test_the_calendar_shows_2026s_spring_festival_and_the_campaigns_as_bars(client, ops):
    running = make_promotion(
        name="年货节",
        starts_at=datetime(2026, 2, 1, tzinfo=SH),
        ends_at=datetime(2026, 2, 11, tzinfo=SH),
    )
    planned = make_promotion(
        name="春节不打烊",
        status=Status.DRAFT,
        starts_at=datetime(2026, 2, 14, tzinfo=SH),
        ends_at=datetime(2026, 2, 24, tzinfo=SH),
    )
    view = campaign_calendar.month_view(2026, 2)
    spring = [o for o in view["occasions"] if o.key == "Spring Festival"]
    assert [(o.first.day, o.last.day) for o in spring] == [(15, 23)]
    assert [(b.promotion, b.first_col, b.span, b.state) for b in view["bars"]] == [
        (running, 1, 10, "running"),
        (planned, 14, 10, "planned"),
    ]
    makeup = [d["date"].day for d in view["days"] if d["makeup"]]
    assert makeup == [14, 28]  # Saturdays worked for the Spring Festival (调休)
    page = client.get("/backoffice/promotions/calendar/?month=2026-02").content.decode()
    assert "春节" in page and "年货节" in page and 'data-state="planned"' in page


def test_commerce_dates_are_on_the_calendar():
    june = campaign_calendar.occasions(datetime(2026, 6, 1).date(), datetime(2026, 6, 30).date())
    assert [(o.key, o.first.day, o.last.day) for o in june] == [
        ("618", 18, 18),
        ("Dragon Boat Festival", 19, 21),
    ]


@time_machine.travel(datetime(2026, 6, 1, 9, tzinfo=SH), tick=False)
def test_a_campaign_is_copied_onto_the_next_holiday(client, ops):
    source = make_promotion(name="满300减40", exclusive_group="满减", priority=10)
    response = client.post(
        f"/backoffice/promotions/{source.pk}/recur/", {"occasion": "Mid-autumn Festival"}
    )
    copy = Promotion.objects.exclude(pk=source.pk).get()
    assert response["Location"] == f"/backoffice/promotions/{copy.pk}/"
    assert (copy.starts_at, copy.ends_at) == (
        datetime(2026, 9, 25, tzinfo=SH),
        datetime(2026, 9, 28, tzinfo=SH),
    )
    assert copy.status == Status.DRAFT and copy.tiers == source.tiers and copy.priority == 10
    assert copy.name == "满300减40 · 中秋节 2026"
    client.post(f"/backoffice/promotions/{source.pk}/recur/", {"occasion": "1111"})
    assert Promotion.objects.filter(starts_at=datetime(2026, 11, 11, tzinfo=SH)).exists()
    # 2027's days off are not published in the package yet: said plainly, nothing made.
    response = client.post(
        f"/backoffice/promotions/{source.pk}/recur/", {"occasion": "Spring Festival"}, follow=True
    )
    assert "日历中还没有" in response.content.decode()
    assert Promotion.objects.count() == 3


def _orders_with(promotion, skus):
    returning, new = make_customer(), make_customer()
    with time_machine.travel(datetime(2026, 6, 10, 10, tzinfo=SH), tick=False):
        make_order(customer=returning, lines=[priced_line(sku=skus[0])])  # before: no promotion
    with time_machine.travel(datetime(2026, 6, 18, 10, tzinfo=SH), tick=False):
        first = make_order(
            customer=new,
            lines=[
                priced_line(sku=skus[0], unit_price="200.00", discount_share="22.86"),
                priced_line(sku=skus[1], unit_price="150.00", discount_share="17.14"),
            ],
        )
    with time_machine.travel(datetime(2026, 6, 19, 10, tzinfo=SH), tick=False):
        again = make_order(
            customer=returning,
            lines=[priced_line(sku=skus[0], unit_price="200.00", quantity=2, discount_share="40")],
        )
        cancelled = make_order(
            customer=returning,
            lines=[priced_line(sku=skus[1], unit_price="150.00", quantity=3, discount_share="40")],
        )
    Order.objects.filter(pk=cancelled.pk).update(status="cancelled")
    for order in (first, again, cancelled):
        Redemption.objects.create(
            promotion=promotion,
            order_number=order.number,
            customer=order.customer,
            discount=Decimal("40.00"),
            shipping_off=Decimal("0.00"),
        )


def test_results_hand_computed(client, ops, skus):
    """Two orders count (the cancelled one does not): revenue 350 + 400 = 750, discount
    40 + 40 = 80, cost 120 + 90 + 2 × 120 = 450, margin 750 − 80 − 450 = 220; one buyer's
    first order (new), one who ordered on 06-10 (returning)."""
    promotion = make_promotion(name="618 满300减40")
    _orders_with(promotion, skus)
    results = promotion_results(promotion_id=promotion.pk)
    t = results.total
    assert (t.orders, t.revenue, t.discount, t.cost, t.margin) == (2, 750, 80, 450, 220)
    assert (t.new_customers, t.returning_customers) == (1, 1)
    assert [(d.day, f.orders, f.margin) for d, f in results.days.items()] == [
        (18, 1, Decimal("100.00")),  # 350 − 40 − 210
        (19, 1, Decimal("120.00")),  # 400 − 40 − 240
    ]
    page = client.get(f"/backoffice/promotions/{promotion.pk}/").content.decode()
    assert 'data-figure="margin">¥220.00' in page and 'id="promotion-chart"' in page


def test_results_take_a_fixed_number_of_queries(skus, django_assert_num_queries):
    promotion = make_promotion(name="618 满300减40")
    _orders_with(promotion, skus)
    with django_assert_num_queries(2):
        promotion_results(promotion_id=promotion.pk)


def test_staff_outside_operations_are_refused(client, make_staff):
    promotion = make_promotion()
    client.force_login(make_staff("finance"))
    for url in (
        "/backoffice/promotions/",
        "/backoffice/promotions/calendar/",
        f"/backoffice/promotions/{promotion.pk}/",
        "/backoffice/promotions/new/",
    ):
        assert client.get(url).status_code == 403
    assert (
        client.post(f"/backoffice/promotions/{promotion.pk}/status/", {"to": "ended"}).status_code
        == 403
    )
    promotion.refresh_from_db()
    assert promotion.status == Status.ACTIVE


def test_the_list_and_calendar_keep_a_query_budget(client, ops, django_assert_max_num_queries):
    now = timezone.now()
    for n in range(20):
        make_promotion(name=f"活动{n}", starts_at=now - timedelta(days=n + 1))
    with django_assert_max_num_queries(12):
        page = client.get("/backoffice/promotions/?status=active").content.decode()
    assert page.count("活动") >= 20
    with django_assert_max_num_queries(12):
        client.get("/backoffice/promotions/calendar/")


@time_machine.travel(datetime(2026, 12, 4, 9, tzinfo=SH), tick=False)
def test_the_demo_has_the_618_campaign_running_and_a_planned_double_11():
    from mercato.demo import seed_promotions

    class Bar:
        def update(self, n):
            pass

    seed_promotions.seed_promotions(bar=Bar())
    assert seed_promotions.seed_promotions(bar=Bar()) == 0  # a second run adds nothing
    running = Promotion.objects.get(name=seed_promotions.MANJIAN_618)
    planned = Promotion.objects.get(name=seed_promotions.PLANNED_1111)
    assert planned.status == Status.DRAFT
    assert planned.starts_at == datetime(2027, 11, 11, tzinfo=SH)
    now = campaign_calendar.month_view(2026, 12)
    assert [(b.promotion, b.state) for b in now["bars"] if b.promotion == running] == [
        (running, "running")
    ]
    later = campaign_calendar.month_view(2027, 11)
    assert [(b.promotion, b.first_col, b.span, b.state) for b in later["bars"]] == [
        (planned, 11, 1, "planned")
    ]


def test_a_promotions_page_with_results_keeps_a_query_budget(
    client, ops, skus, django_assert_max_num_queries
):
    promotion = make_promotion(name="618 满300减40")
    _orders_with(promotion, skus)
    with django_assert_max_num_queries(14):
        page = client.get(f"/backoffice/promotions/{promotion.pk}/?sample=SKU-A").content.decode()
    assert 'data-figure="orders">2' in page and 'data-total="alone">' in page


def test_operations_create_a_gift_promotion_on_the_form(client, ops, skus):
    """满299赠 SKU-B: the gift's SKU by its code, the quantity and the threshold; without a
    gift SKU the form is refused on that field."""
    gift = FORM | {"name": "满299赠", "kind": "gift", "tiers": "", "get_sku_code": "SKU-B",
                   "get_quantity": "1", "min_amount": "299.00", "save": "1"}  # fmt: skip
    response = client.post("/backoffice/promotions/new/", gift)
    promotion = Promotion.objects.get()
    assert response["Location"] == f"/backoffice/promotions/{promotion.pk}/"
    assert (promotion.kind, promotion.get_sku_id, promotion.get_quantity) == (
        Kind.GIFT, skus[1].pk, 1,
    )  # fmt: skip
    assert promotion.min_amount == Decimal("299.00")
    refused = client.post("/backoffice/promotions/new/", gift | {"get_sku_code": ""})
    assert refused.status_code == 200
    assert "请选择作为赠品的 SKU" in refused.content.decode()
    assert Promotion.objects.count() == 1
