"""Sessions read from the cache and written through to the database, that never fail on the cache.

`SESSION_ENGINE` when REDIS_URL is set (orders_site/settings/base.py). Django's `cached_db` reads a
session from the cache and falls back to the database on a miss, and writes every change to the
database first, so nothing is lost when Redis restarts. But its fallback after a miss, its key
collision check and its delete call the cache without a guard, so a Redis that is down or hung
turns every page into a 500. Here every cache call goes through `_FailOpenCache`: while the cache
cannot be reached a read is a miss (the database answers), a write or a delete is skipped with a
warning, each within REDIS_CACHE_OPTIONS' timeouts.

What an outage can leave behind is a cached copy older than the database (a change or a sign-out
made while Redis was unreachable, and Redis back with its data). The cached copy is therefore kept
for at most SESSION_CACHE_SECONDS, after which the database is read again.
"""

import logging

from django.contrib.sessions.backends import cached_db

from .throttle import CACHE_ERRORS

logger = logging.getLogger(__name__)

SESSION_CACHE_SECONDS = 15 * 60


class _FailOpenCache:
    """The calls `cached_db` makes, each turned into a miss or a no-op while the cache is down."""

    def __init__(self, cache) -> None:
        self._cache = cache

    def get(self, key, default=None):
        try:
            return self._cache.get(key, default)
        except CACHE_ERRORS as error:
            logger.warning("Cache unreachable, session read from the database: %s", error)
            return default

    def set(self, key, value, timeout=None):
        timeout = SESSION_CACHE_SECONDS if timeout is None else min(timeout, SESSION_CACHE_SECONDS)
        try:
            self._cache.set(key, value, timeout)
        except CACHE_ERRORS as error:
            logger.warning("Cache unreachable, session not cached: %s", error)

    def delete(self, key):
        try:
            self._cache.delete(key)
        except CACHE_ERRORS as error:
            logger.warning("Cache unreachable, cached session not deleted (expires by itself): %s", error)

    def __contains__(self, key) -> bool:
        try:
            return key in self._cache
        except CACHE_ERRORS as error:
            logger.warning("Cache unreachable, session key checked in the database only: %s", error)
            return False

    def __str__(self) -> str:
        return str(self._cache)


class SessionStore(cached_db.SessionStore):
    def __init__(self, session_key=None) -> None:
        super().__init__(session_key)
        self._cache = _FailOpenCache(self._cache)
