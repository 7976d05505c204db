import pytest


@pytest.fixture
def agent(make_staff):
    return make_staff("service")


@pytest.fixture
def supervisor(make_staff):
    return make_staff("service", roles=["service_lead"])


@pytest.fixture
def short_db_connections(monkeypatch):
    """The live chat's database calls run in a pool of threads, each with its connection:
    closed after every call here, so none is left open on the test database at the end."""
    from django.conf import settings

    monkeypatch.setitem(settings.DATABASES["default"], "CONN_MAX_AGE", 0)
