"""Returns (RMA) from request to refund (issue 13's acceptance): a prepaid card order and a
pay-on-invoice order each send one line partly back; the ledger, the credit note and its PDF, the
refund and the gateway, store credit, the order page's totals and the e-mails follow."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from inventory.models import StockLevel, StockMovement
from invoicing.gateways import TestGateway
from invoicing.models import CreditNote, Invoice, Refund, StoreCreditAccount
from invoicing.services import credit_note_pdf_ensure
from lifecycle.returns import return_request_receive, return_request_refund
from orders.models import EmailNotification, OrderEvent, ReturnRequest, Shipment
from orders.services.return_requests import return_request_authorise, return_request_create, return_request_refuse
from orders_site.core.exceptions import ApplicationError, PermissionRefused
from tests.builders import customer_signed_up, order_build, stock_put
from tests.pdf_text import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(staff_users):
    return staff_users["Customer service"], staff_users["Warehouse"]


def _book_line(order):
    return order.lines.get(sku="BOOK-1")


def _mails(kind_subject: str) -> list:
    return [m for m in mail.outbox if m.subject.startswith(kind_subject)]


def test_a_prepaid_card_order_sends_two_of_three_books_back_and_gets_its_money_back(
    catalogue, people, django_capture_on_commit_callbacks
):
    service, warehouse = people
    stock_put(product=catalogue.book, warehouse=catalogue.main, quantity=10)
    customer = customer_signed_up()
    order = order_build(
        lines=[(catalogue.book, 3), (catalogue.lamp, 1)],
        state="completed",
        payment_method="card",
        customer=customer.customer,
    )
    book = _book_line(order)
    TestGateway.refunds.clear()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        # The customer asks to send two books back; customer service authorises it
        request = return_request_create(
            order=order, units={book.pk: 2}, reason="damaged", comment="Spine cracked", actor=customer.user
        )
        request = return_request_authorise(return_request=request, actor=service)
        # The parcel arrives: one book back on the shelf, one too damaged to sell
        level = StockLevel.objects.get(product=catalogue.book, warehouse=request.warehouse)
        on_hand_before = level.on_hand
        line = request.lines.get()
        request = return_request_receive(
            return_request=request, received={line.pk: (1, 1)}, write_off_reason="Cover torn", actor=warehouse
        )
        request = return_request_refund(return_request=request, actor=service)

    # Then the ledger shows a return of two and a write-off of one
    movements = StockMovement.objects.filter(reference=order.number, stock_level__product=catalogue.book)
    kinds = {(m.kind, m.on_hand_delta) for m in movements if m.kind in ("return", "write_off")}
    assert kinds == {("return", 2), ("write_off", -1)}
    level.refresh_from_db()
    assert level.on_hand == on_hand_before + 1
    # A credit note for two books at the price invoiced, its PDF saying so
    credit_note = CreditNote.objects.get(order=order)
    invoice = Invoice.objects.get(order=order)
    book_invoiced = invoice.lines.get(sku="BOOK-1")
    assert credit_note.lines.get().quantity == 2
    assert credit_note.total == (book_invoiced.line_total * 2 / 3).quantize(Decimal("0.01"))
    _, pdf = credit_note_pdf_ensure(credit_note_id=credit_note.pk)
    text = pdf_text(pdf)
    assert credit_note.number in text and f"Return {request.number}" in text and "Woodworking book" in text
    # A card refund of exactly that, paid once by the gateway under its key
    (refund,) = Refund.objects.filter(order=order)
    assert (refund.method, refund.status, refund.amount) == ("card", "succeeded", credit_note.total)
    assert list(TestGateway.refunds) == [refund.idempotency_key]
    assert request.status == ReturnRequest.Status.CLOSED and request.credit_note_number == credit_note.number
    # The invoice now counts what was kept as paid: nothing due, nothing owed back
    invoice.refresh_from_db()
    assert invoice.amount_paid == invoice.amount_owed and invoice.balance_due == 0
    # Every step is on the timeline and was e-mailed to the customer
    kinds = set(OrderEvent.objects.filter(order=order).values_list("kind", flat=True))
    assert {
        "return.requested",
        "returnrequest.authorise",
        "returnrequest.receive",
        "returnrequest.close",
        "credit_note.issued",
        "refund.succeed",
    } <= kinds
    assert _mails("We received your return request") and _mails("Your return") and _mails("We have refunded")
    (instructions,) = _mails("How to send back return")
    slip_name, slip, _ = instructions.attachments[0]
    assert slip_name == f"return-slip-{request.number}.pdf"
    assert request.number in pdf_text(slip) and "Woodworking book" in pdf_text(slip)


def test_a_pay_on_invoice_order_returns_one_line_and_owes_less_with_store_credit_for_nothing(
    catalogue, people, client, django_capture_on_commit_callbacks
):
    service, warehouse = people
    customer = customer_signed_up()
    order = order_build(
        lines=[(catalogue.book, 2), (catalogue.lamp, 1)],
        state="invoiced",
        payment_method="bank_transfer",
        customer=customer.customer,
    )
    invoice = order.invoices.get()
    due_before = invoice.balance_due
    lamp = order.lines.get(sku="LAMP-1")

    with django_capture_on_commit_callbacks(execute=True):
        request = return_request_create(
            order=order, units={lamp.pk: 1}, reason="no_longer_needed", refund_to="store_credit", actor=customer.user
        )
        request = return_request_authorise(return_request=request, actor=service)
        line = request.lines.get()
        request = return_request_receive(return_request=request, received={line.pk: (1, 0)}, actor=warehouse)
        request = return_request_refund(return_request=request, actor=service)

    # Nothing was paid yet, so nothing is refunded and no store credit is given: the invoice owes less
    credit_note = CreditNote.objects.get(order=order)
    invoice.refresh_from_db()
    assert invoice.balance_due == due_before - credit_note.total
    assert not Refund.objects.filter(order=order).exists()
    assert not StoreCreditAccount.objects.filter(customer=customer.customer, balance__gt=0).exists()
    assert request.status == ReturnRequest.Status.CLOSED
    # The customer's order page shows the credit note, the return and what is still to pay
    client.force_login(customer.user)
    page = client.get(reverse("storefront:order_detail", args=[order.number])).content.decode()
    assert credit_note.number in page and request.number in page
    assert EmailNotification.objects.filter(order=order, kind=EmailNotification.Kind.CREDIT_NOTE).exists()


def test_a_paid_order_refunded_as_store_credit(catalogue, people, django_capture_on_commit_callbacks):
    service, warehouse = people
    customer = customer_signed_up()
    order = order_build(
        lines=[(catalogue.book, 2)], state="completed", payment_method="card", customer=customer.customer
    )
    book = _book_line(order)
    with django_capture_on_commit_callbacks(execute=True):
        request = return_request_create(
            order=order, units={book.pk: 1}, reason="defective", refund_to="store_credit", actor=customer.user
        )
        request = return_request_authorise(return_request=request, actor=service)
        request = return_request_receive(
            return_request=request, received={request.lines.get().pk: (1, 0)}, actor=warehouse
        )
        return_request_refund(return_request=request, actor=service)

    credit_note = CreditNote.objects.get(order=order)
    assert StoreCreditAccount.objects.get(customer=customer.customer).balance == credit_note.total
    assert Refund.objects.get(order=order).method == "store_credit"


@pytest.mark.parametrize(
    ("units", "field", "message"),
    [
        (lambda order: {}, "lines", "Choose at least one item"),
        (lambda order: {_book_line(order).pk: 3}, "line", "at most 2 can be sent back"),
    ],
)
def test_asking_for_more_than_was_delivered_is_refused_beside_the_line(catalogue, units, field, message):
    customer = customer_signed_up()
    order = order_build(lines=[(catalogue.book, 2)], state="completed", customer=customer.customer)

    with pytest.raises(ApplicationError) as refused:
        return_request_create(order=order, units=units(order), reason="damaged", actor=customer.user)

    assert refused.value.extra["field"].startswith(field) and message in refused.value.message
    assert not ReturnRequest.objects.exists()


def test_the_window_closes_for_the_customer_but_staff_may_open_a_return_past_it(catalogue, people, settings):
    service, _ = people
    customer = customer_signed_up()
    order = order_build(lines=[(catalogue.book, 1)], state="completed", customer=customer.customer)
    Shipment.objects.filter(order=order).update(
        delivered_at=timezone.now() - timedelta(days=settings.RETURN_WINDOW_DAYS + 1)
    )
    book = _book_line(order)

    with pytest.raises(ApplicationError) as late:
        return_request_create(order=order, units={book.pk: 1}, reason="damaged", actor=customer.user)
    assert "deadline to return it has passed" in late.value.message

    request = return_request_create(order=order, units={book.pk: 1}, reason="damaged", actor=service, for_customer=True)
    assert request.number == f"RMA-{order.number}-1"


def test_a_refused_return_gives_its_units_back_and_only_customer_service_decides(catalogue, people):
    service, warehouse = people
    customer = customer_signed_up()
    order = order_build(lines=[(catalogue.book, 1)], state="completed", customer=customer.customer)
    book = _book_line(order)
    request = return_request_create(order=order, units={book.pk: 1}, reason="no_longer_needed", actor=customer.user)

    with pytest.raises(PermissionRefused):
        return_request_authorise(return_request=request, actor=warehouse)
    with pytest.raises(ApplicationError):
        return_request_refuse(return_request=request, reason=" ", actor=service)
    return_request_refuse(return_request=request, reason="Opened software cannot be returned", actor=service)

    again = return_request_create(order=order, units={book.pk: 1}, reason="damaged", actor=customer.user)
    assert again.number == f"RMA-{order.number}-2"
    refused = OrderEvent.objects.get(order=order, kind="returnrequest.refuse")
    assert refused.customer_visible and "Opened software" in refused.note


def test_receiving_more_than_was_sent_back_or_a_write_off_without_reason_is_refused(catalogue, people):
    service, warehouse = people
    customer = customer_signed_up()
    order = order_build(lines=[(catalogue.book, 2)], state="completed", customer=customer.customer)
    request = return_request_create(order=order, units={_book_line(order).pk: 1}, reason="damaged", actor=customer.user)
    request = return_request_authorise(return_request=request, actor=service)
    line = request.lines.get()

    for received, reason, field in [({line.pk: (2, 0)}, "", "restock"), ({line.pk: (0, 1)}, "", "write_off_reason")]:
        with pytest.raises(ApplicationError) as refused:
            return_request_receive(return_request=request, received=received, write_off_reason=reason, actor=warehouse)
        assert refused.value.extra["field"].startswith(field)
    request.refresh_from_db()
    assert request.status == ReturnRequest.Status.AUTHORISED
    assert not StockMovement.objects.filter(kind="return", reference=order.number).exists()


def test_an_exchange_turns_the_return_into_store_credit_and_a_draft_replacement(
    catalogue, people, django_capture_on_commit_callbacks
):
    service, warehouse = people
    order = order_build(lines=[(catalogue.book, 2)], state="completed", payment_method="card")  # a guest
    book = _book_line(order)
    with pytest.raises(ApplicationError):  # customers ask for an exchange by phone
        return_request_create(order=order, units={book.pk: 1}, reason="wrong_item", refund_to="exchange")

    with django_capture_on_commit_callbacks(execute=True):
        request = return_request_create(
            order=order, units={book.pk: 1}, reason="wrong_item", refund_to="exchange", actor=service, for_customer=True
        )
        request = return_request_authorise(return_request=request, actor=service)
        request = return_request_receive(
            return_request=request, received={request.lines.get().pk: (1, 0)}, actor=warehouse
        )
        request = return_request_refund(return_request=request, actor=service)

    credit_note = CreditNote.objects.get(order=order)
    assert StoreCreditAccount.objects.get(customer=order.customer).balance == credit_note.total
    draft = request.replacement
    assert draft.status == "draft" and draft.customer == order.customer
    assert [(line.product_id, line.quantity) for line in draft.lines.all()] == [(catalogue.book.pk, 1)]
