"""The reports part of the console: the manager's dashboard, exports of the lists, and the export
jobs that run in the worker (their page shows how far they are and refreshes itself)."""

from django.contrib import admin
from django.urls import path, reverse
from django.utils.html import format_html

from orders_site.core.admin import ReadOnlyAdminMixin, status_badge

from ..exports import EXPORTS
from ..models import DailyFigures, ExportJob
from .dashboard import DashboardPagesMixin
from .exports import PERMISSION, ExportViewsMixin

# While a job runs its page reloads itself this often (a meta refresh: no script needed).
REFRESH_SECONDS = 3


@admin.register(ExportJob)
class ExportJobAdmin(DashboardPagesMixin, ExportViewsMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "what", "file_format", "status_badge", "progress", "expires_at")
    list_filter = ("status",)
    ordering = ("-created_at", "-pk")
    change_form_template = "admin/reports/exportjob/change_form.html"
    fields = ("kind",)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("dashboard/", view(self.dashboard_view), name="reports_dashboard"),
            path("export/<str:key>/", view(self.export_view), name="reports_export"),
            path("<int:pk>/download/", view(self.download_view), name="reports_exportjob_download"),
        ] + super().get_urls()

    # Managers (who may export) see their own jobs; a superuser sees everyone's.
    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(PERMISSION)

    def has_module_permission(self, request):
        return request.user.has_perm(PERMISSION) or request.user.has_perm("reports.view_dashboard")

    def get_queryset(self, request):
        jobs = super().get_queryset(request)
        return jobs if request.user.is_superuser else jobs.filter(requested_by=request.user)

    @admin.display(description="export")
    def what(self, job):
        export = EXPORTS.get(job.kind)
        return export.label if export else job.kind

    @admin.display(description="status")
    def status_badge(self, job):
        return status_badge(job.status, job.get_status_display())

    @admin.display(description="rows")
    def progress(self, job):
        return format_html("{} of {} ({}%)", job.rows_done, job.rows_total, job.percent)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self.get_object(request, object_id)
        extra = {
            "job": job,
            "what": self.what(job) if job else "",
            "refresh_seconds": REFRESH_SECONDS
            if job and job.status in (ExportJob.Status.QUEUED, ExportJob.Status.RUNNING)
            else None,
            "download_url": reverse("admin:reports_exportjob_download", args=[job.pk]) if job else "",
        }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})


@admin.register(DailyFigures)
class DailyFiguresAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The roll-up the dashboard reads (rebuilt nightly and by `manage.py reports_rollup`)."""

    list_display = ("day", "channel", "orders", "cancelled", "net", "shipping", "tax", "total", "rebuilt_at")
    list_filter = ("channel",)
    date_hierarchy = None
    ordering = ("-day", "channel")
