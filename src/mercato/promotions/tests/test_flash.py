"""Flash sales (秒杀): the sale's rules, the token, the database gate, the order at the
flash price with a short payment deadline, and units coming back when it expires."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone, translation

from mercato.checkout.flash import FlashBuy, place_flash_order
from mercato.core.errors import ValidationFailed
from mercato.inventory.models import Stock
from mercato.orders.models import Order, OrderStatus
from mercato.orders.services import cancel_order, expire_unpaid_order
from mercato.promotions import flash
from mercato.promotions.models import FlashOrder, FlashPurchase, FlashSaleItem
from mercato.testing.buying import CHENGDU, new_key, stock
from mercato.testing.factories import make_customer

D = Decimal
NOW = timezone.datetime(2026, 12, 12, 12, 0, tzinfo=timezone.get_fixed_timezone(480))


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def sale(shop, make_sku, settings):
    settings.MERCATO_FLASH_GATE = "database"
    sku = make_sku(price="199.00")
    stock(sku, shop["CD"], 20)
    with time_machine.travel(NOW - timedelta(hours=1), tick=False):
        created = flash.create_flash_sale(
            name="双十二秒杀",
            starts_at=NOW,
            ends_at=NOW + timedelta(hours=2),
            items=[flash.ItemSpec(sku.pk, D("99.00"), 5, per_customer_limit=2)],
        )
    return created.items.get()


def buy(customer, item, qty=1, key=None):
    return place_flash_order(
        customer=customer,
        buy=FlashBuy(
            item_id=item.pk,
            quantity=qty,
            address=CHENGDU,
            payment_method="sandbox",
            idempotency_key=key or new_key(),
        ),
    )


@pytest.mark.parametrize(
    ("price", "quantity", "limit", "field_text"),
    [
        ("0", 5, 1, "above zero"),
        ("199.00", 5, 1, "below the price"),
        ("99.00", 0, 1, "at least 1"),
        ("99.00", 5, 0, "limit per customer"),
        ("99.00", 21, 1, "Only 20 units"),
    ],
)
def test_a_sale_with_bad_terms_is_refused_naming_what_is_wrong(
    shop, make_sku, price, quantity, limit, field_text
):
    sku = make_sku(price="199.00")
    stock(sku, shop["CD"], 20)
    with pytest.raises(ValidationFailed) as exc:
        flash.create_flash_sale(
            name="秒杀",
            starts_at=NOW,
            ends_at=NOW + timedelta(hours=1),
            items=[flash.ItemSpec(sku.pk, D(price), quantity, limit)],
        )
    assert field_text in str(exc.value.field_errors["items.0"])
    assert not FlashSaleItem.objects.exists()


def test_a_sale_ending_before_it_starts_is_refused(shop, make_sku):
    sku = make_sku(price="199.00")
    stock(sku, shop["CD"], 20)
    with pytest.raises(ValidationFailed) as exc:
        flash.create_flash_sale(
            name="秒杀",
            starts_at=NOW,
            ends_at=NOW,
            items=[flash.ItemSpec(sku.pk, D("9.90"), 1)],
        )
    assert "ends_at" in exc.value.field_errors


def test_buying_before_the_start_or_after_the_end_is_refused(sale):
    customer = make_customer()
    with time_machine.travel(NOW - timedelta(seconds=1), tick=False):
        with pytest.raises(flash.FlashRefused) as exc:
            buy(customer, sale)
        assert exc.value.code == flash.NOT_STARTED
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        with pytest.raises(flash.FlashRefused) as exc:
            buy(customer, sale)
        assert exc.value.code == flash.ENDED
    assert not Order.objects.exists()


@time_machine.travel(NOW + timedelta(seconds=1), tick=False)
def test_an_order_at_the_flash_price_waits_ten_minutes_for_payment(sale):
    placement = buy(make_customer(), sale, qty=2)
    order = placement.order
    line = order.lines.get()
    assert (line.unit_price, line.quantity) == (D("99.00"), 2)
    assert order.lines_total == D("198.00")
    assert order.expires_at == order.placed_at + timedelta(minutes=10)
    assert Stock.objects.get(sku=sale.sku).reserved == 2
    sale.refresh_from_db()
    assert sale.sold == 2


@time_machine.travel(NOW + timedelta(seconds=1), tick=False)
def test_the_limit_per_customer_holds_over_several_orders(sale):
    customer = make_customer()
    buy(customer, sale)
    buy(customer, sale)
    with pytest.raises(flash.FlashRefused) as exc:
        buy(customer, sale)
    assert exc.value.code == flash.LIMIT_REACHED
    assert FlashPurchase.objects.get(customer=customer).units == 2
    assert Order.objects.count() == 2


@time_machine.travel(NOW + timedelta(seconds=1), tick=False)
def test_no_more_than_the_quantity_is_sold(sale):
    for _ in range(2):
        buy(make_customer(), sale, qty=2)
    with pytest.raises(flash.FlashRefused) as exc:
        buy(make_customer(), sale, qty=2)
    assert exc.value.code == flash.SOLD_OUT
    buy(make_customer(), sale, qty=1)
    with pytest.raises(flash.FlashRefused) as exc:
        buy(make_customer(), sale)
    assert exc.value.code == flash.SOLD_OUT
    sale.refresh_from_db()
    assert sale.sold == 5
    assert Stock.objects.get(sku=sale.sku).reserved == 5


@time_machine.travel(NOW + timedelta(seconds=1), tick=False)
def test_the_same_key_twice_places_one_order(sale):
    customer, key = make_customer(), new_key()
    first = buy(customer, sale, key=key)
    again = buy(customer, sale, key=key)
    assert (again.created, again.order.pk) == (False, first.order.pk)
    assert FlashPurchase.objects.get(customer=customer).units == 1


def test_an_expired_unpaid_order_gives_its_units_back(sale):
    customer = make_customer()
    with time_machine.travel(NOW + timedelta(seconds=1), tick=False):
        order = buy(customer, sale, qty=2).order
    with time_machine.travel(NOW + timedelta(minutes=10, seconds=2), tick=False):
        assert expire_unpaid_order(order_id=order.pk)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    sale.refresh_from_db()
    assert sale.sold == 0
    assert FlashPurchase.objects.get(customer=customer).units == 0
    assert FlashOrder.objects.get().returned_at is not None
    assert Stock.objects.get(sku=sale.sku).reserved == 0
    with time_machine.travel(NOW + timedelta(minutes=11), tick=False):
        buy(customer, sale, qty=2)  # the customer may buy again


def test_a_cancelled_order_gives_its_units_back_once(sale):
    customer = make_customer()
    with time_machine.travel(NOW + timedelta(seconds=1), tick=False):
        order = buy(customer, sale).order
        cancel_order(order_id=order.pk, actor=customer.user, reason="", by_customer=True)
    sale.refresh_from_db()
    assert sale.sold == 0
    assert flash.return_units(order_numbers=[order.number]) == 0
    sale.refresh_from_db()
    assert sale.sold == 0


def test_the_token_is_given_a_minute_before_the_start_and_bound_to_the_customer(sale):
    user_id = make_customer().user_id
    with time_machine.travel(NOW - timedelta(seconds=61), tick=False):
        assert flash.issue_token(sale=sale.sale, user_id=user_id) == ""
    with time_machine.travel(NOW - timedelta(seconds=59), tick=False):
        token = flash.issue_token(sale=sale.sale, user_id=user_id)
        assert token
        with pytest.raises(flash.FlashRefused) as exc:
            flash.check_token(token, user_id=user_id)
        assert exc.value.code == flash.NOT_STARTED
    with time_machine.travel(NOW + timedelta(seconds=1), tick=False):
        assert flash.check_token(token, user_id=user_id).sale_id == sale.sale_id
        for forged in (token, token[:-2] + "xx"):
            with pytest.raises(flash.FlashRefused) as exc:
                flash.check_token(forged, user_id=user_id + 1 if forged == token else user_id)
            assert exc.value.code == flash.TOKEN_INVALID


def test_the_demo_sale_starts_five_minutes_after_seeding_and_is_made_once(shop, make_sku):
    from mercato.demo.seed_promotions import seed_flash_sale

    sku = make_sku(price="199.00")
    stock(sku, shop["CD"], 50)
    with time_machine.travel(NOW, tick=False):
        sale = seed_flash_sale()
        assert sale.starts_at == NOW + timedelta(minutes=5)
        item = sale.items.get()
        assert (item.price, item.quantity, item.per_customer_limit) == (D("99.50"), 20, 1)
        assert seed_flash_sale() is None
