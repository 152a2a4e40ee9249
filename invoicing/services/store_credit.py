"""Store credit (issue 13, item 4): an append-only ledger per customer (StoreCreditEntry) and its
balance on the customer's StoreCreditAccount.

Every movement is one guarded UPDATE of the balance (`balance >= amount` for a debit) and one new
entry with the balance after it, in one transaction; the CheckConstraint `balance >= 0` is the
last line of defence. Two checkouts spending the last credit at once: the second waits for the
first's row lock, finds the balance too low and is refused.

Credit comes from staff (with a reason, optionally expiring) and from refunds; it is spent at
checkout and on staff orders as a Payment(method=store_credit), authorised at placement and
captured with the invoice, and given back when that payment is voided (the order cancelled).
"""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from orders.models import Customer, Order
from orders.services.payment_standing import order_payment_standing_record
from orders.services.transitions import transition_run
from orders_site.core.exceptions import ApplicationError, PermissionRefused
from orders_site.core.formatting import money_display
from orders_site.core.money import ZERO, money

from ..locks import store_credit_account_lock
from ..models import Payment, StoreCreditAccount, StoreCreditEntry

PERMISSION = "invoicing.issue_store_credit"
Kind = StoreCreditEntry.Kind


def _account_for_update(*, customer_id: int) -> StoreCreditAccount:
    account = store_credit_account_lock(customer_id=customer_id)
    if account is not None:
        return account
    try:
        with transaction.atomic():  # two first credits at once: one creates it, the other waits
            StoreCreditAccount.objects.create(customer_id=customer_id, currency=settings.CURRENCY)
    except IntegrityError:
        pass
    return store_credit_account_lock(customer_id=customer_id)


def _move(*, account: StoreCreditAccount, amount: Decimal, **entry) -> StoreCreditEntry:
    """Move the balance by `amount` (a debit only when it is covered) and write the entry."""
    rows = StoreCreditAccount.objects.filter(pk=account.pk)
    if amount < 0:
        rows = rows.filter(balance__gte=-amount)
    if not rows.update(balance=F("balance") + amount, updated_at=timezone.now()):
        raise ApplicationError(
            f"Only {money_display(account.balance, account.currency)} of store credit is left.",
            extra={"field": "store_credit"},
        )
    account.refresh_from_db(fields=["balance"])
    return StoreCreditEntry.objects.create(account=account, amount=amount, balance_after=account.balance, **entry)


@transaction.atomic
def store_credit_issue(
    *,
    customer: Customer,
    amount: Decimal,
    reason: str,
    actor=None,
    expires_on: date | None = None,
    refund=None,
) -> StoreCreditEntry:
    """Give the customer store credit: by staff (`actor`, with a reason, optionally until
    `expires_on`) or as a refund (`refund`, from invoicing.services.refunds).

    Locks: the customer's store credit account (invoicing.locks.store_credit_account_lock; a
    refund holds its order first). Raises PermissionRefused, ApplicationError beside the field."""
    if actor is not None and refund is None and not actor.has_perm(PERMISSION):
        raise PermissionRefused("You are not allowed to give store credit.")
    amount = money(amount)
    if amount <= 0:
        raise ApplicationError("Enter an amount above zero.", extra={"field": "amount"})
    reason = reason.strip()
    if not reason:
        raise ApplicationError("Say why the customer gets this credit.", extra={"field": "reason"})
    if expires_on is not None and expires_on <= timezone.localdate():
        raise ApplicationError("Choose an expiry date after today, or none.", extra={"field": "expires_on"})
    account = _account_for_update(customer_id=customer.pk)
    return _move(
        account=account,
        amount=amount,
        kind=Kind.REFUND if refund is not None else Kind.ISSUED,
        reason=reason[:300],
        refund=refund,
        order_id=refund.order_id if refund is not None else None,
        expires_on=expires_on,
        created_by=actor,
    )


def store_credit_spend(*, order: Order, amount: Decimal, actor=None) -> Payment:
    """Pay `amount` of the order with the customer's store credit: the credit leaves the balance now
    and an authorised Payment(method=store_credit) stands for it, captured with the invoice
    (invoicing.services.payments) and given back if it is voided.

    Call it inside the placement's transaction, holding the order. Locks the customer's account
    (after the order). Raises ApplicationError (field "store_credit") when the balance does not
    cover it: the whole placement rolls back."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("store_credit_spend must run inside the placement's transaction")
    amount = money(amount)
    if amount <= 0:
        raise ApplicationError("Nothing to pay with store credit.", extra={"field": "store_credit"})
    account = store_credit_account_lock(customer_id=order.customer_id)
    if account is None:
        raise ApplicationError("There is no store credit to spend.", extra={"field": "store_credit"})
    payment = Payment.objects.create(
        order=order, method=Order.PaymentMethod.STORE_CREDIT, amount=amount, recorded_by=actor
    )
    _move(
        account=account,
        amount=-amount,
        kind=Kind.SPENT,
        reason=f"Order {order.number}",
        order=order,
        payment=payment,
        created_by=actor,
    )
    payment = transition_run(
        model=Payment,
        pk=payment.pk,
        transition="authorize",
        actor=actor,
        system="store credit",
        note="Paid with store credit",
        data={"amount": str(amount), "method": Order.PaymentMethod.STORE_CREDIT},
    )
    order_payment_standing_record(order_id=order.pk, standing=Order.PaymentStanding.AUTHORISED)
    return payment


def store_credit_give_back(*, payment: Payment, actor=None) -> StoreCreditEntry:
    """A voided store-credit payment (its order cancelled) puts the credit back. Call it in the
    voiding transaction, holding the order; locks the account."""
    account = _account_for_update(customer_id=payment.order.customer_id)
    return _move(
        account=account,
        amount=payment.amount,
        kind=Kind.RETURNED,
        reason=f"Order {payment.order.number} cancelled",
        order_id=payment.order_id,
        payment=payment,
        created_by=actor,
    )


def store_credit_expire_due(*, today: date | None = None) -> int:
    """Expire what is left of credit past its date (run daily by beat). Spending takes the credit
    that expires soonest first, so what is left of an expiring credit is its amount less what was
    spent since it was given, at most the balance. Returns how many credits expired something."""
    today = today or timezone.localdate()
    expired = 0
    due = StoreCreditEntry.objects.filter(expires_on__lt=today, expired_by__isnull=True, amount__gt=0)
    for account_id in sorted(set(due.values_list("account_id", flat=True))):
        with transaction.atomic():
            account = StoreCreditAccount.objects.select_for_update().get(pk=account_id)
            for credit in due.filter(account_id=account_id).order_by("expires_on", "pk"):
                left = _left_of(credit=credit, balance=account.balance)
                if left > 0:
                    _move(
                        account=account,
                        amount=-left,
                        kind=Kind.EXPIRED,
                        reason=f"Credit of {credit.created_at:%d %b %Y} expired",
                        expiry_of=credit,
                    )
                    expired += 1
    return expired


def _left_of(*, credit: StoreCreditEntry, balance: Decimal) -> Decimal:
    later_credit = StoreCreditEntry.objects.filter(account_id=credit.account_id, amount__gt=0, pk__gt=credit.pk)
    not_expiring_sooner = later_credit.exclude(expires_on__lt=credit.expires_on).aggregate(s=Sum("amount"))["s"]
    # The balance is this credit's rest plus what came in since and expires no sooner.
    return max(ZERO, min(credit.amount, balance - (not_expiring_sooner or ZERO)))
