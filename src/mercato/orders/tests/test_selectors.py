import pytest
from django.core import signing

from mercato.core.errors import NotFound
from mercato.orders import selectors
from mercato.orders.links import SALT, guest_link_token
from mercato.testing.factories import make_customer, make_order, priced_line

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("count", [2, 20])
def test_a_customers_order_list_costs_two_queries_for_any_number(count, django_assert_num_queries):
    """Orders and all their lines in two queries, for 2 orders as for 20 (3 lines each)."""
    customer = make_customer()
    for _ in range(count):
        make_order(customer=customer, lines=[priced_line() for _ in range(3)])
    make_order(customer=make_customer())  # someone else's
    with django_assert_num_queries(2):
        orders = list(selectors.orders_for_customer(customer=customer))
        lines = [line.product_name for order in orders for line in order.lines.all()]
    assert len(orders) == count and len(lines) == 3 * count


def test_a_customer_sees_only_their_own_order():
    """Another customer's order number is NotFound, like a number that does not exist."""
    owner, other = make_customer(), make_customer()
    order = make_order(customer=owner)
    assert selectors.order_for_customer(customer=owner, number=order.number) == order
    with pytest.raises(NotFound):
        selectors.order_for_customer(customer=other, number=order.number)


def test_a_guest_reaches_their_order_through_the_signed_link():
    """The signed link opens the guest's order; forged or altered links are NotFound."""
    order = make_order()
    token = guest_link_token(number=order.number, guest_token=order.guest_token)
    assert selectors.order_for_guest_link(token=token) == order

    other = make_order()
    wrong_secret = signing.dumps({"n": other.number, "t": order.guest_token}, salt=SALT)
    forged = signing.dumps({"n": order.number, "t": order.guest_token}, key="x" * 50, salt=SALT)
    for bad in (token[:-2] + "xx", wrong_secret, forged, "", "not-a-token"):
        with pytest.raises(NotFound):
            selectors.order_for_guest_link(token=bad)


def test_a_member_order_has_no_guest_link():
    """A member's order cannot be opened through a guest link."""
    order = make_order(customer=make_customer())
    token = guest_link_token(number=order.number, guest_token="")
    with pytest.raises(NotFound):
        selectors.order_for_guest_link(token=token)
