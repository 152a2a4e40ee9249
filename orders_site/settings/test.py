"""Test settings: fast hasher, in-memory e-mail, tasks eager unless a test starts a real worker."""

import tempfile
from urllib.parse import urlsplit, urlunsplit

from .base import *  # noqa: F403
from .base import DATABASES, env

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
MEDIA_ROOT = env.path("MEDIA_ROOT", default=tempfile.mkdtemp(prefix="orders-test-media-"))
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
WHITENOISE_AUTOREFRESH = True
# Several developers (or CI and a developer) may share one PostgreSQL server.
if env("TEST_DATABASE_NAME", default=""):
    DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME")}

# Redis databases of a test run: the cache on REDIS_URL's own, the recovery tests' workers on the
# next (tests/recovery/conftest.py: they need one to themselves). `make test` runs the suite in
# parallel (pytest-xdist): each worker process has its own test database (pytest-django adds the
# worker's name) and here its own two Redis databases, because a test's cache.clear() flushes the
# whole database and would empty the other process's sessions halfway through its test. The
# broker stays shared: every test that sends tasks through Redis does so on a queue of its own.
RECOVERY_REDIS_URL = ""
if REDIS_URL:  # noqa: F405
    _redis = urlsplit(REDIS_URL)  # noqa: F405
    _base = int(_redis.path.strip("/") or 0)
    _xdist_worker = env("PYTEST_XDIST_WORKER", default="")
    if _xdist_worker.startswith("gw"):
        _cache, _recovery = _base + 2 + 2 * int(_xdist_worker[2:]), _base + 1 + 2 * int(_xdist_worker[2:])
        CACHES["default"]["LOCATION"] = urlunsplit(_redis._replace(path=f"/{_cache % 16}"))  # noqa: F405
    else:
        _recovery = _base + 1
    RECOVERY_REDIS_URL = urlunsplit(_redis._replace(path=f"/{_recovery % 16}"))
