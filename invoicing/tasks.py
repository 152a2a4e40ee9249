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
