"""Which open invoice a credit on the bank statement pays (issue 14, item 4). Reads only.

In this order, the first that finds exactly one wins:
1. the structured creditor reference (ISO 11649 RF, check digits checked), given by the bank or
   written in the remittance text: the order's payment reference (RF + check digits + the order
   number), so its open invoice, or (prepaid, before release) the order itself;
2. an invoice number, or an order number, written in the remittance text;
3. the exact amount still due on one open invoice of the customer the payer's name is (the
   customer's name or company, any case).
Anything else, or more than one candidate, is left for staff ("Bank credits to match").
"""

import re
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import F, Q

from orders.models import Order
from orders.payment_reference import mod97_check
from orders.services.fulfillment import waits_for_payment

from ..bank_files import rf_references_in
from ..models import BankStatementEntry, Invoice
from ..selectors import OPEN_STATUSES

OPEN = OPEN_STATUSES
ORDER_NUMBER = re.compile(r"\b\d{6,12}\b")


@dataclass(frozen=True)
class BankMatch:
    rule: str  # BankStatementEntry.Rule
    invoice: Invoice | None  # None: a prepaid order paid before it is invoiced
    order: Order


def _invoice_number_pattern() -> re.Pattern:
    return re.compile(rf"{re.escape(settings.INVOICE_NUMBER_PREFIX)}\s?\d{{4}}-\d{{6}}", re.IGNORECASE)


def _open_invoice(order: Order) -> Invoice | None:
    return order.invoices.filter(status__in=OPEN).order_by("pk").first()


def _by_reference(references: list[str]) -> BankMatch | None:
    for reference in references:
        if not mod97_check(reference):
            continue
        order = (
            Order.objects.select_related("customer").filter(number=reference[4:], payment_reference=reference).first()
        )
        if order is None:
            continue
        invoice = _open_invoice(order)
        if invoice is not None:
            return BankMatch(rule=BankStatementEntry.Rule.REFERENCE, invoice=invoice, order=order)
        if not order.invoices.exists() and waits_for_payment(order):
            return BankMatch(rule=BankStatementEntry.Rule.REFERENCE, invoice=None, order=order)
    return None


def _by_number(text: str) -> BankMatch | None:
    numbers = {match.replace(" ", "").upper() for match in _invoice_number_pattern().findall(text)}
    invoices = list(Invoice.objects.select_related("order").filter(number__in=numbers, status__in=OPEN)[:2])
    if len(invoices) == 1:
        return BankMatch(rule=BankStatementEntry.Rule.NUMBER, invoice=invoices[0], order=invoices[0].order)
    order_numbers = set(ORDER_NUMBER.findall(text))
    if not invoices and order_numbers:
        invoices = list(
            Invoice.objects.select_related("order").filter(order__number__in=order_numbers, status__in=OPEN)[:2]
        )
        if len(invoices) == 1:
            return BankMatch(rule=BankStatementEntry.Rule.NUMBER, invoice=invoices[0], order=invoices[0].order)
    return None


def _by_amount(amount: Decimal, counterparty: str) -> BankMatch | None:
    name = counterparty.strip()
    if not name:
        return None
    invoices = list(
        Invoice.objects.select_related("order")
        .filter(status__in=OPEN)
        .filter(Q(order__customer__full_name__iexact=name) | Q(order__customer__company__iexact=name))
        .annotate(due=F("total") - F("amount_credited") - F("amount_paid"))
        .filter(due=amount)[:2]
    )
    if len(invoices) == 1:
        return BankMatch(rule=BankStatementEntry.Rule.AMOUNT, invoice=invoices[0], order=invoices[0].order)
    return None


def bank_match_find(*, amount: Decimal, reference: str, remittance: str, counterparty: str) -> BankMatch | None:
    """The invoice (or prepaid order) this credit pays, or None for staff to decide."""
    references = ([reference] if reference else []) + rf_references_in(remittance)
    return _by_reference(references) or _by_number(remittance) or _by_amount(amount, counterparty)


def bank_match_candidates(*, entry: BankStatementEntry, search: str = "", limit: int = 20) -> list[Invoice]:
    """Open invoices staff may match an entry to: those owing exactly its amount, or, with a
    search, those whose invoice or order number begins with it, or whose billing name begins with it."""
    invoices = Invoice.objects.select_related("order").filter(status__in=OPEN)
    search = search.strip()
    if search:
        invoices = invoices.filter(
            Q(number__startswith=search.upper())
            | Q(order__number__startswith=search)
            | Q(billing_name__istartswith=search)
        )
    else:
        invoices = invoices.annotate(due=F("total") - F("amount_credited") - F("amount_paid")).filter(due=entry.amount)
    return list(invoices.order_by("due_date", "pk")[:limit])
