"""Payment terms: when an invoice is due, and how the invoice says so. Pure functions.

A customer's terms (orders' Customer.payment_terms with net_days): prepaid (the shop's default
days, DEFAULT_PAYMENT_TERMS_DAYS, from the invoice date: the money usually came before), net N
days from the invoice date, or end of month + N days (the last day of the invoice's month, then N
days more, as wholesale customers are used to). The invoice keeps the terms it was issued under.
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings

PREPAID, NET, END_OF_MONTH = "prepaid", "net", "eom"


@dataclass(frozen=True)
class Terms:
    kind: str
    days: int

    @property
    def label(self) -> str:
        if self.kind == END_OF_MONTH:
            return f"End of month + {self.days} days"
        if self.kind == NET:
            return f"Net {self.days} days"
        return f"Prepaid; otherwise within {self.days} days"

    def due_date(self, issued_on: date) -> date:
        if self.kind == END_OF_MONTH:
            last = issued_on.replace(day=calendar.monthrange(issued_on.year, issued_on.month)[1])
            return last + timedelta(days=self.days)
        return issued_on + timedelta(days=self.days)


def terms_of(customer) -> Terms:
    """The terms a customer's invoices are issued under."""
    if customer.payment_terms in (NET, END_OF_MONTH):
        return Terms(kind=customer.payment_terms, days=customer.net_days)
    return Terms(kind=PREPAID, days=settings.DEFAULT_PAYMENT_TERMS_DAYS)
