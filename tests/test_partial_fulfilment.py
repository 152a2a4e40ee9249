"""Partial fulfilment by choice (issue 11 item 5): a back-ordered order ships what is in stock now,
the back-ordered rest gets its own parcel when stock is received, and the order then ships,
delivers and is invoiced as any other (orders.services.partial_fulfilment, lifecycle.receiving)."""

from collections import Counter
from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from inventory.models import StockAllocation, StockLevel
from lifecycle.delivery import shipment_deliver
from lifecycle.receiving import stock_receive
from orders.models import EmailNotification, Order, OrderEvent, Shipment, WorkItem
from orders.selectors import backordered_units_by_product, backorders_waiting_exist
from orders.services.fulfillment import shipment_start_picking
from orders.services.partial_fulfilment import order_fulfillment_start_partial
from orders_site.core.exceptions import ApplicationError, PermissionRefused, TransitionRefused
from tests.builders import order_build, parcels_of, product_build, shipment_hand_to_carrier, shipment_packed, stock_put

pytestmark = pytest.mark.django_db


@pytest.fixture
def warehouse(staff_users):
    return staff_users["Warehouse"]


@pytest.fixture
def service(staff_users):
    return staff_users["Customer service"]


@pytest.fixture
def desk(catalogue):
    """A back-orderable desk with one in stock in Rotterdam (where the books are)."""
    desk = product_build(sku="DESK-1", name="Walnut desk", price=Decimal("60.00"), is_backorderable=True)
    stock_put(product=desk, warehouse=catalogue.second, quantity=1)
    return desk


@pytest.fixture
def waiting(catalogue, desk):
    """Two books and three desks: the books and one desk are allocated in Rotterdam, two desks short."""
    return order_build(lines=[(catalogue.book, 2), (desk, 3)], state="backordered")


def level(product, warehouse) -> tuple[int, int]:
    stock = StockLevel.objects.get(product=product, warehouse=warehouse)
    return stock.on_hand, stock.allocated


def parcel_contents(shipment) -> set[tuple[str, int]]:
    """(SKU, units) in the parcel, the units of lines of one SKU added up."""
    units = Counter()
    for line in shipment.lines.select_related("order_line"):
        units[line.order_line.sku] += line.quantity
    return set(units.items())


def ship(shipment, actor):
    shipment_start_picking(shipment=shipment, actor=actor)
    shipment_packed(shipment=shipment, actor=actor)
    return shipment_hand_to_carrier(shipment=shipment, actor=actor)


def kinds(order) -> list[str]:
    return list(order.events.order_by("pk").values_list("kind", flat=True))


def test_ship_the_available_part_then_the_rest_when_it_arrives_then_deliver_and_invoice_every_line_once(
    waiting,
    desk,
    catalogue,
    service,
    warehouse,
    mailoutbox,
    django_capture_on_commit_callbacks,
    ledger_matches_levels,
):
    # Given a back-ordered order with the books and one desk allocated, two desks short
    assert waiting.status == Order.Status.BACKORDERED

    # When customer service sends what is in stock to the warehouse
    order = order_fulfillment_start_partial(order=waiting, actor=service, expected_status="backordered")

    # Then one parcel carries only the allocated units, the rest stays on the order
    order.refresh_from_db()
    assert (order.status, order.backorder_rest) == (Order.Status.IN_FULFILLMENT, True)
    (first,) = parcels_of(order)
    assert (first.number, first.warehouse) == (f"{order.number}-1", catalogue.second)
    assert parcel_contents(first) == {("BOOK-1", 2), ("DESK-1", 1)}
    start = order.events.get(kind=OrderEvent.Kind.ORDER_START_PARTIAL_FULFILLMENT)
    assert (start.from_state, start.to_state, start.actor) == ("backordered", "in_fulfillment", service)
    assert "3 unit(s) in stock now; 2 unit(s) stay back-ordered" in start.note
    assert start.customer_visible

    # When the parcel is dispatched
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ship(first, warehouse)

    # Then the order is partially shipped, the stock left, and the customer reads "part of your order"
    order.refresh_from_db()
    assert order.status == Order.Status.PARTIALLY_SHIPPED
    assert level(desk, catalogue.second) == (0, 0)
    assert level(catalogue.book, catalogue.second) == (18, 0)
    (mail,) = mailoutbox
    assert mail.subject == f"Part of your order {order.number} is on its way"
    assert "part of your order" in mail.body and "The rest of your order is on back-order" in mail.body

    # When the two missing desks are received (in Amsterdam)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        stock_receive(product=desk, warehouse=catalogue.main, quantity=2, reference="DN-7", actor=warehouse)

    # Then the rest is allocated and has its own parcel; the order waits for nothing any more
    order.refresh_from_db()
    assert (order.status, order.backorder_rest) == (Order.Status.PARTIALLY_SHIPPED, False)
    first, second = parcels_of(order)
    assert (second.number, second.warehouse, second.status) == (f"{order.number}-2", catalogue.main, "pending")
    assert parcel_contents(second) == {("DESK-1", 2)}
    assert level(desk, catalogue.main) == (2, 2)
    ready = order.events.get(kind=OrderEvent.Kind.ORDER_BACKORDER_REST_READY)
    assert f"Parcel {second.number} made for it" in ready.note
    assert [m.subject for m in mailoutbox] == [f"Everything for your order {order.number} is in stock"]

    # When the second parcel is dispatched
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ship(second, warehouse)

    # Then the order is shipped, and this e-mail is the ordinary one
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    assert [m.subject for m in mailoutbox] == [f"Your order {order.number} is on its way"]
    assert "back-order" not in mailoutbox[0].body
    assert level(desk, catalogue.main) == (0, 0)

    # When both parcels are delivered
    with django_capture_on_commit_callbacks(execute=True):
        shipment_deliver(shipment=first, actor=warehouse)
        shipment_deliver(shipment=second, actor=warehouse)

    # Then the order is invoiced once, with every line once, for the order's total
    order.refresh_from_db()
    assert order.status == Order.Status.INVOICED
    (invoice,) = order.invoices.all()
    assert sorted((line.sku, line.quantity) for line in invoice.lines.all() if line.sku) == [
        ("BOOK-1", 2),
        ("DESK-1", 3),
    ]
    assert invoice.total == order.total

    # And every change is on the timeline, in order
    assert kinds(order) == [
        "order.place",
        "order.backorder",
        "order.backorder_expected",
        "order.start_partial_fulfillment",
        "shipment.start_picking",
        "shipment.pack",
        "shipment.dispatch",
        "order.ship_partially",
        "order.backorder_rest_ready",
        "shipment.start_picking",
        "shipment.pack",
        "shipment.dispatch",
        "order.ship",
        "shipment.deliver",
        "shipment.deliver",
        "order.deliver",
        "invoice.issue",
        "order.invoice",
    ]
    assert sum(a.dispatched_quantity for a in StockAllocation.objects.filter(order_line__order=order)) == 5
    ledger_matches_levels()


def test_the_rest_arriving_in_two_deliveries_waits_for_the_second_before_it_gets_a_parcel(
    waiting, desk, catalogue, warehouse, ledger_matches_levels
):
    order = order_fulfillment_start_partial(order=waiting, actor=warehouse)
    # The reorder figures and the fill after a cancellation still see the two desks it waits for
    assert backordered_units_by_product() == {desk.pk: 2}
    assert backorders_waiting_exist(product_ids=[desk.pk])

    stock_receive(product=desk, warehouse=catalogue.second, quantity=1, actor=warehouse)

    order.refresh_from_db()
    assert order.backorder_rest is True
    assert backordered_units_by_product() == {desk.pk: 1}
    assert len(parcels_of(order)) == 1, "no parcel for half of the rest"
    partly = order.events.get(kind=OrderEvent.Kind.STOCK_BACKORDER_ALLOCATED)
    assert "still waiting" in partly.note and "Short: 1 x DESK-1" in partly.note
    assert level(desk, catalogue.second) == (2, 2)

    stock_receive(product=desk, warehouse=catalogue.second, quantity=1, actor=warehouse)

    order.refresh_from_db()
    assert order.backorder_rest is False
    assert backordered_units_by_product() == {}
    assert not backorders_waiting_exist(product_ids=[desk.pk])
    first, second = parcels_of(order)
    assert parcel_contents(second) == {("DESK-1", 2)}
    assert order.status == Order.Status.IN_FULFILLMENT, "a fill never verifies an order already in fulfilment"
    ledger_matches_levels()


def test_when_the_rest_arrives_before_the_first_parcel_left_the_order_still_ships_parcel_by_parcel(
    waiting, desk, catalogue, warehouse, ledger_matches_levels
):
    order = order_fulfillment_start_partial(order=waiting, actor=warehouse)
    stock_receive(product=desk, warehouse=catalogue.main, quantity=5, actor=warehouse)
    first, second = parcels_of(order)

    ship(first, warehouse)
    order.refresh_from_db()
    assert order.status == Order.Status.PARTIALLY_SHIPPED

    ship(second, warehouse)
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    assert level(desk, catalogue.main) == (3, 0), "two of the five received went to the order"
    ledger_matches_levels()


def test_another_order_waiting_for_the_same_product_is_still_filled_oldest_first(waiting, desk, catalogue, warehouse):
    # Given the partly shipped order first, then a plain back-order for one desk
    order = order_fulfillment_start_partial(order=waiting, actor=warehouse)
    later = order_build(lines=[(desk, 1)], state="backordered")

    # When two desks arrive: the older order's rest takes them both
    stock_receive(product=desk, warehouse=catalogue.main, quantity=2, actor=warehouse)
    order.refresh_from_db()
    later.refresh_from_db()
    assert (order.backorder_rest, later.status) == (False, Order.Status.BACKORDERED)

    # When one more arrives, the later order is complete and verified as before
    stock_receive(product=desk, warehouse=catalogue.main, quantity=1, actor=warehouse)
    later.refresh_from_db()
    assert later.status == Order.Status.VERIFIED


def test_nothing_allocated_is_refused_with_a_message_and_changes_nothing(catalogue, service):
    lamp_stand = product_build(sku="STAND-1", name="Lamp stand", is_backorderable=True)
    order = order_build(lines=[(lamp_stand, 2)], state="backordered")
    events_before = kinds(order)

    with pytest.raises(ApplicationError, match="Nothing of order .* is in stock yet, so there is nothing to ship now"):
        order_fulfillment_start_partial(order=order, actor=service)

    order.refresh_from_db()
    assert (order.status, order.backorder_rest) == (Order.Status.BACKORDERED, False)
    assert not order.shipments.exists()
    assert kinds(order) == events_before


def test_only_a_back_ordered_order_can_ship_its_available_part(catalogue, warehouse):
    order = order_build(lines=[(catalogue.book, 1)], state="verified")

    with pytest.raises(TransitionRefused):
        order_fulfillment_start_partial(order=order, actor=warehouse)

    order.refresh_from_db()
    assert order.status == Order.Status.VERIFIED and not order.shipments.exists()


def test_a_stale_page_is_refused(waiting, warehouse):
    with pytest.raises(TransitionRefused):
        order_fulfillment_start_partial(order=waiting, actor=warehouse, expected_status="verified")
    assert not Shipment.objects.filter(order=waiting).exists()


def test_staff_without_the_fulfil_or_verify_permission_are_refused(waiting):
    stranger = User.objects.create_user("stranger", is_staff=True)

    with pytest.raises(PermissionRefused):
        order_fulfillment_start_partial(order=waiting, actor=stranger)

    waiting.refresh_from_db()
    assert waiting.status == Order.Status.BACKORDERED and not waiting.shipments.exists()


def test_the_service_line_travels_with_the_parcel_that_goes_now(catalogue, desk, warehouse):
    order = order_build(lines=[(desk, 2), (catalogue.assembly, 1)], state="backordered")

    order = order_fulfillment_start_partial(order=order, actor=warehouse)

    (parcel,) = parcels_of(order)
    assert parcel_contents(parcel) == {("DESK-1", 1), ("ASSEMBLY", 1)}


def test_a_partly_shipped_order_queues_the_back_order_ready_mail_once(
    waiting, desk, catalogue, warehouse, django_capture_on_commit_callbacks
):
    order = order_fulfillment_start_partial(order=waiting, actor=warehouse)
    with django_capture_on_commit_callbacks(execute=True):
        stock_receive(product=desk, warehouse=catalogue.main, quantity=3, actor=warehouse)
        stock_receive(product=desk, warehouse=catalogue.main, quantity=3, actor=warehouse)

    assert order.notifications.filter(kind=EmailNotification.Kind.BACKORDER_READY).count() == 1
    assert len(parcels_of(order)) == 2


def test_a_parcel_sent_ahead_has_its_promised_date_and_the_work_items_its_lines_need(catalogue, desk, service):
    # Given a back-ordered order with an inscribed book in stock and desks short
    order = order_build(lines=[(catalogue.book, 1, "Inscribe: for Anna"), (desk, 3)], state="backordered")

    # When customer service sends what is in stock ahead
    order_fulfillment_start_partial(order=order, actor=service)

    # Then the parcel has a dispatch-by date, and the inscription waits as a work item before packing
    (parcel,) = parcels_of(order)
    assert parcel.dispatch_by is not None
    assert list(WorkItem.objects.filter(order=order).values_list("description", "status")) == [
        ("Inscribe: for Anna", "to_do")
    ]
