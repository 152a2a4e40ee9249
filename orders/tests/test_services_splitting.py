"""Splitting a parcel by hand (orders/services/splitting.py)."""

import pytest
from django.contrib.auth.models import User

from inventory.models import StockAllocation, StockLevel
from orders.models import Order, OrderEvent, Shipment, ShipmentLine
from orders.services.fulfillment import shipment_start_picking
from orders.services.splitting import quantity_field, shipment_split
from orders_site.core.exceptions import ApplicationError, PermissionRefused
from tests.builders import order_build, parcels_of, shipment_hand_to_carrier, shipment_packed

pytestmark = pytest.mark.django_db


@pytest.fixture
def warehouse(staff_users):
    return staff_users["Warehouse"]


@pytest.fixture
def parcel(catalogue, warehouse):
    """One Rotterdam parcel, pending: five books and two lamps (Rotterdam has both)."""
    order = order_build(lines=[(catalogue.book, 5), (catalogue.lamp, 2)], state="in_fulfillment", actor=warehouse)
    (shipment,) = parcels_of(order)
    return shipment


def lines_of(shipment) -> dict[str, int]:
    return {line.order_line.sku: line.quantity for line in shipment.lines.select_related("order_line")}


def line_of(shipment, sku) -> ShipmentLine:
    return shipment.lines.get(order_line__sku=sku)


def level(product, warehouse) -> tuple[int, int]:
    stock = StockLevel.objects.get(product=product, warehouse=warehouse)
    return stock.on_hand, stock.allocated


def ship(shipment, actor):
    if shipment.status == Shipment.Status.PENDING:
        shipment_start_picking(shipment=shipment, actor=actor)
    shipment_packed(shipment=shipment, actor=actor)
    return shipment_hand_to_carrier(shipment=shipment, actor=actor)


def test_a_split_moves_the_units_into_a_new_parcel_of_the_same_warehouse(parcel, warehouse, catalogue):
    books = line_of(parcel, "BOOK-1")

    new = shipment_split(shipment=parcel, quantities={books.pk: 2}, actor=warehouse)

    assert (new.number, new.warehouse, new.status) == (f"{parcel.order.number}-2", catalogue.second, "pending")
    assert lines_of(parcel) == {"BOOK-1": 3, "LAMP-1": 2}
    assert lines_of(new) == {"BOOK-1": 2}
    # One allocation, carried by two lines whose units add up to its open units
    (allocation,) = StockAllocation.objects.filter(order_line=books.order_line)
    assert sorted(allocation.shipment_lines.values_list("quantity", flat=True)) == [2, 3]
    assert allocation.open_quantity == 5
    event = parcel.order.events.get(kind=OrderEvent.Kind.SHIPMENT_SPLIT)
    assert (event.object_type, event.object_id, event.actor) == ("shipment", parcel.pk, warehouse)
    assert event.note == f"Moved 2 x BOOK-1 into new parcel {new.number}."
    assert event.data == {"moved": {"BOOK-1": 2}, "new_shipment": new.number}
    assert not event.customer_visible


def test_a_whole_line_changes_parcel_and_a_picking_parcel_can_be_split(parcel, warehouse):
    shipment_start_picking(shipment=parcel, actor=warehouse)
    lamps = line_of(parcel, "LAMP-1")

    new = shipment_split(shipment=parcel, quantities={lamps.pk: 2}, actor=warehouse, expected_status="picking")

    lamps.refresh_from_db()
    assert lamps.shipment == new
    assert lines_of(parcel) == {"BOOK-1": 5}
    parcel.refresh_from_db()
    assert parcel.status == Shipment.Status.PICKING


def test_dispatching_both_halves_takes_exactly_the_stock_and_then_the_order_is_shipped(
    parcel, warehouse, catalogue, ledger_matches_levels
):
    new = shipment_split(
        shipment=parcel,
        quantities={line_of(parcel, "BOOK-1").pk: 2, line_of(parcel, "LAMP-1").pk: 1},
        actor=warehouse,
    )
    books_before, lamps_before = level(catalogue.book, catalogue.second), level(catalogue.lamp, catalogue.second)

    ship(new, warehouse)
    assert level(catalogue.book, catalogue.second) == (books_before[0] - 2, books_before[1] - 2)
    assert level(catalogue.lamp, catalogue.second) == (lamps_before[0] - 1, lamps_before[1] - 1)
    order = Order.objects.get(pk=parcel.order_id)
    assert order.status == Order.Status.PARTIALLY_SHIPPED

    ship(parcel, warehouse)
    assert level(catalogue.book, catalogue.second) == (books_before[0] - 5, books_before[1] - 5)
    assert level(catalogue.lamp, catalogue.second) == (lamps_before[0] - 2, lamps_before[1] - 2)
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    for allocation in StockAllocation.objects.filter(order_line__order=order):
        assert allocation.open_quantity == 0 and allocation.dispatched_quantity == allocation.quantity
    ledger_matches_levels()


def test_the_next_number_skips_numbers_in_use(catalogue, warehouse):
    # Two warehouses: parcels -1 (two chairs) and -2 (two books); splitting each makes -3, then -4
    order = order_build(lines=[(catalogue.chair, 2), (catalogue.book, 2)], state="in_fulfillment", actor=warehouse)
    amsterdam, rotterdam = parcels_of(order)

    new = shipment_split(shipment=amsterdam, quantities={line_of(amsterdam, "CHAIR-1").pk: 1}, actor=warehouse)
    newer = shipment_split(shipment=rotterdam, quantities={line_of(rotterdam, "BOOK-1").pk: 1}, actor=warehouse)

    assert (new.number, newer.number) == (f"{order.number}-3", f"{order.number}-4")
    assert (new.warehouse, newer.warehouse) == (catalogue.main, catalogue.second)
    assert [lines_of(parcel) for parcel in (amsterdam, new, rotterdam, newer)] == [{"CHAIR-1": 1}] * 2 + [
        {"BOOK-1": 1}
    ] * 2


def _unchanged(parcel):
    """What must stay as it was after a refusal."""
    return (
        Shipment.objects.filter(order_id=parcel.order_id).count(),
        lines_of(parcel),
        OrderEvent.objects.filter(order_id=parcel.order_id).count(),
    )


@pytest.mark.parametrize(
    ("units", "message"),
    [
        (0, "BOOK-1: move at least one unit, or leave the line out"),
        (-1, "BOOK-1: move at least one unit, or leave the line out"),
        (6, "BOOK-1: the parcel holds 5, so at most 5 can move."),
    ],
)
def test_bad_quantities_are_refused_beside_their_field_and_change_nothing(parcel, warehouse, units, message):
    books = line_of(parcel, "BOOK-1")
    before = _unchanged(parcel)

    with pytest.raises(ApplicationError, match=message) as refused:
        shipment_split(shipment=parcel, quantities={books.pk: units}, actor=warehouse)

    assert refused.value.extra == {"field": quantity_field(books.pk)}
    assert _unchanged(parcel) == before


def test_moving_everything_is_refused(parcel, warehouse):
    before = _unchanged(parcel)
    everything = {line.pk: line.quantity for line in parcel.lines.all()}

    with pytest.raises(ApplicationError, match="That moves everything: parcel .* would be empty") as refused:
        shipment_split(shipment=parcel, quantities=everything, actor=warehouse)

    assert refused.value.extra["field"] in {quantity_field(pk) for pk in everything}
    assert _unchanged(parcel) == before


def test_nothing_to_move_is_refused(parcel, warehouse):
    before = _unchanged(parcel)
    with pytest.raises(ApplicationError, match="Enter how many units of at least one line"):
        shipment_split(shipment=parcel, quantities={}, actor=warehouse)
    assert _unchanged(parcel) == before


def test_a_line_of_another_parcel_is_refused(parcel, catalogue, warehouse):
    other = parcels_of(order_build(lines=[(catalogue.book, 2)], state="in_fulfillment", actor=warehouse))[0]
    foreign = other.lines.get()
    before = _unchanged(parcel)

    with pytest.raises(ApplicationError, match=f"Line {foreign.pk} is not in parcel {parcel.number}"):
        shipment_split(shipment=parcel, quantities={foreign.pk: 1}, actor=warehouse)

    assert _unchanged(parcel) == before
    assert lines_of(other) == {"BOOK-1": 2}


def test_a_packed_parcel_cannot_be_split(parcel, warehouse):
    shipment_start_picking(shipment=parcel, actor=warehouse)
    shipment_packed(shipment=parcel, actor=warehouse)
    before = _unchanged(parcel)

    with pytest.raises(ApplicationError, match="only a parcel that is pending or being picked can be split"):
        shipment_split(shipment=parcel, quantities={line_of(parcel, "BOOK-1").pk: 1}, actor=warehouse)

    assert _unchanged(parcel) == before


def test_a_stale_page_is_refused(parcel, warehouse):
    shipment_start_picking(shipment=parcel, actor=warehouse)
    before = _unchanged(parcel)

    with pytest.raises(ApplicationError, match="not as the page showed; nothing was split"):
        shipment_split(
            shipment=parcel, quantities={line_of(parcel, "BOOK-1").pk: 1}, actor=warehouse, expected_status="pending"
        )

    assert _unchanged(parcel) == before


def test_staff_without_the_fulfil_permission_are_refused(parcel, staff_users):
    before = _unchanged(parcel)
    for person in (staff_users["Customer service"], User.objects.create_user("stranger", is_staff=True)):
        with pytest.raises(PermissionRefused, match=f"not allowed to split parcel {parcel.number}"):
            shipment_split(shipment=parcel, quantities={line_of(parcel, "BOOK-1").pk: 1}, actor=person)
    assert _unchanged(parcel) == before


def test_splitting_starts_no_new_fulfilment_the_order_stays_in_fulfilment(parcel, warehouse):
    shipment_split(shipment=parcel, quantities={line_of(parcel, "BOOK-1").pk: 1}, actor=warehouse)
    order = Order.objects.get(pk=parcel.order_id)
    assert order.status == Order.Status.IN_FULFILLMENT
    assert order.events.filter(kind=OrderEvent.Kind.ORDER_START_FULFILLMENT).count() == 1
