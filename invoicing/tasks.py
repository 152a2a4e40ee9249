from celery import shared_task

from .services import invoice_pdf_ensure, invoice_pdf_mark_failed


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
    from .services import invoice_pdf_requeue_missing

    return invoice_pdf_requeue_missing()


def _gateway_task_failed(task, payment_id: int, operation: str, exc: Exception) -> None:
    from .services import payment_gateway_failure_record

    if task.request.retries >= task.max_retries:
        payment_gateway_failure_record(payment_id=payment_id, operation=operation, error=repr(exc))
        raise exc
    raise task.retry(exc=exc, countdown=min(600, 2**task.request.retries * 10)) from exc


@shared_task(bind=True, acks_late=True, max_retries=5, soft_time_limit=60, time_limit=90)
def payment_capture_task(self, payment_id: int) -> str:
    """Capture a card payment authorised at checkout, after its invoice was issued. A retry finds
    a payment already captured and does nothing."""
    from .models import Payment
    from .services import payment_capture

    try:
        return payment_capture(payment=Payment(pk=payment_id)).status
    except Exception as exc:
        _gateway_task_failed(self, payment_id, "capture", exc)


@shared_task(bind=True, acks_late=True, max_retries=5, soft_time_limit=60, time_limit=90)
def payment_void_at_gateway_task(self, payment_id: int) -> bool:
    from .services import payment_void_at_gateway

    try:
        return payment_void_at_gateway(payment_id=payment_id)
    except Exception as exc:
        _gateway_task_failed(self, payment_id, "void", exc)


@shared_task
def payment_captures_requeue_stale() -> int:
    from .services import payment_captures_requeue_stale

    return payment_captures_requeue_stale()
