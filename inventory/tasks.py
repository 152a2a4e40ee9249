from celery import shared_task


@shared_task(acks_late=True, max_retries=3, retry_backoff=True)
def stock_backorders_fill_task(product_ids: list[int]) -> int:
    """Freed stock goes to waiting back-orders. Safe to run twice: a second run finds nothing to do."""
    from .services import stock_backorders_fill

    return len(stock_backorders_fill(product_ids=product_ids).completed)
