"""Property-based fuzzing of the public GET endpoints from the OpenAPI document (schemathesis).

Whatever query and path values hypothesis makes up, the API never answers 5xx, and every
4xx has the one error body.
"""

import json
from decimal import Decimal

import pytest
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from mercato.catalog.models import ProductStatus
from mercato.testing.factories import ProductFactory, SkuFactory, make_category

# A dev dependency: without it (a bare install) the fuzzing is skipped, not failed.
schemathesis = pytest.importorskip("schemathesis")
not_a_server_error = schemathesis.checks.not_a_server_error

# Loaded once at collection (the document needs no database), limited to the public reads.
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application()).include(
    method="GET", path_regex="^/api/catalog/"
)


@pytest.fixture(autouse=True)
def catalogue(db):
    """A small catalogue, so generated ids and filters sometimes find something."""
    # Requests go through the real WSGI handler, which would close the test's database
    # connection (and its transaction) after each one; Django's test client avoids it so too.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    root = make_category("手机数码")
    child = make_category("手机", parent=root)
    for i, status in enumerate(ProductStatus.values):
        product = ProductFactory(category=child, status=status, code=f"FZ-{i}")
        SkuFactory(product=product, list_price=Decimal("19.90"))
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def error_format(ctx, response, case):
    """Every 4xx answer is {"detail": str, "errors": [{"field", "message"}]}."""
    if 400 <= response.status_code < 500:
        body = json.loads(response.content)
        assert set(body) == {"detail", "errors"}, body
        assert all(set(e) == {"field", "message"} for e in body["errors"]), body


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_public_reads_never_fail_on_any_input(case):
    """No generated request to a public read gets a 5xx; every 4xx has the error format."""
    case.call_and_validate(checks=[not_a_server_error, error_format])
