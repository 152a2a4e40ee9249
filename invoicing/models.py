from django.db import models
from django.db.models import F, Q
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
        CREDITED = "credited", "Credited in full"

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(
        max_length=30, unique=True, null=True, blank=True, help_text="Gapless; assigned when the invoice is issued"
    )
    status = FSMField(default=Status.DRAFT, choices=Status.choices, protected=True, db_index=True)
    issued_at = models.DateTimeField(null=True, blank=True, db_index=True)
    due_date = models.DateField(null=True, blank=True, db_index=True)
    # The terms it was issued under, as printed on it (invoicing.terms), e.g. "Net 30 days".
    payment_terms = models.CharField(max_length=60, blank=True)
    currency = models.CharField(max_length=3)
    billing_name = models.CharField(max_length=200)
    billing_address = models.TextField()
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    discount_total = models.DecimalField(max_digits=12, decimal_places=2)
    shipping_total = models.DecimalField(max_digits=12, decimal_places=2)
    tax_total = models.DecimalField(max_digits=12, decimal_places=2)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    amount_paid = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    # What its credit notes took off (invoicing.services.credit_notes); never more than the total.
    amount_credited = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    tax_breakdown = models.JSONField(default=list, help_text="[{rate, net, tax}] per tax rate")
    pdf = models.FileField(upload_to=invoice_pdf_upload_to, blank=True)
    pdf_rendered_at = models.DateTimeField(null=True, blank=True)
    # The customer disputes it: no payment reminder goes out until staff resume them.
    reminders_on_hold = models.BooleanField("reminders on hold (disputed)", default=False)
    reminders_hold_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            ("issue_invoice", "Can issue invoices"),
            ("record_payment", "Can record payments"),
            ("issue_credit_note", "Can issue credit notes"),
            ("hold_reminders", "Can put an invoice's payment reminders on hold"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_credited__gte=0, amount_credited__lte=F("total")),
                name="invoice_credited_within_total",
            ),
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
    def amount_owed(self):
        """The total less what credit notes took off: what the customer must pay in all."""
        return self.total - self.amount_credited

    @property
    def balance_due(self):
        return self.amount_owed - self.amount_paid

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

    # Credit notes took the whole total off before anything was paid: nothing is owed any more.
    @transition(field=status, source=[Status.ISSUED], target=Status.CREDITED)
    def credit_in_full(self):
        pass


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    # The order line it bills: returns and returned parcels credit units of that line. Empty only
    # on invoices issued before the link existed and left unmatched by migration 0008.
    order_line = models.ForeignKey(
        "orders.OrderLine", null=True, blank=True, on_delete=models.PROTECT, related_name="invoice_lines"
    )
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
    # Pending and paid-out refunds of this payment (Refund): never more than the payment.
    amount_refunded = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    recorded_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(amount_refunded__gte=0, amount_refunded__lte=F("amount")),
                name="payment_refunded_within_amount",
            ),
        ]
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
    authorised (lifecycle.order_edits), or a credit note corrected a paid invoice. Shown in the
    console queue "Owed back to customers" until refunds made for it (Refund.amount_owed_back) are
    paid out."""

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="amounts_owed_back")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    reason = models.CharField(max_length=300)
    order_version = models.PositiveIntegerField(
        null=True, blank=True, help_text="The order version that made it owed (an edit)"
    )
    credit_note = models.OneToOneField(
        "CreditNote",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="amount_owed_back",
        help_text="The credit note that made it owed (a correction of a paid invoice)",
    )
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


def credit_note_pdf_upload_to(credit_note: "CreditNote", filename: str) -> str:
    """credit-notes/<year of issue>/<number>.pdf: one name per credit note, as for invoices."""
    return f"credit-notes/{timezone.localdate(credit_note.issued_at).year}/{credit_note.number}.pdf"


class CreditNote(TimeStampedModel):
    """The one way to correct an issued invoice: what it takes off, per line (units of an invoice
    line), as an amount with a reason, and/or the delivery fee. Amounts are positive: money credited.
    Numbered gapless per year on its own sequence (invoicing.services.credit_notes)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="credit_notes")
    number = models.CharField(max_length=30, unique=True)
    issued_at = models.DateTimeField(db_index=True)
    reason = models.CharField(max_length=300)
    created_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    currency = models.CharField(max_length=3)
    net_total = models.DecimalField(max_digits=12, decimal_places=2)
    tax_total = models.DecimalField(max_digits=12, decimal_places=2)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    tax_breakdown = models.JSONField(default=list, help_text="[{rate, percent, net, tax}] per tax rate")
    pdf = models.FileField(upload_to=credit_note_pdf_upload_to, blank=True)
    pdf_rendered_at = models.DateTimeField(null=True, blank=True)
    # A parcel that came back to us and whose goods the customer will not get ("refund due"): its
    # units are credited once, by this note (lifecycle.returned_parcels).
    shipment = models.OneToOneField(
        "orders.Shipment", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_note"
    )

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(total__gt=0), name="credit_note_total_positive")]
        indexes = [models.Index(fields=["-issued_at", "-id"], name="credit_note_issued_idx")]

    def __str__(self) -> str:
        return self.number


class CreditNoteLine(models.Model):
    """One line of a credit note: units of an invoice line, the delivery fee, or an amount."""

    class Kind(models.TextChoices):
        UNITS = "units", "Units of an invoice line"
        SHIPPING = "shipping", "Delivery fee"
        AMOUNT = "amount", "Amount"

    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    invoice_line = models.ForeignKey(
        InvoiceLine, null=True, blank=True, on_delete=models.PROTECT, related_name="credit_note_lines"
    )
    description = models.CharField(max_length=250)
    quantity = models.PositiveIntegerField(default=1)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=4)
    net_amount = models.DecimalField(max_digits=12, decimal_places=2)
    tax_amount = models.DecimalField(max_digits=12, decimal_places=2)
    line_total = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="units", invoice_line__isnull=False) | ~Q(kind="units"),
                name="credit_note_units_name_their_line",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.description}"


class Refund(ConcurrentTransitionMixin, TimeStampedModel):
    """Money paid back to a customer, out of one captured payment: to the card it came from
    (through the gateway, by a retried task), by bank transfer (staff send it and mark it sent), or
    as store credit (at once). Pending refunds count against the payment as soon as they exist
    (`Payment.amount_refunded`), so two refunds can never pay out the same money."""

    class Method(models.TextChoices):
        CARD = "card", "To the card"
        BANK_TRANSFER = "bank_transfer", "By bank transfer"
        STORE_CREDIT = "store_credit", "As store credit"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Refunded"
        FAILED = "failed", "Failed"

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="refunds")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    method = models.CharField(max_length=20, choices=Method.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    status = FSMField(default=Status.PENDING, choices=Status.choices, protected=True, db_index=True)
    reason = models.CharField(max_length=300)
    # Sent with every gateway call for this refund, so a retry after a lost answer never pays twice.
    idempotency_key = models.CharField(max_length=64, unique=True)
    gateway_reference = models.CharField(max_length=100, blank=True)
    iban = models.CharField("IBAN", max_length=34, blank=True)
    account_holder = models.CharField(max_length=200, blank=True)
    transfer_reference = models.CharField(max_length=100, blank=True, help_text="The bank's reference of the transfer")
    failure_message = models.CharField(max_length=500, blank=True)
    amount_owed_back = models.ForeignKey(
        AmountOwedBack, null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    created_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("issue_refund", "Can refund customers")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(
                condition=~Q(method="bank_transfer") | ~Q(iban=""), name="refund_bank_transfer_has_iban"
            ),
        ]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="refund_created_idx"),
            models.Index(fields=["status", "-created_at", "-id"], name="refund_status_created_idx"),
            models.Index(fields=["method", "-created_at", "-id"], name="refund_method_created_idx"),
            # The queues: refunds that failed, and bank transfers still to send.
            models.Index(fields=["created_at", "id"], name="refund_failed_idx", condition=Q(status="failed")),
            models.Index(
                fields=["created_at", "id"],
                name="refund_transfer_pending_idx",
                condition=Q(status="pending", method="bank_transfer"),
            ),
        ]

    def __str__(self) -> str:
        return f"refund {self.pk} of {self.amount} on {self.order}"

    @transition(field=status, source=Status.PENDING, target=Status.SUCCEEDED)
    def succeed(self):
        pass

    @transition(field=status, source=Status.PENDING, target=Status.FAILED)
    def fail(self):
        pass

    @transition(
        field=status, source=Status.FAILED, target=Status.PENDING, permission=staff_permission("invoicing.issue_refund")
    )
    def retry(self):
        pass


class StoreCreditAccount(models.Model):
    """A customer's store credit: the balance of its ledger (StoreCreditEntry), kept on this row and
    moved only by invoicing.services.store_credit in guarded UPDATEs; never below zero."""

    customer = models.OneToOneField("orders.Customer", on_delete=models.PROTECT, related_name="store_credit")
    currency = models.CharField(max_length=3)
    balance = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["customer__full_name"]
        permissions = [("issue_store_credit", "Can give customers store credit")]
        constraints = [models.CheckConstraint(condition=Q(balance__gte=0), name="store_credit_never_negative")]
        indexes = [models.Index(fields=["-balance", "id"], name="store_credit_balance_idx")]

    def __str__(self) -> str:
        return f"store credit of {self.customer}"


class StoreCreditEntry(models.Model):
    """One movement of store credit: append-only (nothing updates or deletes a row). Credit is
    positive (issued by staff, a refund, a spend given back, nothing expired), debit negative
    (spent, expired)."""

    class Kind(models.TextChoices):
        ISSUED = "issued", "Issued by staff"
        REFUND = "refund", "Refund"
        SPENT = "spent", "Spent on an order"
        RETURNED = "returned", "Given back (order cancelled)"
        EXPIRED = "expired", "Expired"

    account = models.ForeignKey(StoreCreditAccount, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    balance_after = models.DecimalField(max_digits=12, decimal_places=2)
    reason = models.CharField(max_length=300)
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    refund = models.OneToOneField(
        Refund, null=True, blank=True, on_delete=models.PROTECT, related_name="store_credit_entry"
    )
    expires_on = models.DateField(null=True, blank=True, help_text="Credit not spent by then expires")
    # An EXPIRED entry names the credit it expired, once.
    expiry_of = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="expired_by")
    created_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "store credit entries"
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="store_credit_entry_not_zero"),
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="store_credit_entry_balance_positive"),
        ]
        indexes = [
            models.Index(fields=["account", "-created_at", "-id"], name="store_credit_entry_account_idx"),
            models.Index(fields=["-created_at", "-id"], name="store_credit_entry_created_idx"),
            models.Index(fields=["kind", "-created_at", "-id"], name="store_credit_entry_kind_idx"),
            # The expiry sweep: credit with a date, not expired yet.
            models.Index(fields=["expires_on"], name="store_credit_expiry_idx", condition=Q(expires_on__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"


class ReminderLevel(models.Model):
    """A step of the payment reminders (dunning) that managers set: sent once per invoice, this many
    days after its due date (invoicing.services.reminders)."""

    name = models.CharField(max_length=60, help_text="Shown to the customer, e.g. “Friendly reminder”")
    days_after_due = models.PositiveIntegerField(unique=True)
    fee = models.DecimalField(
        "reminder fee", max_digits=8, decimal_places=2, default=0, help_text="Asked for with this reminder (0: none)"
    )
    message = models.TextField(help_text="The e-mail's opening words; the amount, due date and how to pay follow")
    is_active = models.BooleanField("active", default=True)

    class Meta:
        ordering = ["days_after_due"]
        constraints = [models.CheckConstraint(condition=Q(fee__gte=0), name="reminder_fee_not_negative")]

    def __str__(self) -> str:
        return f"{self.name} (due + {self.days_after_due} days)"


class InvoiceReminder(models.Model):
    """A payment reminder sent for an invoice: one per invoice and level, which the database holds."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="reminders")
    level = models.ForeignKey(ReminderLevel, on_delete=models.PROTECT, related_name="reminders")
    sent_at = models.DateTimeField(auto_now_add=True)
    amount_due = models.DecimalField(max_digits=12, decimal_places=2)
    fee = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    days_overdue = models.PositiveIntegerField()

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["invoice", "level"], name="one_reminder_per_invoice_and_level")]
        indexes = [
            # The console's list, newest first, alone and filtered by level.
            models.Index(fields=["-sent_at", "-id"], name="invoice_reminder_sent_idx"),
            models.Index(fields=["level", "-sent_at", "-id"], name="invoice_reminder_level_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.level.name} for {self.invoice}"


class BankStatement(models.Model):
    """A bank statement staff imported (lifecycle.bank_statements): CAMT.053 or CSV. Its id is the
    bank's statement id (a CSV's: a hash of the file), unique, so the same file twice records
    nothing twice."""

    class Source(models.TextChoices):
        CAMT053 = "camt053", "CAMT.053 (XML)"
        CSV = "csv", "CSV"

    statement_id = models.CharField(max_length=100, unique=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    file_name = models.CharField(max_length=200)
    account_iban = models.CharField("account", max_length=34, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    credits = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-imported_at", "-id"]
        indexes = [models.Index(fields=["-imported_at", "-id"], name="bank_statement_imported_idx")]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.statement_id}"


class BankStatementEntry(models.Model):
    """Money received, one line of an imported statement: matched to an invoice (a payment
    recorded), waiting for staff to match it by hand, or not ours (with a reason)."""

    class Status(models.TextChoices):
        MATCHED = "matched", "Matched"
        UNMATCHED = "unmatched", "To match by hand"
        NOT_OURS = "not_ours", "Not ours"

    class Rule(models.TextChoices):
        REFERENCE = "reference", "RF creditor reference"
        NUMBER = "number", "Invoice or order number in the text"
        AMOUNT = "amount", "Exact amount and customer"
        STAFF = "staff", "Matched by staff"

    statement = models.ForeignKey(BankStatement, on_delete=models.PROTECT, related_name="entries")
    entry_ref = models.CharField("bank's entry id", max_length=100)
    account_iban = models.CharField(max_length=34, blank=True)
    booked_on = models.DateField()
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    counterparty = models.CharField(max_length=200, blank=True)
    iban = models.CharField("from IBAN", max_length=34, blank=True)
    remittance = models.CharField("remittance text", max_length=500, blank=True)
    reference = models.CharField("structured reference", max_length=35, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UNMATCHED)
    rule = models.CharField("matched by", max_length=10, choices=Rule.choices, blank=True)
    invoice = models.ForeignKey(Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="bank_entries")
    payment = models.OneToOneField(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="bank_entry")
    note = models.CharField(max_length=300, blank=True)
    decided_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-booked_on", "-id"]
        constraints = [
            # The bank's entry id, once per account: an overlapping statement records nothing twice.
            models.UniqueConstraint(fields=["account_iban", "entry_ref"], name="bank_entry_once_per_account"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="bank_entry_is_a_credit"),
            models.CheckConstraint(
                condition=Q(status="matched", payment__isnull=False) | ~Q(status="matched"),
                name="bank_entry_matched_has_payment",
            ),
        ]
        indexes = [
            models.Index(fields=["-booked_on", "-id"], name="bank_entry_booked_idx"),
            # "Bank credits to match": the unmatched ones, oldest first.
            models.Index(fields=["status", "booked_on", "id"], name="bank_entry_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} from {self.counterparty or self.iban or 'unknown'} on {self.booked_on}"
