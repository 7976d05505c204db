"""The Redis cache backend: Django's, keeping one redis-py client per connection pool, and
degrading when Redis cannot be reached.

One client per pool: Django's RedisCacheClient builds a new redis.Redis around the pool
for every cache call, and redis-py fills a table of about 170 reply handlers in each one:
0.15 ms a call (measured on the bench machine), three times in an order placement
(session, warehouses, …). A client is safe to share between threads: it takes a
connection from the pool for each command, as the short-lived ones did.

Degrading: Redis is an accelerator here, never a single point of failure. When a command
fails to reach Redis (refused, timed out, reset, still loading its data), the call answers
as a cache miss — get() the default, add() False, incr() ValueError as for a missing key,
writes do nothing — and the server is left alone for RETRY_SECONDS, so requests run
uncached at database speed instead of each waiting on a dead socket. The first command
after that probes it again.

A write lost while Redis was away leaves whatever Redis still holds for that key (a
session logged out meanwhile, a warehouse list changed meanwhile) once it is back, when it
kept its data. So a process that lost a write starts a new cache generation when Redis
answers again: every key carries the generation (`g<n>:` before the key), it lives in
Redis under GENERATION_KEY, and every process reads it again at most GENERATION_SECONDS
after its last look, so all of them stop using what was written before the outage.

`cache_status()` tells /readyz whether the cache is up.
"""

import logging
import threading
import time
from dataclasses import dataclass, field

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

logger = logging.getLogger(__name__)

RETRY_SECONDS = 1.0  # how long an unreachable server is left alone before the next try
GENERATION_SECONDS = 2.0  # how stale a process's idea of the generation may be
GENERATION_KEY = "mercato:cache-generation"  # after KEY_PREFIX
# Dead sockets must not hold a request: Redis answers a healthy command in well under 1 ms.
DEFAULT_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


def _unreachable_errors() -> tuple[type[BaseException], ...]:
    import redis

    # ConnectionError covers refused, reset, closed and BusyLoadingError (still loading);
    # ReadOnlyError: a replica that was promoted away from, or a full disk.
    return (redis.ConnectionError, redis.TimeoutError, redis.ReadOnlyError, OSError)


# INCRBY only when the key exists, in one round trip: Django's client asks EXISTS first,
# which doubles the round trips of every rate limit (django-ratelimit's add, then incr),
# and a key expiring between the two came back as a counter without an expiry.
INCR_EXISTING = """
if redis.call('EXISTS', KEYS[1]) == 0 then return nil end
return redis.call('INCRBY', KEYS[1], ARGV[1])
"""


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}
        self._incr_scripts = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def incr(self, key, delta):
        client = self.get_client(key, write=True)
        script = self._incr_scripts.get(id(client))
        if script is None:
            script = self._incr_scripts[id(client)] = client.register_script(INCR_EXISTING)
        value = script(keys=[key], args=[delta])
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value


@dataclass
class _Health:
    """What one process knows of one Redis server; shared by its threads (Django makes a
    cache object per thread)."""

    down_until: float = 0.0  # monotonic; 0 when up
    down_since: float = 0.0  # wall clock of the first failure of this outage, for /readyz
    last_error: str = ""
    lost_writes: bool = False  # a write failed during this outage: new generation when back
    failures: int = 0  # commands that failed since the process started
    generation: int = 0
    generation_read_at: float = -1e9  # monotonic
    lock: threading.Lock = field(default_factory=threading.Lock)


_health: dict[str, _Health] = {}
_health_lock = threading.Lock()


def _health_of(location: str) -> _Health:
    with _health_lock:
        return _health.setdefault(location, _Health())


def cache_status() -> dict[str, "_Health"]:
    """The health of every Redis cache server this process has used, by location."""
    return dict(_health)


_READS = {"get", "get_many", "has_key"}
_MISS = {  # what each call answers when Redis cannot be reached
    "add": False,
    "get_many": {},
    "has_key": False,
    "touch": False,
    "delete": False,
    "clear": False,
}


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        params = {**params, "OPTIONS": {**DEFAULT_OPTIONS, **params.get("OPTIONS", {})}}
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
        self._state = _health_of(f"{','.join(self._servers)} {self.key_prefix}".strip())
        self._generation_key = f"{self.key_prefix}:{GENERATION_KEY}"

    # Availability --------------------------------------------------------------------
    @property
    def available(self) -> bool:
        """False while the server is being left alone after a failure."""
        return self._state.down_until <= time.monotonic()

    def _call(self, name: str, *args, default=None):
        state = self._state
        if state.down_until > time.monotonic():
            if name not in _READS:
                state.lost_writes = True
            return self._miss(name, default)
        try:
            result = getattr(self._cache, name)(*args)
        except _unreachable_errors() as exc:
            self._failed(name, exc)
            return self._miss(name, default)
        if state.down_since:
            self._generation()  # back: find out whether to start a new generation
        return result

    def _miss(self, name: str, default):
        if name == "get":
            return default
        if name == "incr":
            raise ValueError("The cache is unavailable.")
        if name == "set_many":
            return list(default or [])
        return _MISS.get(name)

    def _failed(self, name: str, exc: BaseException) -> None:
        state = self._state
        with state.lock:
            state.failures += 1
            state.last_error = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
            state.down_until = time.monotonic() + RETRY_SECONDS
            if name not in _READS:
                state.lost_writes = True
            first = not state.down_since
            if first:
                state.down_since = time.time()
        if first:
            logger.warning("Cache unreachable, serving uncached: %s", state.last_error)

    def _recovered(self, *, new_generation: bool) -> None:
        state = self._state
        with state.lock:
            if not state.down_since:
                return
            outage = time.time() - state.down_since
            state.down_since = 0.0
            state.down_until = 0.0
            if new_generation:
                state.lost_writes = False
        logger.warning(
            "Cache reachable again after %.1f s%s",
            outage,
            "; started a new cache generation" if new_generation else "",
        )

    # Keys carry the generation -------------------------------------------------------
    def _generation(self) -> int:
        """The generation for keys made now. Reading it is also how a process finds Redis
        back after an outage: the process that lost writes meanwhile starts a new one
        before it reads or writes anything else."""
        state = self._state
        now = time.monotonic()
        if state.down_until > now:
            return state.generation
        if not state.down_since and now - state.generation_read_at < GENERATION_SECONDS:
            return state.generation
        bump = bool(state.down_since and state.lost_writes)
        try:
            client = self._cache.get_client(write=bump)
            value = client.incr(self._generation_key) if bump else client.get(self._generation_key)
        except _unreachable_errors() as exc:
            self._failed("get", exc)
            return state.generation
        state.generation, state.generation_read_at = int(value or 0), now
        if state.down_since:
            self._recovered(new_generation=bump)
        return state.generation

    def make_key(self, key, version=None):
        return super().make_key(f"g{self._generation()}:{key}", version=version)

    # The cache API -------------------------------------------------------------------
    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        return self._call("add", key, value, self.get_backend_timeout(timeout))

    def get(self, key, default=None, version=None):
        key = self.make_and_validate_key(key, version=version)
        return self._call("get", key, default, default=default)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        self._call("set", key, value, self.get_backend_timeout(timeout))

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        return self._call("touch", key, self.get_backend_timeout(timeout))

    def delete(self, key, version=None):
        key = self.make_and_validate_key(key, version=version)
        return self._call("delete", key)

    def get_many(self, keys, version=None):
        key_map = {self.make_and_validate_key(key, version=version): key for key in keys}
        found = self._call("get_many", key_map.keys())
        return {key_map[k]: v for k, v in found.items()}

    def has_key(self, key, version=None):
        key = self.make_and_validate_key(key, version=version)
        return self._call("has_key", key)

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        return self._call("incr", key, delta)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        if not data:
            return []
        safe = {self.make_and_validate_key(k, version=version): v for k, v in data.items()}
        failed = self._call("set_many", safe, self.get_backend_timeout(timeout), default=data)
        return failed or []

    def delete_many(self, keys, version=None):
        if not keys:
            return
        self._call("delete_many", [self.make_and_validate_key(k, version=version) for k in keys])

    def clear(self):
        return self._call("clear")
