"""Payment reminders (dunning, issue 14 item 3): the levels managers set (e.g. friendly at due + 3
days, firm at + 14, final at + 30 with a fee), sent by a daily beat job.

Each invoice gets each level at most once: the reminder row is unique per invoice and level in the
database, and the send checks, holding the order's and the invoice's locks, that no reminder of
that level or a later one exists, so two beat runs at once (or a run after a worker died) send
nothing twice. An invoice that is paid, credited in full or put on hold by staff ("disputed") gets
none. An invoice that fell behind several levels at once (reminders switched on late, the beat
down for weeks) gets only the latest level it reached, never a burst of three e-mails.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from orders.events import (
    event_invoice_reminder_sent,
    event_invoice_reminders_held,
    event_invoice_reminders_resumed,
)
from orders.locks import order_lock
from orders.models import EmailNotification
from orders.services.notifications import notification_queue
from orders_site.core.exceptions import ApplicationError, PermissionRefused
from orders_site.core.formatting import money_display

from ..locks import invoice_lock
from ..models import Invoice, InvoiceReminder, ReminderLevel
from ..selectors import OPEN_STATUSES

REMINDABLE = OPEN_STATUSES  # paid, credited in full or a draft: no reminder
HOLD_PERMISSION = "invoicing.hold_reminders"


@dataclass(frozen=True)
class ReminderDue:
    invoice_id: int
    level_id: int


def _level_reached(levels: list[ReminderLevel], days_overdue: int) -> ReminderLevel | None:
    reached = [level for level in levels if level.days_after_due <= days_overdue]
    return reached[-1] if reached else None


def reminders_due(*, today: date | None = None) -> list[ReminderDue]:
    """Which invoice gets which level today: open, not on hold, overdue by at least the first
    active level's days, and no reminder yet of the latest level reached (or a later one).
    Two queries whatever the number of invoices (the open-and-due ones are few beside all)."""
    today = today or timezone.localdate()
    levels = list(ReminderLevel.objects.filter(is_active=True).order_by("days_after_due"))
    if not levels:
        return []
    candidates = (
        Invoice.objects.filter(
            status__in=REMINDABLE,
            reminders_on_hold=False,
            due_date__lte=today - timedelta(days=levels[0].days_after_due),
        )
        .annotate(last_days=Max("reminders__level__days_after_due"))
        .order_by("due_date", "pk")
        .values_list("pk", "due_date", "last_days")
    )
    due = []
    for invoice_id, due_date, last_days in candidates:
        level = _level_reached(levels, (today - due_date).days)
        if level is not None and (last_days is None or level.days_after_due > last_days):
            due.append(ReminderDue(invoice_id=invoice_id, level_id=level.pk))
    return due


@transaction.atomic
def reminder_send(*, invoice_id: int, level_id: int, today: date | None = None) -> InvoiceReminder | None:
    """Send one reminder: the row, the event on the order's timeline and the e-mail (the outbox,
    after commit, with the invoice PDF). Returns None, writing nothing, when it is no longer due
    (paid, credited, on hold, sent already by another run, or not yet that far overdue).

    Locks: orders.locks.order_lock, then invoicing.locks.invoice_lock (the one lock order)."""
    today = today or timezone.localdate()
    order_id = Invoice.objects.filter(pk=invoice_id).values_list("order_id", flat=True).first()
    if order_id is None:
        return None
    order = order_lock(order_id=order_id)
    invoice = invoice_lock(invoice_id=invoice_id)
    level = ReminderLevel.objects.filter(pk=level_id, is_active=True).first()
    if level is None or invoice.status not in REMINDABLE or invoice.reminders_on_hold or invoice.balance_due <= 0:
        return None
    days_overdue = (today - invoice.due_date).days
    if days_overdue < level.days_after_due:
        return None
    if invoice.reminders.filter(level__days_after_due__gte=level.days_after_due).exists():
        return None
    reminder = InvoiceReminder.objects.create(
        invoice=invoice,
        level=level,
        amount_due=invoice.balance_due,
        fee=level.fee,
        days_overdue=days_overdue,
    )
    fee = f", reminder fee {money_display(level.fee, invoice.currency)}" if level.fee else ""
    event_invoice_reminder_sent(
        order=order,
        invoice=invoice,
        note=f"{level.name} for invoice {invoice.number}: {money_display(invoice.balance_due, invoice.currency)} "
        f"overdue by {days_overdue} days{fee}",
        data={"invoice": invoice.number, "level": level.name, "amount_due": str(invoice.balance_due)},
    )
    notification_queue(order=order, kind=EmailNotification.Kind.PAYMENT_REMINDER, subject_key=f"reminder:{reminder.pk}")
    return reminder


def reminders_send_due(*, today: date | None = None) -> int:
    """The beat job: send every reminder due today, each in its own transaction (one invoice's
    problem does not hold back the others). Returns how many went out."""
    return sum(
        reminder_send(invoice_id=due.invoice_id, level_id=due.level_id, today=today) is not None
        for due in reminders_due(today=today)
    )


@transaction.atomic
def invoice_reminders_hold(*, invoice: Invoice, on_hold: bool, reason: str = "", actor=None) -> Invoice:
    """Put an invoice's reminders on hold (the customer disputes it: no reminder goes out until
    staff resume them), or resume them. With a reason on the order's timeline.

    Locks: orders.locks.order_lock, then invoicing.locks.invoice_lock. Raises PermissionRefused,
    ApplicationError (no reason to hold, already so, not an open invoice)."""
    if actor is not None and not (actor.is_staff and actor.has_perm(HOLD_PERMISSION)):
        raise PermissionRefused("You are not allowed to put reminders on hold.")
    reason = reason.strip()
    if on_hold and not reason:
        raise ApplicationError(
            "Say why the invoice is disputed; it is on the order's timeline.", extra={"field": "reason"}
        )
    order = order_lock(order_id=invoice.order_id)
    invoice = invoice_lock(invoice_id=invoice.pk)
    if invoice.reminders_on_hold == on_hold:
        raise ApplicationError(
            f"The reminders of invoice {invoice} are {'on hold' if on_hold else 'not on hold'} already."
        )
    if on_hold and invoice.status not in REMINDABLE:
        raise ApplicationError(f"Invoice {invoice} is {invoice.get_status_display().lower()}: no reminder goes out.")
    Invoice.objects.filter(pk=invoice.pk).update(
        reminders_on_hold=on_hold, reminders_hold_reason=reason[:300] if on_hold else "", updated_at=timezone.now()
    )
    invoice.refresh_from_db()
    record = event_invoice_reminders_held if on_hold else event_invoice_reminders_resumed
    record(order=order, invoice=invoice, reason=reason, actor=actor)
    return invoice
