"""Posting webhook deliveries: queued after the change's commit, and by the beat's sweep for
retries (and for first posts a broker outage kept from being queued)."""

from celery import shared_task

from .sending import webhook_deliveries_queue_due, webhook_delivery_attempt


@shared_task
def webhook_deliveries_send_task(delivery_ids: list[int]) -> int:
    """Post each delivery that is still due; returns how many were posted."""
    return sum(webhook_delivery_attempt(delivery_id=pk) is not None for pk in delivery_ids)


@shared_task
def webhook_deliveries_queue_due_task() -> int:
    return webhook_deliveries_queue_due()
