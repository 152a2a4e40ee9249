"""CSV order imports in the console: upload a file (with the downloadable template and its
columns explained), see it refused with every bad row and column named, or its orders placed, in
the worker with progress when the file is large. For those who enter orders (orders.add_order)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from lifecycle.order_import import COLUMNS, order_import_create, order_import_template
from orders_site.core.admin import LargeTableAdminMixin, ReadOnlyAdminMixin, exact, prefix, status_badge
from orders_site.core.exceptions import ApplicationError

from ..models import ExternalOrderReference, OrderImport

PERMISSION = "orders.add_order"
ORDERS_SHOWN = 200


class ImportUploadForm(forms.Form):
    source = forms.CharField(
        max_length=60, help_text="Where the orders come from, e.g. “Marketplace”: its order numbers are imported once"
    )
    file = forms.FileField(label="CSV file", help_text="UTF-8, comma- or semicolon-separated, one row per order line")


@admin.register(OrderImport)
class OrderImportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "file_name", "source", "status_shown", "progress", "orders_skipped", "placed_via")
    list_filter = ("status",)
    ordering = ("-created_at", "-pk")
    fields = (
        "file_name",
        "source",
        "status_shown",
        "progress",
        "rows_total",
        "orders_skipped",
        "placed_via",
        "created_at",
        "finished_at",
        "problem_table",
        "orders_placed",
    )
    readonly_fields = fields

    def has_module_permission(self, request):
        return request.user.has_perm(PERMISSION)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(PERMISSION)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("upload/", view(self.upload_view), name="orders_orderimport_upload"),
            path("template.csv", view(self.template_view), name="orders_orderimport_template"),
        ] + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra = {"upload_url": reverse("admin:orders_orderimport_upload")}
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self.get_object(request, object_id)
        unfinished = job is not None and job.status in (OrderImport.Status.QUEUED, OrderImport.Status.RUNNING)
        return super().change_view(request, object_id, form_url, {"refresh": unfinished, **(extra_context or {})})

    @admin.display(description="status", ordering="status")
    def status_shown(self, job):
        return status_badge(job.status, job.get_status_display())

    @admin.display(description="orders placed")
    def progress(self, job):
        if job.status == OrderImport.Status.REFUSED:
            return f"none ({len(job.problems)} problem(s) to correct)"
        share = f" ({job.orders_done * 100 // job.orders_total} %)" if job.orders_total else ""
        return f"{job.orders_done} of {job.orders_total}{share}"

    @admin.display(description="problems")
    def problem_table(self, job):
        if not job.problems:
            return "–"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((p["row"], p["column"] or "–", p["message"]) for p in job.problems),
        )
        return format_html(
            '<table data-testid="import-problems"><thead><tr><th>Row</th><th>Column</th><th>Problem</th></tr></thead>'
            "<tbody>{}</tbody></table>",
            rows,
        )

    @admin.display(description="orders")
    def orders_placed(self, job):
        references = job.references.select_related("order").order_by("pk")[:ORDERS_SHOWN]
        links = format_html_join(
            ", ",
            '<a href="{}">{}</a> ({})',
            (
                (reverse("admin:orders_order_change", args=[r.order_id]), r.order.number, r.reference)
                for r in references
            ),
        )
        more = job.orders_done - ORDERS_SHOWN
        return format_html("{}{}", links, f" and {more} more" if more > 0 else "") if references else "–"

    def template_view(self, request):
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        response = HttpResponse(order_import_template(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="order-import-template.csv"'
        return response

    def upload_view(self, request):
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        form = ImportUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = order_import_create(
                    source=form.cleaned_data["source"],
                    file_name=upload.name,
                    content=upload.read(),
                    placed_via=f"Import by {request.user.get_username()}",
                    created_by=request.user,
                )
            except ApplicationError as refused:
                form.add_error(refused.extra.get("field"), refused.message)
            else:
                return HttpResponseRedirect(reverse("admin:orders_orderimport_change", args=[job.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import orders from a CSV file",
            "form": form,
            "columns": COLUMNS,
            "template_url": reverse("admin:orders_orderimport_template"),
            "back_url": reverse("admin:orders_orderimport_changelist"),
        }
        return TemplateResponse(request, "admin/orders/orderimport/upload.html", context)


@admin.register(ExternalOrderReference)
class ExternalOrderReferenceAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Find an imported order by the other system's number."""

    list_display = ("reference", "source", "order", "order_import")
    list_select_related = ("order", "order_import")
    search_fields = (exact("reference"), prefix("order__number"))
    ordering = ("-pk",)
    fields = list_display
    readonly_fields = list_display

    def has_module_permission(self, request):
        return request.user.has_perm(PERMISSION)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(PERMISSION)
