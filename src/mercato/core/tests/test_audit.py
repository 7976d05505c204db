import pytest
from auditlog.models import LogEntry
from django.http import HttpResponse
from django.test import RequestFactory

from mercato.catalog import services
from mercato.catalog.models import Sku
from mercato.core.audit import acting_as, record_event
from mercato.staff import services as staff_services
from mercato.testing.factories import ProductFactory


def _entries(model_name):
    return LogEntry.objects.filter(content_type__model=model_name).order_by("pk")


@pytest.mark.django_db
def test_a_service_change_records_actor_ip_and_old_and_new_values(ops_user):
    product = ProductFactory(name="旧名")
    with acting_as(ops_user, remote_addr="203.0.113.9"):
        services.update_product(actor=ops_user, product_id=product.pk, name="新名")
    entry = _entries("product").last()
    assert entry.actor == ops_user
    assert entry.remote_addr == "203.0.113.9"
    assert entry.changes["name"] == ["旧名", "新名"]
    assert entry.action == LogEntry.Action.UPDATE


@pytest.mark.django_db
def test_a_bulk_price_change_writes_one_entry_per_changed_sku(ops_user):
    product = ProductFactory()
    skus = services.generate_skus(
        actor=ops_user,
        product_id=product.pk,
        spec_values={"颜色": ["黑", "白"]},
        list_price="100.00",
    )
    services.apply_price_change(
        actor=ops_user, sku_ids=[s.pk for s in skus], mode="percent", value="-10"
    )
    entries = [e for e in _entries("sku") if e.action == LogEntry.Action.UPDATE]
    assert len(entries) == 2
    assert all(e.changes["list_price"] == ["100.00", "90.00"] for e in entries)
    assert all(e.actor == ops_user for e in entries)


@pytest.mark.django_db
def test_the_audit_log_never_stores_passwords_or_full_phone_numbers(make_staff):
    hr = make_staff("hr")
    staff_services.create_staff(
        actor=hr,
        username="li",
        password="secret-Passw0rd",
        department_code="service",
        employee_no="S77",
        phone="13812345678",
    )
    entry = _entries("user").filter(object_repr="li").first() or _entries("user").last()
    stored = str(entry.changes)
    assert "secret-Passw0rd" not in stored and "password" not in entry.changes
    assert "13812345678" not in stored
    assert entry.changes["phone"][1] == "138****5678"
    assert entry.actor == hr


@pytest.mark.django_db
def test_the_request_ip_user_and_id_reach_the_log_when_it_is_written(client, ops_user):
    """The request being served (held by the request-ID middleware) gives the entry its
    actor, IP and correlation id; nothing is left behind for a later write."""
    from mercato.core.middleware import RequestIdMiddleware

    product = ProductFactory(name="旧名")
    request = RequestFactory().post("/", REMOTE_ADDR="198.51.100.7", HTTP_X_REQUEST_ID="req-42")
    request.user = ops_user

    def view(req):
        services.update_product(actor=ops_user, product_id=product.pk, name="中间件")
        return HttpResponse()

    RequestIdMiddleware(view)(request)
    entry = _entries("product").last()
    assert (entry.actor, entry.remote_addr, entry.cid) == (ops_user, "198.51.100.7", "req-42")
    later = record_event(actor=None, obj=product, message="sweep")
    assert (later.actor, later.remote_addr) == (None, None)
    assert Sku.objects.count() == 0


@pytest.mark.django_db
def test_acting_as_inside_a_request_names_its_actor_with_the_request_ip(ops_user, make_staff):
    from mercato.core.middleware import RequestIdMiddleware

    hr = make_staff("hr")
    product = ProductFactory(name="旧名")
    request = RequestFactory().post("/", REMOTE_ADDR="198.51.100.8")
    request.user = hr

    def view(req):
        with acting_as(ops_user):
            services.update_product(actor=ops_user, product_id=product.pk, name="代办")
        return HttpResponse()

    RequestIdMiddleware(view)(request)
    entry = _entries("product").last()
    assert (entry.actor, entry.remote_addr) == (ops_user, "198.51.100.8")


@pytest.mark.django_db
def test_an_anonymous_get_connects_no_audit_signal_and_loads_no_user(client):
    """The audit context costs a request that writes nothing nothing: no receiver is
    connected per request (auditlog's middleware connected one) and the session is not read."""
    from django.db.models.signals import pre_save

    receivers = len(pre_save.receivers)
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert len(pre_save.receivers) == receivers
    assert not response.wsgi_request.session.accessed


@pytest.mark.django_db
def test_an_actor_is_forgotten_when_the_block_ends(ops_user):
    """A later write in the same thread, outside any request, is not attributed to them."""
    from auditlog.context import auditlog_value

    product = ProductFactory(name="旧名")
    with acting_as(ops_user, remote_addr="203.0.113.9"):
        pass
    assert auditlog_value.get(None) is None
    services.update_product(actor=ops_user, product_id=product.pk, name="新名")
    record = record_event(actor=None, obj=product, message="sweep")
    assert record.actor is None and record.remote_addr is None
