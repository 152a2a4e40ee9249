"""The invoice page: "Record payment", the PDF, and who may do what."""

from decimal import Decimal

import pytest

from invoicing.models import Invoice, Payment
from orders.models import Order

from .journeys import action_url, change_url, errors_in, place, press, successes_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(catalogue, staff_users):
    return place(catalogue, state="invoiced", actor=staff_users["Warehouse"]).invoices.get()


def seen(invoice) -> dict:
    return {"expected_amount_paid": str(invoice.amount_paid)}


def test_record_payment_form_offers_the_balance_due(invoice, staff_client):
    response = staff_client("Customer service").get(change_url(invoice))

    assert action_url(invoice, "record_payment") in response.text
    assert f'name="record_payment-amount" value="{invoice.balance_due}"' in response.text
    assert 'name="expected_amount_paid" value="0.00"' in response.text


def test_record_payment_offers_the_ways_money_arrives_not_pay_on_invoice(invoice, staff_client):
    Order.objects.filter(pk=invoice.order_id).update(payment_method=Order.PaymentMethod.ON_INVOICE)  # a desk order
    clerk = staff_client("Customer service")

    page = clerk.get(change_url(invoice)).text

    assert '<option value="bank_transfer" selected>Bank transfer</option>' in page
    assert '<option value="on_invoice"' not in page and '<option value="card"' not in page
    response = clerk.post(
        action_url(invoice, "record_payment"),
        {"record_payment-amount": "10.00", "record_payment-method": "on_invoice", **seen(invoice)},
        follow=True,
    )
    assert errors_in(response) or "Select a valid choice" in response.text
    assert not Payment.objects.filter(invoice=invoice).exists()


def test_partial_then_full_payment_completes_the_order(invoice, staff_client, staff_users):
    browser = staff_client("Customer service")

    first = press(
        browser,
        invoice,
        "record_payment",
        guard=seen(invoice),
        amount="10.00",
        method="bank_transfer",
        reference="NL12 transfer",
    )
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PARTIALLY_PAID
    assert successes_in(first) == [f"Payment recorded: invoice {invoice.number} is now “Partially paid”."]

    second = press(
        browser,
        invoice,
        "record_payment",
        guard=seen(invoice),
        amount=str(invoice.balance_due),
        method="bank_transfer",
        reference="",
    )

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert invoice.balance_due == 0
    assert invoice.order.status == Order.Status.COMPLETED
    assert successes_in(second) == [f"Payment recorded: invoice {invoice.number} is now “Paid”."]
    payments = Payment.objects.filter(invoice=invoice).order_by("pk")
    assert [(p.amount, p.reference, p.recorded_by) for p in payments] == [
        (Decimal("10.00"), "NL12 transfer", staff_users["Customer service"]),
        (invoice.total - Decimal("10.00"), "", staff_users["Customer service"]),
    ]
    # Paid in full: no more form
    assert action_url(invoice, "record_payment") not in second.text


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("abc", "Record payment: Amount: Enter the amount as a number, for example 125.50."),
        ("", "Record payment: Amount: This field is required."),
        ("1.234", "Record payment: Amount: Ensure that there are no more than 2 decimal places."),
        ("0", "Enter an amount above zero."),
        ("-5.00", "Enter an amount above zero."),
    ],
)
def test_bad_amounts_are_refused_with_a_message_and_save_nothing(invoice, staff_client, amount, message):
    events = invoice.order.events.count()

    response = press(
        staff_client("Customer service"),
        invoice,
        "record_payment",
        guard=seen(invoice),
        amount=amount,
        method="bank_transfer",
        reference="",
    )

    assert errors_in(response) == [message]
    form_html = response.text.split('id="staff-action-record_payment"')[1].split("</form>")[0]
    assert message.rsplit(": ", 1)[-1] in form_html, "the error is shown beside the amount"
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.ISSUED
    assert invoice.amount_paid == 0
    assert not Payment.objects.filter(invoice=invoice).exists()
    assert invoice.order.events.count() == events


def test_the_same_payment_entered_twice_from_one_page_is_refused_the_second_time(invoice, staff_client):
    # Given two people looking at the same invoice (nothing paid yet)
    browser = staff_client("Customer service")
    page_said = seen(invoice)

    # When both record the same transfer
    press(browser, invoice, "record_payment", guard=page_said, amount="10.00", method="bank_transfer", reference="X")
    events = invoice.order.events.count()
    response = press(
        browser, invoice, "record_payment", guard=page_said, amount="10.00", method="bank_transfer", reference="X"
    )

    # Then the second is refused and only one payment exists
    assert errors_in(response) == [
        f"A payment was recorded on invoice {invoice.number} since you opened it (paid now: 10.00); "
        "nothing was done. Reload and try again."
    ]
    assert Payment.objects.filter(invoice=invoice).count() == 1
    assert invoice.order.events.count() == events


def test_warehouse_can_neither_see_invoices_nor_record_payments(invoice, staff_client):
    browser = staff_client("Warehouse")

    page = browser.get(change_url(invoice))
    response = browser.post(
        action_url(invoice, "record_payment"),
        {"record_payment-amount": "10.00", "record_payment-method": "bank_transfer", **seen(invoice)},
    )

    assert page.status_code == 403
    assert response.status_code == 403
    assert not Payment.objects.filter(invoice=invoice).exists()


def test_a_viewer_without_record_payment_gets_no_form_and_the_service_refuses_a_post(invoice, staff_users, client):
    # Given a staff member who may view invoices but not record payments
    from django.contrib.auth.models import Permission, User

    viewer = User.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_invoice"))
    client.force_login(viewer)

    page = client.get(change_url(invoice))
    response = press(
        client, invoice, "record_payment", guard=seen(invoice), amount="10.00", method="bank_transfer", reference=""
    )

    assert action_url(invoice, "record_payment") not in page.text
    assert errors_in(response) == ["You are not allowed to record payments."]
    assert not Payment.objects.filter(invoice=invoice).exists()


def test_invoice_pdf_downloads_from_the_invoice_page(invoice, staff_client):
    browser = staff_client("Customer service")

    page = browser.get(change_url(invoice))
    pdf_url = f"/admin/invoicing/invoice/{invoice.pk}/pdf/"
    response = browser.get(pdf_url)

    assert pdf_url in page.text
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="invoice-{invoice.number}.pdf"'
    assert response.content.startswith(b"%PDF")
    invoice.refresh_from_db()
    assert invoice.pdf, "the rendered PDF is stored for next time"


def test_invoice_list_filters_open_and_overdue(invoice, staff_client):
    from django.utils import timezone

    browser = staff_client("Customer service")

    open_ones = browser.get("/admin/invoicing/invoice/", {"payment": "open"})
    overdue = browser.get("/admin/invoicing/invoice/", {"payment": "overdue"})
    searched = browser.get("/admin/invoicing/invoice/", {"q": invoice.number})

    assert list(open_ones.context["cl"].result_list) == [invoice]
    assert invoice.due_date >= timezone.localdate()
    assert list(overdue.context["cl"].result_list) == []
    assert list(searched.context["cl"].result_list) == [invoice]
