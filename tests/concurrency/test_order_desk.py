"""The order desk's double submits at the same moment (issue 12): one order, one new customer;
one order per quote however often it is accepted."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lifecycle.quotes import order_desk_place, quote_accept
from orders.models import Customer, Order, Quote
from orders.services.placement import LineRequest
from orders.services.quotes import NewCustomer, QuoteRequest, quote_send
from tests.builders import CUSTOMER_SERVICE, address_data, delivery_method_build, staff_member

from .threads import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def desk_request(catalogue) -> QuoteRequest:
    return QuoteRequest(
        customer=None,
        new_customer=NewCustomer(full_name="Jan Jansen", email="jan@example.com"),
        lines=[LineRequest(product_id=catalogue.chair.pk, quantity=2, customisation_notes="Engraved")],
        channel=Order.Channel.PHONE,
        delivery_method=delivery_method_build(),
        payment_method=Order.PaymentMethod.BANK_TRANSFER,
        billing_address=address_data(full_name="Jan Jansen"),
        shipping_address=address_data(full_name="Jan Jansen"),
    )


def test_the_desk_form_submitted_twice_at_once_makes_one_order_and_one_customer(catalogue):
    clerk = staff_member(CUSTOMER_SERVICE)
    request = desk_request(catalogue)

    def submit():
        return order_desk_place(request=request, actor=clerk, idempotency_key="desk-form-7f3a")

    outcomes = run_at_once(submit, submit)

    assert [o.error for o in outcomes] == [None, None], "both clicks show the clerk the order"
    assert outcomes[0].value.pk == outcomes[1].value.pk
    assert Order.objects.count() == 1
    assert Customer.objects.filter(email="jan@example.com").count() == 1


def test_a_quote_accepted_twice_at_once_makes_one_order(catalogue):
    clerk = staff_member(CUSTOMER_SERVICE)
    quote = quote_send(
        request=desk_request(catalogue), actor=clerk, valid_until=timezone.localdate() + timedelta(days=5)
    )

    outcomes = run_at_once(lambda: quote_accept(quote_id=quote.pk), lambda: quote_accept(quote_id=quote.pk))

    assert [o.error for o in outcomes] == [None, None]
    assert outcomes[0].value.pk == outcomes[1].value.pk
    assert Order.objects.count() == 1
    assert Quote.objects.get().status == Quote.Status.ACCEPTED
