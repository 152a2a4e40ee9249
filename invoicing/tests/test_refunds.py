"""Refunds (invoicing.services.refunds): money paid back to the card, by bank transfer or as store
credit, never more than was paid beyond what the invoices ask for."""

from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from invoicing.gateways import GatewayResult, TestGateway
from invoicing.models import AmountOwedBack, Invoice, Payment, Refund, StoreCreditEntry
from invoicing.selectors import store_credit_balance
from invoicing.services import (
    order_refundable,
    refund_at_gateway,
    refund_create,
    refund_mark_transferred,
    refund_retry,
    refunds_requeue_stale,
)
from invoicing.tasks import refund_at_gateway_task
from lifecycle.credit_notes import credit_note_issue
from lifecycle.settlement import payment_record
from orders.models import EmailNotification, OrderEvent
from orders_site.core.exceptions import ApplicationError, PermissionRefused
from tests.builders import customer_signed_up, order_build

pytestmark = pytest.mark.django_db

D = Decimal
IBAN_OK = "DE89 3704 0044 0532 0130 00"


@pytest.fixture
def service(staff_users):
    return staff_users["Customer service"]


@pytest.fixture
def card_order(catalogue):
    """Three books and a lamp, paid by card (captured with the invoice): completed."""
    return order_build(lines=[(catalogue.book, 3), (catalogue.lamp, 1)], state="completed", payment_method="card")


def _credit_one_book(order, actor):
    invoice = order.invoices.get()
    book = invoice.lines.get(sku="BOOK-1")
    return credit_note_issue(invoice=invoice, units={book.pk: 1}, reason="One book came back", actor=actor)


def test_a_paid_invoice_leaves_nothing_to_refund_until_a_credit_note_corrects_it(card_order, service):
    with pytest.raises(ApplicationError) as refused:
        refund_create(order=card_order, amount=D("1.00"), method="card", reason="Goodwill", actor=service)
    assert refused.value.extra["field"] == "amount"
    assert "credit note" in refused.value.message

    credit_note = _credit_one_book(card_order, service)

    assert order_refundable(order=card_order).amount == credit_note.total


def test_a_card_refund_goes_through_the_gateway_with_its_key_and_settles_what_was_owed_back(
    card_order, service, django_capture_on_commit_callbacks
):
    credit_note = _credit_one_book(card_order, service)
    owed = AmountOwedBack.objects.get(credit_note=credit_note)
    payment = card_order.payments.get(status=Payment.Status.CAPTURED)
    TestGateway.refunds.clear()

    with django_capture_on_commit_callbacks(execute=True):
        (refund,) = refund_create(
            order=card_order,
            amount=owed.amount,
            method="card",
            reason="Returned book",
            actor=service,
            owed_back=owed,
        )

    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    assert refund.gateway_reference.startswith("test_re_")
    # the gateway paid once, that amount, under the refund's own key
    assert TestGateway.refunds == {refund.idempotency_key: (refund.gateway_reference, owed.amount)}
    payment.refresh_from_db()
    assert payment.amount_refunded == owed.amount
    owed.refresh_from_db()
    assert owed.settled_at is not None
    invoice = Invoice.objects.get(order=card_order)
    assert invoice.amount_paid == invoice.amount_owed and invoice.balance_due == 0
    assert order_refundable(order=card_order).amount == 0
    # the customer reads it on the order page and gets an e-mail
    event = OrderEvent.objects.get(order=card_order, kind=OrderEvent.Kind.REFUND_SUCCEED)
    assert event.customer_visible and "refunded to your card" in event.note
    assert EmailNotification.objects.filter(
        order=card_order, kind=EmailNotification.Kind.REFUND, subject_key=f"refund:{refund.pk}"
    ).exists()
    refund_mail = [m for m in mail.outbox if m.subject.startswith("We have refunded")]
    assert refund_mail and "to the card you paid with" in refund_mail[0].body


def test_a_partial_refund_leaves_the_rest_refundable(card_order, service, django_capture_on_commit_callbacks):
    credit_note = _credit_one_book(card_order, service)

    with django_capture_on_commit_callbacks(execute=True):
        refund_create(order=card_order, amount=D("5.00"), method="card", reason="Part now", actor=service)

    assert order_refundable(order=card_order).amount == credit_note.total - D("5.00")
    with pytest.raises(ApplicationError):
        refund_create(order=card_order, amount=credit_note.total, method="card", reason="Again", actor=service)


def test_a_declined_refund_fails_at_once_and_its_money_is_refundable_again(
    catalogue, service, django_capture_on_commit_callbacks
):
    order = order_build(
        lines=[(catalogue.book, 2)], state="completed", payment_method="card", card_token="4000 0000 0000 0051"
    )
    invoice = order.invoices.get()
    credit_note = credit_note_issue(invoice=invoice, units={invoice.lines.get().pk: 1}, reason="Damaged", actor=service)

    with django_capture_on_commit_callbacks(execute=True):
        (refund,) = refund_create(order=order, amount=credit_note.total, method="card", reason="Damaged", actor=service)

    refund.refresh_from_db()
    assert refund.status == Refund.Status.FAILED
    assert "declined" in refund.failure_message
    assert Payment.objects.get(pk=refund.payment_id).amount_refunded == 0
    assert order_refundable(order=order).amount == credit_note.total
    assert OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.REFUND_FAIL).exists()

    # Customer service pays it back by bank transfer instead: pending until the transfer is sent
    refund = refund_retry(refund=refund, actor=service, iban=IBAN_OK, account_holder="Ann Smith")
    assert (refund.status, refund.method, refund.iban) == ("pending", "bank_transfer", "DE89370400440532013000")
    refund = refund_mark_transferred(refund=refund, transfer_reference="TRF-1", actor=service)
    assert refund.status == Refund.Status.SUCCEEDED
    assert order_refundable(order=order).amount == 0


class FlakyGateway(TestGateway):
    """Pays the refund, then loses the answer on the first `lose` calls (a worker dying mid-call)."""

    lose = 1
    calls = 0

    def refund(self, **kwargs):
        result = super().refund(**kwargs)
        type(self).calls += 1
        if type(self).calls <= type(self).lose:
            raise ConnectionError("connection reset by peer")
        return result


class DownGateway(TestGateway):
    calls = 0

    def refund(self, **kwargs):
        type(self).calls += 1
        raise TimeoutError("gateway timed out")


def test_a_refund_whose_answer_was_lost_is_asked_again_and_paid_once(card_order, service, settings):
    _credit_one_book(card_order, service)
    settings.PAYMENT_GATEWAY = "invoicing.tests.test_refunds.FlakyGateway"
    FlakyGateway.calls = 0
    TestGateway.refunds.clear()
    (refund,) = refund_create(order=card_order, amount=D("3.00"), method="card", reason="Late", actor=service)

    with pytest.raises(ConnectionError):  # the worker's call: paid at the gateway, the answer lost
        refund_at_gateway(refund_id=refund.pk)
    assert Refund.objects.get(pk=refund.pk).status == Refund.Status.PENDING

    assert refunds_requeue_stale(older_than_seconds=0) == 1  # the sweep asks again, same key

    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    assert FlakyGateway.calls == 2
    assert len(TestGateway.refunds) == 1  # one refund at the gateway, not two
    assert refund.payment.amount_refunded == D("3.00")


def test_a_refund_the_gateway_never_answers_ends_failed_after_the_last_retry(card_order, service, settings):
    _credit_one_book(card_order, service)
    settings.PAYMENT_GATEWAY = "invoicing.tests.test_refunds.DownGateway"
    DownGateway.calls = 0
    (refund,) = refund_create(order=card_order, amount=D("3.00"), method="card", reason="Late", actor=service)

    # Run as a worker would: each retry in turn, nothing raised into this test
    conf = refund_at_gateway_task.app.conf
    propagates, conf.task_eager_propagates = conf.task_eager_propagates, False
    try:
        refund_at_gateway_task.delay(refund.pk)
    finally:
        conf.task_eager_propagates = propagates

    assert DownGateway.calls == refund_at_gateway_task.max_retries + 1
    refund.refresh_from_db()
    assert refund.status == Refund.Status.FAILED
    assert "timed out" in refund.failure_message
    assert Payment.objects.get(pk=refund.payment_id).amount_refunded == 0
    assert OrderEvent.objects.filter(order=card_order, kind=OrderEvent.Kind.REFUND_FAIL).count() == 1


def test_a_bank_transfer_refund_needs_a_valid_iban_and_a_name(card_order, service):
    _credit_one_book(card_order, service)

    with pytest.raises(ApplicationError) as bad_iban:
        refund_create(
            order=card_order,
            amount=D("2.00"),
            method="bank_transfer",
            reason="Back",
            actor=service,
            iban="DE89 3704 0044 0532 0130 01",
            account_holder="Ann",
        )
    assert bad_iban.value.extra["field"] == "iban" and "not a valid IBAN" in bad_iban.value.message
    with pytest.raises(ApplicationError) as no_name:
        refund_create(
            order=card_order, amount=D("2.00"), method="bank_transfer", reason="Back", actor=service, iban=IBAN_OK
        )
    assert no_name.value.extra["field"] == "account_holder"
    assert not Refund.objects.exists()


def test_an_over_payment_can_be_refunded_as_store_credit(catalogue, service):
    customer = customer_signed_up().customer
    order = order_build(lines=[(catalogue.book, 1)], state="invoiced", customer=customer)
    invoice = order.invoices.get()
    payment_record(invoice=invoice, amount=invoice.total + D("10.00"), method="bank_transfer", actor=service)

    (refund,) = refund_create(order=order, amount=D("10.00"), method="store_credit", reason="Paid twice", actor=service)

    assert refund.status == Refund.Status.SUCCEEDED
    assert store_credit_balance(customer_id=customer.pk) == D("10.00")
    entry = StoreCreditEntry.objects.get(refund=refund)
    assert (entry.kind, entry.amount, entry.balance_after) == ("refund", D("10.00"), D("10.00"))
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID and invoice.amount_paid == invoice.total


def test_store_credit_needs_a_customer_account(catalogue, service):
    order = order_build(lines=[(catalogue.book, 1)], state="invoiced")  # a guest
    invoice = order.invoices.get()
    payment_record(invoice=invoice, amount=invoice.total + D("1.00"), method="bank_transfer", actor=service)

    with pytest.raises(ApplicationError) as refused:
        refund_create(order=order, amount=D("1.00"), method="store_credit", reason="Paid twice", actor=service)

    assert refused.value.extra["field"] == "method"


def test_only_customer_service_and_managers_refund(card_order, staff_users):
    _credit_one_book(card_order, staff_users["Customer service"])

    with pytest.raises(PermissionRefused):
        refund_create(order=card_order, amount=D("1.00"), method="card", reason="x", actor=staff_users["Warehouse"])
    refunds = refund_create(
        order=card_order, amount=D("1.00"), method="card", reason="x", actor=staff_users["Managers"]
    )
    assert len(refunds) == 1


def test_the_database_refuses_refunding_more_than_a_payment(card_order):
    payment = card_order.payments.get(status=Payment.Status.CAPTURED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(amount_refunded=payment.amount + D("0.01"))


def test_a_failed_gateway_result_is_a_decline_not_a_retry():
    assert TestGateway().refund(
        gateway_reference="test_norefund_x", amount=D("1"), currency="EUR", idempotency_key="k-decline"
    ) == GatewayResult(ok=False, message="The card issuer declined the refund.")
