import logging
import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orders_site.settings.local")

app = Celery("orders_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)


def visibility_timeout_misfits(celery_app: Celery) -> dict[str, int | None]:
    """Our tasks whose time limit (seconds, None for none) is not shorter than the broker's
    visibility timeout: Redis would hand a second copy of one to another worker while it runs."""
    conf = celery_app.conf
    visibility_timeout = conf.broker_transport_options.get("visibility_timeout", 3600)
    misfits = {}
    for name, task in sorted(celery_app.tasks.items()):
        time_limit = task.time_limit or conf.task_time_limit
        if not name.startswith("celery.") and (time_limit is None or time_limit >= visibility_timeout):
            misfits[name] = time_limit
    return misfits


@worker_ready.connect
def _warn_about_visibility_timeout(sender, **kwargs) -> None:
    # A warning, not a refusal: a worker that starts is still better than none.
    if misfits := visibility_timeout_misfits(sender.app):
        logger.warning(
            "CELERY_VISIBILITY_TIMEOUT (%s s) is not longer than the time limit of %s: such a task still running "
            "then is handed to a second worker",
            sender.app.conf.broker_transport_options.get("visibility_timeout", 3600),
            ", ".join(f"{name} ({limit} s)" for name, limit in misfits.items()),
        )
