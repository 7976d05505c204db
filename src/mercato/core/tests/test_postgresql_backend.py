"""mercato.core.postgresql: persistent connections health-checked after idleness only."""

import pytest
from django.db import connections

from mercato.core.postgresql import base


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_in_use_is_not_checked_again_but_an_idle_one_is(monkeypatch):
    """Requests one after another on a busy connection send no SELECT 1 before their first
    query; one after an idle second does, and a failed check means a new connection."""
    connection = connections["default"]
    assert isinstance(connection, base.DatabaseWrapper) and connection.health_check_enabled
    connection.ensure_connection()
    checks = []

    def request_starts_and_queries():
        connection.close_if_unusable_or_obsolete()  # request_started
        connection.close_if_health_check_failed()  # the request's first cursor

    with monkeypatch.context() as patch:
        patch.setattr(connection, "close_at", None)  # not closed for its age in this test
        patch.setattr(connection, "is_usable", lambda: checks.append("check") or True)
        patch.setattr(connection, "_checked_at", 0.0)  # idle for a long time
        request_starts_and_queries()
        assert checks == ["check"]
        connection.close_if_unusable_or_obsolete()  # request_finished
        request_starts_and_queries()  # the next request, at once
        assert checks == ["check"]

        patch.setattr(connection, "_checked_at", 0.0)
        patch.setattr(connection, "is_usable", lambda: checks.append("failed") and False)
        old = connection.connection
        request_starts_and_queries()
        assert checks == ["check", "failed"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert connection.connection is not old
