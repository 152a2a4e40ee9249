"""Stock levels (receive, adjust, write off, low stock, replenishment) and the read-only ledger."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from lifecycle.receiving import stock_adjust_many, stock_backorders_fill, stock_receive_many
from orders.selectors import backordered_units_by_product
from orders_site.core.admin import (
    LargeTableAdminMixin,
    ReadOnlyAdminMixin,
    SavedThroughServiceMixin,
    prefix,
    status_badge,
)
from orders_site.core.exceptions import ApplicationError
from orders_site.core.formatting import count_display

from ..forms import (
    AdjustStockForm,
    DraftPurchaseOrdersForm,
    ReceiveNewStockForm,
    ReceiveStockForm,
    WriteOffStockForm,
)
from ..models import (
    BinLocation,
    StockLevel,
    StockMovement,
    Warehouse,
)
from ..selectors import replenishment_suggestions, stock_level_state, stock_levels_low, stock_levels_out
from ..services import (
    ReceiptLine,
    purchase_orders_draft_from_suggestions,
    stock_level_settings_update,
    stock_write_off_many,
)
from .common import add_service_error


class LowStockFilter(admin.SimpleListFilter):
    title = "stock"
    parameter_name = "stock"

    def lookups(self, request, model_admin):
        return [("low", "At or below reorder point"), ("out", "Nothing available")]

    def queryset(self, request, queryset):
        if self.value() == "low":
            return stock_levels_low(queryset)
        if self.value() == "out":
            return stock_levels_out(queryset)
        return queryset


@admin.register(StockLevel)
class StockLevelAdmin(SavedThroughServiceMixin, admin.ModelAdmin):
    # Readable at 1280 px (tests/browser/test_staff_console.py); reorder quantity and safety stock
    # are on the level's page.
    list_display = [
        "sku",
        "product_name",
        "warehouse",
        "bin_location",
        "state",
        "on_hand",
        "allocated",
        "available",
        "reorder_point",
    ]
    list_select_related = ["product", "warehouse", "bin_location__warehouse"]
    list_filter = [LowStockFilter, "warehouse", "product__is_backorderable"]
    search_fields = ["product__sku", "product__name", "product__barcode", "bin_location__code"]
    ordering = ["product__sku", "warehouse__priority"]
    fields = [
        "product",
        "warehouse",
        "bin_location",
        "on_hand",
        "allocated",
        "available",
        "reorder_point",
        "reorder_quantity",
        "safety_stock",
        "movements_link",
    ]
    readonly_fields = ["product", "warehouse", "on_hand", "allocated", "available", "movements_link"]
    actions = ["receive_stock", "adjust_stock", "write_off_stock", "fill_backorders"]
    change_list_template = "admin/inventory/stocklevel/change_list.html"
    change_form_template = "admin/staff_actions/record_change_form.html"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # Only the settings: the whole row would write back on_hand/allocated as loaded (a lost update).
        try:
            stock_level_settings_update(
                stock_level=obj,
                reorder_point=form.cleaned_data["reorder_point"],
                reorder_quantity=form.cleaned_data["reorder_quantity"],
                safety_stock=form.cleaned_data["safety_stock"],
                bin_location=form.cleaned_data["bin_location"],
                actor=request.user,
            )
        except ApplicationError as error:
            self.save_refused(obj, error)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "bin_location":
            level_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            level = StockLevel.objects.filter(pk=level_id).first() if level_id else None
            queryset = BinLocation.objects.select_related("warehouse")
            kwargs["queryset"] = queryset.filter(warehouse=level.warehouse_id) if level else queryset
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="SKU", ordering="product__sku")
    def sku(self, level):
        return level.product.sku

    @admin.display(description="product", ordering="product__name")
    def product_name(self, level):
        return level.product.name

    @admin.display(description="available")
    def available(self, level):
        return level.available

    @admin.display(description="stock")
    def state(self, level):
        return status_badge(*stock_level_state(level))

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and change:
            context["record_header"] = {
                "title": f"{obj.product.sku} at {obj.warehouse.code}",
                "badges": [status_badge(*stock_level_state(obj))],
                "facts": [
                    obj.product.name,
                    f"{obj.on_hand} on hand",
                    f"{obj.allocated} allocated",
                    f"{obj.available} available",
                    f"reorder at {obj.reorder_point}" if obj.reorder_point else "no reorder point",
                    f"bin {obj.bin_location.code}" if obj.bin_location_id else "no bin",
                ],
            }
            context["record_timeline"] = None  # its history is the ledger (movements_link)
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    @admin.display(description="movements")
    def movements_link(self, level):
        if level.pk is None:
            return "—"
        url = reverse("admin:inventory_stockmovement_changelist") + f"?stock_level__id__exact={level.pk}"
        return format_html('<a href="{}">Ledger of this stock level</a>', url)

    # --- actions with a form: the first POST shows the form, the second ("apply") runs the service ---

    def _action_page(self, request, queryset, *, form_class, action, title, submit, run):
        levels = list(queryset.select_related("product", "warehouse").order_by("product__sku", "warehouse__priority"))
        if "apply" in request.POST:
            form = form_class(request.POST, levels=levels)
            if form.is_valid():
                try:
                    message = run(form)
                except ApplicationError as error:
                    add_service_error(form, error)
                else:
                    self.message_user(request, message, messages.SUCCESS)
                    return None
        else:
            form = form_class(levels=levels)
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "form": form,
            "levels": levels,
            "action": action,
            "submit": submit,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/inventory/stocklevel/action_form.html", context)

    @admin.action(description="Receive stock", permissions=["change"])
    def receive_stock(self, request, queryset):
        def run(form):
            result = stock_receive_many(
                lines=[
                    ReceiptLine(product=level.product, warehouse=level.warehouse, quantity=quantity)
                    for level, quantity in form.quantities()
                ],
                reference=form.cleaned_data["reference"],
                actor=request.user,
                confirmed=form.large_receipt_confirmed,
            )
            return f"Received: {result.summary()}."

        return self._action_page(
            request, queryset, form_class=ReceiveStockForm, action="receive_stock", title="Receive stock",
            submit="Receive", run=run,
        )  # fmt: skip

    @admin.action(description="Adjust stock with reason", permissions=["change"])
    def adjust_stock(self, request, queryset):
        def run(form):
            reason = form.cleaned_data["reason"]
            stock_adjust_many(adjustments=form.quantities(), reason=reason, actor=request.user)
            return f"Adjusted {count_display(len(form.quantities()), 'stock level')}: {reason}."

        return self._action_page(
            request, queryset, form_class=AdjustStockForm, action="adjust_stock", title="Adjust stock",
            submit="Adjust", run=run,
        )  # fmt: skip

    @admin.action(description="Write off stock", permissions=["change"])
    def write_off_stock(self, request, queryset):
        def run(form):
            reason = form.cleaned_data["reason"]
            stock_write_off_many(write_offs=form.quantities(), reason=reason, actor=request.user)
            return f"Wrote off {count_display(sum(q for _, q in form.quantities()), 'unit')}: {reason}."

        return self._action_page(
            request, queryset, form_class=WriteOffStockForm, action="write_off_stock", title="Write off stock",
            submit="Write off", run=run,
        )  # fmt: skip

    @admin.action(description="Give available stock to waiting back-orders", permissions=["change"])
    def fill_backorders(self, request, queryset):
        product_ids = set(queryset.values_list("product_id", flat=True))
        result = stock_backorders_fill(product_ids=product_ids, actor=request.user)
        if result.completed or result.partly:
            self.message_user(
                request,
                f"Back-orders complete and verified: {', '.join(result.completed) or 'none'}; "
                f"partly allocated: {', '.join(result.partly) or 'none'}.",
                messages.SUCCESS,
            )
        else:
            self.message_user(request, "No back-order could be given more stock.", messages.INFO)

    # --- extra pages ---

    def get_urls(self):
        urls = super().get_urls()
        extra = [
            path("receive/", self.admin_site.admin_view(self.receive_new_view), name="inventory_stocklevel_receive"),
            path(
                "replenishment/",
                self.admin_site.admin_view(self.replenishment_view),
                name="inventory_stocklevel_replenishment",
            ),
        ]
        return extra + urls

    def receive_new_view(self, request):
        """Receive a product into any warehouse, creating its stock level when it has none."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        form = ReceiveNewStockForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                result = stock_receive_many(
                    lines=[
                        ReceiptLine(
                            product=data["product"],
                            warehouse=data["warehouse"],
                            quantity=data["quantity"],
                            bin_location=data["bin_location"],
                        )
                    ],
                    reference=data["reference"],
                    actor=request.user,
                    confirmed=form.large_receipt_confirmed,
                )
            except ApplicationError as error:
                add_service_error(form, error)
            else:
                self.message_user(request, f"Received: {result.summary()}.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:inventory_stocklevel_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Receive stock",
            "opts": self.model._meta,
            "form": form,
        }
        return TemplateResponse(request, "admin/inventory/stocklevel/receive.html", context)

    def replenishment_view(self, request):
        """Low stock with reorder suggestions; drafts purchase orders from the chosen ones."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        warehouse_id = request.GET.get("warehouse") or None
        show_all = request.GET.get("all") == "1"
        suggestions = replenishment_suggestions(
            backordered_units=backordered_units_by_product(),
            low_only=not show_all,
            warehouse_id=int(warehouse_id) if warehouse_id and warehouse_id.isdigit() else None,
        )
        form = DraftPurchaseOrdersForm(request.POST or None, level_ids=[s.level.pk for s in suggestions])
        if request.method == "POST":
            if not request.user.has_perm("inventory.add_purchaseorder"):
                raise PermissionDenied
            if form.is_valid():
                try:
                    created = purchase_orders_draft_from_suggestions(
                        supplier=form.cleaned_data["supplier"],
                        stock_level_ids=form.cleaned_data["levels"],
                        backordered_units=backordered_units_by_product(),
                        actor=request.user,
                    )
                except ApplicationError as error:
                    add_service_error(form, error)
                else:
                    numbers = ", ".join(po.number for po in created)
                    self.message_user(
                        request,
                        f"Draft {'purchase orders' if ', ' in numbers else 'purchase order'} {numbers} created.",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(reverse("admin:inventory_purchaseorder_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Low stock and replenishment",
            "opts": self.model._meta,
            "suggestions": suggestions,
            "form": form,
            "warehouses": Warehouse.objects.filter(is_active=True),
            "warehouse_id": warehouse_id,
            "show_all": show_all,
            "can_draft": request.user.has_perm("inventory.add_purchaseorder"),
        }
        return TemplateResponse(request, "admin/inventory/stocklevel/replenishment.html", context)


@admin.register(StockMovement)
class StockMovementAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The ledger, newest first: append-only, so nothing here can be added, changed or deleted."""

    list_display = [
        "created_at",
        "kind",
        "sku",
        "warehouse",
        "on_hand_delta",
        "allocated_delta",
        "reason",
        "reference",
        "actor",
    ]
    list_select_related = ["stock_level__product", "stock_level__warehouse", "actor"]
    list_filter = ["kind", "stock_level__warehouse", "created_at"]
    search_fields = [prefix("reference"), prefix("stock_level__product__sku", ignore_case=True)]
    search_help_text = "Reference (an order or document number) or SKU, or how either begins."
    sortable_by = ["created_at"]

    @admin.display(description="SKU", ordering="stock_level__product__sku")
    def sku(self, movement):
        return movement.stock_level.product.sku

    @admin.display(description="warehouse")
    def warehouse(self, movement):
        return movement.stock_level.warehouse.code
