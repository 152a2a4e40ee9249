"""The order desk through its services (lifecycle/quotes.py, orders/services/quotes.py): staff
orders, drafts that reserve nothing, quotes with held prices accepted from a signed link."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.models import StockLevel
from lifecycle.quotes import order_desk_place, quote_accept
from orders.models import DeliveryMethod, EmailNotification, Order, OrderEvent, Quote, ShippingZone, WeightBand
from orders.quote_links import quote_id_from_token, quote_token_for
from orders.services.placement import InvalidOrder, LineRequest
from orders.services.quotes import (
    NewCustomer,
    QuoteNotOpen,
    QuoteRequest,
    quote_cancel,
    quote_save_draft,
    quote_send,
)
from tests.builders import CUSTOMER_SERVICE, address_data, customer_build, delivery_method_build, staff_member
from tests.pdf_text import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(db):
    return staff_member(CUSTOMER_SERVICE)


def phone_request(catalogue, **overrides) -> QuoteRequest:
    """A phone order: two chairs with an engraving, a lamp, standard delivery, bank transfer."""
    fields = {
        "customer": None,
        "new_customer": NewCustomer(full_name="Jan Jansen", email="jan@example.com", phone="+31 6 1234 5678"),
        "lines": [
            LineRequest(product_id=catalogue.chair.pk, quantity=2, customisation_notes="Engrave “J.J.” on the back"),
            LineRequest(product_id=catalogue.lamp.pk, quantity=1),
        ],
        "channel": Order.Channel.PHONE,
        "delivery_method": delivery_method_build(),
        "payment_method": Order.PaymentMethod.BANK_TRANSFER,
        "billing_address": address_data(full_name="Jan Jansen"),
        "shipping_address": address_data(full_name="Jan Jansen"),
    }
    fields.update(overrides)
    return QuoteRequest(**fields)


def test_a_phone_order_for_a_new_customer_is_placed_verified_and_records_who_entered_it(
    catalogue, clerk, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = order_desk_place(request=phone_request(catalogue), actor=clerk, idempotency_key="desk-1")

    order.refresh_from_db()
    assert order.status == Order.Status.VERIFIED
    assert (order.channel, order.placed_by) == (Order.Channel.PHONE, clerk)
    assert order.customer.full_name == "Jan Jansen"
    assert [a.city for a in order.customer.addresses.all()] == ["Amsterdam"]
    lines = list(order.lines.order_by("pk"))
    assert [(line.sku, line.quantity, line.customisation_notes) for line in lines] == [
        ("CHAIR-1", 2, "Engrave “J.J.” on the back"),
        ("LAMP-1", 1, ""),
    ]
    assert order.total == Decimal("414.91")  # chairs 298.00 + 62.58 VAT, lamp 39.95 + 8.39, delivery 4.95 + 1.04
    first = order.events.order_by("pk").first()
    assert (first.kind, first.actor, first.data["channel"]) == (OrderEvent.Kind.ORDER_PLACE, clerk, "phone")
    assert [m.subject for m in mailoutbox] == [f"We received your order {order.number}"]
    assert StockLevel.objects.get(product=catalogue.chair, warehouse=catalogue.main).allocated == 2


def test_a_double_submit_makes_one_order_and_one_customer(catalogue, clerk):
    first = order_desk_place(request=phone_request(catalogue), actor=clerk, idempotency_key="desk-2")
    second = order_desk_place(request=phone_request(catalogue), actor=clerk, idempotency_key="desk-2")

    assert second.pk == first.pk
    assert Order.objects.count() == 1
    assert Order.objects.get().customer.email == "jan@example.com"
    assert type(first.customer).objects.filter(email="jan@example.com").count() == 1


def test_an_email_order_keeps_the_received_message_for_staff(catalogue, clerk):
    request = phone_request(catalogue, channel=Order.Channel.EMAIL, received_message="Dear shop, two chairs please.")

    order = order_desk_place(request=request, actor=clerk, idempotency_key="desk-3")

    comment = order.events.get(kind=OrderEvent.Kind.ORDER_STAFF_COMMENT)
    assert "Dear shop, two chairs please." in comment.note
    assert comment.customer_visible is False


def test_an_email_order_without_the_message_is_refused_before_anything_is_written(catalogue, clerk):
    with pytest.raises(InvalidOrder) as refused:
        order_desk_place(
            request=phone_request(catalogue, channel=Order.Channel.EMAIL), actor=clerk, idempotency_key="desk-4"
        )

    assert refused.value.extra["field"] == "received_message"
    assert Order.objects.count() == 0


def test_collected_at_the_counter_needs_no_delivery_address(catalogue, clerk):
    pickup = delivery_method_build(code="pickup", name="Pick up", fee=Decimal("0"), is_pickup=True, min_days=0)
    request = phone_request(
        catalogue,
        channel=Order.Channel.IN_PERSON,
        delivery_method=pickup,
        shipping_address=None,
        payment_method=Order.PaymentMethod.IN_PERSON_CASH,
    )

    order = order_desk_place(request=request, actor=clerk, idempotency_key="desk-5")

    assert (order.status, order.shipping_address, order.channel) == (Order.Status.VERIFIED, None, "in_person")


def test_pay_on_invoice_is_only_for_customers_with_terms(catalogue, clerk):
    prepaid = phone_request(
        catalogue, customer=customer_build(), new_customer=None, payment_method=Order.PaymentMethod.ON_INVOICE
    )
    with pytest.raises(InvalidOrder, match="payment terms"):
        order_desk_place(request=prepaid, actor=clerk, idempotency_key="desk-6")

    account = customer_build(payment_terms="net", net_days=30)
    order = order_desk_place(
        request=phone_request(
            catalogue, customer=account, new_customer=None, payment_method=Order.PaymentMethod.ON_INVOICE
        ),
        actor=clerk,
        idempotency_key="desk-7",
    )
    assert order.payment_method == Order.PaymentMethod.ON_INVOICE


def test_a_draft_reserves_nothing_makes_no_order_and_a_double_save_keeps_one(catalogue, clerk):
    draft = quote_save_draft(request=phone_request(catalogue), actor=clerk, idempotency_key="form-1")
    again = quote_save_draft(request=phone_request(catalogue), actor=clerk, idempotency_key="form-1")

    assert again.pk == draft.pk
    assert draft.status == Quote.Status.DRAFT
    assert Order.objects.count() == 0
    assert StockLevel.objects.get(product=catalogue.chair, warehouse=catalogue.main).allocated == 0
    assert EmailNotification.objects.count() == 0
    assert draft.total == Decimal("414.91")


def test_placing_a_draft_makes_the_order_and_closes_the_draft(catalogue, clerk):
    draft = quote_save_draft(request=phone_request(catalogue), actor=clerk, idempotency_key="form-2")

    order = order_desk_place(
        request=phone_request(catalogue, customer=draft.customer, new_customer=None),
        actor=clerk,
        idempotency_key="form-2",
        draft_id=draft.pk,
    )

    draft.refresh_from_db()
    assert draft.status == Quote.Status.ACCEPTED
    assert order.quote == draft


def sent_quote(catalogue, clerk, **send) -> Quote:
    return quote_send(
        request=phone_request(catalogue),
        actor=clerk,
        valid_until=send.pop("valid_until", timezone.localdate() + timedelta(days=14)),
        idempotency_key="form-q",
    )


def test_a_sent_quote_is_emailed_with_its_pdf_and_a_signed_link(
    catalogue, clerk, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        quote = sent_quote(catalogue, clerk)

    assert quote.status == Quote.Status.SENT
    [message] = mailoutbox
    assert message.subject.startswith(f"Your quote {quote.number} from ")
    assert message.to == ["jan@example.com"]
    link = re.search(r"http\S+/quotes/(\S+)/", message.body)
    assert quote_id_from_token(token=link.group(1)) == quote.pk
    [(name, pdf, mimetype)] = message.attachments
    text = pdf_text(pdf)
    assert (name, mimetype) == (f"quote-{quote.number}.pdf", "application/pdf")
    assert f"Quote {quote.number}" in text
    assert "Oak chair" in text and "Engrave" in text
    assert "€ 414.91" in text
    assert Order.objects.count() == 0


def test_accepting_a_quote_places_the_order_at_the_held_prices(catalogue, clerk, mailoutbox):
    quote = sent_quote(catalogue, clerk)
    catalogue.chair.price = Decimal("199.00")  # the price went up after the quote was sent
    catalogue.chair.save()

    order = quote_accept(quote_id=quote.pk)

    assert order.status == Order.Status.VERIFIED  # the pricing check accepts the quote's price
    assert order.lines.get(sku="CHAIR-1").unit_price == Decimal("149.00")
    assert order.total == quote.total == Decimal("414.91")
    assert (order.channel, order.placed_by, order.quote) == (Order.Channel.PHONE, clerk, quote)
    quote.refresh_from_db()
    assert quote.status == Quote.Status.ACCEPTED
    assert quote_accept(quote_id=quote.pk).pk == order.pk  # accepting again: the same order
    assert Order.objects.count() == 1


def test_an_expired_quote_cannot_be_accepted(catalogue, clerk):
    quote = sent_quote(catalogue, clerk, valid_until=timezone.localdate())
    Quote.objects.filter(pk=quote.pk).update(valid_until=timezone.localdate() - timedelta(days=1))

    with pytest.raises(QuoteNotOpen, match="was valid until"):
        quote_accept(quote_id=quote.pk)

    assert Order.objects.count() == 0


def test_a_cancelled_quote_cannot_be_accepted(catalogue, clerk):
    quote = sent_quote(catalogue, clerk)
    quote_cancel(quote_id=quote.pk, actor=clerk)

    with pytest.raises(QuoteNotOpen):
        quote_accept(quote_id=quote.pk)


def test_a_tampered_or_foreign_link_names_no_quote(catalogue, clerk):
    quote = sent_quote(catalogue, clerk)
    token = quote_token_for(quote_id=quote.pk)
    other_id = str(quote.pk + 1)

    assert quote_id_from_token(token=token) == quote.pk
    assert quote_id_from_token(token=other_id + token[len(str(quote.pk)) :]) is None
    assert quote_id_from_token(token=token[:-2] + "xx") is None
    assert quote_id_from_token(token="") is None


def test_a_quote_is_refused_for_card_payment_and_past_dates(catalogue, clerk):
    with pytest.raises(InvalidOrder) as refused:
        quote_send(
            request=phone_request(catalogue, payment_method=Order.PaymentMethod.CARD),
            actor=clerk,
            valid_until=timezone.localdate() + timedelta(days=3),
        )
    assert refused.value.extra["field"] == "payment_method"
    with pytest.raises(InvalidOrder) as refused:
        quote_send(request=phone_request(catalogue), actor=clerk, valid_until=timezone.localdate() - timedelta(days=1))
    assert refused.value.extra["field"] == "valid_until"
    assert Quote.objects.count() == 0


def test_a_quote_is_priced_and_checked_for_where_it_goes(catalogue, clerk):
    # given a method that delivers in the Netherlands only, for 6.50 up to 20 kg
    domestic = delivery_method_build(rate_kind=DeliveryMethod.RateKind.BANDS)
    domestic.zones.add(ShippingZone.objects.create(name="Netherlands", countries=["NL"]))
    WeightBand.objects.create(method=domestic, up_to_grams=20000, fee=Decimal("6.50"))
    valid_until = timezone.localdate() + timedelta(days=14)

    # when customer service quotes it to Amsterdam, then to Antwerp
    quote = quote_send(request=phone_request(catalogue, delivery_method=domestic), actor=clerk, valid_until=valid_until)
    belgian = address_data(full_name="Jan Jansen", city="Antwerpen", postal_code="2000", country="BE")
    with pytest.raises(InvalidOrder) as refused:
        quote_send(
            request=phone_request(catalogue, delivery_method=domestic, shipping_address=belgian),
            actor=clerk,
            valid_until=valid_until,
            idempotency_key="form-be",
        )

    # then the Dutch quote carries the band's fee, and the Belgian one is refused on the delivery field
    assert quote.shipping_total == Decimal("6.50")
    assert refused.value.extra["field"] == "delivery_method" and "to BE" in str(refused.value)
