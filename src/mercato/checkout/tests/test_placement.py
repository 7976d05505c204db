"""Quote and placement with hand-made stock: warehouse choice, splitting, idempotency, bad
input and a crash half-way, each leaving the database as a customer would expect."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import Sum
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mercato.cart.models import CartLine
from mercato.cart.services import add_to_cart, get_or_create_cart, set_cart_limit
from mercato.catalog.models import Sku
from mercato.checkout import placement
from mercato.checkout.placement import place_order, quote_checkout
from mercato.core.errors import DomainError, NotFound, ValidationFailed
from mercato.inventory.allocation import WAREHOUSES_CACHE_KEY, OutOfStock
from mercato.inventory.models import Reservation, Stock, StockMovement
from mercato.orders.models import InvoiceType, Order, OrderStatus
from mercato.orders.services import Invoice
from mercato.payments.models import Payment
from mercato.promotions.selectors import OFFERS_CACHE_KEY
from mercato.promotions.services import update_promotion
from mercato.testing.buying import CHENGDU, cart_with, new_key, stock
from mercato.testing.factories import make_customer, make_warehouse
from mercato.testing.promotions import make_promotion

D = Decimal
pytestmark = pytest.mark.django_db
QUOTE_QUERIES = {"postgresql": 4, "sqlite": 5}  # the stock comes with the lines on PostgreSQL


def place(cart, customer, **kw):
    args = {
        "address": CHENGDU,
        "payment_method": "sandbox",
        "idempotency_key": new_key(),
    } | kw
    return place_order(cart=cart, customer=customer, **args)


def reservations(order):
    rows = Reservation.objects.filter(reference=order.number).select_related("warehouse")
    return sorted((r.warehouse.code, r.sku_id, r.quantity) for r in rows)


def parcels_of(quote):
    return sorted((p.warehouse.code, sku, q) for p in quote.parcels for sku, q in p.lines)


def nothing_written():
    return (
        Order.objects.count(),
        Reservation.objects.count(),
        StockMovement.objects.exclude(reason=StockMovement.Reason.RECEIPT).count(),
        Stock.objects.aggregate(n=Sum("reserved"))["n"] or 0,
    ) == (0, 0, 0, 0)


# Quote ------------------------------------------------------------------------------------


def test_quote_prices_lines_now_and_ships_from_the_nearest_warehouse(shop, make_sku, customer):
    """A 成都 order of stock held in both warehouses ships in one parcel from 成都; the fee
    is by total weight (2 × 400 g + 300 g = 1,100 g: first kilo + one step)."""
    a = make_sku(price="19.90", weight_g=400)
    b = make_sku(price="25.00", weight_g=300)
    for sku in (a, b):
        stock(sku, shop["CD"], 5)
        stock(sku, shop["SH"], 5)
    cart = cart_with(customer, (a, 2), (b, 1))

    quote = quote_checkout(cart=cart, province="四川省")

    assert [(ln.sku_code, ln.unit_price, ln.quantity) for ln in quote.lines] == [
        (a.code, D("19.90"), 2),
        (b.code, D("25.00"), 1),
    ]
    assert quote.lines[0].product_name == a.product.name
    assert quote.lines[0].specs == a.specs
    assert parcels_of(quote) == [("CD", a.pk, 2), ("CD", b.pk, 1)]
    assert quote.weight_g == 1100
    assert quote.shipping_fee == D("15.00")
    assert (quote.totals.lines_total, quote.totals.total) == (D("64.80"), D("79.80"))


def test_quote_splits_across_two_warehouses_when_neither_holds_everything(shop, make_sku, customer):
    """A is only in 上海, B only in 成都: two parcels (拆单) shown before paying."""
    a, b = make_sku(), make_sku()
    stock(a, shop["SH"], 3)
    stock(b, shop["CD"], 3)
    cart = cart_with(customer, (a, 1), (b, 2))

    quote = quote_checkout(cart=cart, province="四川省")

    assert parcels_of(quote) == sorted([("SH", a.pk, 1), ("CD", b.pk, 2)])


def test_the_split_takes_the_fewest_parcels_and_placement_reserves_them(shop, make_sku, customer):
    """A is only in 成都; B in 广州 (nearer to 四川) and 上海; C only in 上海. Taking each SKU
    from the nearest warehouse would make three parcels; 成都 + 上海 make two, and
    placement reserves exactly those."""
    guangzhou = make_warehouse("GZ", "广东省")
    a, b, c = make_sku(), make_sku(), make_sku()
    stock(a, shop["CD"], 2)
    stock(b, guangzhou, 2)
    stock(b, shop["SH"], 2)
    stock(c, shop["SH"], 2)
    cart = cart_with(customer, (a, 1), (b, 1), (c, 1))

    quote = quote_checkout(cart=cart, province="四川省")
    order = place(cart, customer).order

    assert parcels_of(quote) == sorted([("CD", a.pk, 1), ("SH", b.pk, 1), ("SH", c.pk, 1)])
    assert reservations(order) == parcels_of(quote)


def test_free_shipping_from_the_threshold(shop, make_sku, customer):
    """Goods of ¥99.00 or more ship free, whatever the weight."""
    sku = make_sku(price="99.00", weight_g=5000)
    stock(sku, shop["CD"], 1)
    quote = quote_checkout(cart=cart_with(customer, (sku, 1)), province="四川省")
    assert quote.shipping_fee == D("0.00")
    assert quote.totals.total == D("99.00")


def test_quote_takes_only_selected_lines_on_sale(shop, make_sku, customer):
    """An unselected line and a SKU taken off sale are neither priced nor planned."""
    kept, unselected, withdrawn = make_sku(), make_sku(), make_sku()
    for sku in (kept, unselected, withdrawn):
        stock(sku, shop["CD"], 5)
    cart = cart_with(customer, (kept, 1), (unselected, 1), (withdrawn, 1))
    CartLine.objects.filter(cart=cart, sku=unselected).update(selected=False)
    Sku.objects.filter(pk=withdrawn.pk).update(is_active=False)

    quote = quote_checkout(cart=cart, province="四川省")

    assert [ln.sku_id for ln in quote.lines] == [kept.pk]


def test_quote_of_nothing_selected_names_lines(shop, make_sku, customer):
    sku = make_sku()
    cart = cart_with(customer, (sku, 1))
    CartLine.objects.filter(cart=cart).update(selected=False)
    with pytest.raises(ValidationFailed) as exc:
        quote_checkout(cart=cart, province="四川省")
    assert "lines" in exc.value.field_errors


def test_sold_out_names_the_product_and_its_specs(shop, make_sku, customer):
    """The customer reads what ran out as they chose it, not as a SKU code."""
    sku = make_sku(name="纯棉T恤", specs={"颜色": "红色", "尺码": "XL"})
    stock(sku, shop["CD"], 1)
    cart = cart_with(customer, (sku, 2))

    with pytest.raises(OutOfStock) as exc:
        quote_checkout(cart=cart, province="四川省")

    assert exc.value.sku_ids == [sku.pk]
    # Specs in the order the SKU keeps them (PostgreSQL's jsonb sorts keys), as the shop
    # shows them everywhere (Sku.spec_label).
    label = "纯棉T恤 " + "/".join(Sku.objects.get(pk=sku.pk).specs.values())
    assert label in exc.value.message
    assert {"红色", "XL"} <= set(label.split(" ")[1].split("/"))
    assert sku.code not in exc.value.message
    assert exc.value.message.startswith("已售罄")


def test_a_purchase_limit_set_after_adding_still_holds(shop, make_sku, customer):
    """限购 of 2 set while 3 sit in the cart: quote and placement refuse, naming the item."""
    sku = make_sku(name="茅台", specs={"规格": "500ml"})
    stock(sku, shop["CD"], 10)
    cart = cart_with(customer, (sku, 3))
    set_cart_limit(sku_id=sku.pk, max_per_order=2)

    for attempt in (
        lambda: quote_checkout(cart=cart, province="四川省"),
        lambda: place(cart, customer),
    ):
        with pytest.raises(ValidationFailed) as exc:
            attempt()
        assert "茅台 500ml" in str(exc.value.field_errors["lines"][0])
    assert nothing_written()


def test_quote_of_an_unknown_province_names_province(shop, make_sku, customer):
    sku = make_sku()
    stock(sku, shop["CD"], 1)
    with pytest.raises(ValidationFailed) as exc:
        quote_checkout(cart=cart_with(customer, (sku, 1)), province="火星")
    assert "province" in exc.value.field_errors


@pytest.mark.parametrize("n_lines", [1, 6])
def test_quote_query_budget_does_not_grow_with_lines(
    shop, make_sku, customer, n_lines, django_assert_num_queries
):
    """Five queries for any cart on SQLite, four on PostgreSQL: lines with SKU, product,
    purchase limit and the shipping rate (and on PostgreSQL their SKUs' stock), warehouses
    and the provinces they serve, stock (SQLite), and the running promotions (since
    promotions price the quote; cached between requests like the warehouses)."""
    skus = [make_sku() for _ in range(n_lines)]
    for sku in skus:
        stock(sku, shop["SH"], 2)
    cart = cart_with(customer, *[(sku, 1) for sku in skus])
    with django_assert_num_queries(QUOTE_QUERIES[connection.vendor]):
        quote_checkout(cart=cart, province="四川省")


# Placement --------------------------------------------------------------------------------


def test_placement_reserves_the_parcels_the_quote_showed(shop, make_sku, customer):
    """Nothing changed between quote and placement: the order's reservations are the quoted
    parcels, the order keeps name, code, specs and price, and the placed lines leave the
    cart while an unselected one stays."""
    a, b, later = make_sku(price="12.30"), make_sku(price="45.60"), make_sku()
    stock(a, shop["SH"], 3)
    stock(b, shop["CD"], 3)
    stock(later, shop["CD"], 3)
    cart = cart_with(customer, (a, 1), (b, 2), (later, 1))
    CartLine.objects.filter(cart=cart, sku=later).update(selected=False)
    quote = quote_checkout(cart=cart, province="四川省")

    result = place(cart, customer, expected_total=quote.totals.total)

    order = result.order
    assert result.created
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert order.total == quote.totals.total == D("103.50")  # free shipping from ¥99
    assert reservations(order) == parcels_of(quote)
    assert [
        (ln.product_name, ln.sku_code, ln.specs, ln.unit_price, ln.quantity)
        for ln in order.lines.order_by("id")
    ] == [
        (a.product.name, a.code, a.specs, D("12.30"), 1),
        (b.product.name, b.code, b.specs, D("45.60"), 2),
    ]
    assert list(CartLine.objects.filter(cart=cart).values_list("sku_id", flat=True)) == [later.pk]
    ledger = StockMovement.objects.filter(reference=order.number)
    assert sorted(ledger.values_list("reason", flat=True)) == ["reservation", "reservation"]


def test_the_same_key_again_returns_the_first_order_and_reserves_nothing_more(
    shop, make_sku, customer
):
    """A double click or a retried request: one order, one reservation."""
    sku = make_sku()
    stock(sku, shop["CD"], 5)
    cart = cart_with(customer, (sku, 2))
    key = new_key()

    first = place(cart, customer, idempotency_key=key)
    cart_with(customer, (sku, 1))  # the cart changes meanwhile; the key still wins
    again = place(cart, customer, idempotency_key=key)

    assert (first.created, again.created) == (True, False)
    assert again.order.pk == first.order.pk
    assert Order.objects.count() == 1
    assert Stock.objects.get(sku=sku, warehouse=shop["CD"]).reserved == 2
    assert CartLine.objects.filter(cart=cart).count() == 1  # the later line was not placed


def test_a_tampered_total_is_refused_and_nothing_is_written(shop, make_sku, customer):
    """The client's figure is only compared, never used: ¥0.01 for a ¥39.90 order fails on
    expected_total and the cart stays as it was."""
    sku = make_sku(price="39.90")
    stock(sku, shop["CD"], 5)
    cart = cart_with(customer, (sku, 1))

    with pytest.raises(ValidationFailed) as exc:
        place(cart, customer, expected_total=D("0.01"))

    assert "expected_total" in exc.value.field_errors
    assert nothing_written()
    assert CartLine.objects.filter(cart=cart).count() == 1


def test_a_price_change_between_quote_and_placement_is_reported(shop, make_sku, customer):
    """The customer saw ¥39.90 + ¥10 shipping; the price went up to ¥45.00 before they
    clicked: refused with the new total named. Placed again with it, the new price holds."""
    sku = make_sku(price="39.90")
    stock(sku, shop["CD"], 5)
    cart = cart_with(customer, (sku, 1))
    seen = quote_checkout(cart=cart, province="四川省").totals.total
    Sku.objects.filter(pk=sku.pk).update(list_price=D("45.00"))

    with pytest.raises(ValidationFailed) as exc, translation.override("en"):
        place(cart, customer, expected_total=seen)
    message = str(exc.value.field_errors["expected_total"][0])
    assert "Prices have changed" in message and "55.00" in message
    assert nothing_written()

    order = place(cart, customer, expected_total=D("55.00")).order
    assert order.lines.get().unit_price == D("45.00")


def test_stock_gone_between_cart_and_placement_is_a_clear_sold_out(shop, make_sku, customer):
    """Someone else bought the last units after this customer filled the cart."""
    sku = make_sku(name="保温杯", specs={"颜色": "蓝色"})
    stock(sku, shop["CD"], 2)
    cart = cart_with(customer, (sku, 2))
    rival = make_customer()
    place(cart_with(rival, (sku, 1)), rival)

    with pytest.raises(OutOfStock) as exc:
        place(cart, customer)

    assert "保温杯 蓝色" in exc.value.message
    assert Order.objects.filter(customer=customer).count() == 0
    assert Stock.objects.get(sku=sku).reserved == 1
    assert CartLine.objects.filter(cart=cart).count() == 1


@pytest.mark.parametrize("method", ["", "bitcoin", "alipay_page"])
def test_unknown_or_disabled_payment_method_names_the_field(shop, make_sku, customer, method):
    """alipay_page is a known method, but not enabled on this site (cod, sandbox)."""
    sku = make_sku()
    stock(sku, shop["CD"], 1)
    with pytest.raises(ValidationFailed) as exc:
        place(cart_with(customer, (sku, 1)), customer, payment_method=method)
    assert "payment_method" in exc.value.field_errors
    assert nothing_written()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"province": "火星"}, "province"),
        ({"city": "上海市"}, "city"),
        ({"district": "朝阳区"}, "district"),
        ({"mobile": "12345"}, "mobile"),
        ({"recipient": " "}, "recipient"),
        ({"detail": ""}, "detail"),
    ],
)
def test_bad_address_fields_are_named(shop, make_sku, customer, changes, field):
    sku = make_sku()
    stock(sku, shop["CD"], 1)
    address = CHENGDU.__class__(**(CHENGDU.__dict__ | changes))
    with pytest.raises(ValidationFailed) as exc:
        place(cart_with(customer, (sku, 1)), customer, address=address)
    assert field in exc.value.field_errors
    assert nothing_written()


def test_company_invoice_needs_a_valid_credit_code(shop, make_sku, customer):
    sku = make_sku()
    stock(sku, shop["CD"], 1)
    cart = cart_with(customer, (sku, 1))
    bad = Invoice(type=InvoiceType.COMPANY, title="某某有限公司", tax_id="91110000000000000X")
    with pytest.raises(ValidationFailed) as exc:
        place(cart, customer, invoice=bad)
    assert "invoice_tax_id" in exc.value.field_errors

    good = Invoice(type=InvoiceType.COMPANY, title="某某有限公司", tax_id="91350100M000100Y43")
    order = place(cart, customer, invoice=good).order
    assert (order.invoice_type, order.invoice_tax_id) == ("company", "91350100M000100Y43")


def test_another_customers_cart_is_not_found(shop, make_sku, customer):
    sku = make_sku()
    stock(sku, shop["CD"], 1)
    cart = cart_with(customer, (sku, 1))
    with pytest.raises(NotFound):
        place(cart, make_customer())
    assert nothing_written()


def test_a_crash_after_the_reservation_leaves_nothing_behind(shop, make_sku, customer, monkeypatch):
    """Placement fails after order, cart change and reservation were written (the last
    step): no order, no reservation, no ledger row, no reserved unit, and the cart
    unchanged."""
    sku = make_sku()
    stock(sku, shop["CD"], 3)
    cart = cart_with(customer, (sku, 2))
    reserve = placement.reserve_stock_for_new_reference

    def reserve_then_crash(**kwargs):
        reserve(**kwargs)
        assert Reservation.objects.exists()  # written, inside the transaction
        raise RuntimeError("disk full")

    monkeypatch.setattr(placement, "reserve_stock_for_new_reference", reserve_then_crash)
    with pytest.raises(RuntimeError):
        place(cart, customer)

    assert nothing_written()
    assert list(CartLine.objects.filter(cart=cart).values_list("sku_id", "quantity")) == [
        (sku.pk, 2)
    ]


def test_a_too_long_note_is_refused_naming_note(shop, make_sku, customer):
    sku = make_sku()
    stock(sku, shop["CD"], 1)
    with pytest.raises(DomainError) as exc:
        place(cart_with(customer, (sku, 1)), customer, note="很" * 201)
    assert "note" in exc.value.field_errors
    assert nothing_written()


def test_cash_on_delivery_goes_to_review_with_the_amount_to_collect(shop, make_sku, customer):
    """A COD order needs no payment step: it is confirmed at once, never expires, and its
    payment record carries the order's total for the courier to collect."""
    sku = make_sku(price="39.90")
    stock(sku, shop["CD"], 2)

    order = place(cart_with(customer, (sku, 1)), customer, payment_method="cod").order

    assert (order.status, order.expires_at) == (OrderStatus.COD_CONFIRMED, None)
    payment = Payment.objects.get(order=order)
    assert (payment.gateway, payment.amount) == ("cod", D("49.90"))
    assert Stock.objects.get(sku=sku).reserved == 1


def test_a_failing_cod_record_rolls_the_whole_placement_back(shop, make_sku, customer, monkeypatch):
    """The last step fails: the order, its reservation and the cart change go with it."""
    sku = make_sku()
    stock(sku, shop["CD"], 2)
    cart = cart_with(customer, (sku, 1))

    def broken(*, order):
        raise RuntimeError("payments down")

    monkeypatch.setattr(placement, "create_cod_payment", broken)
    with pytest.raises(RuntimeError):
        place(cart, customer, payment_method="cod")

    assert nothing_written()
    assert Payment.objects.count() == 0
    assert CartLine.objects.filter(cart=cart).count() == 1


prices = st.decimals(min_value="0.01", max_value="999.99", places=2)


# The fixtures (rates, one warehouse, a category) are shared by the examples on purpose;
# each example makes its own customer, SKUs and stock.
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(lines=st.lists(st.tuples(prices, st.integers(1, 20)), min_size=1, max_size=4))
def test_quoted_and_placed_totals_add_up_to_the_fen(rates, chengdu, make_sku, lines):
    """Any prices and quantities: lines + shipping = total in the quote, the order holds
    exactly the quoted figures, and each order line is price × quantity."""
    customer = make_customer()
    skus = [make_sku(price=str(price)) for price, _q in lines]
    for sku, (_price, quantity) in zip(skus, lines, strict=True):
        stock(sku, chengdu, quantity)
    cart = cart_with(customer, *[(sku, q) for sku, (_p, q) in zip(skus, lines, strict=True)])

    quote = quote_checkout(cart=cart, province="四川省")
    order = place(cart, customer, expected_total=quote.totals.total).order

    goods = sum((price * q for price, q in lines), D("0.00"))
    assert quote.totals.lines_total == goods
    assert quote.totals.total == goods + quote.shipping_fee
    assert (order.lines_total, order.shipping_fee, order.total) == (
        goods,
        quote.shipping_fee,
        quote.totals.total,
    )
    assert all(ln.line_total == ln.unit_price * ln.quantity for ln in order.lines.all())


def test_a_guest_places_from_the_session_cart_and_a_repeat_finds_the_order(shop, make_sku):
    """No customer: the guest's cart places an order reachable by its guest token; the
    same key again answers with it; a member's cart is not the guest's to place."""
    sku = make_sku()
    stock(sku, shop["CD"], 3)
    cart = get_or_create_cart(session_key="guest-session-1")
    add_to_cart(cart=cart, sku_id=sku.pk, quantity=1)
    key = new_key()

    first = place_order(
        cart=cart, customer=None, address=CHENGDU, payment_method="sandbox", idempotency_key=key
    )
    again = place_order(
        cart=cart, customer=None, address=CHENGDU, payment_method="sandbox", idempotency_key=key
    )

    assert first.created and not again.created
    assert again.order.pk == first.order.pk
    assert first.order.customer_id is None and first.order.guest_token
    with pytest.raises(NotFound):
        place(cart_with(make_customer(), (sku, 1)), None)


def test_placement_uses_the_lists_its_process_kept_while_their_versions_hold(
    shop, make_sku, customer, monkeypatch
):
    """The running promotions and the warehouse list: read through the cache by the first
    placement, then taken as this process kept them while the versions placement reads
    in its lines query hold (core.versioned); a change of a promotion is priced at once."""
    a = make_sku(price="200.00")
    stock(a, shop["CD"], 10)
    promotion = make_promotion(name="满300减40")
    asked = []
    cache_get = cache.get
    monkeypatch.setattr(cache, "get", lambda key, *args: asked.append(key) or cache_get(key, *args))

    first = place(cart_with(customer, (a, 2)), customer).order
    assert first.discount_total == D("40.00")
    assert {OFFERS_CACHE_KEY, WAREHOUSES_CACHE_KEY} <= set(asked)
    asked.clear()
    second = place(cart_with(customer, (a, 2)), customer).order
    assert second.discount_total == D("40.00")
    assert not {OFFERS_CACHE_KEY, WAREHOUSES_CACHE_KEY} & set(asked)
    update_promotion(promotion_id=promotion.pk, tiers=[{"threshold": "300.00", "amount": "50.00"}])
    third = place(cart_with(customer, (a, 2)), customer).order
    assert third.discount_total == D("50.00")
