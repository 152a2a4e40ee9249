"""Payments: card authorisation, capture and release through the gateway, money recorded by staff,
and settling invoices."""

import functools
import logging
from collections.abc import Callable
from contextvars import ContextVar
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from orders.events import event_payment_capture_failed, event_payment_void_failed
from orders.locks import order_lock
from orders.models import Order
from orders.services.payment_standing import order_payment_standing_record
from orders.services.transitions import transition_run
from orders_site.core.exceptions import ApplicationError, PermissionRefused, TransitionRefused
from orders_site.core.money import ZERO, money
from orders_site.core.tasks import task_send, task_send_on_commit

from ..gateways import GatewayResult, gateway_get
from ..locks import invoice_lock
from ..models import Invoice, Payment, Refund
from .standing import payment_standing_refresh
from .store_credit import store_credit_give_back

logger = logging.getLogger(__name__)


class PaymentDeclined(ApplicationError):
    pass


# Capturing settles the invoice and may complete the order: a hand-off, so its task is lifecycle's.
PAYMENT_CAPTURE_TASK = "lifecycle.tasks.payment_capture_task"
PAYMENT_VOID_TASK = "invoicing.tasks.payment_void_at_gateway_task"
# The gateway operations a task retries, and the timeline event of each one's final failure.
GATEWAY_FAILURE_EVENTS = {"capture": event_payment_capture_failed, "void": event_payment_void_failed}


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
def payment_authorize(*, order: Order, card_token: str, amount: Decimal | None = None) -> Payment:
    """Authorise the order total (or `amount`: the top-up after an edit, lifecycle.order_edits) on
    the card at checkout; it is captured when the invoice is issued.

    The caller should be decorated with `card_holds_released_on_failure`, so a failure after this
    call releases the hold. Raises PaymentDeclined before writing anything when the gateway says no.
    """
    amount = order.total if amount is None else amount
    result = gateway_get().authorize(
        amount=amount, currency=order.currency, card_token=card_token, reference=order.number
    )
    if not result.ok:
        raise PaymentDeclined(result.message or "The card was declined.", extra={"field": "card_number"})
    holds = _card_holds_taken.get()
    if holds is not None:
        holds.append(result.reference)
    payment = Payment.objects.create(
        order=order, method=Order.PaymentMethod.CARD, amount=amount, gateway_reference=result.reference
    )
    payment = transition_run(
        model=Payment,
        pk=payment.pk,
        transition="authorize",
        system="payment gateway",
        data={"amount": str(amount), "gateway_reference": result.reference},
    )
    if order.payment_standing == Order.PaymentStanding.UNPAID:  # placement: one UPDATE, no reads
        order_payment_standing_record(order_id=order.pk, standing=Order.PaymentStanding.AUTHORISED)
    return payment


def payment_capture(
    *, payment: Payment, actor=None, then: Callable[[Invoice], None] | None = None, before_invoice: bool = False
) -> Payment:
    """Capture an authorised card payment against its order's issued invoice, and settle it.
    `before_invoice` (prepaid, CARD_CAPTURE_AT=release): capture it although no invoice exists yet;
    the invoice adopts it when it is issued (invoice_payments_adopt).

    Called by a task after the invoice's transaction committed: the gateway is asked first, outside
    any transaction, then the answer is recorded in one transaction. Locks: orders.locks.order_lock,
    then invoicing.locks.invoice_lock, then the payment (transition core). Safe to repeat: a payment
    no longer authorised is left alone, and the gateway's capture is idempotent by its reference.
    A refusal marks the payment failed; the invoice stays open for another way to pay.
    `then(invoice)` runs once the invoice is settled, in the same transaction (lifecycle.settlement
    completes a paid order there).
    Raises ApplicationError without an issued invoice.
    """
    payment = Payment.objects.get(pk=payment.pk)
    if payment.status != Payment.Status.AUTHORIZED:
        return payment
    invoice = Invoice.objects.filter(order_id=payment.order_id).exclude(number=None).first()
    if invoice is None and not before_invoice:
        raise ApplicationError(f"Order {payment.order} has no issued invoice to capture against.")
    if payment.gateway_reference:
        result = gateway_get().capture(gateway_reference=payment.gateway_reference, amount=payment.amount)
    else:  # store credit: taken from the balance when the order was placed, nothing to ask
        result = GatewayResult(ok=True)
    with transaction.atomic():
        order = order_lock(order_id=payment.order_id)
        if invoice is not None:
            invoice_lock(invoice_id=invoice.pk)
        if Payment.objects.get(pk=payment.pk).status != Payment.Status.AUTHORIZED:
            return Payment.objects.get(pk=payment.pk)  # another run recorded it meanwhile
        if not result.ok:
            payment = transition_run(
                model=Payment, pk=payment.pk, transition="fail", system="payment gateway", note=result.message
            )
            payment_standing_refresh(order=order)
            return payment
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
        if invoice is not None:
            _invoice_settle(invoice=invoice, actor=actor, then=then)
        else:  # prepaid: the invoice, issued at delivery, finds it paid (invoice_payments_adopt)
            payment_standing_refresh(order=order)
    return payment


def invoice_payments_adopt(*, invoice: Invoice, actor=None, then: Callable[[Invoice], None] | None = None) -> int:
    """A newly issued invoice takes the payments captured before it (prepaid: at release) and is
    settled by them; `then(invoice)` as for a payment. Call it in the issuing transaction, holding
    the order. Returns how many it took."""
    adopted = Payment.objects.filter(
        order_id=invoice.order_id, status=Payment.Status.CAPTURED, invoice__isnull=True
    ).update(invoice=invoice)
    if adopted:
        _invoice_settle(invoice=invoice, actor=actor, then=then)
    return adopted


def payment_captures_requeue_stale(*, older_than_seconds: int | None = None) -> int:
    """Queue the capture again for card payments still authorised on an invoice issued that long
    ago (a lost task); by default RECOVERY_SWEEP_AFTER_SECONDS. Returns how many."""
    if older_than_seconds is None:
        older_than_seconds = settings.RECOVERY_SWEEP_AFTER_SECONDS
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
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
        task_send(PAYMENT_CAPTURE_TASK, payment_id)
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
    then: Callable[[Invoice], None] | None = None,
) -> Payment:
    """Record money received against an issued invoice (bank transfer, cash, card in person...).

    Over-payments are accepted and shown on the order's timeline. Locks: orders.locks.order_lock, then
    invoicing.locks.invoice_lock, then the new payment (transition core).
    `expected_amount_paid` is what the person saw as paid so far; if another payment was recorded
    since, this one is refused, so two people entering the same transfer cannot both succeed.
    `then(invoice)` runs once the invoice is settled (lifecycle.settlement completes a paid order).
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
    order_lock(order_id=invoice.order_id)
    invoice = invoice_lock(invoice_id=invoice.pk)
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
    _invoice_settle(invoice=invoice, actor=actor, then=then)
    return payment


def invoice_amount_paid(*, invoice_id: int) -> Decimal:
    """What the invoice counts as paid: its captured payments less the refunds paid out of them."""
    captured = Payment.objects.filter(invoice_id=invoice_id, status=Payment.Status.CAPTURED)
    received = captured.aggregate(s=Sum("amount"))["s"] or ZERO
    refunded = Refund.objects.filter(payment__in=captured, status=Refund.Status.SUCCEEDED).aggregate(s=Sum("amount"))
    return received - (refunded["s"] or ZERO)


@transaction.atomic
def payment_record_before_invoice(
    *, order: Order, amount: Decimal, method: str, reference: str = "", actor=None
) -> Payment:
    """Record money received for an order that is not invoiced yet (a prepaid customer's bank
    transfer, BANK_TRANSFER_BEFORE_RELEASE): captured without an invoice, the order's standing
    updated (paid in full, it may go to the warehouse), and adopted by the invoice at delivery
    (invoice_payments_adopt). Over-payments are accepted (refund them later).
    Locks the order, then the new payment. Raises PermissionRefused, ApplicationError beside the field.
    """
    if actor is not None and not (actor.is_staff and actor.has_perm("invoicing.record_payment")):
        raise PermissionRefused("You are not allowed to record payments.")
    amount = money(amount)
    if amount <= 0:
        raise ApplicationError("Enter an amount above zero.", extra={"field": "amount"})
    if amount > _largest_amount_paid():
        raise ApplicationError(
            f"{amount} cannot be right for order {order}; check the amount.", extra={"field": "amount"}
        )
    if method not in Order.PaymentMethod.values:
        raise ApplicationError("Choose how the money was paid.", extra={"field": "method"})
    order = order_lock(order_id=order.pk)
    if order.status in (Order.Status.DRAFT, Order.Status.CANCELLED):
        raise ApplicationError(f"Order {order} is {order.get_status_display().lower()}; no payment can be recorded.")
    if Invoice.objects.filter(order=order).exclude(number=None).exists():
        raise ApplicationError(f"Order {order} is invoiced: record the payment on its invoice.")
    payment = Payment.objects.create(
        order=order, method=method, amount=amount, reference=reference.strip(), recorded_by=actor
    )
    payment = transition_run(
        model=Payment,
        pk=payment.pk,
        transition="capture",
        actor=actor,
        fields={"captured_at": timezone.now()},
        data={"amount": str(amount), "method": method, "reference": reference},
    )
    payment_standing_refresh(order=order)
    return payment


def _invoice_settle(*, invoice: Invoice, actor=None, then: Callable[[Invoice], None] | None = None) -> Invoice:
    """Recompute what was paid and move the invoice on; then `then(invoice)`. Locks the invoice
    (invoicing.locks.invoice_lock; the caller holds its order first)."""
    invoice = invoice_lock(invoice_id=invoice.pk)
    paid = invoice_amount_paid(invoice_id=invoice.pk)
    Invoice.objects.filter(pk=invoice.pk).update(amount_paid=paid)
    invoice.amount_paid = paid
    if paid >= invoice.amount_owed:  # the total less what credit notes took off
        invoice = transition_run(
            model=Invoice,
            pk=invoice.pk,
            transition="mark_paid",
            actor=actor,
            check_permission=False,
            data={"paid": str(paid), "overpaid": str(paid - invoice.amount_owed)},
        )
    elif paid > 0:
        invoice = transition_run(
            model=Invoice,
            pk=invoice.pk,
            transition="record_partial_payment",
            actor=actor,
            check_permission=False,
            data={"paid": str(paid), "balance": str(invoice.amount_owed - paid)},
        )
    payment_standing_refresh(order=invoice.order)
    if then is not None:
        then(invoice)
    return invoice


@transaction.atomic
def payment_void_for_order(*, order: Order, actor=None) -> int:
    """Void every authorised or pending payment of a cancelled order (store credit goes back to
    the customer's balance). Returns how many.

    The payments are voided here; the gateway releases the card hold after commit (a retried task,
    which reports a final failure on the order's timeline), so a rollback never leaves a released
    hold recorded as authorised.
    """
    voided = 0
    for payment in order.payments.filter(status__in=[Payment.Status.PENDING, Payment.Status.AUTHORIZED]).order_by("pk"):
        transition_run(model=Payment, pk=payment.pk, transition="void", actor=actor, check_permission=False)
        if payment.method == Order.PaymentMethod.STORE_CREDIT:
            store_credit_give_back(payment=payment, actor=actor)
        elif payment.gateway_reference:
            task_send_on_commit(PAYMENT_VOID_TASK, payment.pk)
        voided += 1
    if voided:
        payment_standing_refresh(order=order)
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
    event = GATEWAY_FAILURE_EVENTS[operation]  # an operation without an event kind is a bug: KeyError
    event(payment=Payment.objects.select_related("order").get(pk=payment_id), error=error)
