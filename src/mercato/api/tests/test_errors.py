"""Every 4xx the API sends has one body: {"detail": ..., "errors": [{"field", "message"}]}."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client, RequestFactory

from mercato.api.api import api
from mercato.api.errors import field_name
from mercato.catalog.models import Product
from mercato.core.errors import Conflict
from mercato.testing.api import assert_error_format, bearer, fields_of
from mercato.testing.factories import ProductFactory, make_category

pytestmark = pytest.mark.django_db


def test_validation_error_names_the_body_field(client, ops_user):
    """A body missing a required field gets 422 naming that field, and nothing is written."""
    category = make_category()
    response = client.post(
        "/api/catalog/products",
        {"code": "P1", "category_id": category.pk},
        content_type="application/json",
        headers=bearer(ops_user),
    )
    body = assert_error_format(response, 422)
    assert fields_of(body) == {"name"}
    assert not Product.objects.exists()


def test_validation_error_names_nested_and_query_fields(client, ops_user):
    """Nested body fields are dotted paths; query parameters are named as sent."""
    response = client.post(
        "/api/catalog/prices/preview",
        {"sku_ids": [1, "x"], "mode": "double", "value": "1"},
        content_type="application/json",
        headers=bearer(ops_user),
    )
    body = assert_error_format(response, 422)
    assert fields_of(body) == {"sku_ids.1", "mode"}

    body = assert_error_format(client.get("/api/catalog/products?limit=0&sort=best"), 422)
    assert fields_of(body) == {"limit", "sort"}


@pytest.mark.parametrize(
    "loc, expected",
    [
        (("body", "payload", "name"), "name"),
        (("body", "payload", "spec_values", "颜色", 0), "spec_values.颜色.0"),
        (("body", "payload"), "payload"),
        (("query", "limit"), "limit"),
        (("path", "product_id"), "product_id"),
        (("file", "image"), "image"),
    ],
)
def test_field_name_drops_the_location_and_parameter(loc, expected):
    """ninja's error locations become the field names a client knows."""
    assert field_name(loc) == expected


def test_malformed_json_is_400(client, ops_user):
    """A body that is not JSON gets 400 in the error format, not a 500."""
    response = client.post(
        "/api/catalog/brands", "{name: ", content_type="application/json", headers=bearer(ops_user)
    )
    assert_error_format(response, 400)


@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_unknown_route_is_json_404(client, method):
    """Any path under /api/ that is no endpoint answers JSON 404, whatever the method."""
    response = getattr(client, method)("/api/no/such/thing")
    body = assert_error_format(response, 404)
    assert "/api/no/such/thing" in body["detail"]
    assert_error_format(client.get("/api/"), 404)


def test_wrong_method_is_json_405(client):
    """A known path with a method it does not take answers 405 with Allow."""
    response = client.put("/api/catalog/products")
    assert_error_format(response, 405)
    assert set(response["Allow"].split(", ")) == {"GET", "POST"}


def test_missing_and_invalid_token_are_401(client):
    """Writes without credentials, or with a wrong token, are 401 with WWW-Authenticate."""
    response = client.post("/api/catalog/brands", {"name": "X"}, content_type="application/json")
    assert_error_format(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    for header in ("Bearer mk_not-a-token", "Bearer ", "Basic dXNlcjpwYXNz"):
        response = client.post(
            "/api/catalog/brands",
            {"name": "X"},
            content_type="application/json",
            headers={"Authorization": header},
        )
        assert_error_format(response, 401)


def test_invalid_token_on_a_public_endpoint_is_401(client):
    """A public read with a bad token says so rather than quietly answering anonymously."""
    response = client.get(
        "/api/catalog/products", headers={"Authorization": "Bearer mk_revoked-or-wrong"}
    )
    assert_error_format(response, 401)


def test_permission_denied_is_403(client, make_staff):
    """A staff member without the permission gets 403 naming it."""
    response = client.post(
        "/api/catalog/brands",
        {"name": "新品牌"},
        content_type="application/json",
        headers=bearer(make_staff("service")),
    )
    body = assert_error_format(response, 403)
    assert "catalog.add_brand" in body["detail"]


def test_missing_object_is_404(client, ops_user):
    """Reading or changing an object that does not exist is 404."""
    assert_error_format(client.get("/api/catalog/products/987654"), 404)
    response = client.patch(
        "/api/catalog/products/987654",
        {"name": "新名字"},
        content_type="application/json",
        headers=bearer(ops_user),
    )
    assert_error_format(response, 404)


def test_domain_conflict_keeps_its_status_and_field(client, ops_user):
    """A service's Conflict is 409 with the field it names; the product stays a draft."""
    product = ProductFactory()
    response = client.post(
        f"/api/catalog/products/{product.pk}/status",
        {"status": "on_sale"},
        content_type="application/json",
        headers=bearer(ops_user),
    )
    body = assert_error_format(response, 409)
    assert fields_of(body) == {"status"}
    product.refresh_from_db()
    assert product.status == "draft"


def test_session_write_without_csrf_token_is_403(ops_user):
    """A back-office session may write only with its CSRF token."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(ops_user)
    response = client.post("/api/catalog/brands", {"name": "X"}, content_type="application/json")
    assert_error_format(response, 403)
    # With the CSRF cookie (set by the back-office pages) echoed in the header, it may.
    csrf = _csrf_cookie(client)
    response = client.post(
        "/api/catalog/brands",
        {"name": "会话品牌"},
        content_type="application/json",
        headers={"X-CSRFToken": csrf},
    )
    assert response.status_code == 201, response.content


def _csrf_cookie(client) -> str:
    from django.middleware.csrf import _get_new_csrf_string

    token = _get_new_csrf_string()
    client.cookies["csrftoken"] = token
    return token


@pytest.mark.parametrize(
    "url",
    [
        "/api/catalog/products/99999999999999999999999",
        "/api/catalog/products?category=99999999999999999999999",
        "/api/catalog/products?q=%00",
        "/api/catalog/products?min_price=NaN",
        "/api/catalog/products?min_price=5&max_price=1",
        "/api/catalog/products?offset=-1",
        "/api/catalog/brands?limit=100000",
    ],
)
def test_bad_input_is_never_a_500(client, url):
    """Out-of-range ids, NUL bytes, NaN and inverted ranges are 422, not server errors."""
    assert_error_format(client.get(url), 422)


@pytest.mark.parametrize(
    "exc, status",
    [
        (Http404("gone"), 404),
        (PermissionDenied("no"), 403),
        (ValidationError({"name": ["bad"]}), 422),
        (Conflict("taken", field="code"), 409),
    ],
)
def test_django_and_domain_exceptions_map_to_the_format(exc, status):
    """Django's Http404, PermissionDenied, ValidationError and DomainErrors all map."""
    request = RequestFactory().get("/api/x")
    response = api.on_exception(request, exc)
    assert_error_format(response, status)
