"""Payment reminders in the console: customer service puts a disputed invoice's reminders on hold
from the invoice's page and resumes them; the invoice lists the reminders sent; managers set the
levels."""

from datetime import timedelta

import pytest
from django.urls import reverse

from invoicing.models import Invoice
from invoicing.services.reminders import reminders_send_due
from tests.builders import order_build, reminder_levels_build

from .journeys import action_url, change_url, errors_in, press, successes_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def overdue(catalogue):
    reminder_levels_build()
    invoice = order_build(state="invoiced", lines=[(catalogue.book, 1)]).invoices.get()
    reminders_send_due(today=invoice.due_date + timedelta(days=3))
    return Invoice.objects.get(pk=invoice.pk)


def test_customer_service_holds_a_disputed_invoices_reminders_and_resumes_them(overdue, staff_client):
    browser = staff_client("Customer service")
    page = browser.get(change_url(overdue)).text
    assert action_url(overdue, "hold_reminders") in page
    assert "Friendly reminder" in page  # the reminder sent, listed on the invoice

    refused = press(browser, overdue, "hold_reminders", guard={"expected_status": overdue.status}, reason="")
    assert "This field is required." in refused.text
    assert not Invoice.objects.get(pk=overdue.pk).reminders_on_hold

    held = press(browser, overdue, "hold_reminders", guard={"expected_status": overdue.status}, reason="Price disputed")
    assert errors_in(held) == [] and successes_in(held) == [f"The reminders of invoice {overdue} are on hold."]
    invoice = Invoice.objects.get(pk=overdue.pk)
    assert (invoice.reminders_on_hold, invoice.reminders_hold_reason) == (True, "Price disputed")
    assert reminders_send_due(today=invoice.due_date + timedelta(days=20)) == 0

    resumed = press(browser, invoice, "resume_reminders", guard={"expected_status": invoice.status}, reason="")
    assert successes_in(resumed) and not Invoice.objects.get(pk=overdue.pk).reminders_on_hold


def test_the_warehouse_cannot_hold_reminders(overdue, staff_client):
    browser = staff_client("Warehouse")
    assert browser.get(change_url(overdue)).status_code == 403  # it does not see invoices at all
    response = press(browser, overdue, "hold_reminders", guard={"expected_status": overdue.status}, reason="x")
    assert response.status_code == 403
    assert not Invoice.objects.get(pk=overdue.pk).reminders_on_hold


def test_managers_set_the_levels(overdue, staff_client):
    browser = staff_client("Managers")
    listed = browser.get(reverse("admin:invoicing_reminderlevel_changelist")).text
    assert "Friendly reminder" in listed and "Final reminder" in listed
    sent = browser.get(reverse("admin:invoicing_invoicereminder_changelist")).text
    assert overdue.number in sent
