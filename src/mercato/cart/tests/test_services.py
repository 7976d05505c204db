"""Cart services: adding, changing, removing, selecting, limits, merging on log-in."""

import contextlib

import pytest

from mercato.cart.models import Cart, CartLine
from mercato.cart.services import (
    add_to_cart,
    change_quantity,
    get_or_create_cart,
    merge_carts,
    remove_line,
    select_lines,
    set_cart_limit,
)
from mercato.catalog.models import ProductStatus
from mercato.core.errors import DomainError, NotFound

pytestmark = pytest.mark.django_db


@pytest.fixture
def cart(db):
    return get_or_create_cart(session_key="guest-session-1")


def lines(cart):
    return dict(CartLine.objects.filter(cart=cart).values_list("sku_id", "quantity"))


def test_guest_and_member_carts_are_found_again(customer):
    """The same session or the same customer gets the same cart back."""
    guest = get_or_create_cart(session_key="abc")
    assert get_or_create_cart(session_key="abc") == guest
    member = get_or_create_cart(customer=customer)
    assert get_or_create_cart(customer=customer) == member
    assert member != guest


def test_a_cart_needs_an_owner(db):
    """Without a customer or a session there is no cart, and the error names the session."""
    with pytest.raises(DomainError) as exc:
        get_or_create_cart()
    assert exc.value.field == "session_key"
    assert not Cart.objects.exists()


def test_adding_the_same_sku_adds_up(cart, sku):
    """Adding a SKU already in the cart raises its quantity instead of a second line."""
    add_to_cart(cart=cart, sku_id=sku.pk, quantity=2)
    line = add_to_cart(cart=cart, sku_id=sku.pk, quantity=3)
    assert line.quantity == 5
    assert lines(cart) == {sku.pk: 5}
    assert line.price_seen == sku.list_price


@pytest.mark.parametrize("quantity", [0, -1, 100, 10**12, "abc", None, True, "1.5"])
def test_bad_quantities_change_nothing(cart, sku, quantity):
    """Zero, negative, huge or non-numeric quantities are refused, naming `quantity`."""
    add_to_cart(cart=cart, sku_id=sku.pk, quantity=1)
    with pytest.raises(DomainError) as exc:
        add_to_cart(cart=cart, sku_id=sku.pk, quantity=quantity)
    assert exc.value.field == "quantity"
    assert lines(cart) == {sku.pk: 1}


def test_the_site_maximum_applies_to_the_sum(cart, sku, settings):
    """Adding up to more than MERCATO_CART_MAX_QUANTITY is refused and keeps the line."""
    settings.MERCATO_CART_MAX_QUANTITY = 5
    add_to_cart(cart=cart, sku_id=sku.pk, quantity=4)
    with pytest.raises(DomainError) as exc:
        add_to_cart(cart=cart, sku_id=sku.pk, quantity=2)
    assert exc.value.field == "quantity"
    assert lines(cart) == {sku.pk: 4}


def test_purchase_limit_is_enforced(cart, sku):
    """A SKU limited to 2 per order cannot reach 3 by adding or by changing the quantity."""
    set_cart_limit(sku_id=sku.pk, max_per_order=2)
    line = add_to_cart(cart=cart, sku_id=sku.pk, quantity=2)
    with pytest.raises(DomainError) as exc:
        add_to_cart(cart=cart, sku_id=sku.pk, quantity=1)
    assert exc.value.field == "quantity"
    assert "2" in exc.value.message
    with pytest.raises(DomainError):
        change_quantity(cart=cart, line_id=line.pk, quantity=3)
    assert lines(cart) == {sku.pk: 2}
    set_cart_limit(sku_id=sku.pk, max_per_order=None)
    add_to_cart(cart=cart, sku_id=sku.pk, quantity=1)
    assert lines(cart) == {sku.pk: 3}


def test_unknown_inactive_or_off_shelf_skus_are_refused(cart, make_sku):
    """SKUs that do not exist, are deactivated or whose product is off shelf cannot be added."""
    inactive = make_sku(is_active=False)
    off_shelf = make_sku()
    off_shelf.product.status = ProductStatus.OFF_SHELF
    off_shelf.product.save()
    draft = make_sku()
    draft.product.status = ProductStatus.DRAFT
    draft.product.save()
    deleted = make_sku()
    deleted_pk = deleted.pk
    deleted.delete()
    for sku_id in [inactive.pk, off_shelf.pk, draft.pk, deleted_pk, 0, "x", None]:
        with pytest.raises(DomainError) as exc:
            add_to_cart(cart=cart, sku_id=sku_id, quantity=1)
        assert exc.value.field == "sku"
    assert lines(cart) == {}


def test_change_remove_and_select(cart, make_sku):
    """Quantities change, lines go, and selection marks only this cart's lines."""
    a, b = make_sku(), make_sku()
    line_a = add_to_cart(cart=cart, sku_id=a.pk, quantity=1)
    line_b = add_to_cart(cart=cart, sku_id=b.pk, quantity=1)
    change_quantity(cart=cart, line_id=line_a.pk, quantity=7)
    with pytest.raises(DomainError):
        change_quantity(cart=cart, line_id=line_a.pk, quantity=0)
    assert lines(cart) == {a.pk: 7, b.pk: 1}

    other = get_or_create_cart(session_key="someone-else")
    other_line = add_to_cart(cart=other, sku_id=a.pk, quantity=1)
    assert select_lines(cart=cart, line_ids=[line_b.pk, other_line.pk], selected=False) == 1
    assert not CartLine.objects.get(pk=line_b.pk).selected
    assert CartLine.objects.get(pk=other_line.pk).selected

    with pytest.raises(NotFound):
        remove_line(cart=cart, line_id=other_line.pk)
    remove_line(cart=cart, line_id=line_b.pk)
    assert lines(cart) == {a.pk: 7}
    assert lines(other) == {a.pk: 1}


def test_merge_adds_up_within_limits_and_deletes_the_guest_cart(customer, make_sku):
    """On log-in the guest's lines join the member's cart, capped at the purchase limit."""
    limited, shared, guest_only = make_sku(), make_sku(), make_sku()
    set_cart_limit(sku_id=limited.pk, max_per_order=3)
    member = get_or_create_cart(customer=customer)
    add_to_cart(cart=member, sku_id=limited.pk, quantity=2)
    add_to_cart(cart=member, sku_id=shared.pk, quantity=1)
    guest = get_or_create_cart(session_key="guest")
    add_to_cart(cart=guest, sku_id=limited.pk, quantity=3)
    add_to_cart(cart=guest, sku_id=shared.pk, quantity=4)
    add_to_cart(cart=guest, sku_id=guest_only.pk, quantity=1)

    merged = merge_carts(guest_cart=guest, customer=customer)

    assert merged == member
    assert lines(member) == {limited.pk: 3, shared.pk: 5, guest_only.pk: 1}
    assert not Cart.objects.filter(pk=guest.pk).exists()
    # Merging again (a retried log-in) changes nothing.
    merge_carts(guest_cart=guest, customer=customer)
    assert lines(member) == {limited.pk: 3, shared.pk: 5, guest_only.pk: 1}


def test_merge_into_a_new_member_cart(customer, sku):
    """A customer without a cart gets the guest's lines; no guest cart is fine too."""
    guest = get_or_create_cart(session_key="guest")
    add_to_cart(cart=guest, sku_id=sku.pk, quantity=2)
    cart = merge_carts(guest_cart=guest, customer=customer)
    assert cart.customer == customer
    assert lines(cart) == {sku.pk: 2}
    assert merge_carts(guest_cart=None, customer=customer) == cart
    assert Cart.objects.count() == 1


def test_messages_are_in_chinese(cart, sku):
    """A Chinese-speaking shopper reads the refusal in Simplified Chinese."""
    from django.utils import translation

    set_cart_limit(sku_id=sku.pk, max_per_order=2)
    with translation.override("zh-hans"), pytest.raises(DomainError) as exc:
        add_to_cart(cart=cart, sku_id=sku.pk, quantity=3)
    assert exc.value.message == "该商品每单最多购买 2 件。"


def test_merge_caps_at_the_site_maximum(customer, sku, settings):
    """Two carts of 60 each merge to the site maximum of 99, not 120."""
    member = get_or_create_cart(customer=customer)
    add_to_cart(cart=member, sku_id=sku.pk, quantity=60)
    guest = get_or_create_cart(session_key="guest")
    add_to_cart(cart=guest, sku_id=sku.pk, quantity=60)
    merge_carts(guest_cart=guest, customer=customer)
    assert lines(member) == {sku.pk: 99}


def test_a_member_cart_is_never_merged_as_a_guest_cart(customer, sku):
    """Passing another customer's cart as the guest cart moves nothing."""
    from mercato.customers.services import create_customer

    other = get_or_create_cart(customer=create_customer(mobile="13900139000"))
    add_to_cart(cart=other, sku_id=sku.pk, quantity=1)
    cart = merge_carts(guest_cart=other, customer=customer)
    assert lines(cart) == {}
    assert lines(other) == {sku.pk: 1}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("in_transaction", [False, True])
def test_a_new_guests_cart_is_written_with_its_session_under_a_free_key(sku, in_transaction):
    """start_guest_cart writes the session, the cart and its line together: when the key
    drawn first is in use, none of them is written for it, and the next key gets all
    three; the session already under that key is left as it was."""
    from unittest import mock

    from django.contrib.sessions.models import Session
    from django.db import transaction

    from mercato.cart.services import start_guest_cart
    from mercato.core import sessions

    first = sessions.SessionStore()
    first["who"] = "first"
    first.create()
    taken, fresh = first.session_key, sessions.new_session_key()
    store = sessions.SessionStore()
    with mock.patch.object(sessions, "new_session_key", side_effect=[taken, fresh]):
        with transaction.atomic() if in_transaction else contextlib.nullcontext():
            line = start_guest_cart(create_session=store.create_with, sku_id=sku.pk, quantity=2)
    assert store.session_key == fresh and store.modified
    assert Session.objects.filter(session_key__in=[taken, fresh]).count() == 2
    assert sessions.SessionStore(session_key=taken).load() == {"who": "first"}
    cart = Cart.objects.get()
    assert (cart.session_key, cart.customer_id) == (fresh, None)
    assert line.cart_id == cart.pk and line.pk is not None
    assert list(CartLine.objects.values_list("cart_id", "sku_id", "quantity", "price_seen")) == [
        (cart.pk, sku.pk, 2, sku.list_price)
    ]


def test_a_refused_first_add_writes_no_session(sku):
    from mercato.cart.services import start_guest_cart
    from mercato.core.sessions import SessionStore

    store = SessionStore()
    with pytest.raises(DomainError):
        start_guest_cart(create_session=store.create_with, sku_id=sku.pk, quantity="0")
    assert store.session_key is None
    assert not Cart.objects.exists()
