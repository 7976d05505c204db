"""Redis as an accelerator: the cache, sessions and rate limits with Redis unreachable.

"Unreachable" here is the discard port on loopback, where nothing listens: every
connection is refused at once, as with a stopped Redis. The fault suite
(core/tests/faults/) stops and starts a real Redis under load.
"""

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache

from mercato.core import cache as cache_module
from mercato.core.models import RateLimitCount
from mercato.customers.services import create_customer

DOWN = "redis://127.0.0.1:9/0"  # the discard port: connection refused
MOBILE = "13812345678"
PASSWORD = "Sh0pping-2026!"


@pytest.fixture
def cache_down(settings):
    settings.CACHES = {"default": {"BACKEND": "mercato.core.cache.RedisCache", "LOCATION": DOWN}}
    yield cache
    cache_module._health.pop(DOWN, None)


def test_an_unreachable_cache_answers_as_misses_and_drops_writes(cache_down):
    """Reads miss, adds fail, increments say "no such key", writes and deletes do nothing:
    what code written for a cache already does when a key is missing."""
    assert cache_down.get("k", "default") == "default"
    assert cache_down.get_many(["a", "b"]) == {}
    cache_down.set("k", 1)
    assert cache_down.add("k", 1) is False
    assert cache_down.delete("k") is False
    assert cache_down.set_many({"a": 1}) == ["a"]
    with pytest.raises(ValueError):
        cache_down.incr("k")
    assert "k" not in cache_down


def test_after_a_failure_redis_is_left_alone_for_a_moment(cache_down):
    """One refused connection, then no network call until RETRY_SECONDS have passed."""
    assert cache_down.get("k") is None
    assert not cache_down.available
    failures = cache_down._state.failures
    for _ in range(5):
        assert cache_down.get("k") is None
    assert cache_down._state.failures == failures  # not one more try meanwhile
    cache_down._state.down_until = 0  # the pause is over: the next call tries again
    cache_down.get("k")
    assert cache_down._state.failures == failures + 1


@pytest.mark.django_db
def test_sessions_work_from_the_database_with_the_cache_down(client, cache_down, sms_outbox):  # noqa: F811
    """Log-in, a page as the logged-in customer, and log-out, all without Redis."""
    customer = create_customer(mobile=MOBILE, password=PASSWORD, name="张三")
    response = client.post("/account/login/", {"login": MOBILE, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(customer.user_id)
    assert client.get("/account/").status_code == 200
    assert client.post("/account/logout/").status_code == 302
    assert client.get("/account/").status_code == 302  # to the log-in page again


@pytest.mark.django_db
def test_the_django_cached_db_backend_fails_where_ours_does_not(settings):
    """Why core.sessions exists: Django's cached_db raises when it checks a new session's
    key in the cache (every first visit), where ours goes on: the database row is the
    session."""
    from django.contrib.sessions.backends.cached_db import SessionStore as DjangoStore

    from mercato.core.sessions import SessionStore

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": DOWN}
    }
    ours = SessionStore()
    ours["cart"] = 1
    ours.save()
    assert SessionStore(ours.session_key)["cart"] == 1  # read from the database
    ours.delete()
    theirs = DjangoStore()
    theirs["cart"] = 1
    with pytest.raises(Exception, match="Connection refused"):
        theirs.save()


@pytest.mark.django_db
def test_log_in_limits_count_in_the_database_while_the_cache_is_down(client, settings, cache_down):
    """The per-number log-in limit still holds, counted in RateLimitCount: a 429, never a
    500, and never unlimited guessing."""
    create_customer(mobile=MOBILE, password=PASSWORD, name="张三")
    settings.MERCATO_ACCOUNT_RATE_LIMITS = {
        **settings.MERCATO_ACCOUNT_RATE_LIMITS,
        "login_per_number": "3/h",
    }
    statuses = [
        client.post(
            "/account/login/",
            {"login": MOBILE, "password": f"guess-{i}"},
            REMOTE_ADDR=f"10.0.0.{i}",
        ).status_code
        for i in range(3)
    ]
    assert statuses == [400, 400, 400]
    response = client.post("/account/login/", {"login": MOBILE, "password": PASSWORD})
    assert response.status_code == 429
    assert SESSION_KEY not in client.session
    assert RateLimitCount.objects.exists()
    assert MOBILE not in "".join(RateLimitCount.objects.values_list("key", flat=True))


@pytest.mark.django_db
def test_sms_codes_are_limited_in_the_database_while_the_cache_is_down(
    client,
    settings,
    cache_down,
    sms_outbox,  # noqa: F811
):
    settings.MERCATO_ACCOUNT_RATE_LIMITS = {
        **settings.MERCATO_ACCOUNT_RATE_LIMITS,
        "code_per_number": "2/h",
    }
    send = {"mobile": MOBILE, "action": "send"}
    statuses = [client.post("/account/signup/", send).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert len(sms_outbox) == 2


@pytest.mark.django_db
@pytest.mark.parametrize(("on_outage", "limited"), [("open", False), ("closed", True)])
def test_each_limit_chooses_what_an_outage_means(rf, cache_down, on_outage, limited):
    from mercato.core.ratelimits import OnOutage, over_limit

    request = rf.get("/")
    outcome = over_limit(request, group="g", key="ip", rate="100/h", on_outage=OnOutage(on_outage))
    assert outcome is limited
    assert not RateLimitCount.objects.exists()


@pytest.mark.django_db
def test_database_counting_keeps_the_window(rf):
    from mercato.core.ratelimits import count_in_database

    counts = [count_in_database(group="g", value="v", rate="2/h") for _ in range(3)]
    assert counts == [False, False, True]
    assert count_in_database(group="g", value="v", rate="2/h", increment=False) is True
    assert count_in_database(group="g", value="other", rate="2/h") is False


@pytest.mark.redis
def test_a_write_lost_while_redis_was_away_never_comes_back(settings, monkeypatch):
    """A session logged out while Redis was unreachable keeps its old copy in Redis; once
    Redis answers, the process that lost the delete starts a new cache generation, so the
    old copy is never read again (and neither is anything else written before)."""
    import os
    import uuid

    import redis

    settings.CACHES = {
        "default": {
            "BACKEND": "mercato.core.cache.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }
    cache.set("session", "logged in")
    cache.set("other", "kept before")

    def refused(*args):
        raise redis.ConnectionError("Connection refused")

    with monkeypatch.context() as outage:
        outage.setattr(cache._cache, "delete", refused)
        assert cache.delete("session") is False  # the log-out's delete is lost
    assert cache.get("session") is None  # Redis left alone a moment: a miss
    cache._state.down_until = 0  # the moment has passed
    assert cache.get("session") is None  # Redis is back, the old copy is not read
    assert cache.get("other") is None
    cache.set("session", "new")
    assert cache.get("session") == "new"
    cache.clear()


@pytest.mark.redis
def test_a_read_that_failed_starts_no_new_generation(settings, monkeypatch):
    import os
    import uuid

    import redis

    settings.CACHES = {
        "default": {
            "BACKEND": "mercato.core.cache.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }
    cache.set("page", "cached")

    def refused(*args):
        raise redis.ConnectionError("Connection refused")

    with monkeypatch.context() as outage:
        outage.setattr(cache._cache, "get", refused)
        assert cache.get("page") is None
    cache._state.down_until = 0
    assert cache.get("page") == "cached"
    cache.clear()


@pytest.mark.redis
def test_incr_counts_an_existing_key_in_one_round_trip_and_never_makes_one(settings):
    """What rate limits rely on: incr adds to a counter add() made, keeping its expiry,
    and a missing (expired) key is ValueError, not a new counter that never expires."""
    import os
    import uuid

    settings.CACHES = {
        "default": {
            "BACKEND": "mercato.core.cache.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }
    client = cache._cache.get_client(write=True)
    with pytest.raises(ValueError):
        cache.incr("hits")
    assert "hits" not in cache
    assert cache.add("hits", 1, 60)
    sent = []
    execute = client.execute_command
    client.execute_command = lambda *args, **kw: sent.append(args[0]) or execute(*args, **kw)
    try:
        assert cache.incr("hits", 2) == 3
    finally:
        del client.execute_command
    assert sent == ["EVALSHA"]
    assert cache.get("hits") == 3
    assert 0 < client.ttl(cache.make_key("hits")) <= 60
    cache.clear()
