"""Staff API tokens: created once, hashed at rest, act as their owner, revocable."""

import hashlib
import json
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from mercato.catalog.models import Brand, Product, Sku
from mercato.staff.models import ApiToken
from mercato.staff.services import change_staff
from mercato.testing.api import assert_error_format, bearer
from mercato.testing.factories import SkuFactory, make_category

pytestmark = pytest.mark.django_db


def _create_token(client, user, name="ci") -> dict:
    client.force_login(user)
    response = client.post("/api/staff/tokens", {"name": name}, content_type="application/json")
    client.logout()
    assert response.status_code == 201, response.content
    return json.loads(response.content)


def _auth(raw: str) -> dict:
    return {"Authorization": f"Bearer {raw}"}


def test_token_is_shown_once_and_stored_hashed(client, ops_user):
    """Creating a token returns it once; the database keeps only its SHA-256; lists omit it."""
    created = _create_token(client, ops_user, name="仓库脚本")
    raw = created["token"]
    assert raw.startswith("mk_") and created["prefix"] == raw[:10]
    row = ApiToken.objects.get(pk=created["id"])
    assert row.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in json.dumps(list(ApiToken.objects.values()), default=str)

    listed = json.loads(client.get("/api/staff/tokens", headers=_auth(raw)).content)
    assert [t["name"] for t in listed] == ["仓库脚本"]
    assert "token" not in listed[0]


def test_token_lists_only_the_callers_own(client, ops_user, make_staff):
    """A staff member sees only their own tokens."""
    other = make_staff("marketing")
    _create_token(client, other, name="theirs")
    raw = _create_token(client, ops_user, name="mine")["token"]
    listed = json.loads(client.get("/api/staff/tokens", headers=_auth(raw)).content)
    assert [t["name"] for t in listed] == ["mine"]


def test_revoked_token_is_401(client, ops_user):
    """After revoking, the token no longer works; the row remains with its revocation time."""
    created = _create_token(client, ops_user)
    headers = _auth(created["token"])
    assert client.get("/api/staff/tokens", headers=headers).status_code == 200
    response = client.delete(f"/api/staff/tokens/{created['id']}", headers=headers)
    assert response.status_code == 200
    assert json.loads(response.content)["revoked_at"] is not None
    assert_error_format(client.get("/api/staff/tokens", headers=headers), 401)
    assert_error_format(client.get("/api/catalog/products", headers=headers), 401)


def test_cannot_revoke_someone_elses_token(client, ops_user, make_staff):
    """Revoking another person's token is 404 and leaves it working."""
    theirs = _create_token(client, make_staff("marketing"))
    mine = _create_token(client, ops_user)
    response = client.delete(f"/api/staff/tokens/{theirs['id']}", headers=_auth(mine["token"]))
    assert_error_format(response, 404)
    assert client.get("/api/staff/tokens", headers=_auth(theirs["token"])).status_code == 200


def test_token_of_a_deactivated_user_is_401(client, ops_user, make_staff):
    """A deactivated account's token stops working, even before it is revoked."""
    headers = bearer(ops_user)
    ops_user.is_active = False
    ops_user.save(update_fields=["is_active"])
    assert_error_format(client.get("/api/staff/tokens", headers=headers), 401)


def test_deactivation_by_hr_revokes_tokens(client, ops_user, make_staff):
    """HR deactivating an account revokes its tokens."""
    headers = bearer(ops_user)
    change_staff(actor=make_staff("hr"), profile_id=ops_user.staff_profile.pk, is_active=False)
    assert_error_format(client.get("/api/staff/tokens", headers=headers), 401)
    assert not ApiToken.objects.filter(user=ops_user, revoked_at=None).exists()


def test_token_endpoints_need_authentication(client):
    """Without a token or session, the token endpoints are 401."""
    assert_error_format(client.get("/api/staff/tokens"), 401)
    response = client.post("/api/staff/tokens", {"name": "x"}, content_type="application/json")
    assert_error_format(response, 401)


def test_token_name_is_validated(client, ops_user):
    """An empty or too long token name is 422 naming `name`; no token is made."""
    client.force_login(ops_user)
    for name in ["", "x" * 61]:
        response = client.post("/api/staff/tokens", {"name": name}, content_type="application/json")
        body = assert_error_format(response, 422)
        assert {e["field"] for e in body["errors"]} == {"name"}
    assert not ApiToken.objects.exists()


def test_api_write_is_audited_with_token_user_and_ip(client, ops_user):
    """An API write's audit entries carry the token's owner and the caller's IP."""
    category = make_category()
    response = client.post(
        "/api/catalog/products",
        {"code": "AUD-1", "name": "审计商品", "category_id": category.pk},
        content_type="application/json",
        headers=bearer(ops_user),
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 201, response.content
    product = Product.objects.get(code="AUD-1")
    entry = LogEntry.objects.get_for_object(product).get()
    assert entry.action == LogEntry.Action.CREATE
    assert entry.actor == ops_user
    assert entry.remote_addr == "203.0.113.7"


def test_bulk_price_change_is_audited_with_token_user_and_ip(client, ops_user):
    """Bulk price changes, which write no signals, still log the token user and IP per SKU."""
    skus = SkuFactory.create_batch(2, list_price=Decimal("100.00"))
    response = client.post(
        "/api/catalog/prices/apply",
        {"sku_ids": [s.pk for s in skus], "mode": "percent", "value": "10"},
        content_type="application/json",
        headers={**bearer(ops_user), "X-Forwarded-For": "198.51.100.4"},
    )
    assert response.status_code == 200, response.content
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Sku), action=LogEntry.Action.UPDATE
    )
    assert entries.count() == 2
    assert {(e.actor_id, e.remote_addr) for e in entries} == {(ops_user.pk, "198.51.100.4")}
    assert set(Sku.objects.values_list("list_price", flat=True)) == {Decimal("110.00")}


def test_session_and_token_act_alike(client, ops_user):
    """A logged-in back-office session may use the write endpoints too."""
    client.force_login(ops_user)
    response = client.post("/api/catalog/brands", {"name": "会话"}, content_type="application/json")
    assert response.status_code == 201, response.content
    assert Brand.objects.filter(name="会话").exists()
