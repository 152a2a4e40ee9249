"""Payment reminders (dunning, issue 14 item 3): the levels (friendly at due + 3, second at + 14,
final at + 30 with a 5.00 fee: the defaults migration 0011 creates) go out once per invoice and
level as the days pass, never after payment or while the invoice is disputed."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection

from invoicing.models import Invoice, InvoiceReminder, ReminderLevel
from invoicing.services.reminders import invoice_reminders_hold, reminders_due, reminders_send_due
from lifecycle.credit_notes import credit_note_issue
from lifecycle.settlement import payment_record
from orders.models import EmailNotification, OrderEvent
from orders_site.core.exceptions import ApplicationError, PermissionRefused
from orders_site.core.formatting import money_display
from tests.builders import order_build, reminder_levels_build, staff_member

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def levels(db):
    return reminder_levels_build()


def overdue_invoice(catalogue) -> Invoice:
    """An unpaid bank-transfer invoice (due DEFAULT_PAYMENT_TERMS_DAYS after issue)."""
    return order_build(state="invoiced", lines=[(catalogue.book, 2)]).invoices.get()


def run(invoice: Invoice, days_after_due: int, capture) -> int:
    """Beat's run on the day `days_after_due` after the invoice's due date, e-mails sent on commit."""
    with capture(execute=True):
        return reminders_send_due(today=invoice.due_date + timedelta(days=days_after_due))


def reminder_mails(mailoutbox, invoice):
    return [m for m in mailoutbox if "reminder" in m.subject and invoice.number in m.subject]


def test_each_level_goes_out_once_as_the_days_pass_and_none_after_payment(
    catalogue, mailoutbox, django_capture_on_commit_callbacks
):
    invoice = overdue_invoice(catalogue)
    capture = django_capture_on_commit_callbacks

    assert run(invoice, 2, capture) == 0  # not yet: the first level is at due + 3
    assert run(invoice, 3, capture) == 1
    assert run(invoice, 3, capture) == 0  # beat again the same day: nothing twice
    assert run(invoice, 13, capture) == 0
    assert run(invoice, 14, capture) == 1
    assert run(invoice, 20, capture) == 0

    levels = list(
        InvoiceReminder.objects.filter(invoice=invoice).order_by("sent_at").values_list("level__name", flat=True)
    )
    assert levels == ["Friendly reminder", "Second reminder"]
    friendly, second = reminder_mails(mailoutbox, invoice)
    assert friendly.subject == f"Friendly reminder: invoice {invoice.number} for order {invoice.order.number}"
    assert f"Amount due:     {money_display(invoice.total)}" in friendly.body
    assert "Due since:" in friendly.body and "(3 days ago)" in friendly.body
    assert invoice.order.payment_reference[:4] in friendly.body.replace(" ", "")  # how to pay: the reference
    assert [name for name, _content, _type in friendly.attachments] == [f"invoice-{invoice.number}.pdf"]
    assert "(14 days ago)" in second.body

    # The customer pays: the final level never goes out.
    with django_capture_on_commit_callbacks(execute=True):
        payment_record(
            invoice=invoice, amount=invoice.total, method="bank_transfer", actor=staff_member("Customer service")
        )
    assert run(invoice, 30, capture) == 0
    assert len(reminder_mails(mailoutbox, invoice)) == 2

    events = OrderEvent.objects.filter(order=invoice.order, kind="invoice.reminder_sent").order_by("pk")
    assert [e.note.split(" for ")[0] for e in events] == ["Friendly reminder", "Second reminder"]
    assert all(e.customer_visible and e.actor_label == "reminders" for e in events)


def test_an_invoice_far_behind_gets_only_the_latest_level_with_its_fee(
    catalogue, mailoutbox, django_capture_on_commit_callbacks
):
    invoice = overdue_invoice(catalogue)

    assert run(invoice, 45, django_capture_on_commit_callbacks) == 1

    (reminder,) = InvoiceReminder.objects.filter(invoice=invoice)
    assert (reminder.level.name, reminder.fee, reminder.days_overdue) == ("Final reminder", Decimal("5.00"), 45)
    (mail,) = reminder_mails(mailoutbox, invoice)
    assert f"Reminder fee:   {money_display(Decimal('5.00'))}" in mail.body
    assert f"To pay:         {money_display(invoice.total + Decimal('5.00'))}" in mail.body
    assert run(invoice, 60, django_capture_on_commit_callbacks) == 0  # past the last level: no more


def test_a_disputed_invoice_gets_no_reminder_until_staff_resume_them(catalogue, django_capture_on_commit_callbacks):
    invoice = overdue_invoice(catalogue)
    desk = staff_member("Customer service")

    with pytest.raises(ApplicationError, match="Say why"):
        invoice_reminders_hold(invoice=invoice, on_hold=True, reason=" ", actor=desk)
    with pytest.raises(PermissionRefused):
        invoice_reminders_hold(invoice=invoice, on_hold=True, reason="Wrong price", actor=staff_member("Warehouse"))
    invoice_reminders_hold(invoice=invoice, on_hold=True, reason="Customer says the price is wrong", actor=desk)

    assert run(invoice, 20, django_capture_on_commit_callbacks) == 0
    invoice_reminders_hold(invoice=invoice, on_hold=False, reason="Price confirmed", actor=desk)
    assert run(invoice, 20, django_capture_on_commit_callbacks) == 1  # the level reached: the second one
    assert InvoiceReminder.objects.get(invoice=invoice).level.days_after_due == 14
    kinds = list(
        OrderEvent.objects.filter(order=invoice.order, object_type="invoice")
        .order_by("pk")
        .values_list("kind", flat=True)
    )
    assert kinds[-3:] == ["invoice.reminders_held", "invoice.reminders_resumed", "invoice.reminder_sent"]


def test_a_credited_invoice_and_an_inactive_level_send_nothing(catalogue, django_capture_on_commit_callbacks):
    credited, other = overdue_invoice(catalogue), overdue_invoice(catalogue)
    credit_note_issue(
        invoice=credited, reason="Goodwill", amount=credited.total, actor=staff_member("Customer service")
    )
    ReminderLevel.objects.filter(days_after_due=3).update(is_active=False)

    assert reminders_due(today=credited.due_date + timedelta(days=5)) == []
    assert run(other, 14, django_capture_on_commit_callbacks) == 1
    assert not EmailNotification.objects.filter(order=credited.order, kind="payment_reminder").exists()


@pytest.mark.postgres
def test_two_runs_racing_send_one_reminder(require_postgres, transactional_db, catalogue):
    invoice = overdue_invoice(catalogue)
    today = invoice.due_date + timedelta(days=3)
    barrier, sent, errors = threading.Barrier(2), [], []

    def beat():
        try:
            barrier.wait()
            sent.append(reminders_send_due(today=today))
        except Exception as error:  # pragma: no cover - shown by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == [] and sorted(sent) == [0, 1]
    assert InvoiceReminder.objects.filter(invoice=invoice).count() == 1
    assert EmailNotification.objects.filter(order=invoice.order, kind="payment_reminder").count() == 1
