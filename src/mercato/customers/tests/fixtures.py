"""Fixtures for account tests (imported by customers and storefront account tests)."""

import pytest
from django.core.cache import cache

from mercato.customers.sms import LocmemSmsBackend


@pytest.fixture
def sms_outbox(settings):
    """SMS go to a list; the rate-limit counters in the (locmem) cache start from zero."""
    settings.MERCATO_SMS_BACKEND = "mercato.customers.sms.LocmemSmsBackend"
    settings.MERCATO_SMS_OPTIONS = {}
    LocmemSmsBackend.outbox.clear()
    cache.clear()
    yield LocmemSmsBackend.outbox
    LocmemSmsBackend.outbox.clear()
    cache.clear()
