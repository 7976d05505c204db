"""The authentication backend: Django's ModelBackend, with the shopper's Customer row."""

from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.core.exceptions import ValidationError
from django.db import connection

from .models import Customer


def _columns(model, alias: str) -> list[str]:
    quote = connection.ops.quote_name
    return [f"{alias}.{quote(f.column)}" for f in model._meta.concrete_fields]


@cache
def _user_query() -> tuple[str, list[str], list[str]]:
    """The SELECT of a user and their customer row, and the two models' field names."""
    user_model = get_user_model()
    sql = (
        f"SELECT {', '.join(_columns(user_model, 'u') + _columns(Customer, 'c'))} "  # noqa: S608
        f"FROM {user_model._meta.db_table} u "
        f"LEFT JOIN {Customer._meta.db_table} c ON c.user_id = u.id WHERE u.id = %s"
    )
    return (
        sql,
        [f.attname for f in user_model._meta.concrete_fields],
        [f.attname for f in Customer._meta.concrete_fields],
    )


class ModelBackend(DjangoModelBackend):
    """Loads a logged-in user with their Customer row (None for staff) in one query instead
    of two: every shop request of a member (cart, checkout, orders) reads
    `request.user.customer`.

    The query is written out and the rows become models through Model.from_db, as the ORM
    would make them: on every logged-in request, building the join through the ORM took
    more time than everything else in a small request (docs/performance.md).
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
        sql, user_fields, customer_fields = _user_query()
        with connection.cursor() as cursor:
            cursor.execute(sql, [user_id])
            row = cursor.fetchone()
        if row is None:
            return None
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
