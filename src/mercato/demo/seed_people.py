"""Demo people and places: staff of every department, warehouses, customers, addresses."""

import random
from datetime import date, timedelta
from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from mercato.catalog.bulk import insert_objects
from mercato.core.regions import area_text, mainland_districts
from mercato.customers.models import Address, Channel, Customer, Gender
from mercato.customers.phones import normalize_cn_mobile
from mercato.inventory.models import Warehouse
from mercato.inventory.services import create_warehouse
from mercato.staff import roles
from mercato.staff.services import create_staff

from .data import (
    DEMO_LOGINS,
    DEMO_PASSWORD,
    ESTATES,
    GIVEN_CHARS,
    MOBILE_PREFIXES,
    STREETS,
    SURNAMES,
    WAREHOUSES,
)

User = get_user_model()
BATCH = 1000
EXTRA_STAFF_PER_DEPARTMENT = 2
# Most customers live in the big cities: districts whose area code starts with these.
BIG_CITIES = ["1101", "3101", "4401", "4403", "3301", "5101", "4201", "3201", "6101", "5001"]
CHANNELS = (
    [Channel.WEB] * 4 + [Channel.APP] * 3 + [Channel.WECHAT] * 3 + [Channel.PHONE, Channel.PARTNER]
)
# The password field of customers who have not set one: "!" marks it unusable.
UNUSABLE_PASSWORD = "!demo-customer"  # noqa: S105 - not a password: matches none


def person_name(rng: random.Random) -> str:
    given = "".join(rng.choice(GIVEN_CHARS) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(SURNAMES) + given


def mobile_number(rng: random.Random, taken: set[str]) -> str:
    """A valid-format mainland mobile (checked with phonenumbers) not in `taken`."""
    while True:
        candidate = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        if candidate not in taken and normalize_cn_mobile(candidate) == candidate:
            taken.add(candidate)
            return candidate


def staff_plan(seed: int) -> list[dict]:
    """The demo log-ins (one per department, plus an operations lead) and a few colleagues."""
    rng = random.Random(f"mercato-demo:{seed}:staff")
    plans = [
        {
            "username": username,
            "department_code": department,
            "role_codes": role_codes,
            "display_name": display_name,
            "title": title,
            "employee_no": f"DEMO{n + 1:03d}",
        }
        for n, (username, department, role_codes, display_name, title) in enumerate(DEMO_LOGINS)
    ]
    for department in roles.DEPARTMENT_CODES:
        for k in range(1, EXTRA_STAFF_PER_DEPARTMENT + 1):
            plans.append(
                {
                    "username": f"{department}{k:02d}",
                    "department_code": department,
                    "role_codes": [],
                    "display_name": person_name(rng),
                    "title": "",
                    "employee_no": f"DEMO{len(plans) + 1:03d}",
                }
            )
    return plans


def seed_staff(*, seed: int, bar) -> int:
    plans = staff_plan(seed)
    have = set(
        User.objects.filter(username__in=[p["username"] for p in plans]).values_list(
            "username", flat=True
        )
    )
    new = [plan for plan in plans if plan["username"] not in have]
    for plan in new:
        # No password yet (make_password(None) costs nothing): Argon2 takes ~0.3 s a hash,
        # so the demo password is hashed once below and shared by every demo log-in.
        create_staff(actor=None, password=None, **plan)
        bar.update(1)
    bar.update(len(plans) - len(new))
    if new:
        User.objects.filter(username__in=[p["username"] for p in new]).update(
            password=make_password(DEMO_PASSWORD)
        )
    return len(new)


def seed_warehouses(*, seed: int, bar) -> int:
    rng = random.Random(f"mercato-demo:{seed}:warehouses")
    have = set(Warehouse.objects.values_list("code", flat=True))
    taken: set[str] = set()
    created = 0
    for code, name, province, city, district, address, served, priority in WAREHOUSES:
        contact, phone = person_name(rng), mobile_number(rng, taken)
        if code not in have:
            create_warehouse(
                actor=None,
                code=code,
                name=name,
                provinces=served,
                priority=priority,
                province=province,
                city=city,
                district=district,
                address=address,
                contact=contact,
                phone=phone,
            )
            created += 1
        bar.update(1)
    return created


@cache
def _districts_of(city: str) -> list[tuple[str, str, str, str]]:
    return [a for a in mainland_districts() if a[0].startswith(city)]


def _districts(rng: random.Random) -> tuple[str, str, str, str]:
    areas = mainland_districts()
    if rng.random() < 0.6:
        areas = _districts_of(rng.choice(BIG_CITIES))  # filtered once per city, not per row
    return rng.choice(areas)


def street_address(rng: random.Random) -> str:
    return (
        f"{rng.choice(STREETS)}{rng.randint(1, 999)}号{rng.choice(ESTATES)}"
        f"{rng.randint(1, 30)}栋{rng.randint(1, 6)}单元"
        f"{rng.randint(1, 33)}{rng.randint(1, 4):02d}室"
    )


def plan_customers(*, seed: int, count: int, base_date) -> list[dict]:
    """The demo customers for `seed` with their addresses, as plain data."""
    rng = random.Random(f"mercato-demo:{seed}:customers")
    taken: set[str] = set()
    others: set[str] = set()  # other recipients' numbers need not be unique
    plans = []
    for _ in range(count):
        name = person_name(rng)
        mobile = mobile_number(rng, taken)
        registered = base_date - timedelta(days=rng.randint(0, 1500), seconds=rng.randint(0, 86399))
        birthday = (
            date(1960, 1, 1) + timedelta(days=rng.randint(0, 16000)) if rng.random() < 0.7 else None
        )
        addresses = []
        for k in range(rng.choices((1, 2, 3), weights=(70, 25, 5))[0]):
            _code, province, city, district = _districts(rng)
            other = k > 0 and rng.random() < 0.5  # a parent, a partner, the office
            addresses.append(
                {
                    "recipient": person_name(rng) if other else name,
                    "mobile": mobile_number(rng, others) if other else mobile,
                    "province": province,
                    "city": city,
                    "district": district,
                    "detail": street_address(rng),
                    "is_default": k == 0,
                }
            )
        plans.append(
            {
                "mobile": mobile,
                "name": name,
                "gender": rng.choice([Gender.FEMALE, Gender.MALE, Gender.FEMALE, Gender.UNKNOWN]),
                "birthday": birthday,
                "registered_at": registered,
                "channel": rng.choice(CHANNELS),
                "addresses": addresses,
            }
        )
    return plans


def seed_customers(*, plans, bar) -> tuple[int, int]:
    """Bulk-create the planned customers that do not exist yet; (customers, addresses)."""
    mobiles = [p["mobile"] for p in plans]
    have = set(Customer.objects.filter(mobile__in=mobiles).values_list("mobile", flat=True))
    have |= set(User.objects.filter(username__in=mobiles).values_list("username", flat=True))
    new_plans = [p for p in plans if p["mobile"] not in have]
    bar.update(len(plans) - len(new_plans))
    address_total = 0
    for start in range(0, len(new_plans), BATCH):
        batch = new_plans[start : start + BATCH]
        users = [
            User(
                username=p["mobile"],
                display_name=p["name"],
                password=UNUSABLE_PASSWORD,
                date_joined=p["registered_at"],
            )
            for p in batch
        ]
        insert_objects(User, users, key="username")
        customers = [
            Customer(user_id=user.pk, **{k: v for k, v in p.items() if k != "addresses"})
            for user, p in zip(users, batch, strict=True)
        ]
        insert_objects(Customer, customers, key="mobile")
        addresses = [
            Address(customer_id=customer.pk, **a)
            for customer, p in zip(customers, batch, strict=True)
            for a in p["addresses"]
        ]
        insert_objects(Address, addresses)
        address_total += len(addresses)
        bar.update(len(batch))
    return len(new_plans), address_total


def address_text(address) -> str:
    """How a customer would paste the address: 张三 13812345678 广东省深圳市南山区…"""
    region = area_text(address.province, address.city, address.district)
    return f"{address.recipient} {address.mobile} {region}{address.detail}"
