"""Tasks of the hand-offs: sending the outbox (rendering needs invoicing and feedback) and giving
freed stock to back-orders. Thin: each fetches by id, checks the work is still needed, calls a service."""

from celery import shared_task

from invoicing.tasks import gateway_task_failed
from orders.models import OrderImport
from orders.selectors import backordered_product_ids
from orders.services.notifications import notification_mark_failed, notification_resend_pending

from .notifications import notification_deliver
from .order_import import order_import_run, order_imports_requeue_stale
from .receiving import stock_backorders_fill
from .settlement import order_released, payment_capture


@shared_task(bind=True, acks_late=True, max_retries=5, retry_backoff=True, retry_backoff_max=600)
def notification_send(self, notification_id: int) -> bool:
    try:
        return notification_deliver(notification_id=notification_id)
    except Exception as exc:
        if self.request.retries >= self.max_retries:
            notification_mark_failed(notification_id=notification_id, error=repr(exc))
            raise
        raise self.retry(exc=exc, countdown=min(600, 2**self.request.retries * 10)) from exc


@shared_task
def notifications_resend_pending() -> int:
    return notification_resend_pending()


@shared_task(bind=True, acks_late=True, max_retries=3)
def stock_backorders_fill_task(self, product_ids: list[int]) -> int:
    """Freed stock goes to waiting back-orders. Safe to run twice: a second run finds nothing to do."""
    try:
        return len(stock_backorders_fill(product_ids=product_ids).completed)
    except Exception as exc:
        raise self.retry(exc=exc, countdown=min(600, 2**self.request.retries * 10)) from exc


@shared_task
def stock_backorders_sweep() -> int:
    """Run by beat: give available stock to back-orders a lost fill task left waiting."""
    product_ids = backordered_product_ids()
    return len(stock_backorders_fill(product_ids=product_ids).completed) if product_ids else 0


@shared_task(bind=True, acks_late=True, max_retries=5, soft_time_limit=60, time_limit=90)
def payment_capture_task(self, payment_id: int) -> str:
    """Capture a card payment authorised at checkout, after its invoice was issued; a paid invoice
    completes the order. A retry finds the payment already captured and does nothing."""
    try:
        return payment_capture(payment_id=payment_id).status
    except Exception as exc:
        gateway_task_failed(self, payment_id, "capture", exc)


@shared_task(bind=True, acks_late=True, max_retries=5, soft_time_limit=60, time_limit=90)
def order_released_task(self, order_id: int) -> str:
    """An order went to the warehouse: invoice it when it is invoiced at order, or (prepaid) capture
    what was authorised at checkout. A retry finds the invoice issued or the payments captured and
    does nothing twice; a lost run is made good at delivery (which invoices the order, and the
    invoice captures what is still authorised)."""
    try:
        return order_released(order_id=order_id)
    except Exception as exc:
        raise self.retry(exc=exc, countdown=min(600, 2**self.request.retries * 10)) from exc


@shared_task(bind=True)
def order_import_run_task(self, import_id: int) -> int:
    """Place a queued CSV import's orders for a while; when some are left, run again as a new task
    (its own time limit) on the queue this one came from. Returns how many are placed so far."""
    job = order_import_run(import_id=import_id)
    if job is not None and job.status == OrderImport.Status.QUEUED:
        self.apply_async(args=[import_id], queue=(self.request.delivery_info or {}).get("routing_key"))
    return job.orders_done if job else 0


@shared_task
def order_imports_requeue_stale_task() -> int:
    return order_imports_requeue_stale()
