"""Outbound webhooks: who wants to hear of what (subscriptions), and each event posted to each of
them (deliveries, written in the transaction of the change they announce: the outbox), with every
attempt to post it."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class EventType(models.TextChoices):
    ORDER_PLACED = "order.placed", "Order placed"
    ORDER_VERIFIED = "order.verified", "Order verified"
    ORDER_ON_HOLD = "order.on_hold", "Order put on hold"
    ORDER_CANCELLED = "order.cancelled", "Order cancelled"
    SHIPMENT_DISPATCHED = "shipment.dispatched", "Parcel dispatched"
    SHIPMENT_DELIVERED = "shipment.delivered", "Parcel delivered"
    INVOICE_ISSUED = "invoice.issued", "Invoice issued"
    PAYMENT_RECEIVED = "payment.received", "Payment received"
    REFUND_SUCCEEDED = "refund.succeeded", "Refund paid out"
    RETURN_RECEIVED = "return.received", "Return received"
    STOCK_LOW = "stock.low", "Stock at or below its reorder point"


class WebhookSubscription(models.Model):
    """An integration's endpoint and the events it wants. The secret signs every post (it must be
    kept to sign, so it is stored as it is, and shown to managers on the subscription's page)."""

    name = models.CharField(max_length=100, help_text="Who receives it, e.g. “ERP” or “CRM”")
    url = models.URLField("URL", max_length=500, help_text="Where the events are posted (HTTPS in production)")
    secret = models.CharField(max_length=80, editable=False)
    event_types = models.JSONField(default=list)
    is_active = models.BooleanField("active", default=True)
    failures_in_a_row = models.PositiveIntegerField(default=0, editable=False)
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_reason = models.CharField(max_length=300, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = "webhook subscription"

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One event for one subscription: its body (the exact bytes that are signed and posted, the
    same on every attempt and resend) and where its posting stands."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SUCCEEDED = "succeeded", "Delivered"
        FAILED = "failed", "Gave up"

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.CharField(max_length=40, db_index=True, help_text="The same on every retry and resend")
    event_type = models.CharField(max_length=40, choices=EventType.choices)
    body = models.TextField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    retry_until = models.DateTimeField(help_text="Retried with back-off until then, then given up")
    created_at = models.DateTimeField(auto_now_add=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField("last status", null=True, blank=True)
    last_duration_ms = models.PositiveIntegerField("last duration (ms)", null=True, blank=True)
    last_response = models.CharField(max_length=500, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["subscription", "-created_at", "-id"], name="webhook_delivery_log"),
            models.Index(fields=["-created_at", "-id"], name="webhook_delivery_recent"),
            models.Index(fields=["status", "-created_at", "-id"], name="webhook_delivery_status"),
            models.Index(fields=["event_type", "-created_at", "-id"], name="webhook_delivery_type"),
            models.Index(fields=["next_attempt_at"], name="webhook_delivery_due", condition=Q(status="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class WebhookAttempt(models.Model):
    """One post of a delivery and what came back (append-only)."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    attempted_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField()
    response_excerpt = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-attempted_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.status_code or self.error}"
