from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from orders_site.core.indexes import UpperPrefixIndex
from orders_site.core.models import TimeStampedModel
from orders_site.core.permissions import staff_permission

RECORD_PAYMENT = staff_permission("invoicing.record_payment")


def invoice_pdf_upload_to(invoice: "Invoice", filename: str) -> str:
    """One name per invoice, invoices/<year of issue>/<number>.pdf, so a retry that renders the PDF
    again overwrites the same file instead of leaving a renamed copy (the file name passed in is
    ignored)."""
    return f"invoices/{timezone.localdate(invoice.issued_at).year}/{invoice.number}.pdf"


class Invoice(ConcurrentTransitionMixin, TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ISSUED = "issued", "Issued"
        PARTIALLY_PAID = "partially_paid", "Partially paid"
        PAID = "paid", "Paid"

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(
        max_length=30, unique=True, null=True, blank=True, help_text="Gapless; assigned when the invoice is issued"
    )
    status = FSMField(default=Status.DRAFT, choices=Status.choices, protected=True, db_index=True)
    issued_at = models.DateTimeField(null=True, blank=True, db_index=True)
    due_date = models.DateField(null=True, blank=True, db_index=True)
    currency = models.CharField(max_length=3)
    billing_name = models.CharField(max_length=200)
    billing_address = models.TextField()
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    discount_total = models.DecimalField(max_digits=12, decimal_places=2)
    shipping_total = models.DecimalField(max_digits=12, decimal_places=2)
    tax_total = models.DecimalField(max_digits=12, decimal_places=2)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    amount_paid = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    tax_breakdown = models.JSONField(default=list, help_text="[{rate, net, tax}] per tax rate")
    pdf = models.FileField(upload_to=invoice_pdf_upload_to, blank=True)
    pdf_rendered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            ("issue_invoice", "Can issue invoices"),
            ("record_payment", "Can record payments"),
        ]
        # The console's invoice list (newest first) under its status filters, and its search by
        # billing name.
        indexes = [
            models.Index(fields=["status", "-created_at", "-id"], name="invoice_status_created_idx"),
            UpperPrefixIndex(field="billing_name", name="invoice_billing_upper_idx"),
            # The "overdue" queue and filter: the open invoices only, by due date (the statuses are
            # invoicing.selectors.OPEN_STATUSES, which Meta cannot name).
            models.Index(
                fields=["due_date"],
                name="invoice_open_due_idx",
                condition=Q(status__in=["issued", "partially_paid"]),
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"draft invoice for {self.order}"

    @property
    def balance_due(self):
        return self.total - self.amount_paid

    @transition(
        field=status, source=Status.DRAFT, target=Status.ISSUED, permission=staff_permission("invoicing.issue_invoice")
    )
    def issue(self):
        pass

    @transition(
        field=status,
        source=[Status.ISSUED, Status.PARTIALLY_PAID],
        target=Status.PARTIALLY_PAID,
        permission=RECORD_PAYMENT,
    )
    def record_partial_payment(self):
        pass

    @transition(
        field=status, source=[Status.ISSUED, Status.PARTIALLY_PAID], target=Status.PAID, permission=RECORD_PAYMENT
    )
    def mark_paid(self):
        pass


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    sku = models.CharField("SKU", max_length=64, blank=True)
    description = models.CharField(max_length=250)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=4)
    discount_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    net_amount = models.DecimalField(max_digits=12, decimal_places=2)
    tax_amount = models.DecimalField(max_digits=12, decimal_places=2)
    line_total = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.description}"


class Payment(ConcurrentTransitionMixin, TimeStampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        AUTHORIZED = "authorized", "Authorised"
        CAPTURED = "captured", "Captured"
        FAILED = "failed", "Failed"
        VOIDED = "voided", "Voided"

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="payments")
    invoice = models.ForeignKey(Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=20)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    status = FSMField(default=Status.PENDING, choices=Status.choices, protected=True, db_index=True)
    gateway_reference = models.CharField(max_length=100, blank=True)
    reference = models.CharField(max_length=100, blank=True, help_text="Bank reference, receipt number...")
    captured_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive")]
        # The console's payment list (newest first) under each filter, and its search by reference.
        indexes = [
            models.Index(fields=["status", "-created_at", "-id"], name="payment_status_created_idx"),
            models.Index(fields=["method", "-created_at", "-id"], name="payment_method_created_idx"),
            UpperPrefixIndex(field="reference", name="payment_reference_upper_idx"),
            # Exact and prefix matches (other databases ignore the operator class).
            models.Index(
                fields=["gateway_reference"], name="payment_gateway_ref_idx", opclasses=["varchar_pattern_ops"]
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.method} for {self.order}"

    @transition(field=status, source=Status.PENDING, target=Status.AUTHORIZED)
    def authorize(self):
        pass

    @transition(
        field=status, source=[Status.PENDING, Status.AUTHORIZED], target=Status.CAPTURED, permission=RECORD_PAYMENT
    )
    def capture(self):
        pass

    @transition(field=status, source=[Status.PENDING, Status.AUTHORIZED], target=Status.FAILED)
    def fail(self):
        pass

    @transition(
        field=status, source=[Status.PENDING, Status.AUTHORIZED], target=Status.VOIDED, permission=RECORD_PAYMENT
    )
    def void(self):
        pass


class AmountOwedBack(models.Model):
    """Money the customer is owed after an edit made their order cheaper than what they paid or had
    authorised (lifecycle.order_edits). Shown in the console queue "Owed back to customers" until
    it is settled; issue 13's refund service will settle these rows."""

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="amounts_owed_back")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    reason = models.CharField(max_length=300)
    order_version = models.PositiveIntegerField(help_text="The order version that made it owed")
    created_at = models.DateTimeField(auto_now_add=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "amounts owed back"
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="amount_owed_back_positive"),
            models.UniqueConstraint(fields=["order", "order_version"], name="amount_owed_back_once_per_version"),
        ]
        indexes = [
            # The "Owed back to customers" queue: the open rows, oldest first.
            models.Index(fields=["created_at", "id"], name="owed_back_open_idx", condition=Q(settled_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.amount} owed back on {self.order}"
