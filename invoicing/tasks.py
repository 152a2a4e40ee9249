"""Invoicing's tasks: the invoice PDF, releasing card holds, and the beat sweeps. Thin: each
fetches by id, checks the work is still needed, and calls a service. (Capturing a card settles
the invoice and may complete the order, a hand-off: that task is lifecycle.tasks.payment_capture_task.)"""

from celery import shared_task

from .services import (
    credit_note_pdf_ensure,
    credit_note_pdf_requeue_missing,
    invoice_pdf_ensure,
    invoice_pdf_mark_failed,
    invoice_pdf_requeue_missing,
    payment_captures_requeue_stale,
    payment_gateway_failure_record,
    payment_void_at_gateway,
    refund_at_gateway,
    refund_fail,
    refunds_requeue_stale,
    store_credit_expire_due,
)
from .services.reminders import reminders_send_due
from .services.standing import payment_standings_mark_overdue


@shared_task(bind=True, acks_late=True, max_retries=5, retry_backoff=True, soft_time_limit=120, time_limit=180)
def invoice_pdf_render_task(self, invoice_id: int) -> str:
    """Render and store the invoice PDF; a retry finds it stored and does nothing twice."""
    try:
        invoice, _ = invoice_pdf_ensure(invoice_id=invoice_id)
    except Exception as exc:
        if self.request.retries >= self.max_retries:
            invoice_pdf_mark_failed(invoice_id=invoice_id, error=repr(exc))
            raise
        raise self.retry(exc=exc, countdown=min(600, 2**self.request.retries * 10)) from exc
    return invoice.pdf.name


@shared_task
def invoice_pdfs_requeue_missing() -> int:
    return invoice_pdf_requeue_missing()


@shared_task(bind=True, acks_late=True, max_retries=5, retry_backoff=True, soft_time_limit=120, time_limit=180)
def credit_note_pdf_render_task(self, credit_note_id: int) -> str:
    """Render and store the credit note PDF; a retry finds it stored and does nothing twice
    (after the last try beat's sweep queues it again, and the e-mail renders it itself)."""
    try:
        credit_note, _ = credit_note_pdf_ensure(credit_note_id=credit_note_id)
    except Exception as exc:
        if self.request.retries >= self.max_retries:
            raise
        raise self.retry(exc=exc, countdown=min(600, 2**self.request.retries * 10)) from exc
    return credit_note.pdf.name


@shared_task
def credit_note_pdfs_requeue_missing() -> int:
    return credit_note_pdf_requeue_missing()


def gateway_task_failed(task, payment_id: int, operation: str, exc: Exception) -> None:
    """Retry a gateway task with back-off; after the last try, say so on the order's timeline."""
    if task.request.retries >= task.max_retries:
        payment_gateway_failure_record(payment_id=payment_id, operation=operation, error=repr(exc))
        raise exc
    raise task.retry(exc=exc, countdown=min(600, 2**task.request.retries * 10)) from exc


@shared_task(bind=True, acks_late=True, max_retries=5, soft_time_limit=60, time_limit=90)
def payment_void_at_gateway_task(self, payment_id: int) -> bool:
    try:
        return payment_void_at_gateway(payment_id=payment_id)
    except Exception as exc:
        gateway_task_failed(self, payment_id, "void", exc)


@shared_task
def payment_captures_requeue_stale_task() -> int:
    return payment_captures_requeue_stale()


@shared_task(bind=True, acks_late=True, max_retries=5, soft_time_limit=60, time_limit=90)
def refund_at_gateway_task(self, refund_id: int) -> str:
    """Ask the gateway to pay a card refund back. Retried with back-off on errors (the same
    idempotency key each time, so nothing is refunded twice); after the last try the refund is
    failed, for staff to see in "Refunds failed"."""
    try:
        return refund_at_gateway(refund_id=refund_id).status
    except Exception as exc:
        if self.request.retries >= self.max_retries:
            return refund_fail(refund_id=refund_id, error=f"The gateway did not answer: {exc!r}"[:500]).status
        raise self.retry(exc=exc, countdown=min(600, 2**self.request.retries * 10)) from exc


@shared_task
def refunds_requeue_stale_task() -> int:
    return refunds_requeue_stale()


@shared_task
def store_credit_expire_due_task() -> int:
    return store_credit_expire_due()


@shared_task
def payment_standings_mark_overdue_task() -> int:
    return payment_standings_mark_overdue()


@shared_task
def reminders_send_due_task() -> int:
    """Beat, hourly: the payment reminders due today (each once per invoice and level, whichever
    run gets there first; the others find it sent)."""
    return reminders_send_due()
