"""Integrations' access: API keys (shown once, stored hashed, with scopes, revocable) and the
stored answers of POSTs sent with an Idempotency-Key."""

from django.conf import settings
from django.db import models


class ApiKey(models.Model):
    """One integration's key. The secret is shown once when made; only its SHA-256 is kept, and
    its first characters (`prefix`) to find it and to tell keys apart in the console."""

    class Scope(models.TextChoices):
        ORDERS_READ = "orders:read", "Read orders"
        ORDERS_WRITE = "orders:write", "Create and cancel orders"
        STOCK_READ = "stock:read", "Read products and stock"
        STOCK_WRITE = "stock:write", "Adjust and receive stock"
        SHIPMENTS_WRITE = "shipments:write", "Add tracking, mark dispatched and delivered"
        INVOICES_READ = "invoices:read", "Read invoices and credit notes"
        CUSTOMERS_READ = "customers:read", "Read customers"
        CUSTOMERS_WRITE = "customers:write", "Create customers"

    name = models.CharField(max_length=100, help_text="Who uses it, e.g. “ERP” or “Marketplace sync”")
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "API key"
        permissions = [("manage_api_keys", "Can create and revoke API keys")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def label(self) -> str:
        """How the key signs what it changes on an order's timeline."""
        return f"API: {self.name}"


class IdempotencyRecord(models.Model):
    """The answer to a POST made with an Idempotency-Key, per API key: the same key with the same
    body gets this answer again; with another body, a 422. Deleted after API_IDEMPOTENCY_HOURS."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64, help_text="SHA-256 of the method, path and body")
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["api_key", "key"], name="idempotency_key_per_api_key")]

    def __str__(self) -> str:
        return f"{self.api_key_id}:{self.key}"
