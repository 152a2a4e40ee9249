"""Money back under concurrency (issue 13): two refunds racing for the last refundable money, and
two checkouts spending the same store credit. Real threads, each on its own PostgreSQL connection."""

from decimal import Decimal
from unittest import mock

import pytest

from invoicing.models import Payment, Refund, StoreCreditAccount, StoreCreditEntry
from invoicing.services import refund_create, store_credit_issue
from invoicing.tasks import invoice_pdf_render_task
from lifecycle.checkout import order_checkout
from lifecycle.settlement import payment_record
from lifecycle.tasks import notification_send
from orders.models import Order
from orders.services.placement import LineRequest
from orders_site.core.exceptions import ApplicationError
from tests.builders import address_data, customer_signed_up, delivery_method_build, order_build, stock_put

from .threads import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def quiet():
    with mock.patch.object(notification_send, "delay"), mock.patch.object(invoice_pdf_render_task, "delay"):
        yield


def test_two_refunds_racing_for_the_last_money_exactly_one_succeeds(catalogue, staff_users, quiet):
    # Given an invoice paid 10.00 too much
    service = staff_users["Customer service"]
    invoice = order_build(lines=[(catalogue.book, 1)], state="invoiced").invoices.get()
    payment_record(invoice=invoice, amount=invoice.total + Decimal("10.00"), method="bank_transfer", actor=service)

    # When two members of staff refund those 10.00 at the same moment, by two different ways
    def refund(method: str):
        return lambda: refund_create(
            order=invoice.order,
            amount=Decimal("10.00"),
            method=method,
            reason="Paid twice",
            iban="NL91ABNA0417164300",
            account_holder="Anna",
            actor=service,
        )

    outcomes = run_at_once(refund("bank_transfer"), refund("bank_transfer"))

    # Then one refund exists, and the other was told there is nothing left to pay back
    assert sorted(o.ok for o in outcomes) == [False, True]
    (refused,) = [o.error for o in outcomes if not o.ok]
    assert isinstance(refused, ApplicationError) and "At most €\xa00.00" in refused.message
    assert Refund.objects.count() == 1
    payment = Payment.objects.get(invoice=invoice)
    assert payment.amount_refunded == Decimal("10.00")


def test_two_checkouts_spending_the_same_store_credit_one_succeeds(catalogue, staff_users, quiet):
    # Given a customer with 20.00 of store credit and two tabs open at the checkout
    stock_put(product=catalogue.book, warehouse=catalogue.second, quantity=10)
    customer = customer_signed_up().customer
    store_credit_issue(customer=customer, amount=Decimal("20.00"), reason="Sorry", actor=staff_users["Managers"])
    delivery = delivery_method_build()

    def checkout(key: str):
        return lambda: order_checkout(
            customer=customer,
            lines=[LineRequest(product_id=catalogue.book.pk, quantity=1)],
            channel=Order.Channel.WEB,
            delivery_method=delivery,
            payment_method=Order.PaymentMethod.CARD,
            card_token="4242 4242 4242 4242",
            billing_address=address_data(),
            shipping_address=address_data(),
            idempotency_key=key,
            use_store_credit=True,
        )

    # When both place their order with the credit at the same moment
    outcomes = run_at_once(checkout("tab-1"), checkout("tab-2"))

    # Then one order is placed, paid 20.00 by credit and the rest by card; the other is refused
    assert sorted(o.ok for o in outcomes) == [False, True]
    (placed,) = [o.value for o in outcomes if o.ok]
    (refused,) = [o.error for o in outcomes if not o.ok]
    assert isinstance(refused, ApplicationError) and refused.extra["field"] == "store_credit"
    assert Order.objects.count() == 1
    payments = {p.method: p.amount for p in Payment.objects.filter(order=placed)}
    assert payments == {"store_credit": Decimal("20.00"), "card": placed.total - Decimal("20.00")}
    account = StoreCreditAccount.objects.get(customer=customer)
    assert account.balance == 0
    assert list(StoreCreditEntry.objects.filter(account=account).values_list("kind", "amount")) == [
        ("spent", Decimal("-20.00")),
        ("issued", Decimal("20.00")),
    ]
