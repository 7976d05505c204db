"""Sessions in the database, read through the cache, working on when the cache is down.

Django's cached_db backend already survives a failed cache read and a failed write on
save(), but not the cache write after a database read, the existence check of a new key
or the delete at log-out: with the cache unreachable those raised, and every page with a
session answered 500. Here every cache call may fail: the database row is the session,
the cache only a copy (SESSION_ENGINE = "mercato.core.sessions").

A copy that could not be deleted (a log-out while Redis was away) must not come back with
Redis: mercato.core.cache.RedisCache starts a new cache generation when that happens.
"""

import logging
from functools import lru_cache

from django.conf import settings
from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError
from django.core.cache import caches
from django.db import connection
from django.utils.functional import cached_property
from django.utils.module_loading import import_string

from .db import single_row_insert
from .random_strings import random_string
from .signatures import signed_this_second

logger = logging.getLogger(__name__)


KEY_LENGTH = 32


def new_session_key() -> str:
    """32 characters drawn uniformly from Django's session key alphabet, as
    get_random_string(32, VALID_KEY_CHARS) does, in one draw (core.random_strings)."""
    return random_string(KEY_LENGTH, VALID_KEY_CHARS)


@lru_cache(maxsize=4)
def _serializer(path: str):
    return import_string(path)


class SessionStore(cached_db.SessionStore):
    # What create() wrote, serialized; None when this store did not create its session.
    _created_as: bytes | None = None

    def __init__(self, session_key=None):
        # SessionBase.__init__ (Django 5.2) without its two look-ups per request, as most
        # requests never read their session: the serializer is imported once per
        # SESSION_SERIALIZER value, and the cache (cached_db set it here) is found when the
        # session is first read or written (_cache below). 27 calls per request were 8.
        self._session_key = session_key
        self.accessed = False
        self.modified = False
        self.serializer = _serializer(settings.SESSION_SERIALIZER)

    @cached_property
    def _cache(self):
        return caches[settings.SESSION_CACHE_ALIAS]

    def _cache_call(self, name: str, *args, default=None):
        try:
            return getattr(self._cache, name)(*args)
        except Exception as exc:  # noqa: BLE001 - any cache failure: the database decides
            logger.warning("Session cache %s failed, using the database: %r", name, exc)
            return default

    def load(self):
        data = self._cache_call("get", self.cache_key)
        if data is not None:
            return data
        row = self._get_session_from_db()
        if not row:
            return {}
        data = self.decode(row.session_data)
        self._cache_call("set", self.cache_key, data, self.get_expiry_age(expiry=row.expire_date))
        return data

    def exists(self, session_key):
        if session_key and self._cache_call("has_key", self.cache_key_prefix + session_key):
            return True
        return super(cached_db.SessionStore, self).exists(session_key)

    def _get_new_session_key(self):
        # No look-up first: the INSERT skips a key in use and create_with() then draws
        # another, so asking the cache and the database whether each
        # new key exists (Django's way) only cost a query per new visitor.
        return new_session_key()

    def _serialized(self) -> bytes:
        return self.serializer().dumps(self._get_session(no_load=True))

    def encode(self, session_dict):
        # Every new visitor's session is the same `{}`: signed once a second
        # (core.signatures), the same string Django's encode() gives.
        encode = super().encode
        if session_dict:
            return encode(session_dict)
        key = ("session {}", self.key_salt, settings.SECRET_KEY, self.serializer)
        return signed_this_second(key, lambda: encode(session_dict))

    def create(self):
        self.create_with(self._write)

    def create_with(self, write) -> None:
        """create(), the new row written by `write(session_key, statement)`: the INSERT of
        the row (statement: sql and params), which skips a key in use, written by the
        caller, maybe together with its own rows (a new guest's first add writes its cart
        in the same statement: cart.services.start_guest_cart). `write` returns whether the
        row was written; when not (the key was in use), another key is drawn."""
        while True:
            self._session_key = self._get_new_session_key()
            if write(self._session_key, self._insert_statement()):
                break
        self.modified = True  # so that the response sets the cookie
        self._copy_into_cache()
        # The middleware's save() at the end of the request would write the same data
        # again: what was written is kept to tell whether anything changed since.
        self._created_as = self._serialized()

    def _insert_statement(self) -> tuple[str, list]:
        """The new session's row: one INSERT written out (core.db) that skips a key in use
        (ON CONFLICT DO NOTHING). No transaction or savepoint of its own: Django's ORM save
        in transaction.atomic cost a COMMIT round trip (or two savepoint statements inside
        a caller's transaction) for every new visitor, and a refused key no longer breaks
        the caller's transaction."""
        # The row's three values as the Session model's fields would write them, without
        # the model instance (create_model_instance) and its fields' save preparation.
        sql, names = single_row_insert(self.model)
        values = {
            "session_key": self._get_or_create_session_key(),
            "session_data": self.encode(self._get_session(no_load=True)),
            "expire_date": connection.ops.adapt_datetimefield_value(self.get_expiry_date()),
        }
        return f"{sql} ON CONFLICT DO NOTHING", [values[name] for name in names]

    @staticmethod
    def _write(session_key, statement) -> bool:
        with connection.cursor() as cursor:
            cursor.execute(*statement)
            return cursor.rowcount == 1

    def _copy_into_cache(self) -> None:
        # Copied at once, also inside a caller's transaction (a new guest's first add): if
        # that rolls back, the request ends in a 500, whose response sets no session
        # cookie, so nobody ever asks for the copy. Not left to the first read: the page
        # a new guest's add redirects to reads the session, and a miss there costs a
        # query and this same cache write.
        self._cache_call("set", self.cache_key, self._session, self.get_expiry_age())

    def save(self, must_create=False):
        if self.session_key is None:
            return self.create()  # which saves (and copies into the cache) once
        if must_create:
            if not self._write(self.session_key, self._insert_statement()):
                raise CreateError
            self._copy_into_cache()
            return
        if self._created_as is not None:
            if self._serialized() == self._created_as:
                return  # create() wrote it in this request and nothing changed since
            self._created_as = None
        super(cached_db.SessionStore, self).save()
        self._cache_call("set", self.cache_key, self._session, self.get_expiry_age())

    def delete(self, session_key=None):
        super(cached_db.SessionStore, self).delete(session_key)
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        self._cache_call("delete", self.cache_key_prefix + session_key)
