"""Sending the outbox: gather what an e-mail needs, render it (pure), send it once."""

from datetime import datetime, timedelta
from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail.utils import DNS_NAME
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from feedback.selectors import feedback_link_for_request
from invoicing.models import InvoiceReminder, Refund
from invoicing.services import credit_note_pdf_ensure, invoice_pdf_ensure
from invoicing.services.einvoices import credit_note_facturx_pdf, invoice_facturx_pdf
from orders.locks import notification_lock
from orders.models import EmailNotification, OrderCheck, Quote, ReturnRequest, Shipment
from orders.quote_links import quote_link_for
from orders.selectors.parcels import shipment_left_rest_behind

from .customer_status import order_status_wording
from .emails import absolute_url, email_build
from .quotes import quote_pdf_render
from .return_slips import return_slip_pdf

RETURN_KINDS = {
    EmailNotification.Kind.RETURN_REQUESTED,
    EmailNotification.Kind.RETURN_AUTHORISED,
    EmailNotification.Kind.RETURN_REFUSED,
    EmailNotification.Kind.RETURN_RECEIVED,
}


def _quote_email_inputs(notification: EmailNotification) -> tuple[dict, list[tuple[str, bytes, str]]]:
    """The quote e-mail: the quote with its held prices, the signed link, and the PDF."""
    quote = Quote.objects.select_related("customer", "delivery_method").get(pk=notification.quote_id)
    lines = list(quote.lines.all())
    context = {"quote": quote, "lines": lines, "accept_url": absolute_url(quote_link_for(quote_id=quote.pk))}
    pdf = quote_pdf_render(quote=quote, lines=lines)
    return context, [(f"quote-{quote.number}.pdf", pdf, "application/pdf")]


SHIPMENT_KINDS = frozenset(
    {
        EmailNotification.Kind.ORDER_SHIPPED,
        EmailNotification.Kind.OUT_FOR_DELIVERY,
        EmailNotification.Kind.PARCEL_DELIVERED,
        EmailNotification.Kind.DELIVERY_ATTEMPT_FAILED,
    }
)


def _email_inputs(notification: EmailNotification) -> tuple[dict, list[tuple[str, bytes, str]]]:
    """Everything the message shows, read (and the invoice PDF stored, in its own transaction)
    before the send, so that building the message writes nothing."""
    if notification.quote_id is not None:
        return _quote_email_inputs(notification)
    order = notification.order
    object_type, _, object_id = notification.subject_key.partition(":")
    context = {"order": order, "lines": list(order.lines.all())}
    attachments = []
    if notification.kind == EmailNotification.Kind.ORDER_RECEIVED:
        context["status"] = order_status_wording(
            status=order.status,
            hold_reasons=order.checks.filter(result=OrderCheck.Result.FAILED).values_list("name", flat=True),
            is_pickup=order.shipping_address_id is None,
            payment_method=order.payment_method,
        )
    elif notification.kind in SHIPMENT_KINDS:
        context["shipment"] = Shipment.objects.get(pk=object_id)
        context["part_of_order"] = shipment_left_rest_behind(shipment=context["shipment"])
    elif notification.kind == EmailNotification.Kind.INVOICE:
        invoice, pdf_bytes = invoice_pdf_ensure(invoice_id=int(object_id))
        context["invoice"] = invoice
        if order.customer.vat_number:  # a business: the PDF as Factur-X, the structured invoice inside
            pdf_bytes = invoice_facturx_pdf(invoice=invoice)
            context["einvoice"] = True
        attachments.append((f"invoice-{invoice.number}.pdf", pdf_bytes, "application/pdf"))
    elif notification.kind == EmailNotification.Kind.CREDIT_NOTE:
        credit_note, pdf_bytes = credit_note_pdf_ensure(credit_note_id=int(object_id))
        context["credit_note"] = credit_note
        if order.customer.vat_number:
            pdf_bytes = credit_note_facturx_pdf(credit_note=credit_note)
            context["einvoice"] = True
        attachments.append((f"credit-note-{credit_note.number}.pdf", pdf_bytes, "application/pdf"))
    elif notification.kind in RETURN_KINDS:
        return_request = ReturnRequest.objects.select_related("warehouse").get(pk=object_id)
        context["return_request"] = return_request
        if notification.kind == EmailNotification.Kind.RETURN_AUTHORISED:
            attachments.append(
                (
                    f"return-slip-{return_request.number}.pdf",
                    return_slip_pdf(return_request=return_request),
                    "application/pdf",
                )
            )
    elif notification.kind == EmailNotification.Kind.PAYMENT_REMINDER:
        reminder = InvoiceReminder.objects.select_related("level").get(pk=object_id)
        invoice, pdf_bytes = invoice_pdf_ensure(invoice_id=reminder.invoice_id)
        context.update(reminder=reminder, invoice=invoice)
        attachments.append((f"invoice-{invoice.number}.pdf", pdf_bytes, "application/pdf"))
    elif notification.kind == EmailNotification.Kind.REFUND:
        context["refund"] = Refund.objects.get(pk=object_id)
    elif notification.kind == EmailNotification.Kind.FEEDBACK_REQUEST:
        context["feedback_url"] = absolute_url(feedback_link_for_request(request_id=int(object_id)))
    elif object_type == "event":
        context["event"] = order.events.get(pk=object_id)
    return context, attachments


def _nothing_to_send(notification: EmailNotification | None, now: datetime) -> bool:
    """Gone, sent, or claimed by a send that may still be running."""
    if notification is None or notification.status == EmailNotification.Status.SENT:
        return True
    claim_window = timedelta(seconds=settings.NOTIFICATION_CLAIM_SECONDS)
    return notification.claimed_at is not None and notification.claimed_at > now - claim_window


def _message_id(notification: EmailNotification) -> str:
    domain = urlsplit(settings.SHOP_BASE_URL).hostname or str(DNS_NAME)
    return make_msgid(idstring=f"email-{notification.pk}", domain=domain)


@transaction.atomic
def _claim(*, notification_id: int) -> EmailNotification | None:
    """Take the row for one send, committed before the mail server hears of it. None when there
    is nothing to send (sent meanwhile, or another worker's claim is still fresh).
    Locks: orders.locks.notification_lock, for the claim only."""
    notification = notification_lock(notification_id=notification_id)
    now = timezone.now()
    if _nothing_to_send(notification, now):
        return None
    notification.claimed_at = now
    notification.message_id = notification.message_id or _message_id(notification)
    notification.attempts += 1
    notification.save(update_fields=["claimed_at", "message_id", "attempts"])
    return notification


def notification_deliver(*, notification_id: int) -> bool:
    """Send one pending e-mail. Safe to call again: a sent row is never sent again, and a row
    another worker is sending is left to it. Returns True when this call sent it.

    What the message needs is gathered first (the invoice PDF is rendered and stored then, if it
    is not yet). Then the row is claimed (claimed_at, the attempt counted, a Message-ID fixed for
    every send of this row) and that is committed; only then is the message sent, outside any
    transaction, and the row marked sent. A call that finds a claim younger than
    NOTIFICATION_CLAIM_SECONDS sends nothing and returns False; the beat sweep queues the row
    again once the claim has expired. A send the mail server refused (an exception) gives the
    claim back, so the task's retry sends at once.

    At least once, not exactly once: when the mail server accepted the message but this worker
    never recorded it (killed, or the database unreachable, between the send and the "sent"
    commit, or the connection lost while the server was confirming), the e-mail is sent again
    after the claim window, with the same Message-ID, which lets mail systems and clients drop
    the duplicate. The window only shrinks that case to those milliseconds; SMTP cannot close it.

    Errors propagate (the task retries and finally marks the row failed).
    """
    notification = EmailNotification.objects.select_related("order").filter(pk=notification_id).first()
    if _nothing_to_send(notification, timezone.now()):
        return False
    try:
        context, attachments = _email_inputs(notification)
        claimed = _claim(notification_id=notification_id)
    except Exception as exc:
        # Nothing was committed for this attempt; count it now so staff see how often it was
        # tried and why it failed.
        EmailNotification.objects.filter(pk=notification_id).exclude(status=EmailNotification.Status.SENT).update(
            attempts=F("attempts") + 1, last_error=repr(exc)[:2000]
        )
        raise
    if claimed is None:
        return False
    try:
        message = email_build(
            notification=claimed, context=context, attachments=attachments, message_id=claimed.message_id
        )
        message.send()
    except Exception as exc:
        EmailNotification.objects.filter(pk=notification_id, claimed_at=claimed.claimed_at).exclude(
            status=EmailNotification.Status.SENT
        ).update(claimed_at=None, last_error=repr(exc)[:2000])
        raise
    EmailNotification.objects.filter(pk=notification_id).update(
        status=EmailNotification.Status.SENT, sent_at=timezone.now(), last_error=""
    )
    return True
