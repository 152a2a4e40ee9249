from celery import shared_task


@shared_task(bind=True, acks_late=True, max_retries=3)
def stock_backorders_fill_task(self, product_ids: list[int]) -> int:
    """Freed stock goes to waiting back-orders. Safe to run twice: a second run finds nothing to do."""
    from .services import stock_backorders_fill

    try:
        return len(stock_backorders_fill(product_ids=product_ids).completed)
    except Exception as exc:
        raise self.retry(exc=exc, countdown=min(600, 2**self.request.retries * 10)) from exc


@shared_task
def stock_backorders_sweep() -> int:
    """Run by beat: give available stock to back-orders a lost fill task left waiting."""
    from .services import stock_backorders_fill
    from .services.backorders import backordered_product_ids

    product_ids = backordered_product_ids()
    return len(stock_backorders_fill(product_ids=product_ids).completed) if product_ids else 0
