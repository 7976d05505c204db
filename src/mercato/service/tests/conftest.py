import pytest


@pytest.fixture
def agent(make_staff):
    return make_staff("service")


@pytest.fixture
def supervisor(make_staff):
    return make_staff("service", roles=["service_lead"])
