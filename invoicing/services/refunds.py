"""Refunds (issue 13, item 3): money paid back, as records of their own.

A refund takes its money out of one captured payment; a refund larger than one payment is made as
several rows, oldest payment first. What can be refunded is what was paid (less refunds, pending
or done) beyond what the order's invoices still ask for, so a refund always follows a credit note,
an over-payment or a cancellation. The guard is the order's row lock (every refund of an order
waits for the one before it), and in the database `Payment.amount_refunded <= amount`, which a
pending refund counts against at once: two refunds racing for the last money cannot both pass.

How the money goes back:
- to the card: after commit a retried task asks the gateway, with the refund's idempotency key,
  so a worker that dies after the gateway paid and before we wrote it down asks again and is
  told "done" instead of paying twice; a decline fails the refund at once, an error is retried
  and, after the last retry, fails it ("Refunds failed" queue: try again, or by bank transfer);
- by bank transfer to a validated IBAN: pending until staff mark it sent ("Refunds to transfer");
- as store credit: at once, into the customer's ledger (invoicing.services.store_credit).
A refund paid out lowers what its invoice counts as paid, settles the money owed back it was made
for, shows on the customer's order page and is e-mailed to them.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from orders.events import event_refund_requested
from orders.locks import order_lock
from orders.models import EmailNotification, Order
from orders.services.notifications import notification_queue
from orders.services.transitions import transition_run
from orders_site.core.bank import InvalidBankDetails, iban_compact, iban_formatted
from orders_site.core.exceptions import ApplicationError, PermissionRefused, TransitionRefused
from orders_site.core.formatting import money_display
from orders_site.core.money import ZERO, money
from orders_site.core.tasks import task_send, task_send_on_commit

from ..gateways import gateway_get
from ..locks import payments_lock
from ..models import AmountOwedBack, Invoice, Payment, Refund
from .payments import invoice_amount_paid
from .standing import amount_owed, payment_standing_refresh
from .store_credit import store_credit_issue

PERMISSION = "invoicing.issue_refund"
REFUND_TASK = "invoicing.tasks.refund_at_gateway_task"
Method = Refund.Method


@dataclass(frozen=True)
class Refundable:
    """An order's money as a refund sees it."""

    paid: Decimal  # captured, less refunds pending or paid out
    owed: Decimal  # what its invoices still ask for (the order total before it is invoiced)
    by_card: Decimal  # of `paid`, what came through the gateway from a card

    @property
    def amount(self) -> Decimal:
        return max(ZERO, self.paid - self.owed)


def order_refundable(
    *, order: Order, payments: list[Payment] | None = None, invoices: list[Invoice] | None = None
) -> Refundable:
    """What can be refunded on the order now. `payments` (its captured ones, e.g. as locked by
    payments_lock) and `invoices` may be given when the caller has them read already."""
    if payments is None:
        payments = list(order.payments.filter(status=Payment.Status.CAPTURED).order_by("pk"))
    if invoices is None:
        invoices = list(order.invoices.exclude(number=None))
    captured = [p for p in payments if p.status == Payment.Status.CAPTURED]
    paid = sum((p.amount - p.amount_refunded for p in captured), ZERO)
    by_card = sum((p.amount - p.amount_refunded for p in captured if _is_card(p)), ZERO)
    owed = amount_owed(order_total=order.total, cancelled=order.status == Order.Status.CANCELLED, invoices=invoices)
    return Refundable(paid=paid, owed=owed, by_card=by_card)


def _is_card(payment: Payment) -> bool:
    return payment.method == Order.PaymentMethod.CARD and bool(payment.gateway_reference)


def iban_clean(value: str) -> str:
    """The IBAN in its compact form. Raises ApplicationError (field "iban") for one that is not valid."""
    try:
        return iban_compact(value)
    except InvalidBankDetails as error:
        raise ApplicationError(
            f"This is not a valid IBAN ({error}). Check it with the customer.", extra={"field": "iban"}
        ) from error


@transaction.atomic
def refund_create(
    *,
    order: Order,
    amount: Decimal,
    method: str,
    reason: str,
    actor=None,
    iban: str = "",
    account_holder: str = "",
    owed_back: AmountOwedBack | None = None,
    for_staff_order: bool = False,
) -> list[Refund]:
    """Pay `amount` back to the order's customer by `method` (Refund.Method), out of its captured
    payments, oldest first (to the card: its card payments only). Store credit needs a customer
    with a shop account, unless `for_staff_order` (an exchange: staff spend it on the replacement).

    Locks: the order (orders.locks.order_lock), its captured payments (invoicing.locks.payments_lock),
    for store credit the customer's account. Queues, after commit, the gateway call of each card
    refund. Raises PermissionRefused, and ApplicationError beside its field ("amount", "method",
    "iban", "account_holder", "reason") before writing anything.
    """
    if actor is not None and not (actor.is_staff and actor.has_perm(PERMISSION)):
        raise PermissionRefused("You are not allowed to refund customers.")
    amount = money(amount)
    if amount <= 0:
        raise ApplicationError("Enter an amount above zero.", extra={"field": "amount"})
    if method not in Method.values:
        raise ApplicationError("Choose how the money goes back.", extra={"field": "method"})
    reason = reason.strip()
    if not reason:
        raise ApplicationError("Say why the money is paid back.", extra={"field": "reason"})
    if method == Method.BANK_TRANSFER:
        iban = iban_clean(iban)
        account_holder = account_holder.strip()
        if not account_holder:
            raise ApplicationError("Enter the account holder's name.", extra={"field": "account_holder"})
    order = order_lock(order_id=order.pk)
    if method == Method.STORE_CREDIT and order.customer.user_id is None and not for_staff_order:
        raise ApplicationError(
            "This customer has no account to spend store credit from: refund to the card or by bank transfer.",
            extra={"field": "method"},
        )
    if owed_back is not None:
        owed_back = AmountOwedBack.objects.select_for_update().get(pk=owed_back.pk, order=order)
        if owed_back.settled_at is not None:
            raise ApplicationError("That amount was paid back already.")
    payments = payments_lock(order_id=order.pk)
    refundable = order_refundable(order=order, payments=payments)
    if amount > refundable.amount:
        raise ApplicationError(
            f"At most {money_display(refundable.amount, order.currency)} can be paid back: that is what was "
            "paid beyond what the invoices ask for (issue a credit note first to correct an invoice).",
            extra={"field": "amount"},
        )
    sources = [p for p in payments if _is_card(p)] if method == Method.CARD else payments
    if method == Method.CARD and amount > refundable.by_card:
        raise ApplicationError(
            f"Only {money_display(refundable.by_card, order.currency)} was paid by card and not refunded yet: "
            "pay the rest back by bank transfer or as store credit.",
            extra={"field": "amount"},
        )
    refunds = []
    left = amount
    for payment in sources:
        piece = min(left, payment.amount - payment.amount_refunded)
        if piece <= 0:
            continue
        refunds.append(
            _refund_start(
                order=order,
                payment=payment,
                amount=piece,
                method=method,
                reason=reason,
                actor=actor,
                iban=iban,
                account_holder=account_holder,
                owed_back=owed_back,
            )
        )
        left -= piece
        if left == 0:
            break
    return refunds


def refund_the_way_it_was_paid(
    *, order: Order, amount: Decimal, reason: str, owed_back: AmountOwedBack | None = None
) -> Decimal:
    """The shop's own decision to pay `amount` back (a cancellation, a parcel that came back): to
    the cards it came from first, then as store credit what was paid with store credit. Returns
    what is left, paid some other way (bank transfer, cash): staff refund that with the customer's
    bank details, from "Owed back to customers". The refunds settle `owed_back` when given.
    No actor is checked: a customer may cancel, not refund, and the refund is the shop's doing.

    Locks, queues and raises as refund_create; call it in the caller's transaction."""
    amount = min(money(amount), order_refundable(order=order).amount)
    if amount <= 0:
        return ZERO
    by_card = min(amount, order_refundable(order=order).by_card)
    if by_card > 0:
        refund_create(order=order, amount=by_card, method=Method.CARD, reason=reason, owed_back=owed_back)
    by_credit = min(
        amount - by_card,
        Payment.objects.filter(
            order=order, status=Payment.Status.CAPTURED, method=Order.PaymentMethod.STORE_CREDIT
        ).aggregate(left=Sum(F("amount") - F("amount_refunded")))["left"]
        or ZERO,
    )
    if by_credit > 0:
        refund_create(
            order=order,
            amount=by_credit,
            method=Method.STORE_CREDIT,
            reason=reason,
            owed_back=owed_back,
            for_staff_order=True,
        )
    return amount - by_card - by_credit


def _refund_start(*, order, payment, amount, method, reason, actor, iban, account_holder, owed_back) -> Refund:
    reserved = Payment.objects.filter(pk=payment.pk, amount_refunded__lte=F("amount") - amount).update(
        amount_refunded=F("amount_refunded") + amount
    )
    if not reserved:  # cannot happen while the payment is locked; the database would refuse it too
        raise ApplicationError(f"Payment {payment.pk} cannot give back {amount} more.")
    refund = Refund.objects.create(
        order=order,
        payment=payment,
        method=method,
        amount=amount,
        reason=reason[:300],
        idempotency_key=f"refund-{uuid.uuid4().hex}",
        iban=iban,
        account_holder=account_holder[:200],
        amount_owed_back=owed_back,
        created_by=actor,
    )
    how = Method(method).label.lower()
    if method == Method.BANK_TRANSFER:
        how = f"by bank transfer to {iban_formatted(iban)} ({account_holder})"
    event_refund_requested(refund=refund, actor=actor, note=f"{money_display(amount, order.currency)} {how}: {reason}")
    if method == Method.CARD:
        task_send_on_commit(REFUND_TASK, refund.pk)
    elif method == Method.STORE_CREDIT:
        store_credit_issue(customer=order.customer, amount=amount, reason=f"Refund: {reason}", refund=refund)
        refund = _succeed(refund=refund, actor=actor, system="store credit")
    return refund


def refund_at_gateway(*, refund_id: int) -> Refund:
    """Ask the gateway to pay a pending card refund back (from its task, outside any transaction),
    then record its answer. Safe to repeat: a refund no longer pending is left alone, and the
    idempotency key makes the gateway answer a repeated request with the first refund.
    A decline fails the refund; an error raises, for the task to retry."""
    refund = Refund.objects.select_related("payment", "order").get(pk=refund_id)
    if refund.status != Refund.Status.PENDING or refund.method != Method.CARD:
        return refund
    result = gateway_get().refund(
        gateway_reference=refund.payment.gateway_reference,
        amount=refund.amount,
        currency=refund.order.currency,
        idempotency_key=refund.idempotency_key,
    )
    with transaction.atomic():
        order_lock(order_id=refund.order_id)
        if Refund.objects.get(pk=refund.pk).status != Refund.Status.PENDING:
            return Refund.objects.get(pk=refund.pk)  # another run recorded it meanwhile
        if not result.ok:
            return _fail(refund=refund, message=result.message or "The gateway declined the refund.")
        refund.gateway_reference = result.reference
        return _succeed(refund=refund, actor=None, system="payment gateway")


@transaction.atomic
def refund_fail(*, refund_id: int, error: str) -> Refund:
    """The gateway call failed on every retry: the refund is failed, visibly, and its money counts
    as refundable again."""
    refund = Refund.objects.get(pk=refund_id)
    order_lock(order_id=refund.order_id)
    refund = Refund.objects.get(pk=refund_id)
    if refund.status != Refund.Status.PENDING:
        return refund
    return _fail(refund=refund, message=error)


@transaction.atomic
def refund_mark_transferred(*, refund: Refund, transfer_reference: str = "", actor=None) -> Refund:
    """Staff sent a pending bank-transfer refund: it is paid out. Locks its order, then the refund.
    Raises PermissionRefused, ApplicationError / TransitionRefused."""
    if actor is not None and not (actor.is_staff and actor.has_perm(PERMISSION)):
        raise PermissionRefused("You are not allowed to refund customers.")
    order_lock(order_id=refund.order_id)
    refund = Refund.objects.get(pk=refund.pk)
    if refund.method != Method.BANK_TRANSFER:
        raise ApplicationError("Only a bank-transfer refund is marked as sent by hand.")
    if refund.status != Refund.Status.PENDING:
        raise TransitionRefused(f"This refund is {refund.get_status_display().lower()} already; nothing was done.")
    refund.transfer_reference = transfer_reference.strip()[:100]
    return _succeed(refund=refund, actor=actor)


@transaction.atomic
def refund_retry(*, refund: Refund, actor=None, iban: str = "", account_holder: str = "") -> Refund:
    """Try a failed refund again: to the card (the same idempotency key, so a refund the gateway
    made after all is not made twice), or, given an IBAN, by bank transfer instead.
    Locks the order, its payments, the refund. Raises PermissionRefused, ApplicationError."""
    if actor is not None and not (actor.is_staff and actor.has_perm(PERMISSION)):
        raise PermissionRefused("You are not allowed to refund customers.")
    fields = {"failure_message": ""}
    if iban:
        fields["iban"] = iban_clean(iban)
        fields["account_holder"] = account_holder.strip()[:200]
        fields["method"] = Method.BANK_TRANSFER
        if not fields["account_holder"]:
            raise ApplicationError("Enter the account holder's name.", extra={"field": "account_holder"})
    order_lock(order_id=refund.order_id)
    payments_lock(order_id=refund.order_id)
    refund = Refund.objects.get(pk=refund.pk)
    if refund.status != Refund.Status.FAILED:
        raise TransitionRefused(f"This refund is {refund.get_status_display().lower()}; nothing was done.")
    if not Payment.objects.filter(pk=refund.payment_id, amount_refunded__lte=F("amount") - refund.amount).update(
        amount_refunded=F("amount_refunded") + refund.amount
    ):
        raise ApplicationError("That money was paid back another way since; this refund cannot be tried again.")
    refund = transition_run(
        model=Refund,
        pk=refund.pk,
        transition="retry",
        actor=actor,
        fields=fields,
        data={"amount": str(refund.amount), "method": fields.get("method", refund.method)},
    )
    if refund.method == Method.CARD:
        task_send_on_commit(REFUND_TASK, refund.pk)
    return refund


# How long the task's own retries may take (10 + 20 + 40 + 80 + 160 s of countdown, with calls).
RETRIES_SECONDS = 360


def refunds_requeue_stale(*, older_than_seconds: int | None = None) -> int:
    """Queue the gateway call again for card refunds pending that long (a lost task); by default
    RECOVERY_SWEEP_AFTER_SECONDS after the task's retries would have ended. Returns how many."""
    if older_than_seconds is None:
        older_than_seconds = settings.RECOVERY_SWEEP_AFTER_SECONDS + RETRIES_SECONDS
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(
        Refund.objects.filter(status=Refund.Status.PENDING, method=Method.CARD, updated_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )
    for refund_id in ids:
        task_send(REFUND_TASK, refund_id)
    return len(ids)


def _fail(*, refund: Refund, message: str) -> Refund:
    Payment.objects.filter(pk=refund.payment_id).update(amount_refunded=F("amount_refunded") - refund.amount)
    return transition_run(
        model=Refund,
        pk=refund.pk,
        transition="fail",
        system="payment gateway",
        note=message[:500],
        fields={"failure_message": message[:500]},
        data={"amount": str(refund.amount)},
    )


CUSTOMER_HOW = {
    Method.CARD: "to your card",
    Method.BANK_TRANSFER: "to your bank account",
    Method.STORE_CREDIT: "as store credit in your account",
}


def _succeed(*, refund: Refund, actor=None, system: str = "") -> Refund:
    """The money is back with the customer: record it, lower what its invoice counts as paid,
    settle what it was owed back for, and tell the customer. Holding the order."""
    order = refund.order
    refund = transition_run(
        model=Refund,
        pk=refund.pk,
        transition="succeed",
        actor=actor,
        system=system,
        check_permission=False,
        note=f"{money_display(refund.amount, order.currency)} refunded {CUSTOMER_HOW[refund.method]}",
        fields={
            "succeeded_at": timezone.now(),
            "gateway_reference": refund.gateway_reference,
            "transfer_reference": refund.transfer_reference,
        },
        data={"amount": str(refund.amount), "method": refund.method},
    )
    invoice_id = Payment.objects.filter(pk=refund.payment_id).values_list("invoice_id", flat=True).first()
    if invoice_id is not None:
        Invoice.objects.filter(pk=invoice_id).update(amount_paid=invoice_amount_paid(invoice_id=invoice_id))
    if refund.amount_owed_back_id is not None:
        owed = AmountOwedBack.objects.get(pk=refund.amount_owed_back_id)
        paid_back = owed.refunds.filter(status=Refund.Status.SUCCEEDED).aggregate(s=Sum("amount"))["s"] or ZERO
        if paid_back >= owed.amount and owed.settled_at is None:
            AmountOwedBack.objects.filter(pk=owed.pk).update(settled_at=timezone.now())
    payment_standing_refresh(order=order)
    notification_queue(order=order, kind=EmailNotification.Kind.REFUND, subject_key=f"refund:{refund.pk}")
    return refund
