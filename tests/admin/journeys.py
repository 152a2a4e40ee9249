"""What the admin tests share: orders in the states the admin pages show, built with
tests.builders.order_build, and pressing the staff buttons over HTTP as a change page would."""

import re

from django.urls import reverse

from orders.models import Order
from tests.builders import address_data, order_advance, order_build


def place(catalogue, lines=None, **kwargs) -> Order:
    """A book (or `lines`) ordered by a new customer, walked to `state` (default: verified) as
    order_build does; a new customer each time, so no risk rule (velocity, duplicates) holds it."""
    return order_build(lines=lines or [(catalogue.book, 1)], **kwargs)


def delivered(order: Order, actor=None):
    """Deliver every parcel of a verified order, which issues its invoice; returns the invoice."""
    return order_advance(order=order, state="invoiced", actor=actor).invoices.get()


def place_held_for_address(catalogue) -> Order:
    """Held by the customer check: the delivery postal code is not a Dutch one."""
    return place(catalogue, state="on_hold", shipping_address=address_data(postal_code="12"))


def place_held_for_stock(catalogue) -> Order:
    """Held by the stock check: one chair more than the warehouses have (not back-orderable)."""
    return place(catalogue, state="on_hold", lines=[(catalogue.chair, 11)])


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
