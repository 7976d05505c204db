"""Every back-office page and every API endpoint, as every department's demo user.

The pages come from the URL resolver and the endpoints from the API's OpenAPI schema, so a
page or endpoint added later is walked without editing this file. Each back-office view
declares who may open it (`staff_view(perm)`, which this walk reads); for each role:
- a page it may open answers 200 (405 for a POST-only action);
- a page it may not open answers 403 (or 404), and a POST to it changes nothing;
- no answer to a role without `core.view_full_phone` carries a customer's phone number
  or street address in full.
The API is walked the same way: no 5xx, refused writes change nothing, no number in full.

A small dataset is seeded once for the module (and rolled back after it); URL parameters
are filled from it by name (`product_id` → a product, `number` → an order number, ...).
"""

import io
import re
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import URLPattern, reverse

from mercato.api.api import api
from mercato.backoffice.navigation import user_may
from mercato.core.masking import mask_phone
from mercato.customers.services import create_customer
from mercato.demo.data import DEMO_LOGINS
from mercato.inventory.services import receive_stock
from mercato.orders.services import cancel_order
from mercato.payments.models import PaymentNotice
from mercato.payments.services import refund_payment
from mercato.staff import services as staff_services
from mercato.testing.factories import ORDER_ADDRESS as ADDRESS
from mercato.testing.factories import SkuFactory, make_order, make_warehouse
from mercato.testing.fixtures import rolled_back
from mercato.testing.pages import routes
from mercato.testing.payments import paid_payment
from mercato.testing.service import make_ticket

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("role_walk")]
User = get_user_model()

# The roles walked: every demo log-in (each department once, a lead, order processing,
# the sysadmin) and a 技术部 member without the sysadmin role.
ROLES = [(username, department, roles) for username, department, roles, *_ in DEMO_LOGINS]
ROLES.append(("tech-plain", "tech", []))
ROLE_IDS = [r[0] for r in ROLES]
PUBLIC_NAMES = {"backoffice:login", "backoffice:logout"}
CUSTOMER_PHONES = ["13912345678", "13698765432", ADDRESS.mobile]
STREET = ADDRESS.detail


# The dataset, once per module ----------------------------------------------------------


def _seed() -> dict:
    users = {}
    for n, (username, department, role_codes) in enumerate(ROLES):
        profile = staff_services.create_staff(
            actor=None, username=username, password="walk-pass-1234",
            department_code=department, employee_no=f"W{n:03d}", display_name=username,
            role_codes=role_codes,
        )  # fmt: skip
        users[username] = profile.user
        staff_services.create_api_token(actor=profile.user, name="walk")
    customer = create_customer(mobile=CUSTOMER_PHONES[0], password="walk-pass-1234")
    create_customer(mobile=CUSTOMER_PHONES[1])
    sku = SkuFactory(code="WALK-SKU-1", list_price=Decimal("99.00"))
    warehouse = make_warehouse("WALK1", "上海市")
    receive_stock(
        actor=users["procurement"], sku_id=sku.pk, warehouse_id=warehouse.pk, quantity=5,
        reference="PO-WALK",
    )  # fmt: skip
    payment = paid_payment(customer=customer)
    refund_payment(
        payment=payment, amount="5.00", refund_no="RFWALK0001", actor=users["finance"],
        reason=f"客户 {CUSTOMER_PHONES[0]} 来电：少发一件",
    )  # fmt: skip
    other = make_order(customer=customer)
    cancel_order(order_id=other.pk, actor=customer.user, reason="不想要了", by_customer=True)
    PaymentNotice.objects.create(
        gateway="sandbox", body="{}", out_trade_no=payment.number, payment=payment,
        needs_review=True, review_reason="walk",
    )  # fmt: skip
    # A customer service ticket about the order, the caller's number in its text.
    make_ticket(customer=customer, order_numbers=[other.number],
                body=f"客户 {CUSTOMER_PHONES[0]} 来电问退款")  # fmt: skip
    return {"users": users, "order": payment.order}


@pytest.fixture(scope="module")
def walk(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), rolled_back():
        yield _seed()


# The URLs, from the resolver -----------------------------------------------------------
def backoffice_views() -> list[tuple[str, URLPattern]]:
    """(url name, pattern) of every back-office page, from the URL resolver."""
    return [(r.name, r.pattern) for r in routes("backoffice/") if r.name not in PUBLIC_NAMES]


def _model_for(param: str, context: str):
    """The model a URL parameter names: `order_id` → Order, `job_id` → ImportJob, `group_id`
    under search/ → SynonymGroup (the app named in the route or view wins)."""
    stem = param.removesuffix("_id").replace("_", "")
    best, best_score = None, 0
    for model in apps.get_models():
        name = model._meta.model_name
        score = 2 if name == stem else 1 if name.endswith(stem) else 0
        if score and model._meta.app_label in context:
            score += 3
        if score > best_score and model._default_manager.exists():
            best, best_score = model, score
    return best


def _sample(param: str, context: str):
    """A value for a URL parameter from the seeded rows, or None."""
    if param.endswith("_id") or param == "pk":
        model = _model_for(param, context)
        return model._default_manager.order_by("pk").values_list("pk", flat=True).first() if (
            model
        ) else None  # fmt: skip
    for model in apps.get_models():  # `number` → an order's number, `code` → a code
        field_names = {f.name for f in model._meta.concrete_fields}
        if param in field_names and model._meta.app_label in context:
            value = model._default_manager.order_by("pk").values_list(param, flat=True).first()
            if value:
                return value
    return None


def _url(name: str, pattern: URLPattern) -> tuple[str, bool]:
    """(url, every parameter came from a real row)."""
    converters = pattern.pattern.converters
    context = f"{pattern.pattern} {pattern.lookup_str}"
    kwargs, real = {}, True
    for param, converter in converters.items():
        value = _sample(param, context)
        if value is None:
            real = False
            value = 1 if converter.regex.startswith("[0-9]") else "x"
        kwargs[param] = value
    return reverse(name, kwargs=kwargs), real


def _permission(pattern: URLPattern):
    view = pattern.callback
    assert getattr(view, "is_staff_view", False), (
        f"{pattern.lookup_str} is not wrapped in backoffice.access.staff_view: every "
        "back-office page must say who may open it"
    )
    return view.staff_permission


# Checks -------------------------------------------------------------------------------
def _fingerprint() -> dict:
    """Rows per table and the newest id: what a refused request must leave as it was.
    One query for every table (a UNION ALL built from the models' metadata)."""
    skip = {"sessions", "axes", "contenttypes"}
    models = [
        m for m in apps.get_models()
        if m._meta.app_label not in skip and not m._meta.proxy and m._meta.managed
    ]  # fmt: skip
    quote = connection.ops.quote_name
    sql = " UNION ALL ".join(
        # Table and column names from the models' metadata, quoted: no outside input.
        # The newest id as text: some keys are UUIDs, which PostgreSQL's MAX does not take.
        f"SELECT {n}, COUNT(*), MAX(CAST({quote(m._meta.pk.column)} AS TEXT)) "  # noqa: S608
        f"FROM {quote(m._meta.db_table)}"
        for n, m in enumerate(models)
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    return {models[n]._meta.label: (count, top) for n, count, top in rows}


# A number in full however it is written: 13912345678, 139 1234 5678, +86 139-1234-5678.
_FULL_PHONE = re.compile("|".join(rf"{p[:3]}[\s-]?{p[3:7]}[\s-]?{p[7:]}" for p in CUSTOMER_PHONES))


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _body(response) -> str:
    """The answer as text, streamed ones (exports) included; a spreadsheet as its cells'
    text (the bytes of an XLSX are zipped: a number in full would not show in them)."""
    if hasattr(response, "walk_text"):  # a stream is read once: keep what it said
        return response.walk_text
    data = b"".join(response.streaming_content) if response.streaming else response.content
    response.walk_text = _text(response, data)
    return response.walk_text


def _text(response, data: bytes) -> str:
    if response.get("Content-Type", "").startswith(XLSX):
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data), read_only=True)
        return "\n".join(
            "\t".join("" if v is None else str(v) for v in row)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    return data.decode("utf-8", "replace")


def _exports_too(client, url, response, **headers):
    """An export answered as CSV is asked again as XLSX: every format is checked."""
    if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/csv"):
        return []
    joiner = "&" if "?" in url else "?"
    return [client.get(f"{url}{joiner}format=xlsx", **headers)]


def _leaks(response) -> list[str]:
    body = _body(response)
    found = _FULL_PHONE.findall(body)
    if STREET in body:
        found.append(STREET)
    return found


def _role(walk, username):
    return walk["users"][username]


@pytest.mark.parametrize("username", ROLE_IDS)
def test_every_back_office_page_answers_by_the_roles_permission(client, walk, username):
    """Allowed → 200 (405 for POST-only actions); refused → 403 or 404; and no customer
    phone number or street address in full for a role without core.view_full_phone."""
    user = _role(walk, username)
    client.force_login(user)
    sees_numbers = user.has_perm("core.view_full_phone")
    problems = []
    for name, pattern in backoffice_views():
        url, real = _url(name, pattern)
        allowed = user_may(user, _permission(pattern))
        response = client.get(url)
        status = response.status_code
        if allowed:
            ok = status in (200, 405) or (status == 404 and not real)
        else:
            ok = status in (403, 404, 405)
        if not ok:
            problems.append(f"GET {url} ({name}): {status}, allowed={allowed}")
        for answer in [response, *_exports_too(client, url, response)]:
            if not sees_numbers and answer.status_code == 200 and (leaks := _leaks(answer)):
                problems.append(f"GET {url} ({name}) shows {leaks} in full")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("username", ROLE_IDS)
def test_refused_posts_change_nothing(client, walk, username):
    """A POST by a role that may not open the page is refused and writes nothing."""
    user = _role(walk, username)
    client.force_login(user)
    before = _fingerprint()
    problems = []
    for name, pattern in backoffice_views():
        if user_may(user, _permission(pattern)):
            continue
        url, _real = _url(name, pattern)
        status = client.post(url, {"name": "x", "reason": "x", "amount": "1"}).status_code
        if status not in (403, 404, 405):
            problems.append(f"POST {url} ({name}): {status}")
        after = _fingerprint()
        if after != before:
            changed = sorted(k for k in after if after[k] != before.get(k))
            problems.append(f"POST {url} ({name}) changed {changed}")
            before = after
    assert not problems, "\n".join(problems)


# The API, from its OpenAPI schema ------------------------------------------------------
def api_operations() -> list[tuple[str, str, str | None]]:
    """(method, path template, the permission it declares) of every API operation, from
    the OpenAPI schema (`x-permission`, written by mercato.api.auth.requires)."""
    schema = api.get_openapi_schema()
    return [
        (method.upper(), path, operation.get("x-permission"))
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]


def _api_url(path: str) -> tuple[str, bool]:
    real = True

    def fill(match):
        nonlocal real
        value = _sample(match.group(1), path)
        if value is None:
            real = False
            return "1"
        return str(value)

    return re.sub(r"{(\w+)}", fill, path), real


def _auth(token) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}


def _api_call(client, method, url, token):
    headers = _auth(token)
    if method == "GET":
        return client.get(url, **headers)
    return client.generic(method, url, data="{}", content_type="application/json", **headers)


@pytest.mark.parametrize("username", [*ROLE_IDS, "anonymous"])
def test_every_api_endpoint_as_every_role(client, walk, username):
    """An endpoint that declares its permission answers a caller without it 403 (401
    without a token) and one with it otherwise; no endpoint answers 5xx; a refused write
    changes nothing; no answer to a caller without core.view_full_phone carries a number
    in full."""
    if username == "anonymous":
        user, token = None, None
    else:
        user = _role(walk, username)
        token, _raw = staff_services.create_api_token(actor=user, name="walk-api")
        token = _raw
    sees_numbers = bool(user and user.has_perm("core.view_full_phone"))
    problems = []
    before = _fingerprint()
    for method, path, permission in api_operations():
        url, _real = _api_url(path)
        response = _api_call(client, method, url, token)
        status = response.status_code
        if status >= 500:
            problems.append(f"{method} {url}: {status}")
        if permission:
            expected = {401} if user is None else {403} if not user.has_perm(permission) else None
            if (expected and status not in expected) or (not expected and status in (401, 403)):
                problems.append(f"{method} {url} ({permission}): {status}")
        if method != "GET" and status in (401, 403, 404, 405, 422):
            after = _fingerprint()
            if after != before:
                changed = sorted(k for k in after if after[k] != before.get(k))
                problems.append(f"{method} {url} refused with {status} but changed {changed}")
        before = _fingerprint()
        extra = _exports_too(client, url, response, **_auth(token)) if method == "GET" else []
        for answer in [response, *extra]:
            if not sees_numbers and answer.status_code < 300 and (leaks := _leaks(answer)):
                problems.append(f"{method} {url} shows {leaks} in full")
    assert not problems, "\n".join(problems)


def test_the_walk_finds_the_pages_and_endpoints(walk):
    """The enumeration is not empty: the pages and endpoints of today are in it."""
    names = {name for name, _pattern in backoffice_views()}
    assert {"backoffice:audit_list", "backoffice:payment_detail", "backoffice:staff_edit",
            "backoffice:product_detail"} <= names  # fmt: skip
    assert len(names) >= 30
    operations = {(method, path): perm for method, path, perm in api_operations()}
    assert ("GET", "/api/catalog/products") in operations
    assert ("DELETE", "/api/staff/tokens/{token_id}") in operations
    assert operations[("POST", "/api/catalog/products")] == "catalog.add_product"
    url, real = _url("backoffice:payment_detail", dict(backoffice_views())[
        "backoffice:payment_detail"])  # fmt: skip
    assert real and url.startswith("/backoffice/payments/")


def test_the_number_is_on_the_page_masked_for_finance(client, walk):
    """The walk's leak check is not vacuous: the number is on the page finance reads (the
    refund reason), masked."""
    payment = walk["order"].payments.get()
    client.force_login(_role(walk, "finance"))
    body = client.get(f"/backoffice/payments/{payment.pk}/").content.decode()
    assert mask_phone(CUSTOMER_PHONES[0]) in body


def test_finance_exports_carry_the_number_masked_in_every_format(client, walk):
    """The export check is not vacuous: finance may export the orders (page and API, CSV
    and XLSX); the seeded order's number is in every file, masked, never in full."""
    user = _role(walk, "finance")
    assert user.has_perm("orders.export_orders") and not user.has_perm("core.view_full_phone")
    client.force_login(user)
    _token, raw = staff_services.create_api_token(actor=user, name="walk-export")
    masked = mask_phone(ADDRESS.mobile)
    answers = []
    for url, headers in (
        (reverse("backoffice:order_export"), {}),
        ("/api/staff/orders/export", _auth(raw)),
    ):
        csv_answer = client.get(url, **headers)
        answers += [csv_answer, *_exports_too(client, url, csv_answer, **headers)]
    assert [a.status_code for a in answers] == [200] * 4
    assert [a["Content-Type"].split(";")[0] for a in answers] == ["text/csv", XLSX] * 2
    for answer in answers:
        body = _body(answer)
        assert masked in body and not _leaks(answer), body[:300]
