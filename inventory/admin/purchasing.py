"""Suppliers and purchase orders, with their buttons and receipts."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format

from lifecycle.receiving import purchase_order_receive
from orders_site.core.admin import ReadOnlyAdminMixin, status_badge
from orders_site.core.exceptions import ApplicationError
from orders_site.core.formatting import count_display

from ..forms import (
    PurchaseOrderReceiveForm,
    movement_quantity_bounds,
)
from ..models import (
    PurchaseOrder,
    PurchaseOrderEvent,
    PurchaseOrderLine,
    Supplier,
)
from ..services import (
    purchase_order_cancel,
    purchase_order_close,
    purchase_order_draft_save,
    purchase_order_send,
)
from .common import add_service_error


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "phone"]
    search_fields = ["name", "email"]


class PurchaseOrderLineInline(admin.TabularInline):
    model = PurchaseOrderLine
    fields = ["product", "quantity_ordered", "unit_cost", "quantity_received"]
    readonly_fields = ["quantity_received"]
    autocomplete_fields = ["product"]
    extra = 1

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # Lines are saved by the admin's formset, not a service: the form holds the bound.
        if db_field.name == "quantity_ordered":
            kwargs.update(movement_quantity_bounds(min_value=1))
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product")

    def _is_draft(self, obj):
        return obj is None or obj.status == PurchaseOrder.Status.DRAFT

    def has_add_permission(self, request, obj=None):
        return self._is_draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._is_draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._is_draft(obj) and super().has_delete_permission(request, obj)


class PurchaseOrderEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = PurchaseOrderEvent
    fields = ["created_at", "kind", "from_state", "to_state", "actor_label", "note", "data"]
    readonly_fields = fields
    extra = 0
    verbose_name_plural = "timeline"


PO_ACTIONS = {
    "send": (purchase_order_send, "Send to supplier"),
    "close": (purchase_order_close, "Close (the rest will not come)"),
    "cancel": (purchase_order_cancel, "Cancel"),
}


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "supplier",
        "warehouse",
        "status_badge",
        "expected",
        "line_count",
        "units",
        "created_at",
    ]
    list_select_related = ["supplier", "warehouse"]
    list_filter = ["status", "warehouse", "supplier"]
    search_fields = ["number", "supplier__name"]
    date_hierarchy = "created_at"
    inlines = [PurchaseOrderLineInline, PurchaseOrderEventInline]
    readonly_fields = ["number", "status", "created_by", "sent_at", "received_at"]
    fields = [
        "number",
        "status",
        "supplier",
        "warehouse",
        "expected_on",
        "note",
        "created_by",
        "sent_at",
        "received_at",
    ]
    change_form_template = "admin/inventory/purchaseorder/change_form.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                line_total=Count("lines"),
                units_ordered=Coalesce(Sum("lines__quantity_ordered"), 0),
                units_received=Coalesce(Sum("lines__quantity_received"), 0),
            )
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != PurchaseOrder.Status.DRAFT:
            return [*self.readonly_fields, "supplier", "warehouse", "expected_on", "note"]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False  # cancel instead: the timeline stays

    @admin.display(description="status", ordering="status")
    def status_badge(self, purchase_order):
        return status_badge(purchase_order.status, purchase_order.get_status_display())

    @admin.display(description="lines", ordering="line_total")
    def line_count(self, purchase_order):
        return purchase_order.line_total

    @admin.display(description="expected", ordering="expected_on")
    def expected(self, purchase_order):
        return purchase_order.expected_on

    # Short headers: a list's headers do not wrap, and this list must fit 1280 px.
    @admin.display(description="received")
    def units(self, purchase_order):
        return f"{purchase_order.units_received} / {purchase_order.units_ordered}"

    def save_model(self, request, obj, form, change):
        if change and obj.status != PurchaseOrder.Status.DRAFT:
            return  # nothing on a sent purchase order is editable here
        try:
            purchase_order_draft_save(purchase_order=obj, actor=request.user)
        except ApplicationError as error:
            raise PermissionDenied(error.message) from error

    def get_urls(self):
        urls = super().get_urls()
        extra = [
            path(
                "<path:object_id>/transition/<str:transition>/",
                self.admin_site.admin_view(self.transition_view),
                name="inventory_purchaseorder_transition",
            ),
            path(
                "<path:object_id>/receive/",
                self.admin_site.admin_view(self.receive_view),
                name="inventory_purchaseorder_receive",
            ),
        ]
        return extra + urls

    def change_view(self, request, object_id, form_url="", extra_context=None):
        purchase_order = self.get_object(request, object_id)
        buttons = []
        if purchase_order is not None:
            available = {t.name for t in purchase_order.get_available_user_status_transitions(request.user)}
            buttons = [(name, label) for name, (_, label) in PO_ACTIONS.items() if name in available]
            can_receive = bool(available & {"receive_partially", "receive_fully"})
        else:
            can_receive = False
        extra_context = {**(extra_context or {}), "transition_buttons": buttons, "can_receive": can_receive}
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and change:
            lines = list(obj.lines.all())
            ordered = sum(line.quantity_ordered for line in lines)
            received = sum(line.quantity_received for line in lines)
            expected = date_format(obj.expected_on, "DATE_FORMAT") if obj.expected_on else ""
            context["record_header"] = {
                "title": f"Purchase order {obj.number}",
                "badges": [status_badge(obj.status, obj.get_status_display())],
                "facts": [
                    f"from {obj.supplier.name}",
                    f"to {obj.warehouse.name} ({obj.warehouse.code})",
                    f"expected {expected}" if expected else "no date expected",
                    f"{received} of {count_display(ordered, 'unit')} received",
                ],
            }
            context["record_timeline"] = None  # its events are the table below
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def _purchase_order_or_404(self, request, object_id):
        # get_object() answers None for an id that cannot be one ("abc"); a pk filter would raise.
        purchase_order = self.get_object(request, unquote(object_id))
        if purchase_order is None:
            raise Http404("No such purchase order")
        return purchase_order

    def _change_url(self, purchase_order):
        return reverse("admin:inventory_purchaseorder_change", args=[purchase_order.pk])

    def transition_view(self, request, object_id, transition):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        purchase_order = self._purchase_order_or_404(request, object_id)
        if not self.has_view_permission(request, purchase_order) or transition not in PO_ACTIONS:
            raise PermissionDenied
        service, label = PO_ACTIONS[transition]
        try:
            service(
                purchase_order=purchase_order,
                actor=request.user,
                note=request.POST.get("note", ""),
                expected_status=request.POST.get("expected_status") or None,
            )
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)
        else:
            self.message_user(request, f"{label}: done for {purchase_order}.", messages.SUCCESS)
        return HttpResponseRedirect(self._change_url(purchase_order))

    def receive_view(self, request, object_id):
        purchase_order = self._purchase_order_or_404(request, object_id)
        if not self.has_view_permission(request, purchase_order):
            raise PermissionDenied
        form = PurchaseOrderReceiveForm(request.POST or None, purchase_order=purchase_order)
        if request.method == "POST" and form.is_valid():
            try:
                result = purchase_order_receive(
                    purchase_order=purchase_order,
                    quantities=form.quantities(),
                    actor=request.user,
                    note=form.cleaned_data["note"],
                    bin_location=form.cleaned_data["bin_location"],
                    expected_status=request.POST.get("expected_status") or None,
                    confirmed=form.large_receipt_confirmed,
                )
            except ApplicationError as error:
                add_service_error(form, error)
            else:
                self.message_user(request, f"{purchase_order}: {result.summary()}.", messages.SUCCESS)
                return HttpResponseRedirect(self._change_url(purchase_order))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Receive purchase order {purchase_order}",
            "opts": self.model._meta,
            "original": purchase_order,
            "form": form,
        }
        return TemplateResponse(request, "admin/inventory/purchaseorder/receive.html", context)
