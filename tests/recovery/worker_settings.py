"""Settings of the Celery workers the recovery tests start (see conftest.py): the test settings,
with the tasks a worker queues going through Redis to the test's queue, e-mail written to files
the test can count (a worker's in-memory outbox dies with it), and a knob to make the invoice
render slow (read by worker_app.py)."""

from orders_site.settings.test import *  # noqa: F403
from orders_site.settings.test import env

CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_DEFAULT_QUEUE = env("RECOVERY_TEST_QUEUE")
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = env("RECOVERY_TEST_EMAIL_DIR")
# Before rendering an invoice PDF the worker writes its pid to this file, then waits this long.
RECOVERY_TEST_RENDER_MARKER = env("RECOVERY_TEST_RENDER_MARKER", default="")
RECOVERY_TEST_SLOW_RENDER_SECONDS = env.float("RECOVERY_TEST_SLOW_RENDER_SECONDS", default=0)
