from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from feedback.models import FeedbackRequest
from feedback.selectors import feedback_link_for_request
from inventory.models import StockLevel
from lifecycle.credit_notes import credit_note_issue
from orders.events import event_order_address_changed
from orders.models import Order, OrderEvent
from orders_site.core.formatting import money_display
from tests.builders import order_advance, order_build, staff_member
from tests.pdf_text import pdf_text
from tests.storefront_forms import GUEST_DETAILS, add_to_cart, checkout

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def order_url(order, name="order_detail", *args):
    return reverse(f"storefront:{name}", args=[order.number, *args])


def test_order_page_shows_lines_totals_timeline_and_payment_reference(anna_client, anna, shop):
    order = order_build(customer=anna.customer, lines=[(shop.chair, 2)], payment_method="bank_transfer")

    response = anna_client.get(order_url(order))

    assert response.status_code == 200
    page = response.content.decode()
    assert f"Order {order.number}" in page and "Oak chair" in page
    assert order.payment_reference in page.replace(" ", "")
    assert [message for _, message in response.context["timeline"]] == ["Order received", "Order confirmed"]
    assert "Cancel this order" in page


def test_internal_events_stay_internal(anna_client, anna, shop):
    order = order_build(customer=anna.customer, lines=[(shop.chair, 1)])
    event_order_address_changed(order=order, note="Staff only: call before delivery")

    response = anna_client.get(order_url(order))

    assert all(event.customer_visible for event, _ in response.context["timeline"])
    assert "Staff only" not in response.content.decode()


def test_shipments_tracking_links_invoice_and_feedback_once_delivered(anna_client, anna, shop, staff):
    order = order_build(state="invoiced", customer=anna.customer, lines=[(shop.chair, 1)], actor=staff)
    assert order.status == Order.Status.INVOICED

    response = anna_client.get(order_url(order))

    page = response.content.decode()
    shipment = order.shipments.get()
    assert f'href="https://track.example/3S{shipment.pk:06d}"' in page and 'rel="noopener noreferrer"' in page
    invoice = order.invoices.get()
    download = order_url(order, "invoice_download", invoice.number)
    assert download in page
    assert "Delivered" in [message for _, message in response.context["timeline"]]
    assert "Cancel this order" not in page
    # Not paid yet, so no feedback request exists: the button makes one (POST) and opens it.
    assert response.context["feedback_state"] == "start"
    assert anna_client.get(order_url(order, "order_feedback_start")).status_code == 405
    started = anna_client.post(order_url(order, "order_feedback_start"))
    feedback_request = FeedbackRequest.objects.get(order=order)
    assert started.url == feedback_link_for_request(request_id=feedback_request.pk)
    assert anna_client.get(order_url(order)).context["feedback_state"] == "link"


def test_a_javascript_tracking_url_is_not_made_a_link(anna_client, anna, shop, staff):
    order = order_build(state="invoiced", customer=anna.customer, lines=[(shop.chair, 1)], actor=staff)
    order.shipments.update(tracking_url="javascript:alert(1)")
    page = anna_client.get(order_url(order)).content.decode()
    assert "javascript:alert(1)" not in page


def test_invoice_pdf_download(anna_client, anna, shop, staff):
    order = order_build(state="invoiced", customer=anna.customer, lines=[(shop.chair, 1)], actor=staff)
    invoice = order.invoices.get()

    response = anna_client.get(order_url(order, "invoice_download", invoice.number))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="invoice-{invoice.number}.pdf"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content if response.streaming else [response.content]).startswith(b"%PDF")
    assert anna_client.get(order_url(order, "invoice_download", "INV-999999")).status_code == 404


def test_the_customer_sees_a_credit_note_on_the_order_page_and_only_they_can_download_it(
    anna_client, anna, shop, staff
):
    # Given Anna's invoiced order with one chair credited by customer service
    order = order_build(state="invoiced", customer=anna.customer, lines=[(shop.chair, 1)], actor=staff)
    invoice = order.invoices.get()
    credit_note = credit_note_issue(
        invoice=invoice, amount=Decimal("20.00"), reason="Scratch on the seat", actor=staff_member("Customer service")
    )

    # Then her order page lists it with the reason and what it takes off, and the timeline says so
    page = anna_client.get(order_url(order)).content.decode()
    assert f"Credit note {credit_note.number} (PDF)" in page and "Scratch on the seat" in page
    assert money_display(Decimal("20.00"), "EUR") in page
    # And she downloads its PDF; anyone else gets a 404 or the sign-in page
    pdf = anna_client.get(order_url(order, "credit_note_download", credit_note.number))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert "Scratch on the seat" in pdf_text(pdf.content)
    assert anna_client.get(order_url(order, "credit_note_download", "CN-2000-000009")).status_code == 404
    stranger = Client()
    assert stranger.get(order_url(order, "credit_note_download", credit_note.number)).status_code in (302, 404)


def test_customer_cancels_while_cancellable(anna_client, anna, shop):
    order = order_build(customer=anna.customer, lines=[(shop.chair, 2)])
    assert StockLevel.objects.get(product=shop.chair).allocated == 2

    confirm = anna_client.get(order_url(order, "order_cancel"))
    assert confirm.status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.VERIFIED, "GET changes nothing"

    response = anna_client.post(order_url(order, "order_cancel"), {"reason": "Ordered twice"})

    order.refresh_from_db()
    assert response.status_code == 302 and response.url == order_url(order)
    assert order.status == Order.Status.CANCELLED
    event = order.events.get(kind="order.cancel")
    assert event.actor == anna.user and event.note == "Ordered twice"
    assert StockLevel.objects.get(product=shop.chair).allocated == 0
    page = anna_client.get(order_url(order)).content.decode()
    assert "Order cancelled" in page and "Cancel this order" not in page


def test_no_cancel_after_dispatch(anna_client, anna, shop, staff):
    order = order_build(state="invoiced", customer=anna.customer, lines=[(shop.chair, 1)], actor=staff)
    response = anna_client.post(order_url(order, "order_cancel"))
    order.refresh_from_db()
    assert response.status_code == 302 and order.status == Order.Status.INVOICED


def test_another_customer_gets_404_on_every_url_of_an_order(client, anna, bert, shop, staff):
    order = order_build(state="invoiced", customer=anna.customer, lines=[(shop.chair, 1)], actor=staff)
    invoice = order.invoices.get()
    feedback_request = FeedbackRequest.objects.create(order=order)
    client.force_login(bert.user)

    assert client.get(order_url(order)).status_code == 404
    assert client.get(order_url(order, "order_cancel")).status_code == 404
    assert client.post(order_url(order, "order_cancel")).status_code == 404
    assert client.get(order_url(order, "invoice_download", invoice.number)).status_code == 404
    assert client.post(order_url(order, "order_feedback_start")).status_code == 404
    feedback_url = feedback_link_for_request(request_id=feedback_request.pk)
    assert client.get(feedback_url).status_code == 404
    assert client.post(feedback_url, {"overall_rating": 1}).status_code == 404
    assert (
        not hasattr(feedback_request, "feedback")
        or FeedbackRequest.objects.get(pk=feedback_request.pk).responded_at is None
    )
    # A number that does not exist looks the same as one that belongs to someone else.
    assert client.get(reverse("storefront:order_detail", args=["999999"])).status_code == 404


def test_another_customer_cannot_see_a_guest_order(client, bert, shop):
    add_to_cart(client, shop.lamp, 1)
    checkout(client)
    order = Order.objects.get()
    other = client.__class__()
    other.force_login(bert.user)
    assert other.get(order_url(order)).status_code == 404


def test_cancel_is_not_offered_to_guests(client, shop):
    add_to_cart(client, shop.lamp, 1)
    checkout(client)
    order = Order.objects.get()
    assert client.get(order_url(order)).context["can_cancel"] is False
    assert client.post(order_url(order, "order_cancel")).status_code == 404
    order.refresh_from_db()
    assert order.status != Order.Status.CANCELLED


def test_anonymous_visitor_of_an_order_url_is_sent_to_the_lookup(client, anna, shop):
    order = order_build(customer=anna.customer, lines=[(shop.chair, 1)])
    response = client.get(order_url(order))
    assert (
        response.status_code == 302 and response.url == reverse("storefront:order_lookup") + f"?number={order.number}"
    )
    missing = client.get(reverse("storefront:order_detail", args=["424242"]))
    assert missing.status_code == 302, "the same answer whether or not the order exists"


def test_guest_finds_the_order_by_number_and_email(client, shop):
    add_to_cart(client, shop.lamp, 1)
    checkout(client)
    order = Order.objects.get()
    stranger = client.__class__()

    form = stranger.get(reverse("storefront:order_lookup"), {"number": order.number})
    assert form.status_code == 200 and f'value="{order.number}"' in form.content.decode()
    wrong = stranger.post(reverse("storefront:order_lookup"), {"number": order.number, "email": "other@example.com"})
    assert wrong.status_code == 200 and "could not find" in wrong.content.decode()
    found = stranger.post(reverse("storefront:order_lookup"), {"number": order.number, "email": "GUEST@example.com"})

    assert found.status_code == 302 and found.url == order_url(order)
    assert stranger.get(found.url).status_code == 200


def test_orders_of_account_holders_are_not_found_by_the_guest_lookup(client, anna, shop):
    order = order_build(customer=anna.customer, lines=[(shop.chair, 1)])
    response = client.post(reverse("storefront:order_lookup"), {"number": order.number, "email": anna.email})
    assert response.status_code == 200 and "could not find" in response.content.decode()


def test_guest_lookup_is_throttled_per_client_address(client, shop, settings):
    settings.GUEST_LOOKUP_MAX_ATTEMPTS = 3
    add_to_cart(client, shop.lamp, 1)
    checkout(client)
    order = Order.objects.get()
    attacker = client.__class__(REMOTE_ADDR="203.0.113.9")
    for n in range(3):
        attempt = attacker.post(reverse("storefront:order_lookup"), {"number": f"{n}", "email": "guest@example.com"})
        assert attempt.status_code == 200

    blocked = attacker.post(reverse("storefront:order_lookup"), {"number": order.number, "email": "guest@example.com"})

    assert blocked.status_code == 429
    assert "Too many tries" in blocked.content.decode()
    # Somebody else (another address) is not affected.
    other = client.__class__(REMOTE_ADDR="198.51.100.7")
    ok = other.post(reverse("storefront:order_lookup"), {"number": order.number, "email": "guest@example.com"})
    assert ok.status_code == 302


def test_behind_a_trusted_proxy_guests_are_throttled_by_their_own_address(client, shop, settings):
    # Given the shop behind one TLS proxy: every request comes from the proxy's address
    settings.GUEST_LOOKUP_MAX_ATTEMPTS = 2
    settings.TRUSTED_PROXY_COUNT = 1
    add_to_cart(client, shop.lamp, 1)
    checkout(client)
    order = Order.objects.get()
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    attacker = client.__class__(**proxy, HTTP_X_FORWARDED_FOR="203.0.113.9")
    for n in range(2):
        attacker.post(reverse("storefront:order_lookup"), {"number": f"{n}", "email": "guest@example.com"})
    assert (
        attacker.post(reverse("storefront:order_lookup"), {"number": "9", "email": "x@example.com"}).status_code == 429
    )

    # When a real guest looks up their order through the same proxy, they are not locked out
    guest = client.__class__(**proxy, HTTP_X_FORWARDED_FOR="198.51.100.7")
    found = guest.post(reverse("storefront:order_lookup"), {"number": order.number, "email": "guest@example.com"})
    assert found.status_code == 302


def test_without_a_trusted_proxy_a_forged_forwarded_header_does_not_reset_the_count(client, shop, settings):
    settings.GUEST_LOOKUP_MAX_ATTEMPTS = 2
    for n in range(2):
        forged = client.__class__(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
        forged.post(reverse("storefront:order_lookup"), {"number": f"{n}", "email": "guest@example.com"})

    again = client.__class__(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert again.post(reverse("storefront:order_lookup"), {"number": "7", "email": "x@example.com"}).status_code == 429


def test_no_state_changes_on_get(client, anna, shop):
    order = order_build(customer=anna.customer, lines=[(shop.chair, 1)])
    client.force_login(anna.user)
    before = (
        Order.objects.get(pk=order.pk).status,
        OrderEvent.objects.count(),
        StockLevel.objects.get(product=shop.chair).allocated,
    )
    for url in (
        order_url(order),
        order_url(order, "order_cancel"),
        reverse("storefront:cart_add") + f"?product={shop.chair.pk}&quantity=1",
        reverse("storefront:checkout_place") + "?idempotency_key=" + "a" * 32,
        order_url(order, "order_feedback_start"),
    ):
        client.get(url)
    after = (
        Order.objects.get(pk=order.pk).status,
        OrderEvent.objects.count(),
        StockLevel.objects.get(product=shop.chair).allocated,
    )
    assert before == after
    assert client.get(reverse("storefront:cart")).context["cart"].is_empty


def test_guest_order_page_after_checkout_shows_the_order(client, shop):
    add_to_cart(client, shop.lamp, 2)
    response = checkout(client, {**GUEST_DETAILS, "delivery_instructions": "<b>bold</b>"})
    page = client.get(response.url).content.decode()
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold</b>" not in page


def test_bank_transfer_asks_only_for_what_is_still_owed(
    anna_client, anna, shop, staff, django_capture_on_commit_callbacks
):
    # Given a bank-transfer order: before the invoice the whole total is asked for
    from decimal import Decimal

    from lifecycle.settlement import payment_record

    order = order_build(customer=anna.customer, lines=[(shop.chair, 1)], payment_method="bank_transfer")
    url = reverse("storefront:order_detail", args=[order.number])
    assert f"Please transfer {money_display(order.total)}" in anna_client.get(url).text

    # When part is paid, only the balance is asked for; once paid in full, nothing
    order = order_advance(order=order, state="invoiced", actor=staff)
    invoice = order.invoices.get()
    payment_record(invoice=invoice, amount=Decimal("100.00"), method="bank_transfer", actor=staff)
    assert f"Please transfer {money_display(invoice.total - Decimal('100.00'))}" in anna_client.get(url).text
    payment_record(invoice=invoice, amount=invoice.total - Decimal("100.00"), method="bank_transfer", actor=staff)
    assert "Please transfer" not in anna_client.get(url).text


def test_a_cancelled_bank_transfer_order_asks_for_no_payment(anna_client, anna, shop):
    from lifecycle.cancellation import order_cancel

    order = order_build(customer=anna.customer, lines=[(shop.chair, 1)], payment_method="bank_transfer")
    order_cancel(order=order, actor=anna.user, reason="changed my mind")
    page = anna_client.get(reverse("storefront:order_detail", args=[order.number])).text
    assert "Cancelled" in page
    assert "Please transfer" not in page
