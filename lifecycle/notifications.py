"""Sending the outbox: gather what an e-mail needs, render it (pure), send it once."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from feedback.selectors import feedback_link_for_request
from invoicing.services import invoice_pdf_ensure
from orders.locks import notification_lock
from orders.models import EmailNotification, Shipment

from .emails import absolute_url, email_build


def _email_inputs(notification: EmailNotification) -> tuple[dict, list[tuple[str, bytes, str]]]:
    """Everything the message shows, read (and the invoice PDF stored, in its own transaction)
    before the send, so that building the message writes nothing."""
    order = notification.order
    object_type, _, object_id = notification.subject_key.partition(":")
    context = {"order": order, "lines": list(order.lines.all())}
    attachments = []
    if notification.kind == EmailNotification.Kind.ORDER_SHIPPED:
        context["shipment"] = Shipment.objects.get(pk=object_id)
    elif notification.kind == EmailNotification.Kind.INVOICE:
        invoice, pdf_bytes = invoice_pdf_ensure(invoice_id=int(object_id))
        context["invoice"] = invoice
        attachments.append((f"invoice-{invoice.number}.pdf", pdf_bytes, "application/pdf"))
    elif notification.kind == EmailNotification.Kind.FEEDBACK_REQUEST:
        context["feedback_url"] = absolute_url(feedback_link_for_request(request_id=int(object_id)))
    elif object_type == "event":
        context["event"] = order.events.get(pk=object_id)
    return context, attachments


def notification_deliver(*, notification_id: int) -> bool:
    """Send one pending e-mail. Safe to call twice: a sent row is never sent again.

    What the message needs is gathered first (the invoice PDF is rendered and stored then, if it
    is not yet); then the outbox row is locked while the message is built and sent, so two workers
    cannot both send it. Returns True when this call sent it. Errors propagate (the task retries
    and finally marks the row failed).
    """
    notification = EmailNotification.objects.select_related("order").filter(pk=notification_id).first()
    if notification is None or notification.status == EmailNotification.Status.SENT:
        return False
    try:
        context, attachments = _email_inputs(notification)
        with transaction.atomic():
            notification = notification_lock(notification_id=notification_id)
            if notification is None or notification.status == EmailNotification.Status.SENT:
                return False
            message = email_build(notification=notification, context=context, attachments=attachments)
            notification.attempts += 1
            message.send()
            notification.status = EmailNotification.Status.SENT
            notification.sent_at = timezone.now()
            notification.last_error = ""
            notification.save(update_fields=["status", "sent_at", "attempts", "last_error"])
    except Exception as exc:
        # The failed attempt was rolled back with everything else; count it after the rollback so
        # staff see how often it was tried and why it failed.
        EmailNotification.objects.filter(pk=notification_id).exclude(status=EmailNotification.Status.SENT).update(
            attempts=F("attempts") + 1, last_error=repr(exc)[:2000]
        )
        raise
    return True
