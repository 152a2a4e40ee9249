"""A bank statement is imported -> each credit it can match pays its invoice (as "Record payment"
does: the invoice settles, a paid order completes) and the rest waits for staff (issue 14, item 4).

The file is read and checked whole before anything is written (invoicing.bank_files): a bad file is
refused with the line or entry named and nothing recorded. Then one transaction records the
statement, its credits and their payments. The same statement again is refused (its id is
unique); a credit whose bank entry id was imported before (an overlapping statement) is skipped.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format

from invoicing.bank_files import BankFileRefused, ParsedEntry, statement_parse
from invoicing.models import BankStatement, BankStatementEntry, Invoice
from invoicing.services import payment_record_before_invoice
from invoicing.services.bank_matching import OPEN, BankMatch, bank_match_find
from orders.models import Order
from orders_site.core.exceptions import ApplicationError, PermissionRefused

from .settlement import payment_record

PERMISSION = "invoicing.record_payment"


@dataclass(frozen=True)
class StatementImported:
    statement: BankStatement
    matched: int
    to_match: int
    known_before: int  # credits an earlier statement brought already
    debits_skipped: int


def _check(actor) -> None:
    if actor is not None and not (actor.is_active and actor.is_staff and actor.has_perm(PERMISSION)):
        raise PermissionRefused("You are not allowed to import bank statements.")


def bank_statement_import(*, name: str, content: bytes, actor=None) -> StatementImported:
    """Read and record a statement file (CAMT.053 or CSV). Returns what happened.

    Locks: per matched credit, the order and its invoice (payment_record's). Raises
    PermissionRefused, BankFileRefused (a bad file, a currency the shop does not take, the same
    statement again), before writing anything."""
    _check(actor)
    parsed = statement_parse(name=name, content=content, currencies={settings.CURRENCY})
    earlier = BankStatement.objects.filter(statement_id=parsed.statement_id).first()
    if earlier is not None:
        raise _already(earlier)
    try:
        with transaction.atomic():
            statement = BankStatement.objects.create(
                statement_id=parsed.statement_id,
                source=parsed.source,
                file_name=name[:200],
                account_iban=parsed.account_iban,
                imported_by=actor,
            )
            known = set(
                BankStatementEntry.objects.filter(
                    account_iban=parsed.account_iban, entry_ref__in=[entry.entry_ref for entry in parsed.entries]
                ).values_list("entry_ref", flat=True)
            )
            fresh = [entry for entry in parsed.entries if entry.entry_ref not in known]
            matched = sum(_record(statement, entry, actor=actor) for entry in fresh)
            BankStatement.objects.filter(pk=statement.pk).update(credits=len(fresh), matched=matched)
            statement.refresh_from_db()
    except IntegrityError as error:  # the same statement imported at the same moment by someone else
        earlier = BankStatement.objects.filter(statement_id=parsed.statement_id).first()
        if earlier is not None:
            raise _already(earlier) from error
        raise
    return StatementImported(
        statement=statement,
        matched=matched,
        to_match=len(fresh) - matched,
        known_before=len(parsed.entries) - len(fresh),
        debits_skipped=parsed.debits_skipped,
    )


def _already(earlier: BankStatement) -> BankFileRefused:
    when = date_format(timezone.localtime(earlier.imported_at), "j F Y, H:i")
    return BankFileRefused(
        f"Statement {earlier.statement_id} was imported already ({when}); nothing was recorded again."
    )


def _record(statement: BankStatement, parsed: ParsedEntry, *, actor) -> bool:
    """One credit: its row, and its payment when it matches. True when matched."""
    entry = BankStatementEntry.objects.create(
        statement=statement,
        entry_ref=parsed.entry_ref,
        account_iban=statement.account_iban,
        booked_on=parsed.booked_on,
        amount=parsed.amount,
        currency=parsed.currency,
        counterparty=parsed.counterparty,
        iban=parsed.iban,
        remittance=parsed.remittance,
        reference=parsed.reference,
    )
    match = bank_match_find(
        amount=parsed.amount, reference=parsed.reference, remittance=parsed.remittance, counterparty=parsed.counterparty
    )
    if match is None:
        return False
    _pay(entry, match, actor=actor)
    return True


def _pay(entry: BankStatementEntry, match: BankMatch, *, actor) -> None:
    reference = (entry.reference or entry.remittance or entry.entry_ref)[:100]
    if match.invoice is not None:
        payment = payment_record(
            invoice=match.invoice,
            amount=entry.amount,
            method=Order.PaymentMethod.BANK_TRANSFER,
            reference=reference,
            actor=actor,
        )
    else:
        payment = payment_record_before_invoice(
            order=match.order,
            amount=entry.amount,
            method=Order.PaymentMethod.BANK_TRANSFER,
            reference=reference,
            actor=actor,
        )
    BankStatementEntry.objects.filter(pk=entry.pk).update(
        status=BankStatementEntry.Status.MATCHED,
        rule=match.rule,
        invoice=match.invoice,
        payment=payment,
        decided_by=actor if match.rule == BankStatementEntry.Rule.STAFF else None,
        decided_at=timezone.now(),
    )


@transaction.atomic
def bank_entry_match(*, entry: BankStatementEntry, invoice: Invoice, actor=None) -> BankStatementEntry:
    """Staff match a credit that waited to an open invoice: the payment is recorded as "Record
    payment" records it (partial and over-payments as there). Locks the entry, then the order and
    its invoice. Raises PermissionRefused, ApplicationError (matched or dismissed already, the
    invoice is not open)."""
    _check(actor)
    entry = BankStatementEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.status != BankStatementEntry.Status.UNMATCHED:
        raise ApplicationError(f"This credit is “{entry.get_status_display()}” already; nothing was done.")
    invoice = Invoice.objects.select_related("order").get(pk=invoice.pk)
    if invoice.status not in OPEN:
        raise ApplicationError(f"Invoice {invoice} is {invoice.get_status_display().lower()}: choose an open one.")
    _pay(entry, BankMatch(rule=BankStatementEntry.Rule.STAFF, invoice=invoice, order=invoice.order), actor=actor)
    BankStatement.objects.filter(pk=entry.statement_id).update(matched=F("matched") + 1)
    entry.refresh_from_db()
    return entry


@transaction.atomic
def bank_entry_dismiss(*, entry: BankStatementEntry, reason: str, actor=None) -> BankStatementEntry:
    """Staff mark a credit "not ours" (a transfer meant for someone else, the owner's own money),
    with a reason: it leaves the queue. Raises PermissionRefused, ApplicationError."""
    _check(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Say why this money is not a customer's payment.", extra={"field": "reason"})
    entry = BankStatementEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.status != BankStatementEntry.Status.UNMATCHED:
        raise ApplicationError(f"This credit is “{entry.get_status_display()}” already; nothing was done.")
    BankStatementEntry.objects.filter(pk=entry.pk).update(
        status=BankStatementEntry.Status.NOT_OURS, note=reason[:300], decided_by=actor, decided_at=timezone.now()
    )
    entry.refresh_from_db()
    return entry
