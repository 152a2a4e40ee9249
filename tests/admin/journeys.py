"""Carry orders to a state through the services, as people and the system would (CONVENTIONS rule 14)."""

import re
from decimal import Decimal

from django.urls import reverse

from feedback.services import feedback_submit
from lifecycle.delivery import shipment_deliver
from lifecycle.settlement import payment_record
from orders.models import Order
from orders.services.fulfillment import (
    order_fulfillment_start,
    shipment_dispatch,
    shipment_pack,
    shipment_start_picking,
)
from orders.tests.factories import CustomerFactory, address_data, order_place_for_test


def place(catalogue, lines=None, **kwargs) -> Order:
    """A small order from a new customer each time, so no risk rule (velocity, duplicates) holds it."""
    return order_place_for_test(
        customer=kwargs.pop("customer", None) or CustomerFactory(),
        products_and_quantities=lines or [(catalogue.book, 1)],
        **kwargs,
    )


def place_held_for_address(catalogue) -> Order:
    """Held by the customer check: the delivery postal code is not a Dutch one."""
    return place(catalogue, shipping_address=address_data(postal_code="12"))


def place_held_for_stock(catalogue) -> Order:
    """Held by the stock check: one chair more than the warehouses have (not back-orderable)."""
    return place(catalogue, lines=[(catalogue.chair, 11)])


def packed(order, actor):
    order = order_fulfillment_start(order=order, actor=actor)
    return [
        shipment_pack(shipment=shipment_start_picking(shipment=s, actor=actor), actor=actor)
        for s in order.shipments.order_by("pk")
    ]


def shipped(order, actor):
    return [
        shipment_dispatch(shipment=s, carrier="PostNL", tracking_number=f"3S{s.pk}", actor=actor)
        for s in packed(order, actor)
    ]


def delivered(order, actor):
    for shipment in shipped(order, actor):
        shipment_deliver(shipment=shipment, actor=actor)
    order.refresh_from_db()
    return order.invoices.get()


def completed(order, *, warehouse, service):
    invoice = delivered(order, warehouse)
    payment_record(invoice=invoice, amount=invoice.total, method="bank_transfer", reference="RF1", actor=service)
    invoice.refresh_from_db()
    return invoice


def partly_paid(order, *, warehouse, service, amount=Decimal("1.00")):
    invoice = delivered(order, warehouse)
    payment_record(invoice=invoice, amount=amount, method="bank_transfer", actor=service)
    invoice.refresh_from_db()
    return invoice


def feedback_given(order, *, rating: int, comment: str = ""):
    order.refresh_from_db()
    product_ids = {line.product_id for line in order.lines.all() if line.product_id}
    return feedback_submit(
        feedback_request=order.feedback_request,
        overall_rating=rating,
        product_ratings={product_id: rating for product_id in product_ids},
        comment=comment,
    )


# -- pressing admin buttons over HTTP ---------------------------------------------------------------


def action_url(obj, action: str) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_staff_action", args=[obj.pk, action])


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def press(client, obj, action: str, *, guard: dict | None = None, **fields):
    """POST one staff button as the change page would: its form fields and the state the page showed."""
    data = {f"{action}-{name}": value for name, value in fields.items()}
    data.update(guard if guard is not None else {"expected_status": obj.status})
    return client.post(action_url(obj, action), data, follow=True)


def messages_in(response) -> list[tuple[str, str]]:
    return [(message.level_tag, str(message)) for message in response.context["messages"]]


def errors_in(response) -> list[str]:
    return [text for level, text in messages_in(response) if level == "error"]


def successes_in(response) -> list[str]:
    return [text for level, text in messages_in(response) if level == "success"]


def hidden_value(page: str, form_id: str, name: str) -> str:
    """What the page's button form would post for a hidden or pre-filled field."""
    form = page.split(f'id="{form_id}"')[1].split("</form>")[0]
    return re.search(rf'name="{name}"[^>]*value="([^"]*)"', form).group(1)


def press_as_page_says(browser, obj, action, **fields):
    """Open the change page, check the button is there, and post it with what the page showed."""
    page = browser.get(change_url(obj)).text
    assert action_url(obj, action) in page, f"no {action} button on {obj}"
    guard_name = "expected_amount_paid" if action == "record_payment" else "expected_status"
    guard = {guard_name: hidden_value(page, f"staff-action-{action}", guard_name)}
    response = press(browser, obj, action, guard=guard, **fields)
    assert errors_in(response) == []
    assert len(successes_in(response)) == 1
    return response
