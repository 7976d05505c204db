"""Adding to one cart from many requests at once on PostgreSQL (double clicks, two tabs)."""

import pytest

from mercato.cart.models import CartLine
from mercato.cart.services import add_to_cart, get_or_create_cart, set_cart_limit
from mercato.core.errors import DomainError
from mercato.testing.concurrency import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_adds_never_pass_the_purchase_limit(sku):
    """Eight simultaneous adds of one unit to a SKU limited to 5: five succeed, five units."""
    set_cart_limit(sku_id=sku.pk, max_per_order=5)
    cart = get_or_create_cart(session_key="guest")
    outcomes = run_concurrently(
        [lambda: add_to_cart(cart=cart, sku_id=sku.pk, quantity=1) for _ in range(8)]
    )
    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(refused) == 3, outcomes
    assert all(o.field == "quantity" for o in refused)
    assert CartLine.objects.get(cart=cart).quantity == 5


def test_concurrent_first_visits_share_one_guest_cart(db):
    """Parallel first requests of one session end with one guest cart."""
    outcomes = run_concurrently([lambda: get_or_create_cart(session_key="s1") for _ in range(6)])
    assert len({o.pk for o in outcomes}) == 1, outcomes
