from django.contrib import admin

from .models import Sequence


class ReadOnlyAdminMixin:
    """Rows written only by services (or append-only): staff look, never type over them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ReadOnlyAdminMixin):
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False


@admin.register(Sequence)
class SequenceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Gapless counters (invoice and purchase-order numbers). Read-only: editing one would repeat or
    skip numbers."""

    list_display = ("name", "last_value")
    search_fields = ("name",)
