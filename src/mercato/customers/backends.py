"""The authentication backend: Django's ModelBackend, with the shopper's Customer row."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.core.exceptions import ValidationError

from mercato.core.compiled import CompiledQuery

from .models import Customer


def _user_with_customer(user_id):
    """A user's row and their customer row's (Nones: not a customer), as values_list."""
    user_model = get_user_model()
    customer = [f"customer__{f.attname}" for f in Customer._meta.concrete_fields]
    return user_model.objects.filter(pk=user_id).values_list(*_attnames(user_model), *customer)


def _attnames(model) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


# Compiled once (mercato.core.compiled): on every logged-in request, building the join
# through the ORM took more time than everything else in a small request.
USER_WITH_CUSTOMER = CompiledQuery("customers.user_with_customer", _user_with_customer)


class ModelBackend(DjangoModelBackend):
    """Loads a logged-in user with their Customer row (None for staff) in one query instead
    of two: every shop request of a member (cart, checkout, orders) reads
    `request.user.customer`.

    The ORM builds the join once (USER_WITH_CUSTOMER) and the rows become models through
    Model.from_db, as the ORM would make them: on every logged-in request, building the
    join each time took more time than everything else in a small request
    (docs/performance.md).
    """

    def get_user(self, user_id):
        user_model = get_user_model()
        if not isinstance(user_id, int):
            try:
                user_id = user_model._meta.pk.to_python(user_id)
            except ValidationError:  # a session with a mangled id: nobody
                return None
        if not isinstance(user_id, int) or not 0 < user_id < 2**63:  # not a row id at all
            return None
        rows = USER_WITH_CUSTOMER.rows(user_id=user_id)
        if not rows:
            return None
        (row,) = rows
        user_fields, customer_fields = _attnames(user_model), _attnames(Customer)
        user = user_model.from_db("default", user_fields, row[: len(user_fields)])
        customer_row = row[len(user_fields) :]
        customer = None
        if customer_row[0] is not None:
            customer = Customer.from_db("default", customer_fields, customer_row)
            Customer.user.field.set_cached_value(customer, user)
        # What select_related("customer") leaves behind: user.customer without a query
        # (RelatedObjectDoesNotExist when the user is not a customer).
        user_model.customer.related.set_cached_value(user, customer)
        return user if self.user_can_authenticate(user) else None
