"""A value kept in the process while a version the caller read stays the same.

Placement reads lists that change rarely (the running promotions, the active warehouses)
on every order. They are kept in the cache, but a cache call is a round trip and an
unpickling on the hot path. Each such list has a version in the database
(catalog.versions, renewed in the transaction of every change), which
placement reads as a column of a query it sends anyway; while the version is the one a
process kept its list under, the list is used as kept, no cache call. The list is still
loaded through the cache when the version moves, and is kept at most `seconds` (the
cache's own safety net) whatever the version says.
"""

import time
from collections.abc import Callable
from typing import Any

UNREAD: Any = object()  # a caller's `version` when it did not read one: load as before


class KeptUnderVersion:
    def __init__(self, seconds: float):
        self.seconds = seconds
        # (version, value, time.monotonic() when kept): replaced whole, never changed in
        # place, so threads of one process may share it.
        self._kept: tuple = (UNREAD, None, 0.0)

    def get(self, version, load: Callable[[], Any]):
        """The value kept under `version` if there is one younger than `seconds`, else
        load() (then kept under `version`); load() alone when `version` is UNREAD."""
        if version is UNREAD:
            return load()
        kept_version, value, kept_at = self._kept
        if kept_version == version and time.monotonic() - kept_at < self.seconds:
            return value
        value = load()
        self._kept = (version, value, time.monotonic())
        return value
