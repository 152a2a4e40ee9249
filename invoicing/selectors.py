"""Reads of invoices and payments that are more than one obvious query: the open and overdue
invoices (the console's filters and work queues share them, so a count and its list agree), an
order's payment card, refunds and store credit. (An order's payment standing is stored on the
order: invoicing.services.standing.)"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet, Sum
from django.utils import timezone

from orders.models import Order
from orders_site.core.money import ZERO, money

from .models import (
    AmountOwedBack,
    BankStatementEntry,
    CreditNote,
    Invoice,
    Payment,
    Refund,
    StoreCreditAccount,
    StoreCreditEntry,
)

OPEN_STATUSES = (Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID)


@dataclass(frozen=True)
class PaymentSummary:
    """What an order costs, what came in and what is still owed, with its invoices and payments."""

    total: Decimal
    paid: Decimal  # captured payments
    authorised: Decimal  # card holds not captured yet
    balance_due: Decimal  # total - credited - (paid - refunded); negative when overpaid
    invoices: list[Invoice]  # oldest first
    payments: list[Payment]  # oldest first
    credited: Decimal = ZERO  # what credit notes took off its invoices
    credit_notes: list = field(default_factory=list)  # oldest first
    refunded: Decimal = ZERO  # refunds paid out
    refunds: list = field(default_factory=list)  # oldest first, every state

    @property
    def overpaid(self) -> Decimal:
        return -self.balance_due if self.balance_due < 0 else ZERO


def invoice_is_overdue(invoice: Invoice, *, today=None) -> bool:
    """Issued, not paid in full, and past its due date: for one invoice what invoices_overdue()
    selects (the same OPEN_STATUSES and the shop's today)."""
    today = today or timezone.localdate()
    return invoice.status in OPEN_STATUSES and invoice.due_date is not None and invoice.due_date < today


def order_payment_summary(*, order: Order) -> PaymentSummary:
    """The order's payment card in the staff console. Four queries, whatever the number of
    invoices, payments, credit notes and refunds."""
    invoices = list(Invoice.objects.filter(order=order).order_by("pk"))
    payments = list(Payment.objects.filter(order=order).order_by("pk"))
    credit_notes = list(CreditNote.objects.filter(order=order).order_by("pk"))
    refunds = list(Refund.objects.filter(order=order).order_by("pk"))
    refunded = sum((r.amount for r in refunds if r.status == Refund.Status.SUCCEEDED), ZERO)
    paid = sum((p.amount for p in payments if p.status == Payment.Status.CAPTURED), ZERO)
    authorised = sum((p.amount for p in payments if p.status == Payment.Status.AUTHORIZED), ZERO)
    credited = sum((invoice.amount_credited for invoice in invoices), ZERO)
    return PaymentSummary(
        total=order.total,
        paid=paid,
        authorised=authorised,
        balance_due=order.total - credited - (paid - refunded) if order.status != Order.Status.CANCELLED else ZERO,
        invoices=invoices,
        payments=payments,
        credited=credited,
        credit_notes=credit_notes,
        refunded=refunded,
        refunds=refunds,
    )


def invoices_open(queryset: QuerySet[Invoice] | None = None) -> QuerySet[Invoice]:
    """Issued invoices not paid in full yet (invoice_open_due_idx holds exactly these)."""
    queryset = Invoice.objects.all() if queryset is None else queryset
    return queryset.filter(status__in=OPEN_STATUSES)


def invoices_overdue(queryset: QuerySet[Invoice] | None = None, *, today=None) -> QuerySet[Invoice]:
    """Open invoices whose due date has passed (today in the shop's time zone); invoice_open_due_idx
    holds exactly the open invoices by due date."""
    return invoices_open(queryset).filter(due_date__lt=today or timezone.localdate())


def invoices_open_count() -> int:
    return invoices_open().count()


def invoices_overdue_count() -> int:
    return invoices_overdue().count()


# --- what an edited order still owes, or is owed (lifecycle.order_edits) ---------------------------


@dataclass(frozen=True)
class OrderBalance:
    total: Decimal
    covered: Decimal  # captured plus still-authorised card holds
    owed_back: Decimal  # recorded as owed back and not settled yet

    @property
    def due_more(self) -> Decimal:
        """What the customer still has to pay beyond what is paid or authorised (never negative)."""
        return max(self.total - self.covered, ZERO)

    @property
    def uncovered_refund(self) -> Decimal:
        """Paid or authorised beyond the total and not yet recorded as owed back."""
        return max(self.covered - self.total - self.owed_back, ZERO)


def order_balance(*, order: Order) -> OrderBalance:
    """Two queries: the order's live payments, and its open amounts owed back."""
    covered = (
        Payment.objects.filter(order=order, status__in=(Payment.Status.CAPTURED, Payment.Status.AUTHORIZED)).aggregate(
            s=Sum("amount")
        )["s"]
        or ZERO
    )
    owed = AmountOwedBack.objects.filter(order=order, settled_at__isnull=True).aggregate(s=Sum("amount"))["s"] or ZERO
    # SQLite sums decimals as floats: round to cents.
    return OrderBalance(total=order.total, covered=money(covered), owed_back=money(owed))


def amounts_owed_back_open():
    """The "Owed back to customers" queue: open rows, oldest first (owed_back_open_idx)."""
    return AmountOwedBack.objects.filter(settled_at__isnull=True).order_by("created_at", "id")


def amounts_owed_back_open_count() -> int:
    return amounts_owed_back_open().count()


# --- refunds and store credit ------------------------------------------------------------------


def refunds_failed(queryset: QuerySet[Refund] | None = None) -> QuerySet[Refund]:
    """Refunds that failed and wait for staff (try again, or by bank transfer): refund_failed_idx."""
    queryset = Refund.objects.all() if queryset is None else queryset
    return queryset.filter(status=Refund.Status.FAILED)


def refunds_failed_count() -> int:
    return refunds_failed().count()


def refunds_to_transfer(queryset: QuerySet[Refund] | None = None) -> QuerySet[Refund]:
    """Bank-transfer refunds still to send: refund_transfer_pending_idx."""
    queryset = Refund.objects.all() if queryset is None else queryset
    return queryset.filter(status=Refund.Status.PENDING, method=Refund.Method.BANK_TRANSFER)


def refunds_to_transfer_count() -> int:
    return refunds_to_transfer().count()


def store_credit_balance(*, customer_id: int | None) -> Decimal:
    """What the customer can spend now (0 without an account)."""
    if customer_id is None:
        return ZERO
    balance = StoreCreditAccount.objects.filter(customer_id=customer_id).values_list("balance", flat=True).first()
    return balance if balance is not None else ZERO


def store_credit_entries_for(*, customer_id: int, limit: int = 50) -> list[StoreCreditEntry]:
    """The customer's newest ledger entries (store_credit_entry_account_idx), with their orders."""
    return list(
        StoreCreditEntry.objects.filter(account__customer_id=customer_id)
        .select_related("order")
        .order_by("-created_at", "-id")[:limit]
    )


def invoice_lines_by_order_line(*, invoice: Invoice) -> dict[int, int]:
    """{order line id: invoice line id} of an invoice: which line of it bills each order line."""
    return dict(invoice.lines.filter(order_line__isnull=False).values_list("order_line_id", "pk"))


def bank_entries_to_match_count() -> int:
    """Credits of imported statements waiting for staff (bank_entry_status_idx)."""
    return BankStatementEntry.objects.filter(status=BankStatementEntry.Status.UNMATCHED).count()
