"""Bank statements in the console: customer service uploads a statement ("Import statement"), a bad
file is refused beside the field, and credits left over are matched by hand or marked not ours."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from invoicing.models import BankStatement, BankStatementEntry, Invoice
from tests.builders import order_build

from .journeys import errors_in, successes_in

pytestmark = pytest.mark.django_db

IMPORT = "admin:invoicing_bankstatement_import"
HEADER = "date,amount,currency,counterparty,iban,remittance\n"


def upload(browser, content: bytes, name="bank.csv"):
    return browser.post(reverse(IMPORT), {"statement": SimpleUploadedFile(name, content)}, follow=True)


@pytest.fixture
def invoice(catalogue):
    return order_build(state="invoiced", lines=[(catalogue.book, 1)]).invoices.get()


def test_an_upload_pays_what_it_matches_and_lists_the_rest_to_match(invoice, staff_client):
    browser = staff_client("Customer service")
    listed = browser.get(reverse("admin:invoicing_bankstatement_changelist")).text
    assert reverse(IMPORT) in listed  # the "Import statement" button

    content = (
        HEADER + f"2026-12-01,{invoice.total},EUR,A,,{invoice.order.payment_reference}\n"
        "2026-12-01,3.00,EUR,Someone,,no idea\n"
    ).encode()
    response = upload(browser, content)

    assert successes_in(response) == [
        f"Statement {BankStatement.objects.get().statement_id}: 1 credit matched and paid; 1 credit to match by hand."
    ]
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.PAID
    assert [row.amount for row in response.context["cl"].result_list] == [
        BankStatementEntry.objects.get(status="unmatched").amount
    ]


def test_a_bad_file_is_refused_beside_the_field_and_nothing_is_recorded(invoice, staff_client):
    response = upload(staff_client("Customer service"), (HEADER + "2026-12-01,-3.00,EUR,A,,x\n").encode())

    assert response.status_code == 200
    assert "Line 2: the amount -3.00 is not money received" in response.context["form"].errors["statement"][0]
    assert not BankStatement.objects.exists()


def test_the_warehouse_cannot_import(staff_client):
    assert staff_client("Warehouse").get(reverse(IMPORT)).status_code == 403


def test_a_waiting_credit_is_matched_from_its_page_to_an_invoice_owing_that_amount(invoice, staff_client):
    browser = staff_client("Customer service")
    upload(browser, (HEADER + f"2026-12-01,{invoice.total},EUR,Unknown,,see e-mail\n").encode())
    entry = BankStatementEntry.objects.get()
    match_url = reverse("admin:invoicing_bankstatemententry_match", args=[entry.pk])
    assert match_url in browser.get(reverse("admin:invoicing_bankstatemententry_change", args=[entry.pk])).text

    page = browser.get(match_url)
    assert [i.pk for i in page.context["candidates"]] == [invoice.pk]  # it owes exactly that
    assert [i.pk for i in browser.get(match_url, {"q": invoice.order.number}).context["candidates"]] == [invoice.pk]
    done = browser.post(match_url, {"do": "match", "invoice": invoice.pk}, follow=True)

    assert errors_in(done) == [] and successes_in(done)
    assert BankStatementEntry.objects.get().status == "matched"
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.PAID


def test_not_ours_needs_a_reason(invoice, staff_client):
    browser = staff_client("Customer service")
    upload(browser, (HEADER + "2026-12-01,3.00,EUR,Someone,,?\n").encode())
    entry = BankStatementEntry.objects.get()
    match_url = reverse("admin:invoicing_bankstatemententry_match", args=[entry.pk])

    refused = browser.post(match_url, {"do": "dismiss", "reason": ""})
    assert "This field is required." in refused.text
    browser.post(match_url, {"do": "dismiss", "reason": "The owner's own money"}, follow=True)
    assert BankStatementEntry.objects.get().status == "not_ours"
