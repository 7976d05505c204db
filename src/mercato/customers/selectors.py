"""Read queries for customers: regions for the address form, a customer's addresses."""

from dataclasses import dataclass
from functools import lru_cache

from django.db.models import QuerySet, Subquery

from mercato.core.compiled import CompiledQuery
from mercato.core.regions import mainland_districts, mainland_provinces

from .models import Address, Customer, PointsEntry


@lru_cache(maxsize=1)
def region_tree() -> dict[str, dict[str, tuple[str, ...]]]:
    """{province: {city: (district, ...)}} in cpca's order, for the three address selects."""
    tree: dict[str, dict[str, list[str]]] = {p: {} for p in mainland_provinces()}
    for _code, province, city, district in mainland_districts():
        tree.setdefault(province, {}).setdefault(city, []).append(district)
    return {p: {c: tuple(ds) for c, ds in cities.items()} for p, cities in tree.items()}


def cities_of(province: str) -> tuple[str, ...]:
    return tuple(region_tree().get(province, {}))


def districts_of(province: str, city: str) -> tuple[str, ...]:
    return region_tree().get(province, {}).get(city, ())


def addresses_of(*, customer: Customer) -> QuerySet[Address]:
    return customer.addresses.order_by("-is_default", "id")


ADDRESS_FIELDS = ("recipient", "mobile", "province", "city", "district", "detail")


# Compiled once (mercato.core.compiled): it sits on checkout's hot path, where building
# the query took four times as long as the database took to answer it.
ADDRESS_OF_CUSTOMER = CompiledQuery(
    "customers.address_fields",
    lambda customer_id, address_id: Address.objects.filter(
        customer_id=customer_id, pk=address_id
    ).values(*ADDRESS_FIELDS),
)


def address_fields(*, customer_id: int, address_id: int) -> dict | None:
    """The delivery fields of one of the customer's saved addresses; None when it is not
    theirs (or does not exist)."""
    if not SavedAddress(customer_id, address_id).in_range:  # no row has such an id
        return None
    rows = ADDRESS_OF_CUSTOMER.rows(customer_id=customer_id, address_id=address_id)
    return rows[0] if rows else None


@dataclass(frozen=True)
class SavedAddress:
    """A customer's saved address named by id, its fields read where it is used: checkout
    reads them as columns of its cart lock's statement (saved_address_columns), one round
    trip fewer than reading them first (address_fields)."""

    customer_id: int
    address_id: int

    @property
    def in_range(self) -> bool:
        """False for an id no row can have (PostgreSQL's bigint would refuse it)."""
        return 0 < self.address_id < 2**63


SAVED_ADDRESS_COLUMNS = tuple(f"address_{name}" for name in ADDRESS_FIELDS)


def saved_address_columns(*, customer_id, address_id) -> dict[str, Subquery]:
    """The delivery fields of one of the customer's saved addresses as columns for another
    app's statement, named address_<field> (SAVED_ADDRESS_COLUMNS): all NULL when it is
    not theirs (or does not exist). The arguments may be OuterRef()s or values."""
    address = Address.objects.filter(customer_id=customer_id, pk=address_id)
    return {f"address_{name}": Subquery(address.values(name)[:1]) for name in ADDRESS_FIELDS}


def points_spent_on(*, order_number: str) -> int:
    """The member points an order used as money off (积分抵现); 0 when none."""
    row = PointsEntry.objects.filter(order_number=order_number, kind="redeem").values_list(
        "amount", flat=True
    )
    return -sum(row)


def points_ledger(*, customer_id: int, limit: int = 50) -> list:
    """The customer's latest points entries, newest first (one query)."""
    return list(
        PointsEntry.objects.filter(customer_id=customer_id).order_by("-created_at", "-id")[:limit]
    )
