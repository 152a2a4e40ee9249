from celery import shared_task

from .services.notifications import notification_deliver, notification_mark_failed, notification_resend_pending


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
