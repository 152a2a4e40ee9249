"""Invoicing services: `invoices` (issue, PDF), `credit_notes` (corrections), `payments`
(gateway, recording, settling), `refunds` (money back) and `store_credit` (the customer's ledger)."""

from .credit_notes import (
    CreditRefused,
    credit_note_issue,
    credit_note_pdf_ensure,
    credit_note_pdf_requeue_missing,
    invoice_creditable,
)
from .invoices import (
    invoice_issue,
    invoice_pdf_ensure,
    invoice_pdf_mark_failed,
    invoice_pdf_refresh,
    invoice_pdf_requeue_missing,
)
from .payments import (
    PaymentDeclined,
    card_holds_released_on_failure,
    invoice_amount_paid,
    invoice_payments_adopt,
    payment_authorize,
    payment_capture,
    payment_captures_requeue_stale,
    payment_gateway_failure_record,
    payment_record,
    payment_record_before_invoice,
    payment_void_at_gateway,
    payment_void_for_order,
)
from .refunds import (
    iban_clean,
    order_refundable,
    refund_at_gateway,
    refund_create,
    refund_fail,
    refund_mark_transferred,
    refund_retry,
    refunds_requeue_stale,
)
from .store_credit import store_credit_expire_due, store_credit_issue, store_credit_spend

__all__ = [
    "iban_clean",
    "invoice_amount_paid",
    "invoice_payments_adopt",
    "order_refundable",
    "refund_at_gateway",
    "refund_create",
    "refund_fail",
    "refund_mark_transferred",
    "refund_retry",
    "refunds_requeue_stale",
    "store_credit_expire_due",
    "store_credit_issue",
    "store_credit_spend",
    "CreditRefused",
    "credit_note_issue",
    "credit_note_pdf_ensure",
    "credit_note_pdf_requeue_missing",
    "invoice_creditable",
    "PaymentDeclined",
    "card_holds_released_on_failure",
    "invoice_issue",
    "invoice_pdf_ensure",
    "invoice_pdf_mark_failed",
    "invoice_pdf_refresh",
    "invoice_pdf_requeue_missing",
    "payment_authorize",
    "payment_capture",
    "payment_captures_requeue_stale",
    "payment_gateway_failure_record",
    "payment_record",
    "payment_record_before_invoice",
    "payment_void_at_gateway",
    "payment_void_for_order",
]
