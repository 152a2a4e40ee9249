"""The order page as a record (issue 10, item 3): header, lines, money, customer, parcels, checks, and
the timeline in sentences with the staff comment box; its query count flat in lines and events."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import Order, OrderEvent
from orders.services.comments import order_comment_add
from orders_site.core.formatting import money_display
from tests.builders import address_data, customer_signed_up, order_advance, order_build, product_build, stock_put

from .journeys import change_url, delivered, errors_in, place, place_held_for_address, successes_in

pytestmark = pytest.mark.django_db


def comment_url(order) -> str:
    return reverse("admin:orders_order_staff_comment", args=[order.pk])


def timeline_of(page: str) -> str:
    return page.split('data-testid="timeline"')[1]


# -- what the page shows --------------------------------------------------------------------------------


def test_a_held_order_says_why_in_its_header_with_its_badges(catalogue, staff_client):
    order = place_held_for_address(catalogue)

    page = staff_client("Customer service").get(change_url(order)).text

    header = page.split('data-testid="record-header"')[1].split("</header>")[0]
    assert f"Order {order.number}" in header
    assert 'class="badge badge--attention" data-status="on_hold">On hold<' in header
    assert 'data-status="unpaid">Unpaid<' in header
    assert "customer check: delivery postal code &#x27;12&#x27; does not look like one from NL" in header
    # The header comes before the buttons, which come before the lines
    assert page.index('data-testid="record-header"') < page.index("staff-actions") < page.index('data-testid="lines"')


def test_lines_show_what_is_allocated_picked_and_shipped(catalogue, staff_users, admin_client):
    order = place(
        catalogue,
        state="partially_shipped",
        lines=[(catalogue.chair, 2), (catalogue.book, 3)],
        actor=staff_users["Managers"],
    )

    page = admin_client.get(change_url(order)).text

    lines = page.split('data-testid="lines"')[1].split("</section>")[0]
    chair = lines.split("CHAIR-1")[1].split("</tr>")[0]
    book = lines.split("BOOK-1")[1].split("</tr>")[0]
    # Parcel 1 (Amsterdam, the chairs) left; parcel 2 (Rotterdam, the books) is packed
    assert [cell.split("<")[0] for cell in chair.split('<td class="num">')[1:]][-3:] == ["2", "2", "2"]
    assert [cell.split("<")[0] for cell in book.split('<td class="num">')[1:]][-3:] == ["3", "3", "0"]
    assert "€\u00a0149.00" in chair and "21\u00a0%" in chair


def test_the_payment_card_shows_total_paid_balance_and_the_invoice(catalogue, staff_users, staff_client):
    invoice = delivered(place(catalogue, lines=[(catalogue.chair, 1)]), actor=staff_users["Warehouse"])

    page = staff_client("Customer service").get(change_url(invoice.order)).text

    card = page.split('data-testid="payment"')[1].split("</section>")[0]
    total = money_display(invoice.total, "EUR")
    assert total == "€\u00a0186.28"
    assert f"<dt>Total</dt><dd>{total}</dd>" in card
    assert "<dt>Paid</dt><dd>€\u00a00.00</dd>" in card
    assert f'<dd class="record-balance">{total}</dd>' in card
    assert reverse("admin:invoicing_invoice_change", args=[invoice.pk]) in card
    assert 'data-status="issued">Issued<' in card


def test_the_customer_card_shows_contact_order_count_and_the_fix_link_to_those_who_may(catalogue, staff_client):
    customer = customer_signed_up(email="anna@example.com").customer
    place(catalogue, customer=customer)
    order = place(catalogue, customer=customer, state="on_hold", shipping_address=address_data(postal_code="12"))

    for_service = staff_client("Customer service").get(change_url(order)).text
    for_warehouse = staff_client("Warehouse").get(change_url(order)).text

    card = for_service.split('data-testid="customer"')[1].split("</section>")[0]
    assert "Anna de Vries" in card and "anna@example.com" in card and "2 orders" in card
    assert "Fix this address" in card
    assert "Fix this address" not in for_warehouse
    # The warehouse may not read verification checks; customer service may
    assert 'data-testid="checks"' in for_service and 'data-testid="checks"' not in for_warehouse


def test_parcels_link_to_their_page_and_their_tracking(catalogue, staff_users, admin_client):
    order = place(catalogue, state="shipped", actor=staff_users["Warehouse"])
    (parcel,) = order.shipments.all()

    page = admin_client.get(change_url(order)).text

    card = page.split('data-testid="parcels"')[1].split("</section>")[0]
    assert reverse("admin:orders_shipment_change", args=[parcel.pk]) in card
    assert f'href="https://track.example/{parcel.tracking_number}"' in card
    assert 'data-status="shipped">Shipped<' in card


def test_the_timeline_is_in_sentences_with_no_event_code(catalogue, staff_users, admin_client):
    order = place(catalogue, state="completed", lines=[(catalogue.chair, 1), (catalogue.book, 1)])

    page = admin_client.get(change_url(order)).text

    timeline = timeline_of(page)
    assert f"{order.customer.full_name} placed the order on the web shop." in timeline
    assert "Warehouse started picking parcel 2 at RTM." in timeline
    assert "Customer service recorded a payment of €\u00a0" in timeline
    assert [kind for kind in OrderEvent.Kind.values if kind in page] == []


# -- the staff comment ------------------------------------------------------------------------------------


def test_a_staff_comment_is_added_to_the_timeline(catalogue, staff_client, staff_users):
    order = place(catalogue)
    browser = staff_client("Warehouse")

    response = browser.post(
        comment_url(order), {"comment": "Customer rang: leave it with the neighbours."}, follow=True
    )

    assert successes_in(response) == ["Comment added to the timeline (staff only)."]
    assert response.redirect_chain[-1][0] == change_url(order) + "#timeline"
    timeline = timeline_of(response.text)
    assert "Warehouse commented." in timeline
    assert "Customer rang: leave it with the neighbours." in timeline
    event = order.events.get(kind=OrderEvent.Kind.ORDER_STAFF_COMMENT)
    assert (event.actor, event.customer_visible) == (staff_users["Warehouse"], False)


@pytest.mark.parametrize(
    ("text", "message"),
    [("  ", "Write the comment first; nothing was saved."), ("z" * 2001, "A comment can be at most 2,000 characters")],
)
def test_an_empty_or_over_long_comment_is_refused_beside_the_field(catalogue, staff_client, text, message):
    order = place(catalogue)
    events = order.events.count()

    response = staff_client("Customer service").post(comment_url(order), {"comment": text}, follow=True)

    assert len(errors_in(response)) == 1 and message in errors_in(response)[0]
    form = response.text.split('id="staff-comment"')[1].split("</form>")[0]
    assert 'class="form-row errors"' in form and message in form  # beside the field
    assert order.events.count() == events
    # The draft is shown once: a reload is a clean form again
    again = staff_client("Customer service").get(change_url(order)).text
    assert message not in again.split('id="staff-comment"')[1].split("</form>")[0]


def test_a_comment_can_only_be_posted(catalogue, admin_client):
    order = place(catalogue)
    assert admin_client.get(comment_url(order)).status_code == 405


def test_the_customer_never_sees_a_staff_comment(catalogue, staff_users, mailoutbox):
    # Given a shop customer's order that went on to be shipped, and a staff comment on it
    shopper = customer_signed_up(email="shopper@example.com")
    order = order_build(lines=[(catalogue.book, 1)], customer=shopper.customer)
    order_comment_add(order=order, actor=staff_users["Customer service"], text="Suspicious: check ID on pickup.")
    order_advance(order=order, state="shipped")

    # When the customer opens their order page
    browser = Client()
    browser.force_login(shopper.user)
    page = browser.get(reverse("storefront:order_detail", args=[order.number]))

    # Then their timeline shows the steps they may see, and not the comment; no e-mail carried it
    assert page.status_code == 200
    assert "Your order is on its way" in page.text
    assert "Suspicious" not in page.text and "commented" not in page.text
    assert all("Suspicious" not in mail.body for mail in mailoutbox)


# -- query count ------------------------------------------------------------------------------------------


def queries_for(browser, order) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = browser.get(change_url(order))
    assert response.status_code == 200
    return len(captured)


def with_events(order, total: int, actor) -> Order:
    for n in range(total - order.events.count()):
        order_comment_add(order=order, actor=actor, text=f"Note {n}")
    assert order.events.count() == total
    return order


@pytest.fixture
def ten_products(catalogue):
    products = []
    for n in range(10):
        product = product_build(sku=f"FLAT-{n}", name=f"Flat product {n}")
        stock_put(product=product, warehouse=catalogue.main if n % 2 else catalogue.second, quantity=50)
        products.append(product)
    return products


@pytest.mark.parametrize("state", ["verified", "completed"])
def test_the_order_page_costs_the_same_queries_for_1_line_and_5_events_as_for_10_lines_and_60(
    catalogue, ten_products, staff_users, admin_client, state
):
    author = staff_users["Managers"]
    small = place(catalogue, state=state, lines=[(ten_products[0], 1)])
    large = place(catalogue, state=state, lines=[(product, 2) for product in ten_products])
    small = with_events(small, 5 if state == "verified" else small.events.count() + 3, author)
    large = with_events(large, 60, author)
    assert (small.lines.count(), large.lines.count()) == (1, 10)
    if state == "completed":
        assert (small.shipments.count(), large.shipments.count()) == (1, 2)
    admin_client.get(change_url(small))  # warm up: the session and anything cached per process

    small_queries, large_queries = queries_for(admin_client, small), queries_for(admin_client, large)

    print(f"order page ({state}): {small_queries} queries for 1 line, {large_queries} for 10 lines and 60 events")
    assert small_queries == large_queries
    assert large_queries <= 30
