"""Returns in the console: customer service authorises (the slip), the warehouse receives on its
page, customer service credits and refunds; a return opened for a customer from the order page."""

import pytest
from django.urls import reverse

from invoicing.models import CreditNote, Refund
from orders.models import ReturnRequest
from orders.services.return_requests import return_request_create
from tests.builders import customer_signed_up, order_build, stock_put
from tests.pdf_text import pdf_text

from .journeys import action_url, successes_in
from .test_query_counts import assert_flat, grows

pytestmark = pytest.mark.django_db


@pytest.fixture
def asked(catalogue):
    """A card order of two books, completed; the customer asks to send one back."""
    customer = customer_signed_up()
    order = order_build(
        lines=[(catalogue.book, 2)], state="completed", payment_method="card", customer=customer.customer
    )
    return return_request_create(
        order=order, units={order.lines.get().pk: 1}, reason="damaged", comment="Torn", actor=customer.user
    )


def change(request) -> str:
    return reverse("admin:orders_returnrequest_change", args=[request.pk])


def test_from_request_to_refund_through_the_console(asked, staff_client, django_capture_on_commit_callbacks):
    service, warehouse = staff_client("Customer service"), staff_client("Warehouse")
    assert action_url(asked, "authorise") in service.get(change(asked)).text
    assert action_url(asked, "authorise") not in warehouse.get(change(asked)).text

    service.post(action_url(asked, "authorise"), {"expected_status": "requested"})
    asked.refresh_from_db()
    assert asked.status == "authorised"
    slip = service.get(reverse("admin:orders_returnrequest_slip", args=[asked.pk]))
    assert asked.number in pdf_text(slip.content)

    receive = reverse("admin:orders_returnrequest_receive", args=[asked.pk])
    line = asked.lines.get()
    page = warehouse.get(receive)
    assert page.status_code == 200 and f'name="restock_{line.pk}"' in page.text
    too_many = warehouse.post(receive, {f"restock_{line.pk}": "2", "warehouse": asked.warehouse_id})
    assert too_many.status_code == 200 and "At most 1." in too_many.text
    no_reason = warehouse.post(
        receive, {f"write_off_{line.pk}": "1", f"restock_{line.pk}": "0", "warehouse": asked.warehouse_id}
    )
    assert "Say why units are written off." in no_reason.text
    done = warehouse.post(receive, {f"restock_{line.pk}": "1", "warehouse": asked.warehouse_id}, follow=True)
    assert successes_in(done)
    asked.refresh_from_db()
    assert asked.status == "received"

    with django_capture_on_commit_callbacks(execute=True):
        service.post(
            action_url(asked, "refund"), {"expected_status": "received", "refund-iban": "", "refund-account_holder": ""}
        )
    asked.refresh_from_db()
    assert asked.status == ReturnRequest.Status.CLOSED
    credit_note = CreditNote.objects.get(order=asked.order)
    assert asked.credit_note_number == credit_note.number
    assert Refund.objects.get(order=asked.order).status == "succeeded"


def test_refusing_needs_a_reason_the_customer_reads(asked, staff_client):
    service = staff_client("Customer service")

    service.post(action_url(asked, "refuse"), {"expected_status": "requested", "refuse-reason": ""})
    asked.refresh_from_db()
    assert asked.status == "requested"
    service.post(action_url(asked, "refuse"), {"expected_status": "requested", "refuse-reason": "Used item"})
    asked.refresh_from_db()
    assert (asked.status, asked.refusal_reason) == ("refused", "Used item")


def test_customer_service_opens_a_return_from_the_order_page(catalogue, staff_client):
    order = order_build(lines=[(catalogue.book, 2)], state="completed")
    service = staff_client("Customer service")
    order_page = service.get(reverse("admin:orders_order_change", args=[order.pk])).text
    url = reverse("admin:orders_returnrequest_open", args=[order.pk])
    assert url in order_page
    line = order.lines.get()

    response = service.post(url, {f"line_{line.pk}": "2", "reason": "wrong_item", "refund_to": "original"}, follow=True)

    request = ReturnRequest.objects.get()
    assert request.lines.get().quantity == 2 and request.requested_by.username
    assert successes_in(response)[0].startswith(f"Return {request.number} opened")
    assert staff_client("Warehouse").get(url).status_code == 403


def test_the_return_list_costs_the_same_for_3_or_15(catalogue, staff_client, staff_users):
    stock_put(product=catalogue.book, warehouse=catalogue.second, quantity=100)

    def add_returns(n):
        for _ in range(n):
            order = order_build(lines=[(catalogue.book, 1)], state="completed")
            return_request_create(
                order=order,
                units={order.lines.get().pk: 1},
                reason="damaged",
                actor=staff_users["Customer service"],
                for_customer=True,
            )

    for query in ("", "?queue=requested"):
        ReturnRequest.objects.all().delete()
        assert_flat(
            *grows(
                staff_client("Customer service"), reverse("admin:orders_returnrequest_changelist") + query, add_returns
            )
        )
