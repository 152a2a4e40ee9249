"""Customer e-mails: a pure function from what an outbox row needs to a message (no reads, no writes)."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse

from orders.models import EmailNotification
from orders_site.core.formatting import money_display

SUBJECTS = {
    EmailNotification.Kind.ORDER_RECEIVED: "We received your order {number}",
    EmailNotification.Kind.ORDER_SHIPPED: "Your order {number} is on its way",
    EmailNotification.Kind.INVOICE: "Invoice {invoice_number} for order {number}",
    EmailNotification.Kind.PAYMENT_CONFIRMATION: "Payment received for order {number}, thank you",
    EmailNotification.Kind.FEEDBACK_REQUEST: "How did we do with order {number}?",
    EmailNotification.Kind.ORDER_CANCELLED: "Your order {number} has been cancelled",
    EmailNotification.Kind.ORDER_BACKORDERED: "Part of your order {number} is on back-order",
    EmailNotification.Kind.BACKORDER_READY: "Everything for your order {number} is in stock",
    EmailNotification.Kind.QUOTE: "Your quote {quote_number} from {shop_name}",
    EmailNotification.Kind.OUT_FOR_DELIVERY: "Your order {number} is out for delivery today",
    EmailNotification.Kind.PARCEL_DELIVERED: "Your order {number} has been delivered",
    EmailNotification.Kind.DELIVERY_ATTEMPT_FAILED: "We could not deliver your order {number}",
    EmailNotification.Kind.CREDIT_NOTE: "Credit note {credit_note_number} for order {number}",
    EmailNotification.Kind.REFUND: "We have refunded {refund_amount} for order {number}",
    EmailNotification.Kind.RETURN_REQUESTED: "We received your return request {return_number}",
    EmailNotification.Kind.RETURN_AUTHORISED: "How to send back return {return_number}",
    EmailNotification.Kind.RETURN_REFUSED: "About your return request {return_number}",
    EmailNotification.Kind.RETURN_RECEIVED: "Your return {return_number} arrived",
    EmailNotification.Kind.PAYMENT_REMINDER: "{reminder_name}: invoice {invoice_number} for order {number}",
}
# A parcel that left while the rest of the order still waits for stock (partial fulfilment).
PART_SHIPPED_SUBJECT = "Part of your order {number} is on its way"


def absolute_url(path: str) -> str:
    return settings.SHOP_BASE_URL.rstrip("/") + path


def email_build(
    *,
    notification: EmailNotification,
    context: dict,
    attachments: list[tuple[str, bytes, str]] = (),
    message_id: str = "",
) -> EmailMessage:
    """The message for this outbox row. `context` holds `order`, `lines` and what the kind needs
    (`shipment` and `part_of_order`, `invoice`, `feedback_url`, `event`), or for a quote's e-mail `quote`, `lines` and
    `accept_url`; `attachments` are (file name, bytes, type); `message_id`, when given, is the
    Message-ID header (else Django makes a new one per send)."""
    context = {**context, "shop_name": settings.SHOP_NAME}
    order = context.get("order")
    if order is not None:
        context["number"] = order.number
        context["order_url"] = absolute_url(reverse("storefront:order_detail", args=[order.number]))
    if "quote" in context:
        context["quote_number"] = context["quote"].number
    if "invoice" in context:
        context["invoice_number"] = context["invoice"].number
    if "credit_note" in context:
        context["credit_note_number"] = context["credit_note"].number
    if "return_request" in context:
        context["return_number"] = context["return_request"].number
        context["shop_address"] = settings.SHOP_ADDRESS
    if "reminder" in context:
        context["reminder_name"] = context["reminder"].level.name
        context["reminder_total"] = context["reminder"].amount_due + context["reminder"].fee
        context["shop_account_holder"] = settings.SHOP_ACCOUNT_HOLDER
        context["shop_iban"] = settings.SHOP_IBAN
    if "refund" in context:
        context["refund_amount"] = money_display(context["refund"].amount, order.currency)
    template = SUBJECTS[notification.kind]
    if notification.kind == EmailNotification.Kind.ORDER_SHIPPED and context.get("part_of_order"):
        template = PART_SHIPPED_SUBJECT  # the rest is still back-ordered: not "your order is on its way"
    subject = template.format(**{k: v for k, v in context.items() if isinstance(v, str)})
    body = render_to_string(f"emails/{notification.kind}.txt", context)
    message = EmailMessage(
        subject=subject,
        body=body,
        to=[notification.recipient],
        from_email=settings.DEFAULT_FROM_EMAIL,
        headers={"Message-ID": message_id} if message_id else None,
    )
    for attachment in attachments:
        message.attach(*attachment)
    return message
