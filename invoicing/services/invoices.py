"""Invoices: issue with a gapless number, the PDF. Invoices read only the order's frozen line snapshots."""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orders.events import event_invoice_pdf_failed
from orders.locks import order_lock
from orders.models import EmailNotification, Order
from orders.services.fulfillment import invoiced_at_order
from orders.services.notifications import notification_queue
from orders.services.transitions import transition_run
from orders_site.core.exceptions import ApplicationError
from orders_site.core.money import ZERO, money
from orders_site.core.sequences import sequence_next
from orders_site.core.tasks import task_send, task_send_on_commit

from ..locks import invoice_lock
from ..models import Invoice, InvoiceLine, Payment
from ..pdf import invoice_pdf_render, pdf_store
from ..terms import terms_of
from .payments import PAYMENT_CAPTURE_TASK

INVOICE_PDF_TASK = "invoicing.tasks.invoice_pdf_render_task"


def _tax_breakdown(*, order: Order, lines) -> dict[Decimal, dict[str, Decimal]]:
    """Net and tax per rate from the amounts frozen at placement, never from today's voucher or prices."""
    breakdown: dict[Decimal, dict[str, Decimal]] = defaultdict(lambda: {"net": ZERO, "tax": ZERO})
    for line in lines:
        breakdown[line.tax_rate]["net"] += line.net_amount
        breakdown[line.tax_rate]["tax"] += line.tax_amount
    if order.shipping_total:
        breakdown[order.shipping_tax_rate]["net"] += order.shipping_total
        breakdown[order.shipping_tax_rate]["tax"] += money(order.shipping_total * order.shipping_tax_rate)
    return dict(sorted(breakdown.items()))


# Invoiced at order (orders.services.fulfillment.invoiced_at_order): issued as the order goes to
# the warehouse; the order becomes "invoiced" when it is delivered (order_invoice_on_delivery).
INVOICEABLE_BEFORE_DELIVERY = (Order.Status.IN_FULFILLMENT, Order.Status.PARTIALLY_SHIPPED, Order.Status.SHIPPED)


@transaction.atomic
def invoice_issue(*, order: Order, actor=None) -> Invoice:
    """Issue the invoice of a delivered order (the order becomes "invoiced"), or of an order in
    fulfilment that is invoiced at order (its status stays), with the next gapless number, then
    capture any card authorised at checkout.

    Locks: orders.locks.order_lock, then the invoice-number counter (orders_site.core.locks.sequence_lock,
    until commit, so numbers never repeat or skip).
    Queues, on commit: the PDF render, the invoice e-mail (with the PDF attached), and the capture
    of each card payment authorised at checkout (the gateway is called outside this transaction).
    Raises: ApplicationError when the order already has an invoice, or is not delivered (nor in
    fulfilment and invoiced at order); TransitionRefused.
    """
    order = order_lock(order_id=order.pk)
    if order.invoices.exists():
        raise ApplicationError(f"Order {order.number} already has an invoice.")
    if order.status != Order.Status.DELIVERED and not (
        order.status in INVOICEABLE_BEFORE_DELIVERY and invoiced_at_order(order)
    ):
        raise ApplicationError(
            f"Cannot invoice order {order.number} while it is “{order.get_status_display()}”: it is invoiced "
            + ("at delivery." if order.status in INVOICEABLE_BEFORE_DELIVERY else "once it is delivered.")
        )
    lines = list(order.lines.all())
    address = order.billing_address
    invoice = Invoice.objects.create(
        order=order,
        currency=order.currency,
        billing_name=address.full_name,
        billing_address="\n".join(address.as_lines()[1:]),
        subtotal=order.subtotal,
        discount_total=order.discount_total,
        shipping_total=order.shipping_total,
        tax_total=order.tax_total,
        total=order.total,
        tax_breakdown=[
            {
                "rate": str(rate),
                "percent": f"{rate * 100:.2f}".rstrip("0").rstrip("."),
                "net": str(v["net"]),
                "tax": str(v["tax"]),
            }
            for rate, v in _tax_breakdown(order=order, lines=lines).items()
        ],
    )
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                invoice=invoice,
                order_line=line,
                sku=line.sku,
                description=line.name,
                quantity=line.quantity,
                unit_price=line.unit_price,
                tax_rate=line.tax_rate,
                discount_amount=line.discount_amount,
                net_amount=line.net_amount,
                tax_amount=line.tax_amount,
                line_total=line.line_total,
            )
            for line in lines
        ]
    )
    issued_at = timezone.now()
    year = timezone.localdate(issued_at).year  # the merchant's calendar year, not UTC's
    number = f"{settings.INVOICE_NUMBER_PREFIX}{year}-{sequence_next(name=f'invoice-{year}'):06d}"
    terms = terms_of(order.customer)
    invoice = transition_run(
        model=Invoice,
        pk=invoice.pk,
        transition="issue",
        actor=actor,
        check_permission=False,
        fields={
            "number": number,
            "issued_at": issued_at,
            "due_date": terms.due_date(timezone.localdate(issued_at)),
            "payment_terms": terms.label,
        },
        data={"number": number, "total": str(invoice.total)},
    )
    if order.status == Order.Status.DELIVERED:
        transition_run(
            model=Order,
            pk=order.pk,
            transition="invoice",
            actor=actor,
            check_permission=False,
            data={"invoice": number},
        )

    # A lost task is re-queued by invoice_pdf_requeue_missing (and the first download or e-mail
    # renders it through invoice_pdf_ensure).
    task_send_on_commit(INVOICE_PDF_TASK, invoice.pk)
    notification_queue(order=order, kind=EmailNotification.Kind.INVOICE, subject_key=f"invoice:{invoice.pk}")

    for payment_id in order.payments.filter(status=Payment.Status.AUTHORIZED).values_list("pk", flat=True):
        task_send_on_commit(PAYMENT_CAPTURE_TASK, payment_id)
    return invoice


@transaction.atomic
def order_invoice_on_delivery(*, order: Order, actor=None) -> Invoice:
    """The order was delivered: issue its invoice (invoice_issue), or, invoiced at order already,
    move the order on to "invoiced" under that invoice. Locks the order first. Raises as
    invoice_issue."""
    order = order_lock(order_id=order.pk)
    invoice = order.invoices.exclude(number=None).first()
    if invoice is None:
        return invoice_issue(order=order, actor=actor)
    transition_run(
        model=Order,
        pk=order.pk,
        transition="invoice",
        actor=actor,
        check_permission=False,
        note=f"Invoiced at order: {invoice.number}",
        data={"invoice": invoice.number, "at_order": True},
    )
    return invoice


def invoice_pdf_ensure(*, invoice_id: int) -> tuple[Invoice, bytes]:
    """The invoice's stored PDF, rendering and storing it first if it is not there yet.

    Locks the invoice row (invoicing.locks.invoice_lock) while rendering so two workers never
    render the same invoice twice. The file's name is fixed by the invoice
    (invoices/<year>/<number>.pdf). A try that stored the file and then died before its commit
    leaves that file behind with the row still empty; the next try renders again and replaces it
    (the PDF of an issued invoice is a pure function of its data, and a file left by a killed
    writer may be cut short), so storage ends up with one file, the one the row names.
    """
    with transaction.atomic():
        invoice = invoice_lock(invoice_id=invoice_id)
        if invoice.number is None:
            raise ApplicationError("A draft invoice has no PDF.")
        if invoice.pdf:
            with invoice.pdf.open("rb") as stored:
                return invoice, stored.read()
        pdf_bytes = invoice_pdf_render(invoice=invoice, **invoice_pdf_inputs(invoice))
        pdf_store(invoice, pdf_bytes, invoice.number)
    return invoice, pdf_bytes


def invoice_pdf_inputs(invoice: Invoice) -> dict:
    """What the PDF reads besides the invoice: its lines, the order, the payments captured against
    it (date and method for the "paid" block), the delivery date, whether a card is still to be charged."""
    order = invoice.order
    captured = invoice.payments.filter(status=Payment.Status.CAPTURED).order_by("captured_at", "pk")
    delivered = [s.delivered_at for s in order.shipments.all() if s.delivered_at is not None]
    return {
        "lines": list(invoice.lines.all()),
        "order": order,
        "payments": [
            {
                "amount": payment.amount,
                "captured_at": payment.captured_at,
                "method_label": payment_method_label(payment.method),
            }
            for payment in captured
        ],
        "delivered_on": timezone.localdate(max(delivered)) if delivered else None,
        "card_pending": order.payments.filter(status=Payment.Status.AUTHORIZED).exists(),
    }


def payment_method_label(method: str) -> str:
    try:
        return Order.PaymentMethod(method).label.lower()
    except ValueError:
        return method


def invoice_pdf_refresh(*, invoice: Invoice) -> None:
    """The invoice's payment standing changed (a payment recorded or captured): forget the stored
    PDF and queue its render, so the PDF says paid / part-paid as it now is.

    Call inside the transaction that changed the standing. Clearing the row's file in that same
    transaction means no download after the commit is served the old PDF: invoice_pdf_ensure finds
    none and renders it (and replaces the file of the fixed name, invoices/<year>/<number>.pdf);
    the queued task does the same early, and invoice_pdf_requeue_missing catches a lost task.
    """
    Invoice.objects.filter(pk=invoice.pk).update(pdf="", pdf_rendered_at=None, updated_at=timezone.now())
    invoice.pdf = ""
    invoice.pdf_rendered_at = None
    task_send_on_commit(INVOICE_PDF_TASK, invoice.pk)


@transaction.atomic
def invoice_pdf_mark_failed(*, invoice_id: int, error: str) -> None:
    """The PDF could not be rendered after every retry: say so on the order's timeline for staff
    (beat keeps re-queueing it, so fixing the cause is enough)."""
    invoice = Invoice.objects.select_related("order").get(pk=invoice_id)
    event_invoice_pdf_failed(order=invoice.order, invoice_number=invoice.number, error=error)


def invoice_pdf_requeue_missing(*, older_than_seconds: int | None = None) -> int:
    """Queue the PDF again for issued invoices still without one that long after issue (a lost
    task); by default RECOVERY_SWEEP_AFTER_SECONDS. Returns how many."""
    if older_than_seconds is None:
        older_than_seconds = settings.RECOVERY_SWEEP_AFTER_SECONDS
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(Invoice.objects.filter(number__isnull=False, pdf="", issued_at__lt=cutoff).values_list("pk", flat=True))
    for invoice_id in ids:
        task_send(INVOICE_PDF_TASK, invoice_id)
    return len(ids)
