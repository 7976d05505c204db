"""The OpenAPI document and the Swagger page."""

import json

import pytest

pytestmark = pytest.mark.django_db

EXPECTED = {
    ("get", "/api/catalog/categories"),
    ("post", "/api/catalog/categories"),
    ("post", "/api/catalog/categories/{category_id}/move"),
    ("get", "/api/catalog/brands"),
    ("post", "/api/catalog/brands"),
    ("get", "/api/catalog/products"),
    ("post", "/api/catalog/products"),
    ("get", "/api/catalog/products/{product_id}"),
    ("patch", "/api/catalog/products/{product_id}"),
    ("post", "/api/catalog/products/{product_id}/status"),
    ("post", "/api/catalog/products/{product_id}/skus"),
    ("post", "/api/catalog/products/{product_id}/images"),
    ("patch", "/api/catalog/skus/{sku_id}"),
    ("post", "/api/catalog/prices/preview"),
    ("post", "/api/catalog/prices/apply"),
    ("get", "/api/staff/tokens"),
    ("post", "/api/staff/tokens"),
    ("delete", "/api/staff/tokens/{token_id}"),
}


def test_openapi_document_lists_every_endpoint(client):
    """/api/openapi.json loads and names every catalogue and token endpoint."""
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    found = {(m, p) for p, ops in schema["paths"].items() for m in ops}
    assert EXPECTED <= found


def test_openapi_document_shows_auth_and_error_format(client):
    """Writes declare token and session auth, public reads none; 4xx answers are ErrorOut."""
    schema = json.loads(client.get("/api/openapi.json").content)
    create = schema["paths"]["/api/catalog/products"]["post"]
    assert {next(iter(s)) for s in create["security"]} == {"TokenAuth", "StaffSessionAuth"}
    assert "security" not in schema["paths"]["/api/catalog/products"]["get"]
    assert "ErrorOut" in json.dumps(create["responses"]["422"])


def test_swagger_page_loads(client):
    """/api/docs serves the Swagger UI page."""
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()
