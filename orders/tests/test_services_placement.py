"""Order placement (orders/services/placement.py): one transaction from the customer's request to a
placed, checked order; nothing the caller posts about prices is trusted."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.models import Product, StockLevel, StockMovement
from invoicing.models import Payment
from invoicing.services import PaymentDeclined
from orders.models import Address, EmailNotification, Order, OrderEvent, OrderLine, Voucher
from orders.payment_reference import rf_reference
from orders.services.placement import InvalidOrder, LineRequest, order_place
from orders.tests.factories import DeliveryMethodFactory
from tests.builders import address_data, order_build

pytestmark = pytest.mark.django_db

D = Decimal


def nothing_was_written():
    return (
        not any(model.objects.exists() for model in (Order, OrderLine, OrderEvent, Address, Payment, EmailNotification))
        and not StockMovement.objects.exclude(kind=StockMovement.Kind.RECEIPT).exists()
    )


def test_lines_take_name_sku_price_and_tax_from_the_catalogue(catalogue, customer):
    order = order_build(customer=customer, lines=[(catalogue.lamp, 3), (catalogue.book, 1)])

    lamp, book = order.lines.all()
    assert (lamp.sku, lamp.name, lamp.unit_price, lamp.tax_rate) == ("LAMP-1", "Desk lamp", D("39.95"), D("0.21"))
    assert (book.sku, book.name, book.unit_price, book.tax_rate) == (
        "BOOK-1",
        "Woodworking book",
        D("24.50"),
        D("0.09"),
    )
    # 3 x 39.95 = 119.85 + 25.17 tax; 24.50 + 2.21 tax; shipping 4.95 + 1.04 tax.
    assert (lamp.line_total, book.line_total) == (D("145.02"), D("26.71"))
    assert (order.subtotal, order.shipping_total, order.tax_total, order.total) == (
        D("144.35"),
        D("4.95"),
        D("28.42"),
        D("177.72"),
    )
    assert order.checks.get(name="pricing").result == "passed"


def test_the_price_at_placement_counts_not_the_one_seen_earlier(catalogue, customer):
    # Given the customer put the lamp in the cart at 39.95 and the manager raised the price before checkout.
    catalogue.lamp.price = D("44.95")
    catalogue.lamp.save()

    order = order_build(customer=customer, lines=[(catalogue.lamp, 1)])

    assert order.lines.get().unit_price == D("44.95")


def test_the_line_snapshot_survives_later_catalogue_changes(catalogue, customer):
    order = order_build(customer=customer, lines=[(catalogue.chair, 2)])

    catalogue.chair.price = D("199.00")
    catalogue.chair.name = "Oak chair (new model)"
    catalogue.chair.save()
    catalogue.standard.rate = D("0.2500")
    catalogue.standard.save()

    chair_line = OrderLine.objects.get(order=order)
    assert (chair_line.name, chair_line.unit_price, chair_line.tax_rate) == ("Oak chair", D("149.00"), D("0.21"))
    assert Order.objects.get(pk=order.pk).total == order.total == D("366.57")


def test_a_valid_discount_code_is_applied_whatever_its_case(catalogue, customer):
    Voucher.objects.create(code="spring10", percent_off=D("10"))

    order = order_build(customer=customer, lines=[(catalogue.chair, 1)], discount_code="  Spring10 ")

    assert order.discount_code == "SPRING10"
    assert (order.discount_total, order.lines.get().net_amount) == (D("14.90"), D("134.10"))
    assert order.status == Order.Status.VERIFIED


@pytest.mark.parametrize(
    "voucher",
    [
        None,
        {"is_active": False},
        {"valid_until": timezone.now() - timedelta(days=1)},
        {"valid_from": timezone.now() + timedelta(days=1)},
    ],
    ids=["unknown", "switched-off", "expired", "not-yet-valid"],
)
def test_an_invalid_discount_code_is_refused_next_to_its_field(catalogue, customer, voucher):
    if voucher is not None:
        Voucher.objects.create(code="SPRING10", percent_off=D("10"), **voucher)

    with pytest.raises(InvalidOrder) as refused:
        order_build(customer=customer, lines=[(catalogue.chair, 1)], discount_code="SPRING10")

    assert refused.value.extra == {"field": "discount_code"}
    assert "discount code is not valid" in refused.value.message
    assert nothing_was_written()


def test_pickup_needs_no_address(catalogue, customer):
    pickup = DeliveryMethodFactory(code="pickup", name="Pick up in Amsterdam", fee=D("0"), is_pickup=True)

    order = order_build(customer=customer, lines=[(catalogue.chair, 1)], delivery_method=pickup, shipping_address=None)

    assert order.status == Order.Status.VERIFIED
    assert order.shipping_address is None
    assert (order.shipping_total, order.total) == (D("0.00"), D("180.29"))


def test_delivery_needs_an_address(catalogue, customer):
    with pytest.raises(InvalidOrder) as refused:
        order_build(customer=customer, lines=[(catalogue.chair, 1)], shipping_address=None)

    assert refused.value.extra == {"field": "shipping_address"}
    assert nothing_was_written()


def test_cash_on_delivery_is_refused_with_pickup(catalogue, customer):
    pickup = DeliveryMethodFactory(code="pickup", name="Pick up in Amsterdam", fee=D("0"), is_pickup=True)

    with pytest.raises(InvalidOrder) as refused:
        order_build(
            customer=customer,
            lines=[(catalogue.chair, 1)],
            delivery_method=pickup,
            shipping_address=None,
            payment_method="cash_on_delivery",
            channel="phone",
        )

    assert refused.value.extra == {"field": "payment_method"}
    assert refused.value.message == "Cash on delivery is not possible when you pick up; choose another way to pay."
    assert not Order.objects.exists()
    assert nothing_was_written()


def test_cash_on_delivery_is_fine_with_delivery(catalogue, customer):
    order = order_build(customer=customer, lines=[(catalogue.chair, 1)], payment_method="cash_on_delivery")

    assert order.payment_method == "cash_on_delivery"


def test_a_requested_date_before_the_earliest_is_refused(catalogue, customer):
    express = DeliveryMethodFactory(code="express", name="Express delivery", min_days=2)
    earliest = timezone.localdate() + timedelta(days=2)

    with pytest.raises(InvalidOrder) as refused:
        order_build(
            customer=customer,
            lines=[(catalogue.chair, 1)],
            delivery_method=express,
            requested_delivery_date=earliest - timedelta(days=1),
            channel="phone",
        )

    assert refused.value.extra == {"field": "requested_delivery_date"}
    assert refused.value.message == f"The earliest date for express delivery is {earliest.day} {earliest:%B %Y}."
    assert not Order.objects.exists()
    assert nothing_was_written()


def test_a_requested_date_too_far_ahead_is_refused(catalogue, customer):
    with pytest.raises(InvalidOrder) as refused:
        order_build(
            customer=customer,
            lines=[(catalogue.chair, 1)],
            requested_delivery_date=timezone.localdate() + timedelta(days=91),
        )

    assert refused.value.extra == {"field": "requested_delivery_date"}
    assert refused.value.message == "Choose a date within 90 days from today."
    assert nothing_was_written()


@pytest.mark.parametrize("days_ahead", [2, 90], ids=["earliest", "latest"])
def test_a_requested_date_within_the_window_is_kept(catalogue, customer, days_ahead):
    express = DeliveryMethodFactory(code="express", name="Express delivery", min_days=2)
    wanted = timezone.localdate() + timedelta(days=days_ahead)

    order = order_build(
        customer=customer,
        lines=[(catalogue.chair, 1)],
        delivery_method=express,
        requested_delivery_date=wanted,
    )

    assert order.requested_delivery_date == wanted


BAD_REQUESTS = {
    # what goes wrong: (how the request is spoiled, the field the message stands next to)
    "no-lines": (lambda c, req: req.update(lines=[]), "lines"),
    "zero-quantity": (lambda c, req: req.update(lines=[LineRequest(product_id=c.chair.pk, quantity=0)]), "lines"),
    "quantity-1000": (lambda c, req: req.update(lines=[LineRequest(product_id=c.chair.pk, quantity=1000)]), "lines"),
    "unknown-product": (lambda c, req: req.update(lines=[LineRequest(product_id=987654, quantity=1)]), "lines"),
    "product-no-longer-sold": (lambda c, req: Product.objects.filter(pk=c.chair.pk).update(is_active=False), "lines"),
    "no-payment-method": (lambda c, req: req.update(payment_method="bitcoin"), "payment_method"),
    "delivery-method-withdrawn": (
        lambda c, req: req.update(delivery_method=DeliveryMethodFactory(code="courier", is_active=False)),
        "delivery_method",
    ),
}


@pytest.mark.parametrize(("spoil", "field"), BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
def test_bad_requests_are_refused_next_to_the_field_and_leave_nothing(catalogue, customer, spoil, field):
    request = {
        "customer": customer,
        "lines": [LineRequest(product_id=catalogue.chair.pk, quantity=1)],
        "channel": Order.Channel.WEB,
        "delivery_method": DeliveryMethodFactory(),
        "payment_method": "bank_transfer",
        "billing_address": address_data(),
        "shipping_address": address_data(),
    }
    spoil(catalogue, request)

    with pytest.raises(InvalidOrder) as refused:
        order_place(**request)

    assert refused.value.extra == {"field": field}
    assert nothing_was_written()


def test_the_same_idempotency_key_returns_the_same_order(catalogue, customer):
    first = order_build(customer=customer, lines=[(catalogue.chair, 2)], idempotency_key="checkout-7f3a")

    again = order_build(customer=customer, lines=[(catalogue.chair, 2)], idempotency_key="checkout-7f3a")

    assert again.pk == first.pk
    assert Order.objects.count() == 1
    assert OrderEvent.objects.filter(kind="order.place").count() == 1
    assert EmailNotification.objects.count() == 1
    assert StockLevel.objects.get(product=catalogue.chair, warehouse=catalogue.main).allocated == 2


def test_a_new_idempotency_key_makes_a_new_order(catalogue, customer):
    first = order_build(customer=customer, lines=[(catalogue.book, 1)], idempotency_key="a")
    second = order_build(state=None, customer=customer, lines=[(catalogue.book, 1)], idempotency_key="b")

    assert first.pk != second.pk
    assert int(second.number) == int(first.number) + 1


def test_a_declined_card_leaves_no_order_payment_or_address(catalogue, customer, mailoutbox):
    with pytest.raises(PaymentDeclined) as declined:
        order_build(
            customer=customer,
            lines=[(catalogue.chair, 1)],
            payment_method="card",
            card_token="4000 0000 0000 0002",
        )

    assert declined.value.message == "The card was declined by the bank."
    assert declined.value.extra == {"field": "card_number"}
    assert nothing_was_written()
    assert StockLevel.objects.get(product=catalogue.chair, warehouse=catalogue.main).allocated == 0
    assert mailoutbox == []


def test_an_approved_card_is_authorised_for_the_order_total(catalogue, customer):
    order = order_build(
        customer=customer,
        lines=[(catalogue.chair, 1)],
        payment_method="card",
        card_token="4242 4242 4242 4242",
    )

    payment = Payment.objects.get(order=order)
    assert (payment.status, payment.amount, payment.method) == (Payment.Status.AUTHORIZED, order.total, "card")
    assert payment.gateway_reference.startswith("test_")
    event = order.events.get(kind="payment.authorize")
    assert (event.actor, event.actor_label) == (None, "payment gateway")


def test_bank_transfer_gets_a_payment_reference(catalogue, customer):
    order = order_build(customer=customer, lines=[(catalogue.book, 1)])

    assert order.payment_reference == rf_reference(order.number)


def test_placement_records_channel_and_who_entered_it(catalogue, customer, staff_users):
    clerk = staff_users["Customer service"]

    order = order_build(customer=customer, lines=[(catalogue.book, 1)], channel="phone", placed_by=clerk)

    place = order.events.get(kind="order.place")
    assert (place.actor, place.data["channel"], order.placed_by) == (clerk, "phone", clerk)
    assert order.events.get(kind="order.verify").actor_label == "verification"


def test_the_order_received_email_goes_out_after_commit(
    catalogue, customer, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = order_build(customer=customer, lines=[(catalogue.book, 1)])
        assert mailoutbox == [], "nothing is sent before the order is committed"

    (mail,) = mailoutbox
    assert mail.to == [customer.email]
    assert mail.subject == f"We received your order {order.number}"
    assert "Woodworking book" in mail.body


def test_a_placement_that_fails_after_the_card_was_authorised_releases_the_hold(catalogue, customer):
    from unittest import mock

    from invoicing.gateways import TestGateway

    # Given the card is authorised, and then verification fails unexpectedly
    with (
        mock.patch.object(TestGateway, "void", autospec=True, return_value=mock.Mock(ok=True)) as void,
        mock.patch("orders.services.placement.order_verify_placed", side_effect=RuntimeError("db gone")),
        pytest.raises(RuntimeError),
    ):
        order_build(
            customer=customer,
            lines=[(catalogue.chair, 1)],
            payment_method="card",
            card_token="4242 4242 4242 4242",
        )

    # Then no order or payment was saved, and the gateway was asked to release exactly that hold
    assert not Order.objects.exists() and not Payment.objects.exists()
    (call,) = void.call_args_list
    assert call.kwargs["gateway_reference"].startswith("test_")


def test_the_checkout_customer_is_the_signed_in_users_or_the_guest_record_for_the_email(db):
    from django.contrib.auth.models import AnonymousUser, User

    from orders.services.customers import customer_for_checkout

    # Given a signed-in user and a guest who checked out before with the same address
    user = User.objects.create_user(username="ann", email="ann@example.com", password="pw")
    guest_first = customer_for_checkout(user=AnonymousUser(), email="Guest@Example.com", full_name="Gus")

    # When each checks out
    signed_in = customer_for_checkout(user=user, email="", full_name="")
    guest_again = customer_for_checkout(user=AnonymousUser(), email="guest@example.com", full_name="Gus Guest")

    # Then the user gets their own record and the guest the same record as before
    assert signed_in.user == user and signed_in.email == "ann@example.com"
    assert guest_again.pk == guest_first.pk and guest_again.full_name == "Gus Guest"


def test_placing_and_verifying_land_together_as_stored_rows_in_timeline_order(catalogue, customer):
    # Placement writes the placed and verified changes in one UPDATE and both events in one INSERT
    order = order_build(customer=customer, lines=[(catalogue.book, 1)])

    stored = Order.objects.get(pk=order.pk)
    assert (stored.status, stored.number, stored.payment_reference) == (
        Order.Status.VERIFIED,
        order.number,
        rf_reference(order.number),
    )
    assert stored.placed_at is not None and not stored.number.startswith("new-")
    timeline = list(stored.events.order_by("created_at", "pk").values_list("kind", "from_state", "to_state"))
    assert timeline == [("order.place", "draft", "placed"), ("order.verify", "placed", "verified")]
