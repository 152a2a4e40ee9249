"""The API's sweep: stored Idempotency-Key answers older than API_IDEMPOTENCY_HOURS are deleted."""

from celery import shared_task

from .idempotency import idempotency_records_expire


@shared_task
def idempotency_records_expire_task() -> int:
    return idempotency_records_expire()
