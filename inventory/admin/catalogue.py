"""Catalogue and places: tax classes, categories, products (with their stock settings), warehouses, bins."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.forms.models import BaseInlineFormSet

from ..models import (
    BinLocation,
    Category,
    Product,
    StockLevel,
    TaxClass,
    Warehouse,
)
from ..selectors import product_available_quantity
from ..services import (
    stock_level_settings_update,
)


@admin.register(TaxClass)
class TaxClassAdmin(admin.ModelAdmin):
    list_display = ["name", "rate"]
    search_fields = ["name"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class StockLevelSettingsFormSet(BaseInlineFormSet):
    """Saves a changed row through `stock_level_settings_update`: only its settings are written, never
    `on_hand`/`allocated` as they were when the page was loaded. Rows are not added here (receive stock)."""

    actor = None

    def save_new(self, form, commit=True):
        raise PermissionDenied("Stock levels are created by receiving stock.")

    def save_existing(self, form, obj, commit=True):
        return stock_level_settings_update(
            stock_level=obj,
            reorder_point=form.cleaned_data["reorder_point"],
            reorder_quantity=form.cleaned_data["reorder_quantity"],
            safety_stock=form.cleaned_data["safety_stock"],
            bin_location=obj.bin_location,
            actor=self.actor,
        )


class StockLevelInline(admin.TabularInline):
    model = StockLevel
    formset = StockLevelSettingsFormSet
    fields = ["warehouse", "bin_location", "on_hand", "allocated", "reorder_point", "reorder_quantity", "safety_stock"]
    readonly_fields = ["warehouse", "bin_location", "on_hand", "allocated"]
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("warehouse", "bin_location__warehouse")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)  # a new class per request
        formset.actor = request.user
        return formset

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = [
        "sku",
        "name",
        "kind",
        "category",
        "price",
        "tax_class",
        "available",
        "is_active",
        "is_backorderable",
        "restock_lead_days",
    ]
    list_select_related = ["category", "tax_class"]
    list_filter = ["kind", "is_active", "is_backorderable", "category"]
    search_fields = ["sku", "name", "barcode"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [StockLevelInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(available_quantity=product_available_quantity())

    @admin.display(description="available", ordering="available_quantity")
    def available(self, product):
        return product.available_quantity if product.tracks_stock else "—"


class BinLocationInline(admin.TabularInline):
    model = BinLocation
    fields = ["code", "walk_order"]
    extra = 1


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "priority", "is_active", "bin_count"]
    search_fields = ["code", "name"]
    list_filter = ["is_active"]
    inlines = [BinLocationInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(bin_total=Count("bins"))

    @admin.display(description="bins", ordering="bin_total")
    def bin_count(self, warehouse):
        return warehouse.bin_total


@admin.register(BinLocation)
class BinLocationAdmin(admin.ModelAdmin):
    list_display = ["code", "warehouse", "walk_order"]
    list_select_related = ["warehouse"]
    list_filter = ["warehouse"]
    search_fields = ["code", "warehouse__code"]
    ordering = ["warehouse__priority", "warehouse__code", "walk_order", "code"]
