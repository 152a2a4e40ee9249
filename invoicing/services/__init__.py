"""Invoicing services: `invoices` (issue, PDF), `credit_notes` (corrections) and `payments`
(gateway, recording, settling)."""

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
    payment_authorize,
    payment_capture,
    payment_captures_requeue_stale,
    payment_gateway_failure_record,
    payment_record,
    payment_void_at_gateway,
    payment_void_for_order,
)

__all__ = [
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
    "payment_void_at_gateway",
    "payment_void_for_order",
]
