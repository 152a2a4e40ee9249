"""Payments: card authorisation, capture and release through the gateway, money recorded by staff,
and settling invoices."""

import functools
import logging
from contextvars import ContextVar
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from orders.models import Order
from orders.services.transitions import transition_run
from orders_site.core.exceptions import ApplicationError, PermissionRefused, TransitionRefused
from orders_site.core.money import ZERO, money

from ..gateways import gateway_get
from ..models import Invoice, Payment

logger = logging.getLogger(__name__)


class PaymentDeclined(ApplicationError):
    pass


def _after_commit(function, *args) -> None:
    """Run `function(*args)` once the current transaction commits. Robust: a broker outage must not
    fail the change that committed; the beat sweeps pick up what was not queued."""

    def run_after_commit():
        function(*args)

    transaction.on_commit(run_after_commit, robust=True)


def payment_capture_task_queue(payment_id: int) -> None:
    from ..tasks import payment_capture_task

    payment_capture_task.delay(payment_id)


def payment_void_task_queue(payment_id: int) -> None:
    from ..tasks import payment_void_at_gateway_task

    payment_void_at_gateway_task.delay(payment_id)


_card_holds_taken: ContextVar[list[str] | None] = ContextVar("card_holds_taken", default=None)


def card_holds_released_on_failure(function):
    """Decorate a service (outside its @transaction.atomic) that authorises cards: if it fails after
    an authorisation, its transaction rolls back, so the gateway is asked to release those holds
    too, and no card is left held for an order that does not exist."""

    @functools.wraps(function)
    def run(*args, **kwargs):
        holds: list[str] = []
        token = _card_holds_taken.set(holds)
        try:
            return function(*args, **kwargs)
        except BaseException:
            for gateway_reference in holds:
                try:
                    gateway_get().void(gateway_reference=gateway_reference)
                except Exception:  # the hold expires at the gateway; the failure above matters more
                    logger.exception("Could not release card hold %s", gateway_reference)
            raise
        finally:
            _card_holds_taken.reset(token)

    return run


@transaction.atomic
def payment_authorize(*, order: Order, card_token: str) -> Payment:
    """Authorise the order total on the card at checkout; it is captured when the invoice is issued.

    The caller should be decorated with `card_holds_released_on_failure`, so a failure after this
    call releases the hold. Raises PaymentDeclined before writing anything when the gateway says no.
    """
    result = gateway_get().authorize(
        amount=order.total, currency=order.currency, card_token=card_token, reference=order.number
    )
    if not result.ok:
        raise PaymentDeclined(result.message or "The card was declined.", extra={"field": "card_number"})
    holds = _card_holds_taken.get()
    if holds is not None:
        holds.append(result.reference)
    payment = Payment.objects.create(
        order=order, method=Order.PaymentMethod.CARD, amount=order.total, gateway_reference=result.reference
    )
    return transition_run(
        model=Payment,
        pk=payment.pk,
        transition="authorize",
        system="payment gateway",
        data={"amount": str(order.total), "gateway_reference": result.reference},
    )


def payment_capture(*, payment: Payment, actor=None) -> Payment:
    """Capture an authorised card payment against its order's issued invoice, and settle it.

    Called by a task after the invoice's transaction committed: the gateway is asked first, outside
    any transaction, then the answer is recorded in one transaction (order, invoice and payment
    locked in that order). Safe to repeat: a payment no longer authorised is left alone, and the
    gateway's capture is idempotent by its reference. A refusal marks the payment failed; the
    invoice stays open for another way to pay. Raises ApplicationError without an issued invoice.
    """
    payment = Payment.objects.get(pk=payment.pk)
    if payment.status != Payment.Status.AUTHORIZED:
        return payment
    invoice = Invoice.objects.filter(order_id=payment.order_id).exclude(number=None).first()
    if invoice is None:
        raise ApplicationError(f"Order {payment.order} has no issued invoice to capture against.")
    result = gateway_get().capture(gateway_reference=payment.gateway_reference, amount=payment.amount)
    with transaction.atomic():
        Order.objects.select_for_update().filter(pk=payment.order_id).first()
        Invoice.objects.select_for_update().filter(pk=invoice.pk).first()
        if Payment.objects.get(pk=payment.pk).status != Payment.Status.AUTHORIZED:
            return Payment.objects.get(pk=payment.pk)  # another run recorded it meanwhile
        if not result.ok:
            return transition_run(
                model=Payment, pk=payment.pk, transition="fail", system="payment gateway", note=result.message
            )
        payment = transition_run(
            model=Payment,
            pk=payment.pk,
            transition="capture",
            actor=actor,
            system="payment gateway",
            check_permission=False,
            fields={"invoice": invoice, "captured_at": timezone.now()},
            data={"amount": str(payment.amount), "gateway_reference": payment.gateway_reference},
        )
        _invoice_settle(invoice=invoice, actor=actor)
    return payment


def payment_captures_requeue_stale(*, older_than_minutes: int = 10) -> int:
    """Queue the capture again for card payments still authorised on an invoice issued a while ago
    (a lost task). Returns how many."""
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    ids = list(
        Payment.objects.filter(
            status=Payment.Status.AUTHORIZED,
            order__invoices__number__isnull=False,
            order__invoices__issued_at__lt=cutoff,
        )
        .values_list("pk", flat=True)
        .distinct()
    )
    for payment_id in ids:
        payment_capture_task_queue(payment_id)
    return len(ids)


def _largest_amount_paid() -> Decimal:
    field = Invoice._meta.get_field("amount_paid")
    return Decimal(10) ** (field.max_digits - field.decimal_places) - Decimal(1).scaleb(-field.decimal_places)


@transaction.atomic
def payment_record(
    *,
    invoice: Invoice,
    amount: Decimal,
    method: str,
    reference: str = "",
    actor=None,
    expected_amount_paid: Decimal | None = None,
) -> Payment:
    """Record money received against an issued invoice (bank transfer, cash, card in person...).

    Over-payments are accepted and shown on the order's timeline. Locks the order, then the invoice.
    `expected_amount_paid` is what the person saw as paid so far; if another payment was recorded
    since, this one is refused, so two people entering the same transfer cannot both succeed.
    Raises ApplicationError for a non-positive amount, one the invoice cannot record (the sum paid
    above 9,999,999,999.99) or a draft/paid invoice; TransitionRefused; PermissionRefused.
    """
    if actor is not None and not (actor.is_staff and actor.has_perm("invoicing.record_payment")):
        raise PermissionRefused("You are not allowed to record payments.")
    amount = money(amount)
    if amount <= 0:
        raise ApplicationError("Enter an amount above zero.", extra={"field": "amount"})
    if method not in Order.PaymentMethod.values:
        raise ApplicationError("Choose how the money was paid.", extra={"field": "method"})
    # The order row first, then the invoice: the same order every service takes them in.
    Order.objects.select_for_update().filter(pk=invoice.order_id).first()
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status not in (Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID):
        raise ApplicationError(
            f"Invoice {invoice} is {invoice.get_status_display().lower()}; no payment can be recorded."
        )
    if expected_amount_paid is not None and invoice.amount_paid != money(expected_amount_paid):
        raise TransitionRefused(
            f"A payment was recorded on invoice {invoice} since you opened it (paid now: {invoice.amount_paid}); "
            "nothing was done. Reload and try again."
        )
    if invoice.amount_paid + amount > _largest_amount_paid():
        # Over-payments are fine, but not one the invoice cannot record (PostgreSQL: numeric overflow).
        raise ApplicationError(
            f"{amount} cannot be right for invoice {invoice} of {invoice.total}; check the amount.",
            extra={"field": "amount"},
        )
    payment = Payment.objects.create(
        order_id=invoice.order_id,
        invoice=invoice,
        method=method,
        amount=amount,
        reference=reference.strip(),
        recorded_by=actor,
    )
    payment = transition_run(
        model=Payment,
        pk=payment.pk,
        transition="capture",
        actor=actor,
        fields={"captured_at": timezone.now()},
        data={"amount": str(amount), "method": method, "reference": reference},
    )
    _invoice_settle(invoice=invoice, actor=actor)
    return payment


def _invoice_settle(*, invoice: Invoice, actor=None) -> Invoice:
    """Recompute what was paid; move the invoice on and, once paid in full, complete the order."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    paid = sum(invoice.payments.filter(status=Payment.Status.CAPTURED).values_list("amount", flat=True), ZERO)
    Invoice.objects.filter(pk=invoice.pk).update(amount_paid=paid)
    invoice.amount_paid = paid
    if paid >= invoice.total:
        invoice = transition_run(
            model=Invoice,
            pk=invoice.pk,
            transition="mark_paid",
            actor=actor,
            check_permission=False,
            data={"paid": str(paid), "overpaid": str(paid - invoice.total)},
        )
        from orders.services.completion import order_payment_complete

        order_payment_complete(order=invoice.order, actor=actor)
    elif paid > 0:
        invoice = transition_run(
            model=Invoice,
            pk=invoice.pk,
            transition="record_partial_payment",
            actor=actor,
            check_permission=False,
            data={"paid": str(paid), "balance": str(invoice.total - paid)},
        )
    return invoice


@transaction.atomic
def payment_void_for_order(*, order: Order, actor=None) -> int:
    """Void every authorised or pending payment of a cancelled order. Returns how many.

    The payments are voided here; the gateway releases the card hold after commit (a retried task,
    which reports a final failure on the order's timeline), so a rollback never leaves a released
    hold recorded as authorised.
    """
    voided = 0
    for payment in order.payments.filter(status__in=[Payment.Status.PENDING, Payment.Status.AUTHORIZED]).order_by("pk"):
        transition_run(model=Payment, pk=payment.pk, transition="void", actor=actor, check_permission=False)
        if payment.gateway_reference:
            _after_commit(payment_void_task_queue, payment.pk)
        voided += 1
    return voided


def payment_void_at_gateway(*, payment_id: int) -> bool:
    """Ask the gateway to release a voided payment's card hold (from its task, after commit).
    Raises ApplicationError when the gateway says no, so the task retries and finally reports."""
    payment = Payment.objects.get(pk=payment_id)
    if payment.status != Payment.Status.VOIDED or not payment.gateway_reference:
        return False
    result = gateway_get().void(gateway_reference=payment.gateway_reference)
    if not result.ok:
        raise ApplicationError(result.message or "The gateway did not release the card hold.")
    return True


@transaction.atomic
def payment_gateway_failure_record(*, payment_id: int, operation: str, error: str) -> None:
    """A gateway call failed on every retry: say so on the order's timeline for staff."""
    from orders.events import event_note

    payment = Payment.objects.select_related("order").get(pk=payment_id)
    event_note(
        order=payment.order,
        kind=f"payment.{operation}_failed",
        system="payment gateway",
        note=f"The gateway could not {operation} payment {payment.gateway_reference}: {error[:500]}",
        data={"payment": payment.pk, "gateway_reference": payment.gateway_reference},
    )
