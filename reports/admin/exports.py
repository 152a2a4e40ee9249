"""Exporting what a list shows: the "Export" links on each exportable changelist (and the
dashboard's, with its date range) lead here, with the list's own filters and search in the address.
The rows are read through the list's ModelAdmin, so the export holds exactly what the list would
(its filters, its search, its ordering), and never more than the person may see there.

Up to REPORTS_EXPORT_ROWS_IN_REQUEST rows stream from the request (CSV line by line; XLSX written
to a temporary file first, a zip cannot be streamed as it is written); more go to the worker
(reports.services.export_job_request), and the person lands on the job's page."""

import tempfile
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect, StreamingHttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date

from ..exports import EXPORTS, Export, csv_lines, in_range, xlsx_write
from ..models import ExportJob
from ..services import ExportRefused, export_file_name, export_job_request

PERMISSION = "reports.export_data"
# Our own parameters, taken off before the list reads the rest.
OWN_PARAMS = ("format", "first_day", "last_day")


class UnreadableDate(ValueError):
    pass


def _day_bound(value: str | None, *, after: bool):
    """The first moment of the day (of the day after, for the last day), or None for no date.
    Raises UnreadableDate."""
    if not value:
        return None
    try:
        day = parse_date(value)
    except ValueError:
        day = None
    if day is None:
        raise UnreadableDate(value)
    if after:
        day += timedelta(days=1)
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def export_queryset(export: Export, *, user, query) -> object:
    """The rows of an export as the list would show them for `user` with `query` (a QueryDict of
    the list's address parameters and the date range). Raises PermissionDenied when the person may
    not see the list, IncorrectLookupParameters when its filters are wrong, UnreadableDate."""
    model_admin = admin.site._registry[export.model]
    params = query.copy()
    for name in OWN_PARAMS:
        params.pop(name, None)
    # The list's own request, as its address would make it (the worker has no request of its own).
    listing = RequestFactory().get("/", params)
    listing.user = user
    if not model_admin.has_view_or_change_permission(listing):
        raise PermissionDenied
    changelist = model_admin.get_changelist_instance(listing)
    rows = changelist.get_queryset(listing)
    return in_range(
        export,
        rows,
        start=_day_bound(query.get("first_day"), after=False),
        end=_day_bound(query.get("last_day"), after=True),
    )


def _stream_csv(export: Export, rows) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(export, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export.key}-{timezone.localdate():%Y%m%d}.csv"'
    return response


def _xlsx_file(export: Export, rows) -> FileResponse:
    out = tempfile.TemporaryFile("w+b")  # closed by the response once sent
    xlsx_write(export, rows, out)
    out.seek(0)
    return FileResponse(
        out,
        as_attachment=True,
        filename=f"{export.key}-{timezone.localdate():%Y%m%d}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


class ExportViewsMixin:
    """For the export job admin: /export/<what>/ and /<job>/download/."""

    def export_view(self, request, key):
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        export = EXPORTS.get(key)
        if export is None:
            raise Http404("There is no such export.")
        file_format = request.GET.get("format", "csv")
        back = reverse(f"admin:{export.model._meta.app_label}_{export.model._meta.model_name}_changelist")
        if file_format not in ExportJob.Format.values:
            self.message_user(request, "Export as CSV or XLSX.", messages.ERROR)
            return HttpResponseRedirect(back)
        try:
            rows = export_queryset(export, user=request.user, query=request.GET)
        except IncorrectLookupParameters:
            self.message_user(request, "The list's filters could not be read; nothing was exported.", messages.ERROR)
            return HttpResponseRedirect(back)
        except UnreadableDate as error:
            self.message_user(request, f"“{error}” is not a date (YYYY-MM-DD); nothing was exported.", messages.ERROR)
            return HttpResponseRedirect(back)
        count = rows.count()
        if count > settings.REPORTS_EXPORT_ROWS_IN_REQUEST:
            try:
                job = export_job_request(
                    user=request.user,
                    kind=key,
                    file_format=file_format,
                    query=request.GET.urlencode(),
                    rows_total=count,
                )
            except ExportRefused as error:
                self.message_user(request, error.message, messages.ERROR)
                return HttpResponseRedirect(back)
            self.message_user(
                request,
                f"{count} rows: the export runs in the background. This page shows how far it is, "
                "and you get an e-mail with the link when it is done.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:reports_exportjob_change", args=[job.pk]))
        if file_format == ExportJob.Format.CSV:
            return _stream_csv(export, rows)
        return _xlsx_file(export, rows)

    def download_view(self, request, pk):
        job = self.get_object(request, pk)
        if job is None or not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        if job.status != ExportJob.Status.DONE or not job.file:
            raise Http404("The file is not there (not finished yet, or deleted after it expired).")
        return FileResponse(job.file.open("rb"), as_attachment=True, filename=export_file_name(job))
