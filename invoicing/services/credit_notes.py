"""Credit notes: the one way to correct an issued invoice (issue 13, item 2).

What a credit note takes off, in three parts that can be combined:
- units of invoice lines: each unit at the line's frozen net and tax per unit (its discount
  included), rounded half-up per line; the last units of a line take exactly what is left of
  it, so crediting a line in several notes never leaves a cent behind or takes one too many;
- the delivery fee, once per invoice, net and tax as invoiced;
- an amount (gross, with the reason), split over the invoice's tax rates in proportion to what
  each rate still has left, the tax of each part worked back from its gross.
Never more than was invoiced: per line in units, per invoice in money (`Invoice.amount_credited`
moves with F() under a CheckConstraint, amount_credited <= total, the last line of defence).

What a credit does to the money: an unpaid invoice owes less (its balance, PDF and reminders
read `balance_due`); one credited in full before any payment is "Credited in full"; one paid
already leaves money owed back (an `AmountOwedBack` row, the "Owed back to customers" queue,
which a refund settles).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from orders.events import event_credit_note_issued
from orders.locks import order_lock
from orders.models import EmailNotification
from orders.services.notifications import notification_queue
from orders.services.transitions import transition_run
from orders_site.core.exceptions import ApplicationError, PermissionRefused
from orders_site.core.formatting import money_display
from orders_site.core.money import ZERO, money
from orders_site.core.sequences import sequence_next
from orders_site.core.tasks import task_send, task_send_on_commit

from ..locks import invoice_lock
from ..models import CreditNote, CreditNoteLine, Invoice, InvoiceLine
from ..pdf import credit_note_pdf_render, pdf_store
from .invoices import invoice_pdf_refresh
from .owed_back import amount_owed_back_record
from .standing import payment_standing_refresh

CREDIT_NOTE_PDF_TASK = "invoicing.tasks.credit_note_pdf_render_task"
PERMISSION = "invoicing.issue_credit_note"
CREDITABLE = (Invoice.Status.ISSUED, Invoice.Status.PARTIALLY_PAID, Invoice.Status.PAID)


class CreditRefused(ApplicationError):
    """The credit note cannot be issued; `extra["field"]` names the form field when there is one."""


def units_field(invoice_line_id: int) -> str:
    """The form field (and CreditRefused extra["field"]) for the units credited of one invoice line."""
    return f"line_{invoice_line_id}"


@dataclass(frozen=True)
class CreditableLine:
    """An invoice line with what is left to credit of it."""

    line: InvoiceLine
    units_left: int
    net_left: Decimal
    tax_left: Decimal


@dataclass(frozen=True)
class Creditable:
    """What an invoice still allows to be credited (the credit-note page shows it)."""

    lines: list[CreditableLine]
    shipping_net: Decimal
    shipping_tax: Decimal
    shipping_rate: Decimal
    amount_left: Decimal

    @property
    def shipping_left(self) -> Decimal:
        return self.shipping_net + self.shipping_tax


def _shipping(invoice: Invoice) -> tuple[Decimal, Decimal, Decimal]:
    rate = invoice.order.shipping_tax_rate
    return invoice.shipping_total, money(invoice.shipping_total * rate), rate


def invoice_creditable(*, invoice: Invoice) -> Creditable:
    """What is left to credit on this invoice: per line (units, net, tax), the delivery fee (zero
    once credited), and the money in all. Three queries."""
    lines = list(invoice.lines.order_by("pk"))
    taken = {
        row["invoice_line_id"]: row
        for row in CreditNoteLine.objects.filter(credit_note__invoice=invoice, kind=CreditNoteLine.Kind.UNITS)
        .values("invoice_line_id")
        .annotate(units=Sum("quantity"), net=Sum("net_amount"), tax=Sum("tax_amount"))
    }
    shipping_net, shipping_tax, rate = _shipping(invoice)
    if CreditNoteLine.objects.filter(credit_note__invoice=invoice, kind=CreditNoteLine.Kind.SHIPPING).exists():
        shipping_net = shipping_tax = ZERO
    return Creditable(
        lines=[
            CreditableLine(
                line=line,
                units_left=line.quantity - (taken.get(line.pk, {}).get("units") or 0),
                net_left=line.net_amount - (taken.get(line.pk, {}).get("net") or ZERO),
                tax_left=line.tax_amount - (taken.get(line.pk, {}).get("tax") or ZERO),
            )
            for line in lines
        ],
        shipping_net=shipping_net,
        shipping_tax=shipping_tax,
        shipping_rate=rate,
        amount_left=invoice.total - invoice.amount_credited,
    )


def _unit_lines(creditable: Creditable, units: dict[int, int]) -> list[CreditNoteLine]:
    by_id = {entry.line.pk: entry for entry in creditable.lines}
    made = []
    for line_id, count in sorted(units.items()):
        field = units_field(line_id)
        entry = by_id.get(line_id)
        if entry is None:
            raise CreditRefused("That line is not on this invoice.", extra={"field": field})
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise CreditRefused("Enter a whole number of units.", extra={"field": field})
        if count == 0:
            continue
        line = entry.line
        if count > entry.units_left:
            raise CreditRefused(
                f"{line.sku or line.description}: {entry.units_left} of {line.quantity} invoiced "
                "can still be credited.",
                extra={"field": field},
            )
        if count == entry.units_left:  # the last units take exactly what is left of the line
            net, tax = entry.net_left, entry.tax_left
        else:
            net = money(line.net_amount * count / line.quantity)
            tax = money(line.tax_amount * count / line.quantity)
        made.append(
            CreditNoteLine(
                kind=CreditNoteLine.Kind.UNITS,
                invoice_line=line,
                description=line.description,
                quantity=count,
                tax_rate=line.tax_rate,
                net_amount=net,
                tax_amount=tax,
                line_total=net + tax,
            )
        )
    return made


def _amount_lines(invoice: Invoice, creditable: Creditable, amount: Decimal, reason: str) -> list[CreditNoteLine]:
    """`amount` (gross) over the tax rates, in proportion to each rate's gross still uncredited."""
    left: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    for entry in creditable.lines:
        left[entry.line.tax_rate] += entry.net_left + entry.tax_left
    left[creditable.shipping_rate] += creditable.shipping_left
    rates = [(rate, gross) for rate, gross in sorted(left.items()) if gross > 0]
    if not rates:  # everything credited by line already: any amount left sits at the first rate
        rates = [(invoice.lines.order_by("pk").values_list("tax_rate", flat=True).first() or ZERO, Decimal(1))]
    whole = sum(gross for _, gross in rates)
    made, given = [], ZERO
    for index, (rate, gross) in enumerate(rates):
        part = amount - given if index == len(rates) - 1 else money(amount * gross / whole)
        given += part
        if part <= 0:
            continue
        net = money(part / (1 + rate))
        made.append(
            CreditNoteLine(
                kind=CreditNoteLine.Kind.AMOUNT,
                description=reason[:250],
                tax_rate=rate,
                net_amount=net,
                tax_amount=part - net,
                line_total=part,
            )
        )
    return made


def _breakdown(lines: list[CreditNoteLine]) -> list[dict]:
    per_rate: dict[Decimal, dict[str, Decimal]] = defaultdict(lambda: {"net": ZERO, "tax": ZERO})
    for line in lines:
        per_rate[line.tax_rate]["net"] += line.net_amount
        per_rate[line.tax_rate]["tax"] += line.tax_amount
    return [
        {
            "rate": str(rate),
            "percent": f"{rate * 100:.2f}".rstrip("0").rstrip("."),
            "net": str(v["net"]),
            "tax": str(v["tax"]),
        }
        for rate, v in sorted(per_rate.items())
    ]


@transaction.atomic
def credit_note_issue(
    *,
    invoice: Invoice,
    reason: str,
    units: dict[int, int] | None = None,
    include_shipping: bool = False,
    amount: Decimal | None = None,
    actor=None,
    shipment=None,
) -> CreditNote:
    """Issue a credit note against an issued invoice: `units` ({invoice line id: units}), the
    delivery fee (`include_shipping`), and/or a gross `amount`, with a `reason` (required);
    `shipment` names the returned parcel it credits (once: the database refuses a second note).
    Returns it, numbered `<CREDIT_NOTE_NUMBER_PREFIX><year>-<000001>` with the next number of its
    year's own gapless sequence.

    Locks: orders.locks.order_lock, invoicing.locks.invoice_lock, then the credit-note counter of
    the year (orders_site.core.locks.sequence_lock, until commit). Writes one "Credit note issued"
    event on the order's timeline; an invoice credited in full before payment moves to "Credited
    in full" (its own event); a paid invoice leaves the money owed back (AmountOwedBack).
    Queues, on commit: the PDF render and the customer's e-mail (the PDF attached).
    Raises PermissionRefused (not customer service or a manager), CreditRefused (no reason,
    nothing to credit, a line of another invoice, more units than are left, an amount above what
    is left, a draft or fully credited invoice, the delivery fee twice), before writing anything.
    """
    if actor is not None and not (actor.is_active and actor.is_staff and actor.has_perm(PERMISSION)):
        raise PermissionRefused("You are not allowed to issue credit notes.")
    reason = (reason or "").strip()
    if not reason:
        raise CreditRefused(
            "Say why the invoice is corrected; the reason is printed on the credit note.", extra={"field": "reason"}
        )
    order_lock(order_id=invoice.order_id)
    invoice = invoice_lock(invoice_id=invoice.pk)
    if invoice.status not in CREDITABLE:
        raise CreditRefused(f"Invoice {invoice} is {invoice.get_status_display().lower()}; it cannot be credited.")
    creditable = invoice_creditable(invoice=invoice)
    lines = _unit_lines(creditable, units or {})
    if include_shipping:
        if creditable.shipping_left <= 0:
            raise CreditRefused(
                "The delivery fee of this invoice was credited already (or there was none).",
                extra={"field": "include_shipping"},
            )
        lines.append(
            CreditNoteLine(
                kind=CreditNoteLine.Kind.SHIPPING,
                description=f"Delivery: {invoice.order.delivery_method_name}",
                tax_rate=creditable.shipping_rate,
                net_amount=creditable.shipping_net,
                tax_amount=creditable.shipping_tax,
                line_total=creditable.shipping_left,
            )
        )
    if amount is not None:
        amount = money(amount)
        if amount <= 0:
            raise CreditRefused("Enter an amount above zero, or leave it empty.", extra={"field": "amount"})
    goods = sum((line.line_total for line in lines), ZERO)
    if amount:
        if goods + amount > creditable.amount_left:
            raise CreditRefused(
                f"At most {money_display(creditable.amount_left - goods, invoice.currency)} more can be credited on "
                f"invoice {invoice}.",
                extra={"field": "amount"},
            )
        lines += _amount_lines(invoice, creditable, amount, reason)
    total = sum((line.line_total for line in lines), ZERO)
    if total <= 0:
        raise CreditRefused("Choose units, the delivery fee or an amount to credit.", extra={"field": "amount"})
    if total > creditable.amount_left:
        # Only when earlier amount credits used up what the lines still show.
        raise CreditRefused(
            f"At most {money_display(creditable.amount_left, invoice.currency)} can still be credited "
            f"on invoice {invoice}.",
            extra={"field": "amount"},
        )

    # From here on: writes.
    issued_at = timezone.now()
    year = timezone.localdate(issued_at).year
    number = f"{settings.CREDIT_NOTE_NUMBER_PREFIX}{year}-{sequence_next(name=f'credit-note-{year}'):06d}"
    credit_note = CreditNote.objects.create(
        invoice=invoice,
        order_id=invoice.order_id,
        number=number,
        issued_at=issued_at,
        reason=reason[:300],
        created_by=actor,
        currency=invoice.currency,
        net_total=sum((line.net_amount for line in lines), ZERO),
        tax_total=sum((line.tax_amount for line in lines), ZERO),
        total=total,
        tax_breakdown=_breakdown(lines),
        shipment=shipment,
    )
    for line in lines:
        line.credit_note = credit_note
    CreditNoteLine.objects.bulk_create(lines)
    owed_before = max(ZERO, invoice.amount_paid - invoice.amount_owed)
    Invoice.objects.filter(pk=invoice.pk).update(amount_credited=F("amount_credited") + total, updated_at=issued_at)
    invoice.refresh_from_db(fields=["amount_credited"])
    event_credit_note_issued(
        order=invoice.order,
        actor=actor,
        note=f"Credit note {number} of {money_display(total, invoice.currency)} on invoice {invoice}: {reason}",
        data={"credit_note": number, "invoice": invoice.number, "total": str(total)},
    )
    owed_back = max(ZERO, invoice.amount_paid - invoice.amount_owed) - owed_before
    if owed_back > 0:
        amount_owed_back_record(
            order=invoice.order, amount=owed_back, credit_note=credit_note, reason=f"Credit note {number}: {reason}"
        )
    if invoice.balance_due <= 0 and invoice.status != Invoice.Status.PAID:
        transition = "credit_in_full" if invoice.amount_paid == 0 else "mark_paid"
        transition_run(
            model=Invoice,
            pk=invoice.pk,
            transition=transition,
            actor=actor,
            check_permission=False,
            data={"credited": str(invoice.amount_credited), "paid": str(invoice.amount_paid)},
        )
    payment_standing_refresh(order=invoice.order)
    # The stored invoice PDF says what is due: render it again with what was credited.
    invoice_pdf_refresh(invoice=invoice)
    task_send_on_commit(CREDIT_NOTE_PDF_TASK, credit_note.pk)
    notification_queue(
        order=invoice.order, kind=EmailNotification.Kind.CREDIT_NOTE, subject_key=f"credit_note:{credit_note.pk}"
    )
    return credit_note


def credit_note_issue_for_rest(*, invoice: Invoice, reason: str, actor=None) -> CreditNote:
    """Credit all that is left of an invoice (an order cancelled after it was invoiced): every unit
    not credited yet and the delivery fee, or, when earlier amount credits make the lines say
    more than is left, that amount. As credit_note_issue (locks, events, PDF, e-mail)."""
    creditable = invoice_creditable(invoice=invoice)
    units = {entry.line.pk: entry.units_left for entry in creditable.lines if entry.units_left > 0}
    goods = sum((entry.net_left + entry.tax_left for entry in creditable.lines if entry.units_left > 0), ZERO)
    shipping = creditable.shipping_net + creditable.shipping_tax
    if goods + shipping == creditable.amount_left:
        return credit_note_issue(
            invoice=invoice, reason=reason, units=units, include_shipping=shipping > 0, actor=actor
        )
    return credit_note_issue(invoice=invoice, reason=reason, amount=creditable.amount_left, actor=actor)


def credit_note_pdf_ensure(*, credit_note_id: int) -> tuple[CreditNote, bytes]:
    """The credit note's stored PDF, rendered and stored first if it is not there yet (the row is
    locked while rendering, so two workers never render it twice; as invoice_pdf_ensure)."""
    with transaction.atomic():
        credit_note = (
            CreditNote.objects.select_for_update(of=("self",)).select_related("invoice", "order").get(pk=credit_note_id)
        )
        if credit_note.pdf:
            with credit_note.pdf.open("rb") as stored:
                return credit_note, stored.read()
        pdf_bytes = credit_note_pdf_render(credit_note=credit_note, lines=list(credit_note.lines.all()))
        pdf_store(credit_note, pdf_bytes, credit_note.number)
    return credit_note, pdf_bytes


def credit_note_pdf_requeue_missing(*, older_than_seconds: int | None = None) -> int:
    """Queue the PDF again for credit notes still without one that long after issue (a lost task)."""
    if older_than_seconds is None:
        older_than_seconds = settings.RECOVERY_SWEEP_AFTER_SECONDS
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(CreditNote.objects.filter(pdf="", issued_at__lt=cutoff).values_list("pk", flat=True))
    for credit_note_id in ids:
        task_send(CREDIT_NOTE_PDF_TASK, credit_note_id)
    return len(ids)
