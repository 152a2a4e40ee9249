"""The customer's return request on the order page: delivered items only, within the window, a
reason from the list; errors beside the field; nobody else's order."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import EmailNotification, ReturnRequest, Shipment
from tests.builders import order_build

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivered(anna, shop):
    return order_build(lines=[(shop.chair, 2), (shop.lamp, 1)], state="completed", customer=anna.customer)


def url(order) -> str:
    return reverse("storefront:order_return", args=[order.number])


def test_the_order_page_offers_the_return_and_the_page_asks_what_goes_back(anna_client, delivered):
    page = anna_client.get(reverse("storefront:order_detail", args=[delivered.number])).content.decode()
    assert url(delivered) in page

    form = anna_client.get(url(delivered))
    assert form.status_code == 200
    chair = delivered.lines.get(sku=form.context["form"].entries[0].line.sku)

    response = anna_client.post(
        url(delivered), {f"line_{chair.pk}": "1", "reason": "damaged", "refund_to": "store_credit"}, follow=True
    )

    request = ReturnRequest.objects.get()
    assert (request.status, request.refund_to, request.lines.get().quantity) == ("requested", "store_credit", 1)
    assert f"We received your return request {request.number}" in response.content.decode()
    assert f"Return {request.number}" in response.content.decode()  # listed on the order page
    assert EmailNotification.objects.filter(kind=EmailNotification.Kind.RETURN_REQUESTED).exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"reason": "damaged"}, None, "Choose at least one item to send back."),
        ({"first": "1"}, "reason", "Choose why you send it back."),
        ({"first": "3", "reason": "damaged"}, "first", "Choose from 0 to 2."),
        ({"first": "1", "reason": "damaged", "iban": "NL00 1234"}, "iban", "This is not a valid IBAN"),
    ],
)
def test_bad_input_is_shown_beside_the_field_and_nothing_is_saved(anna_client, delivered, data, field, message):
    entries = anna_client.get(url(delivered)).context["form"].entries
    first = f"line_{entries[0].line.pk}"
    posted = {(first if key == "first" else key): value for key, value in {"refund_to": "original", **data}.items()}

    response = anna_client.post(url(delivered), posted)

    assert response.status_code == 200
    errors = response.context["form"].errors
    key = first if field == "first" else (field or "__all__")
    assert any(message in error for error in errors.get(key, [])), errors
    assert not ReturnRequest.objects.exists()


def test_past_the_window_the_page_sends_the_customer_to_customer_service(anna_client, delivered, settings):
    Shipment.objects.filter(order=delivered).update(
        delivered_at=timezone.now() - timedelta(days=settings.RETURN_WINDOW_DAYS + 1)
    )

    page = anna_client.get(reverse("storefront:order_detail", args=[delivered.number])).content.decode()
    assert url(delivered) not in page
    response = anna_client.get(url(delivered), follow=True)
    assert "can be returned online any more" in response.content.decode()


def test_nobody_else_can_open_the_return_page(bert, client, delivered):
    client.force_login(bert.user)

    assert client.get(url(delivered)).status_code == 404
    assert client.post(url(delivered), {"reason": "damaged"}).status_code == 404
