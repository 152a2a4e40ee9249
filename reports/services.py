"""Export jobs: a big export runs in the worker, writes its file through the storage API, counts
its rows as it goes (the job's page shows them), e-mails the manager a link when done, and is
deleted after REPORTS_EXPORT_KEEP_HOURS."""

import tempfile
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files import File
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from orders_site.core.exceptions import ApplicationError
from orders_site.core.tasks import task_send, task_send_on_commit

from .exports import EXPORTS, csv_write, xlsx_write
from .models import ExportJob

EXPORT_RUN_TASK = "reports.tasks.export_run_task"
# A queued job whose task never reached a worker (the broker was down at commit) is sent again
# after this long by the sweep.
REQUEUE_AFTER = timedelta(minutes=10)
# How long the worker may write one export (the task's soft time limit).
EXPORT_SECONDS = 240


class ExportRefused(ApplicationError):
    pass


@transaction.atomic
def export_job_request(*, user, kind: str, file_format: str, query: str, rows_total: int) -> ExportJob:
    """Record an export for the worker and queue it after commit. `query` is the list's address
    parameters (its filters, search and the date range), which the worker reads the rows by.

    Locks nothing. Queues: reports.tasks.export_run_task. Raises ExportRefused for an unknown
    export or format."""
    if kind not in EXPORTS:
        raise ExportRefused(f"There is no export called {kind!r}.")
    if file_format not in ExportJob.Format.values:
        raise ExportRefused("Export as CSV or XLSX.")
    job = ExportJob.objects.create(
        kind=kind, file_format=file_format, query=query, rows_total=rows_total, requested_by=user
    )
    task_send_on_commit(EXPORT_RUN_TASK, job.pk)
    return job


def export_file_name(job: ExportJob) -> str:
    return f"{job.kind}-{timezone.localtime(job.created_at):%Y%m%d-%H%M}-{job.pk}.{job.file_format}"


def export_job_run(*, job: ExportJob, queryset) -> ExportJob:
    """Write the job's rows (`queryset`, the list as the manager filtered it) to a temporary file,
    then to storage, and mail the link. Not one transaction: progress is written as it goes, so
    the page can show it; a job that fails is marked failed with the reason.

    Locks nothing. Sends: the "export ready" e-mail to the manager."""
    claimed = ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.QUEUED).update(
        status=ExportJob.Status.RUNNING, rows_total=queryset.count()
    )
    if not claimed:  # already run (a task delivered twice), or expired
        return ExportJob.objects.get(pk=job.pk)
    export = EXPORTS[job.kind]

    def progress(done: int) -> None:
        ExportJob.objects.filter(pk=job.pk).update(rows_done=done)

    try:
        if job.file_format == ExportJob.Format.CSV:
            with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as out:
                done = csv_write(export, queryset, out, progress=progress)
                out.seek(0)
                job.file.save(export_file_name(job), File(out), save=False)
        else:
            with tempfile.TemporaryFile("w+b") as out:
                done = xlsx_write(export, queryset, out, progress=progress)
                out.seek(0)
                job.file.save(export_file_name(job), File(out), save=False)
    except SoftTimeLimitExceeded:
        _failed(job, "it took longer than 4 minutes; narrow the list's filters or the dates, or export CSV")
        raise
    except Exception as error:
        _failed(job, str(error) or error.__class__.__name__)
        raise
    now = timezone.now()
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.DONE,
        rows_done=done,
        file=job.file.name,
        finished_at=now,
        expires_at=now + timedelta(hours=settings.REPORTS_EXPORT_KEEP_HOURS),
    )
    job.refresh_from_db()
    _mail_ready(job)
    return job


def _failed(job: ExportJob, reason: str) -> None:
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.FAILED, error=reason[:500], finished_at=timezone.now()
    )


def _mail_ready(job: ExportJob) -> None:
    user = job.requested_by
    if not user.email:
        return
    link = settings.SHOP_BASE_URL.rstrip("/") + reverse("admin:reports_exportjob_change", args=[job.pk])
    EmailMessage(
        subject=f"Your export is ready: {EXPORTS[job.kind].label}, {job.rows_done} rows",
        body=(
            f"The export you asked for is ready ({job.rows_done} rows, {job.get_file_format_display()}).\n\n"
            f"Download it here: {link}\n\n"
            f"The file is deleted on {timezone.localtime(job.expires_at):%d %B %Y at %H:%M}."
        ),
        to=[user.email],
        from_email=settings.DEFAULT_FROM_EMAIL,
    ).send()


def export_jobs_expire(*, now=None) -> int:
    """Delete the files of jobs past their expiry and mark them expired. Returns how many."""
    now = now or timezone.now()
    expired = 0
    for job in ExportJob.objects.filter(status=ExportJob.Status.DONE, expires_at__lte=now):
        if job.file:
            job.file.delete(save=False)
        ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.EXPIRED, file="")
        expired += 1
    return expired


def export_jobs_requeue_stale(*, now=None) -> int:
    """Send again the tasks of jobs still queued after REQUEUE_AFTER (a job runs once: the task
    claims it from "queued"). Returns how many."""
    now = now or timezone.now()
    stale = list(
        ExportJob.objects.filter(status=ExportJob.Status.QUEUED, created_at__lte=now - REQUEUE_AFTER).values_list(
            "pk", flat=True
        )
    )
    for pk in stale:
        task_send(EXPORT_RUN_TASK, pk)
    return len(stale)
