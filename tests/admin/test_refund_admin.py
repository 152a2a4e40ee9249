"""The refund page of an order (customer service and managers), the refund records with their
buttons, and store credit given from the customer's page."""

from decimal import Decimal

import pytest
from django.urls import reverse

from invoicing.models import Refund, StoreCreditAccount
from invoicing.services import refund_create
from lifecycle.credit_notes import credit_note_issue
from lifecycle.settlement import payment_record
from tests.builders import customer_signed_up, order_build

from .journeys import action_url, errors_in, successes_in

pytestmark = pytest.mark.django_db

IBAN = "NL91 ABNA 0417 1643 00"


@pytest.fixture
def overpaid(catalogue, staff_users):
    """An invoice paid € 7.50 too much by bank transfer, by a customer with a shop account."""
    order = order_build(lines=[(catalogue.book, 1)], state="invoiced", customer=customer_signed_up().customer)
    invoice = order.invoices.get()
    payment_record(
        invoice=invoice,
        amount=invoice.total + Decimal("7.50"),
        method="bank_transfer",
        actor=staff_users["Customer service"],
    )
    return order


def refund_page(order) -> str:
    return reverse("admin:invoicing_refund_new", args=[order.pk])


def test_the_order_page_offers_the_refund_and_the_page_pays_it_back_by_transfer(overpaid, staff_client):
    browser = staff_client("Customer service")
    order_page = browser.get(reverse("admin:orders_order_change", args=[overpaid.pk]))
    assert refund_page(overpaid) in order_page.text and "Refund €\xa07.50" in order_page.text

    page = browser.get(refund_page(overpaid))
    assert page.status_code == 200 and "€\xa07.50</strong> can be paid back" in page.text

    response = browser.post(
        refund_page(overpaid),
        {"amount": "7.50", "method": "bank_transfer", "reason": "Paid twice", "iban": IBAN, "account_holder": "Anna"},
        follow=True,
    )

    refund = Refund.objects.get()
    assert (refund.status, refund.method, refund.iban) == ("pending", "bank_transfer", "NL91ABNA0417164300")
    assert successes_in(response)[0].startswith("Refund of €\xa07.50 started: send the transfer")
    assert 'data-testid="refunds"' in response.text  # listed on the order page

    # the transfer is sent: accounts mark it, from the "Refunds to transfer" queue's record
    record = browser.get(reverse("admin:invoicing_refund_change", args=[refund.pk]))
    assert "Mark as sent" in record.text
    done = browser.post(
        action_url(refund, "mark_transferred"),
        {"mark_transferred-transfer_reference": "TRF-88", "expected_status": "pending"},
        follow=True,
    )
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED and refund.transfer_reference == "TRF-88"
    assert successes_in(done)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"amount": "8.00", "method": "bank_transfer", "iban": IBAN}, "amount", "At most €\xa07.50 can be paid back"),
        ({"amount": "x", "method": "bank_transfer"}, "amount", "Enter the amount as a number"),
        ({"amount": "1", "method": "bank_transfer", "iban": "NL91 ABNA 0417 1643 01"}, "iban", "not a valid IBAN"),
        ({"amount": "1", "method": "bank_transfer", "iban": IBAN, "account_holder": ""}, "account_holder", "holder"),
        ({"amount": "1", "method": "card"}, "method", "Select a valid choice"),
        ({"amount": "1", "method": "store_credit", "reason": ""}, "reason", "Say why the money is paid back"),
    ],
)
def test_bad_input_is_shown_beside_the_field_and_nothing_is_refunded(overpaid, staff_client, data, field, message):
    browser = staff_client("Customer service")
    posted = {"reason": "Paid twice", "account_holder": "Anna", **data}

    response = browser.post(refund_page(overpaid), posted)

    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors.get(field, [])), response.context[
        "form"
    ].errors
    assert not Refund.objects.exists()


def test_store_credit_refund_shows_in_the_customers_balance(overpaid, staff_client):
    browser = staff_client("Managers")

    browser.post(refund_page(overpaid), {"amount": "7.50", "method": "store_credit", "reason": "Paid twice"})

    assert StoreCreditAccount.objects.get(customer=overpaid.customer).balance == Decimal("7.50")
    customer_page = browser.get(reverse("admin:orders_customer_change", args=[overpaid.customer.pk]))
    assert "€\xa07.50" in customer_page.text and "Give store credit" in customer_page.text


def test_the_warehouse_gets_no_refund_link_and_a_403(overpaid, staff_client):
    browser = staff_client("Warehouse")

    order_page = browser.get(reverse("admin:orders_order_change", args=[overpaid.pk]))

    assert refund_page(overpaid) not in order_page.text
    assert browser.get(refund_page(overpaid)).status_code == 403
    assert browser.post(refund_page(overpaid), {"amount": "1", "method": "bank_transfer"}).status_code == 403


def test_a_failed_refund_is_tried_again_by_bank_transfer(
    catalogue, staff_client, staff_users, django_capture_on_commit_callbacks
):
    order = order_build(
        lines=[(catalogue.book, 2)], state="completed", payment_method="card", card_token="4000 0000 0000 0051"
    )
    invoice = order.invoices.get()
    credit = credit_note_issue(
        invoice=invoice, units={invoice.lines.get().pk: 1}, reason="Damaged", actor=staff_users["Managers"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        (refund,) = refund_create(
            order=order, amount=credit.total, method="card", reason="Damaged", actor=staff_users["Managers"]
        )
    browser = staff_client("Customer service")
    failed_list = browser.get(reverse("admin:invoicing_refund_changelist") + "?queue=failed")
    assert [r.pk for r in failed_list.context["cl"].result_list] == [refund.pk]

    bad = browser.post(
        action_url(refund, "retry"),
        {"retry-iban": "NL00 0000", "retry-account_holder": "Anna", "expected_status": "failed"},
        follow=True,
    )
    assert any("not a valid IBAN" in e for e in errors_in(bad))
    browser.post(
        action_url(refund, "retry"), {"retry-iban": IBAN, "retry-account_holder": "Anna", "expected_status": "failed"}
    )

    refund.refresh_from_db()
    assert (refund.status, refund.method) == ("pending", "bank_transfer")


def test_staff_give_store_credit_with_a_reason_and_an_expiry(catalogue, staff_client):
    customer = customer_signed_up().customer
    browser = staff_client("Customer service")
    url = reverse("admin:invoicing_storecredit_give", args=[customer.pk])

    refused = browser.post(url, {"amount": "-5", "reason": "Sorry"})
    assert "Enter an amount above zero." in refused.context["form"].errors["amount"]
    past = browser.post(url, {"amount": "5", "reason": "Sorry", "expires_on": "2020-01-01"})
    assert "after today" in past.context["form"].errors["expires_on"][0]

    done = browser.post(url, {"amount": "12.50", "reason": "Late parcel", "expires_on": "2099-12-31"}, follow=True)

    assert successes_in(done)[0].startswith("€\xa012.50 of store credit given")
    account = StoreCreditAccount.objects.get(customer=customer)
    (entry,) = account.entries.all()
    assert (account.balance, entry.reason, str(entry.expires_on)) == (Decimal("12.50"), "Late parcel", "2099-12-31")
    assert staff_client("Warehouse").get(url).status_code == 403
