"""Reports' tasks: an export too big for the web request, the nightly roll-up, and the sweep that
deletes expired export files and sends again jobs whose task never reached a worker. Thin."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.http import QueryDict
from django.utils import timezone

from .admin.exports import export_queryset
from .exports import EXPORTS
from .models import ExportJob
from .rollup import rollup_rebuild
from .services import EXPORT_SECONDS, export_job_run, export_jobs_expire, export_jobs_requeue_stale


# Within CELERY_TASK_TIME_LIMIT like every task, so the broker never hands a running export to a
# second worker (tests/recovery/test_visibility_timeout.py); bench/export.py measures what fits.
# Past the soft limit the job is marked failed with the reason; a second delivery of the message
# finds the job claimed and does nothing.
@shared_task(acks_late=True, soft_time_limit=EXPORT_SECONDS, time_limit=EXPORT_SECONDS + 30)
def export_run_task(job_id: int) -> int:
    """Write the job's file. The rows are read through the list's ModelAdmin with the job's filters
    and the manager's permissions, as the list showed them (reports.admin.exports)."""
    job = ExportJob.objects.select_related("requested_by").filter(pk=job_id).first()
    if job is None or job.status != ExportJob.Status.QUEUED:
        return 0
    rows = export_queryset(EXPORTS[job.kind], user=job.requested_by, query=QueryDict(job.query))
    return export_job_run(job=job, queryset=rows).rows_done


@shared_task
def rollup_rebuild_task() -> int:
    """The last REPORTS_ROLLUP_DAYS days up to yesterday (today is always computed live)."""
    yesterday = timezone.localdate() - timedelta(days=1)
    return rollup_rebuild(first_day=yesterday - timedelta(days=settings.REPORTS_ROLLUP_DAYS - 1), last_day=yesterday)


@shared_task
def export_jobs_sweep_task() -> tuple[int, int]:
    return export_jobs_expire(), export_jobs_requeue_stale()
