"""Receivables (issue 14, item 2): who owes what, how late. The one selector the receivables page,
the customer statement PDF and the manager's dashboard (issue 15) all read.

An open item is an issued invoice not paid in full and not credited in full; its balance is the
total less what credit notes took off and what was paid. Its age is the days since its due date:
"not due yet", then the buckets 0-30, 31-60, 61-90 and 90+ days overdue. Amounts are exact
decimals, summed by the database in one grouped query whatever the number of invoices.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Case, Count, DecimalField, F, Min, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from orders_site.core.money import ZERO

from .models import Invoice, Payment
from .selectors import OPEN_STATUSES

OPEN = OPEN_STATUSES
NOT_DUE = "not_due"
BUCKETS: tuple[tuple[str, str, int, int | None], ...] = (
    # key, label, fewest and most days overdue
    ("d0_30", "0-30 days", 0, 30),
    ("d31_60", "31-60 days", 31, 60),
    ("d61_90", "61-90 days", 61, 90),
    ("d90_plus", "90+ days", 91, None),
)
BUCKET_LABELS = {NOT_DUE: "Not due yet", **{key: label for key, label, _, _ in BUCKETS}}


@dataclass(frozen=True)
class OpenItem:
    invoice: Invoice
    balance: Decimal
    days_overdue: int  # 0 or less: not due yet

    @property
    def bucket(self) -> str:
        return bucket_of(self.days_overdue)


@dataclass
class CustomerBalance:
    customer_id: int
    name: str
    email: str
    invoices: int
    total: Decimal
    oldest_due: date | None
    buckets: dict[str, Decimal] = field(default_factory=dict)

    @property
    def overdue(self) -> Decimal:
        return sum((amount for key, amount in self.buckets.items() if key != NOT_DUE), ZERO)


@dataclass
class Receivables:
    as_of: date
    customers: list[CustomerBalance]
    buckets: dict[str, Decimal]

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), ZERO)

    @property
    def overdue(self) -> Decimal:
        return sum((amount for key, amount in self.buckets.items() if key != NOT_DUE), ZERO)


def bucket_of(days_overdue: int) -> str:
    if days_overdue < 0:
        return NOT_DUE
    for key, _label, fewest, most in BUCKETS:
        if days_overdue >= fewest and (most is None or days_overdue <= most):
            return key
    raise AssertionError(days_overdue)  # pragma: no cover - the buckets cover every day


def _balance():
    return F("total") - F("amount_credited") - F("amount_paid")


def _open_invoices(today: date):
    return Invoice.objects.filter(status__in=OPEN).exclude(number=None)


def _bucket_sums(today: date) -> dict:
    """Sum(balance) per bucket, as aggregate expressions keyed like BUCKETS (plus not due)."""
    money = DecimalField(max_digits=14, decimal_places=2)

    def summed(condition: Q):
        return Coalesce(Sum(Case(When(condition, then=_balance()), default=Value(ZERO), output_field=money)), ZERO)

    sums = {NOT_DUE: summed(Q(due_date__gt=today))}
    for key, _label, fewest, most in BUCKETS:
        condition = Q(due_date__lte=today - timedelta(days=fewest))
        if most is not None:
            condition &= Q(due_date__gte=today - timedelta(days=most))
        sums[key] = summed(condition)
    return sums


def receivables(*, today: date | None = None, overdue_only: bool = False, limit: int | None = None) -> Receivables:
    """Open and overdue money per customer (most overdue first), and the shop's totals per bucket.
    Two queries: the totals, and one grouped row per customer."""
    today = today or timezone.localdate()
    invoices = _open_invoices(today)
    sums = _bucket_sums(today)
    totals = invoices.aggregate(**sums)
    rows = (
        invoices.values("order__customer_id", "order__customer__full_name", "order__customer__email")
        .annotate(count=Count("pk"), oldest=Min("due_date"), **sums)
        .order_by("oldest", "order__customer_id")
    )
    if overdue_only:
        rows = rows.filter(oldest__lte=today)
    if limit is not None:
        rows = rows[:limit]
    customers = [
        CustomerBalance(
            customer_id=row["order__customer_id"],
            name=row["order__customer__full_name"],
            email=row["order__customer__email"],
            invoices=row["count"],
            total=sum((row[key] for key in sums), ZERO),
            oldest_due=row["oldest"],
            buckets={key: row[key] for key in sums},
        )
        for row in rows
    ]
    return Receivables(as_of=today, customers=customers, buckets={key: totals[key] for key in sums})


def customer_open_items(*, customer_id: int, today: date | None = None) -> list[OpenItem]:
    """A customer's open invoices, oldest due first, with balance and days overdue."""
    today = today or timezone.localdate()
    invoices = (
        _open_invoices(today)
        .filter(order__customer_id=customer_id)
        .select_related("order")
        .annotate(balance=_balance())
        .order_by("due_date", "pk")
    )
    return [OpenItem(invoice=i, balance=i.balance, days_overdue=(today - i.due_date).days) for i in invoices]


def customer_recent_payments(*, customer_id: int, today: date | None = None, days: int = 90) -> list[Payment]:
    """Money received from the customer in the last `days` days (the statement's payments part)."""
    today = today or timezone.localdate()
    since = timezone.make_aware(timezone.datetime.combine(today - timedelta(days=days), timezone.datetime.min.time()))
    return list(
        Payment.objects.filter(order__customer_id=customer_id, status=Payment.Status.CAPTURED, captured_at__gte=since)
        .select_related("invoice", "order")
        .order_by("-captured_at", "-pk")
    )
