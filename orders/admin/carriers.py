"""Carriers (managers keep the list; the warehouse picks one at dispatch), their webhook secret, and
the tracking events received."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from orders.models import Carrier, TrackingEvent
from orders_site.core.admin import LargeTableAdminMixin, ReadOnlyAdminMixin, prefix, status_badge


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "tracking_url_template", "active_badge")
    search_fields = ("name", "code")
    fields = ("name", "code", "tracking_url_template", "is_active", "webhook_url", "webhook_secret")
    readonly_fields = ("webhook_url",)

    def get_readonly_fields(self, request, obj=None):
        # The secret is generated; shown so a manager can give it to the carrier, not typed over.
        return (*self.readonly_fields, "webhook_secret") if obj is not None else self.readonly_fields

    def get_fields(self, request, obj=None):
        return self.fields if obj is not None else ("name", "code", "tracking_url_template", "is_active")

    @admin.display(description="active")
    def active_badge(self, carrier):
        return status_badge("active" if carrier.is_active else "inactive", "Active" if carrier.is_active else "Retired")

    @admin.display(description="webhook URL")
    def webhook_url(self, carrier):
        if carrier.pk is None:
            return "—"
        return format_html("<code>{}</code>", reverse("hooks:carrier_webhook", args=[carrier.code]))


@admin.register(TrackingEvent)
class TrackingEventAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """What carriers and staff reported, as received (written only by orders.services.tracking)."""

    list_display = ("occurred_at", "shipment", "carrier", "kind", "source", "applied", "external_id")
    list_filter = ("kind", "source")
    list_select_related = ("shipment", "carrier")
    search_fields = (prefix("shipment__number"), prefix("external_id"))
    search_help_text = "Parcel number or the carrier's event id, or how one begins."
    sortable_by = ()
    fields = ("shipment", "carrier", "kind", "occurred_at", "source", "applied", "external_id", "payload", "created_at")
    readonly_fields = fields
