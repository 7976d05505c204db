"""Helpers for tests of the REST API: a bearer token, the one error format."""

import json

from mercato.staff.services import create_api_token


def bearer(user) -> dict:
    """Headers that make a test-client request act as `user` through a fresh API token."""
    _token, raw = create_api_token(actor=user, name="test")
    return {"Authorization": f"Bearer {raw}"}


def assert_error_format(response, status: int) -> dict:
    """The response is `status` with the API's one error body; returns the body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert set(body) == {"detail", "errors"}
    assert isinstance(body["detail"], str) and body["detail"]
    for error in body["errors"]:
        assert set(error) == {"field", "message"}
    return body


def fields_of(body: dict) -> set:
    return {e["field"] for e in body["errors"]}
