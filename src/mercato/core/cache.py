"""The Redis cache backend: Django's, keeping one redis-py client per connection pool.

Django's RedisCacheClient builds a new redis.Redis around the pool for every cache call,
and redis-py fills a table of about 170 reply handlers in each one: 0.15 ms a call
(measured on the bench machine), three times in an order placement (session, warehouses,
…). A client is safe to share between threads: it takes a connection from the pool for
each command, as the short-lived ones did.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
