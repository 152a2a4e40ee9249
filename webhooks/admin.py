"""Webhooks in the console (managers): subscriptions (URL, events, the signing secret, on/off, why
one was turned off) and the delivery log (each event's status code, duration and answer, every
attempt, and "Resend")."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from orders_site.core.admin import (
    LargeTableAdminMixin,
    ReadOnlyAdminMixin,
    ReadOnlyInline,
    SavedThroughServiceMixin,
    exact,
    status_badge,
)
from orders_site.core.exceptions import ApplicationError

from .models import EventType, WebhookAttempt, WebhookDelivery, WebhookSubscription
from .sending import webhook_delivery_resend
from .subscriptions import (
    webhook_subscription_create,
    webhook_subscription_rotate_secret,
    webhook_subscription_update,
)


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(
        label="URL",
        max_length=500,
        assume_scheme="https",
        help_text="Where the events are posted (HTTPS in production)",
    )
    event_types = forms.MultipleChoiceField(
        choices=EventType.choices, widget=forms.CheckboxSelectMultiple, help_text="The events posted to this URL"
    )

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "event_types", "is_active"]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(SavedThroughServiceMixin, admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = ("name", "url", "event_list", "state", "failures_in_a_row", "log_link")
    ordering = ("name", "pk")
    actions = ("rotate_secret",)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "url", "event_types"]
        return [
            "name",
            "url",
            "event_types",
            "is_active",
            "secret",
            "failures_in_a_row",
            "disabled_at",
            "disabled_reason",
            "created_by",
            "created_at",
            "log_link",
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["secret", "failures_in_a_row", "disabled_at", "disabled_reason", "created_by", "created_at", "log_link"]

    @admin.display(description="events")
    def event_list(self, subscription):
        return ", ".join(subscription.event_types)

    @admin.display(description="state")
    def state(self, subscription):
        if subscription.is_active:
            return status_badge("succeeded", "On")
        return status_badge("failed", "Off")

    @admin.display(description="delivery log")
    def log_link(self, subscription):
        if subscription.pk is None:
            return ""
        url = reverse("admin:webhooks_webhookdelivery_changelist") + f"?subscription__id__exact={subscription.pk}"
        return format_html('<a href="{}" data-testid="delivery-log">Deliveries</a>', url)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            if change:
                saved = webhook_subscription_update(
                    subscription=obj,
                    name=data["name"],
                    url=data["url"],
                    event_types=data["event_types"],
                    is_active=data["is_active"],
                )
            else:
                saved = webhook_subscription_create(
                    name=data["name"], url=data["url"], event_types=data["event_types"], created_by=request.user
                )
        except ApplicationError as error:
            self.save_refused(obj, error)
            return
        obj.pk, obj.secret = saved.pk, saved.secret

    def response_add(self, request, obj, post_url_continue=None):
        if self.save_was_refused(obj):
            self.message_user(request, obj._save_refused, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        self.message_user(
            request,
            "Subscription made. Give the receiver its signing secret, shown on this page.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:webhooks_webhooksubscription_change", args=[obj.pk]))

    def log_addition(self, request, obj, message):
        if not self.save_was_refused(obj):
            return super().log_addition(request, obj, message)

    @admin.action(description="Give the selected subscriptions a new signing secret")
    def rotate_secret(self, request, queryset):
        for subscription in queryset:
            webhook_subscription_rotate_secret(subscription=subscription)
        self.message_user(
            request, "New secrets made: give each receiver its new one (shown on its page).", messages.SUCCESS
        )


class WebhookAttemptInline(ReadOnlyInline, admin.TabularInline):
    model = WebhookAttempt
    fields = ("attempted_at", "status_code", "duration_ms", "response_excerpt", "error")
    readonly_fields = fields
    verbose_name_plural = "attempts"


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "subscription",
        "event_type",
        "event_id",
        "status_shown",
        "attempts",
        "last_status_code",
        "last_duration_ms",
        "answer",
    )
    list_select_related = ("subscription",)
    list_filter = ("status", "event_type", "subscription")
    search_fields = (exact("event_id"),)
    ordering = ("-created_at", "-pk")
    actions = ("resend_selected",)
    inlines = (WebhookAttemptInline,)
    fields = (
        "subscription",
        "event_id",
        "event_type",
        "status",
        "attempts",
        "next_attempt_at",
        "retry_until",
        "created_at",
        "succeeded_at",
        "last_status_code",
        "last_duration_ms",
        "last_response",
        "last_error",
        "body",
    )
    readonly_fields = fields

    @admin.display(description="status", ordering="status")
    def status_shown(self, delivery):
        return status_badge(delivery.status, delivery.get_status_display())

    @admin.display(description="answer")
    def answer(self, delivery):
        return (delivery.last_error or delivery.last_response)[:80]

    def get_urls(self):
        view = self.admin_site.admin_view
        resend = view(require_POST(self.resend_view))
        return [path("<int:pk>/resend/", resend, name="webhooks_webhookdelivery_resend")] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {"resend_url": reverse("admin:webhooks_webhookdelivery_resend", args=[object_id])}
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def _resend(self, request, deliveries) -> int:
        sent = 0
        for delivery in deliveries:
            try:
                webhook_delivery_resend(delivery=delivery)
            except ApplicationError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                sent += 1
        return sent

    def resend_view(self, request, pk):
        if not self.has_view_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        delivery = get_object_or_404(WebhookDelivery, pk=pk)
        if self._resend(request, [delivery]):
            self.message_user(
                request, f"{delivery.event_type} {delivery.event_id} is being sent again.", messages.SUCCESS
            )
        return HttpResponseRedirect(reverse("admin:webhooks_webhookdelivery_change", args=[pk]))

    @admin.action(description="Resend the selected events (same event id)")
    def resend_selected(self, request, queryset):
        sent = self._resend(request, queryset.select_related("subscription"))
        if sent:
            self.message_user(request, f"{sent} event(s) being sent again.", messages.SUCCESS)
