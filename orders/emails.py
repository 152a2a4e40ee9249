"""Customer e-mails: pure functions from an outbox row's data to a message (CONVENTIONS rule 10)."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse

from .models import EmailNotification, Shipment

SUBJECTS = {
    EmailNotification.Kind.ORDER_RECEIVED: "We received your order {number}",
    EmailNotification.Kind.ORDER_SHIPPED: "Your order {number} is on its way",
    EmailNotification.Kind.INVOICE: "Invoice {invoice_number} for order {number}",
    EmailNotification.Kind.PAYMENT_CONFIRMATION: "Payment received for order {number}, thank you",
    EmailNotification.Kind.FEEDBACK_REQUEST: "How did we do with order {number}?",
    EmailNotification.Kind.ORDER_CANCELLED: "Your order {number} has been cancelled",
    EmailNotification.Kind.ORDER_BACKORDERED: "Part of your order {number} is on back-order",
    EmailNotification.Kind.BACKORDER_READY: "Everything for your order {number} is in stock",
}


def _absolute(path: str) -> str:
    return settings.SHOP_BASE_URL.rstrip("/") + path


def email_build(*, notification: EmailNotification) -> EmailMessage:
    order = notification.order
    object_type, _, object_id = notification.subject_key.partition(":")
    context = {
        "order": order,
        "shop_name": settings.SHOP_NAME,
        "number": order.number,
        "order_url": _absolute(reverse("storefront:order_detail", args=[order.number])),
    }
    attachments = []
    if notification.kind == EmailNotification.Kind.ORDER_SHIPPED:
        context["shipment"] = Shipment.objects.get(pk=object_id)
    elif notification.kind == EmailNotification.Kind.INVOICE:
        from invoicing.services import invoice_pdf_ensure

        invoice, pdf_bytes = invoice_pdf_ensure(invoice_id=int(object_id))
        context["invoice"] = invoice
        context["invoice_number"] = invoice.number
        attachments.append((f"invoice-{invoice.number}.pdf", pdf_bytes, "application/pdf"))
    elif notification.kind == EmailNotification.Kind.FEEDBACK_REQUEST:
        from feedback.selectors import feedback_link_for_request

        context["feedback_url"] = _absolute(feedback_link_for_request(request_id=int(object_id)))
    elif object_type == "event":
        context["event"] = order.events.get(pk=object_id)
    context["lines"] = list(order.lines.all())
    subject = SUBJECTS[notification.kind].format(**{k: v for k, v in context.items() if isinstance(v, str)})
    body = render_to_string(f"emails/{notification.kind}.txt", context)
    message = EmailMessage(
        subject=subject, body=body, to=[notification.recipient], from_email=settings.DEFAULT_FROM_EMAIL
    )
    for attachment in attachments:
        message.attach(*attachment)
    return message
