"""Pick batches and pick lists: the batch list and page, the pick list of a batch or of one order
(an admin-hosted page readable on a phone, with its PDF). Reads are orders.selectors.pick_lists';
creating a batch is orders.services.picking's (the shipment list's "Create pick batch" action)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from lifecycle.pick_lists import pick_list_pdf_render
from orders.models import Order, PickBatch
from orders.selectors.pick_lists import pick_list_for_batch, pick_list_for_order
from orders.services.picking import pick_batch_finish
from orders_site.core.admin import LargeTableAdminMixin, ReadOnlyAdminMixin, prefix, status_badge
from orders_site.core.exceptions import ApplicationError

FULFIL = "orders.fulfil_order"


def pick_list_url(batch: PickBatch) -> str:
    return reverse("admin:orders_pickbatch_pick_list", args=[batch.pk])


def order_pick_list_url(order: Order) -> str:
    return reverse("admin:orders_pickbatch_order_pick_list", args=[order.pk])


@admin.register(PickBatch)
class PickBatchAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("number", "warehouse", "state_badge", "parcels", "units", "created_by", "created_at", "pick_list")
    list_filter = ("state", "warehouse")
    list_select_related = ("warehouse", "created_by")
    search_fields = (prefix("number"),)
    sortable_by = ("number",)
    fields = ("number", "warehouse", "state", "created_by", "created_at", "parcels_listed", "pick_list")
    readonly_fields = fields
    actions = ["finish_selected"]

    def has_fulfil_permission(self, request):
        return request.user.has_perm(FULFIL)

    @admin.action(description="Mark selected batches done (every parcel packed)", permissions=["fulfil"])
    def finish_selected(self, request, queryset):
        for batch in queryset.order_by("pk")[:100]:
            try:
                pick_batch_finish(batch=batch, actor=request.user)
            except ApplicationError as error:
                self.message_user(request, f"{batch.number}: {error.message}", level=messages.ERROR)
            else:
                self.message_user(request, f"{batch.number} is done.", level=messages.SUCCESS)

    # The warehouse's own pages: whoever may pick (Warehouse, Managers) sees them, no model permission.
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff and request.user.has_perm(FULFIL)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def get_queryset(self, request):
        # The parcels and units columns: counted in the list's one query.
        return (
            super()
            .get_queryset(request)
            .annotate(parcel_count=Count("shipments", distinct=True), unit_count=Sum("shipments__lines__quantity"))
        )

    @admin.display(description="state")
    def state_badge(self, batch):
        return status_badge(batch.state, batch.get_state_display())

    @admin.display(description="parcels")
    def parcels(self, batch):
        return batch.parcel_count

    @admin.display(description="units")
    def units(self, batch):
        return batch.unit_count or 0

    @admin.display(description="pick list")
    def pick_list(self, batch):
        return format_html(
            '<a href="{}">Pick list</a> · <a href="{}">PDF</a>',
            pick_list_url(batch),
            reverse("admin:orders_pickbatch_pick_list_pdf", args=[batch.pk]),
        )

    @admin.display(description="parcels in the batch")
    def parcels_listed(self, batch):
        return ", ".join(batch.shipments.order_by("pk").values_list("number", flat=True)) or "—"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:batch_id>/pick-list/", wrap(self.batch_pick_list_view), name="orders_pickbatch_pick_list"),
            path("<int:batch_id>/pick-list.pdf", wrap(self.batch_pick_list_pdf), name="orders_pickbatch_pick_list_pdf"),
            path(
                "order/<int:order_id>/pick-list/",
                wrap(self.order_pick_list_view),
                name="orders_pickbatch_order_pick_list",
            ),
            path(
                "order/<int:order_id>/pick-list.pdf",
                wrap(self.order_pick_list_pdf),
                name="orders_pickbatch_order_pick_list_pdf",
            ),
            *super().get_urls(),
        ]

    # -- the pick list pages ---

    def _allowed(self, request):
        if not self.has_module_permission(request):
            raise PermissionDenied

    def _page(self, request, pick_list, *, pdf_url, batch=None):
        context = {
            **self.admin_site.each_context(request),
            "title": f"Pick list: {pick_list.title}",
            "subtitle": None,
            "opts": self.opts,
            "pick_list": pick_list,
            "batch": batch,
            "pdf_url": pdf_url,
        }
        return TemplateResponse(request, "admin/orders/pick_list.html", context)

    def _pdf(self, pick_list, filename):
        response = HttpResponse(pick_list_pdf_render(pick_list=pick_list), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{filename}"'
        return response

    def batch_pick_list_view(self, request, batch_id):
        self._allowed(request)
        batch = get_object_or_404(PickBatch.objects.select_related("warehouse"), pk=batch_id)
        pdf_url = reverse("admin:orders_pickbatch_pick_list_pdf", args=[batch.pk])
        return self._page(request, pick_list_for_batch(batch=batch), pdf_url=pdf_url, batch=batch)

    def batch_pick_list_pdf(self, request, batch_id):
        self._allowed(request)
        batch = get_object_or_404(PickBatch, pk=batch_id)
        return self._pdf(pick_list_for_batch(batch=batch), f"pick-list-{batch.number}.pdf")

    def order_pick_list_view(self, request, order_id):
        self._allowed(request)
        order = get_object_or_404(Order, pk=order_id)
        pdf_url = reverse("admin:orders_pickbatch_order_pick_list_pdf", args=[order.pk])
        return self._page(request, pick_list_for_order(order=order), pdf_url=pdf_url)

    def order_pick_list_pdf(self, request, order_id):
        self._allowed(request)
        order = get_object_or_404(Order, pk=order_id)
        return self._pdf(pick_list_for_order(order=order), f"pick-list-{order.number}.pdf")
