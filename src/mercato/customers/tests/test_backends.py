"""The authentication backend: a member with their customer row in one query."""

import pytest
from django.contrib.auth import get_user_model

from mercato.customers.backends import ModelBackend
from mercato.customers.services import create_customer

pytestmark = pytest.mark.django_db


def test_a_member_comes_with_their_customer_row_in_one_query(django_assert_num_queries):
    customer = create_customer(mobile="13900139001")
    with django_assert_num_queries(1):
        user = ModelBackend().get_user(str(customer.user_id))  # the session keeps a string
        assert user.customer.pk == customer.pk
        assert user.customer.mobile == "13900139001"
        assert user.customer.user is user
    assert user.get_session_auth_hash() == customer.user.get_session_auth_hash()


def test_staff_have_no_customer_row_and_asking_costs_no_query(
    make_staff, django_assert_num_queries
):
    staff = make_staff("operations")
    with django_assert_num_queries(1):
        user = ModelBackend().get_user(staff.pk)
        assert user.username == staff.username
        assert not hasattr(user, "customer")


@pytest.mark.parametrize("user_id", ["abc", "", "99999999999999999999", -1, 0, 10**12])
def test_a_mangled_or_unknown_id_is_nobody(user_id):
    assert ModelBackend().get_user(user_id) is None


def test_an_inactive_user_is_nobody():
    customer = create_customer(mobile="13900139002")
    get_user_model().objects.filter(pk=customer.user_id).update(is_active=False)
    assert ModelBackend().get_user(customer.user_id) is None
