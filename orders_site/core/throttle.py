"""Counters of attempts in the shared cache (Redis in production) that never take a page down.

The cache is the only thing these counters need Redis for, and a counter is a brake, not a
record: while the cache cannot be reached a counter reads as 0 (fail open: the limit is off for
the outage) and an attempt is not counted, each time with a warning in the log, instead of the
page answering 500. Everything that must survive an outage lives in the database (sessions,
django-axes login failures, the e-mail outbox).
"""

import logging

from django.core.cache import cache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# What a cache backend raises when its server is down or slow: redis-py's errors (connection
# refused, timeouts), and plain socket errors from other backends.
CACHE_ERRORS = (RedisError, OSError)


def attempts_count(*, key: str) -> int:
    """How many attempts were counted under `key` in its current window; 0 if the cache is down."""
    try:
        return int(cache.get(key) or 0)
    except CACHE_ERRORS as error:
        logger.warning("Cache unreachable, not limiting %s: %s", key, error)
        return 0


def attempt_record(*, key: str, window_seconds: int) -> None:
    """Count one attempt under `key`; the count starts at the first attempt and expires
    `window_seconds` later. Not counted (with a warning) if the cache is down."""
    try:
        cache.add(key, 0, timeout=window_seconds)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window_seconds)
    except CACHE_ERRORS as error:
        logger.warning("Cache unreachable, attempt not counted for %s: %s", key, error)
