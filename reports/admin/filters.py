"""The order list's filters that the dashboard's links use: the orders behind a figure
(reports.figures.ORDER_SETS) and the orders with a parcel from a warehouse. Shown in the sidebar
only while in use, so the list a person opens from the dashboard says what it is showing."""

from django.contrib import admin

from inventory.models import Warehouse

from ..figures import ORDER_SETS, warehouse_has


class ReportFilter(admin.SimpleListFilter):
    title = "dashboard figure"
    parameter_name = "report"

    def lookups(self, request, model_admin):
        return [(item.key, item.label) for item in ORDER_SETS.values()]

    def has_output(self):
        return self.value() is not None

    def queryset(self, request, queryset):
        chosen = ORDER_SETS.get(self.value() or "")
        if self.value() and chosen is None:
            return queryset.none()
        return chosen.narrow(queryset) if chosen else queryset


class WarehouseFilter(admin.SimpleListFilter):
    title = "warehouse"
    parameter_name = "warehouse"

    def lookups(self, request, model_admin):
        return [(str(pk), code) for pk, code in Warehouse.objects.order_by("code").values_list("pk", "code")]

    def has_output(self):
        return self.value() is not None

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(warehouse_has(int(value)))
