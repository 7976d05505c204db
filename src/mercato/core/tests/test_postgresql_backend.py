"""mercato.core.postgresql: persistent connections health-checked after idleness only;
psycopg's conversion of a statement cached up to PARSE_CACHE_PARAMS parameters."""

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


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_statement_of_a_hundred_parameters_is_converted_once():
    """Placement's order statement has about 100 parameters: psycopg converts it (%s to
    $n) once and takes it from its cache afterwards, as it does for short statements."""
    from psycopg import _queries

    sql = "SELECT " + ", ".join(["%s::int"] * 99)
    connection = connections["default"]
    with connection.cursor() as cursor:
        cursor.execute(sql, list(range(99)))
        before = _queries._query2pg.cache_info().hits
        cursor.execute(sql, list(range(1, 100)))
        assert cursor.fetchone()[98] == 99
    assert _queries._query2pg.cache_info().hits == before + 1
