"""Editing a placed order (orders.services.order_edits.order_edit): versions, re-pricing, stock."""

from decimal import Decimal

import pytest

from inventory.models import StockAllocation, StockLevel, StockMovement
from orders.models import EmailNotification, Order, OrderEvent, OrderVersion, RiskRules
from orders.services.fulfillment import shipment_start_picking
from orders.services.order_edits import EditConflict, EditRefused, order_edit
from orders.services.placement import AddressData, LineRequest
from orders_site.core.exceptions import PermissionRefused, TransitionRefused
from tests.builders import address_data, order_advance, order_build, parcels_of, shipment_hand_to_carrier

pytestmark = pytest.mark.django_db


def _edit(order, actor, *, lines=None, shipping=None, version=None, reason="Customer phoned", **kwargs):
    order = Order.objects.get(pk=order.pk)
    return order_edit(
        order=order,
        expected_version=order.version if version is None else version,
        lines=lines or [LineRequest(product_id=line.product_id, quantity=line.quantity) for line in order.lines.all()],
        delivery_method=kwargs.pop("delivery_method", order.delivery_method),
        shipping_address=shipping or AddressData.from_address(order.shipping_address),
        billing_address=AddressData.from_address(order.billing_address),
        voucher_code=kwargs.pop("voucher_code", order.discount_code),
        reason=reason,
        actor=actor,
    )


def test_adding_a_line_and_changing_the_address_of_a_verified_order(catalogue, staff_users, ledger_matches_levels):
    # given a verified order of 2 books, and the book's catalogue price raised since placement
    agent = staff_users["Customer service"]
    order = order_build(lines=[(catalogue.book, 2)])
    catalogue.book.price = Decimal("30.00")
    catalogue.book.save()
    total_before = order.total

    # when customer service adds a chair, makes it 3 books and changes the delivery street
    result = _edit(
        order,
        agent,
        lines=[
            LineRequest(product_id=catalogue.book.pk, quantity=3),
            LineRequest(product_id=catalogue.chair.pk, quantity=1),
        ],
        shipping=address_data(line1="Keizersgracht 1"),
        reason="Customer phoned: one more book and a chair",
    )

    # then the book keeps its agreed price (24.50), the chair is at today's (149.00)
    order = result.order
    lines = {line.sku: line for line in order.lines.all()}
    assert lines["BOOK-1"].unit_price == Decimal("24.50") and lines["BOOK-1"].quantity == 3
    assert lines["CHAIR-1"].unit_price == Decimal("149.00")
    books = Decimal("73.50") + Decimal("6.62")  # 3 x 24.50 + 9 % tax
    chair = Decimal("149.00") + Decimal("31.29")  # + 21 % tax
    shipping = order.shipping_total + order.shipping_total * order.shipping_tax_rate
    assert order.total == (books + chair + shipping).quantize(Decimal("0.01"))
    assert result.total_before == total_before and result.difference == order.total - total_before
    assert order.shipping_address.line1 == "Keizersgracht 1"
    # and it is re-checked (still verified), version 1 is recorded with before and after
    assert order.status == Order.Status.VERIFIED
    assert order.version == 1
    version = OrderVersion.objects.get(order=order)
    assert version.number == 1 and version.actor == agent and version.reason.startswith("Customer phoned")
    assert set(version.changed) == {"lines", "addresses"}
    assert [line["quantity"] for line in version.before["lines"]] == [2]
    assert version.before["shipping_address"]["line1"] == "Prinsengracht 263"
    assert version.after["totals"]["total"] == str(order.total)
    # and one "order.edited" event with the diff
    event = OrderEvent.objects.get(order=order, kind=OrderEvent.Kind.ORDER_EDITED)
    assert [line["sku"] for line in event.data["diff"]["added"]] == ["CHAIR-1"]
    assert event.data["diff"]["changed"] == [{"sku": "BOOK-1", "name": "Woodworking book", "before": 2, "after": 3}]
    # and the ledger shows the books released and allocated again, and the chair allocated
    movements = StockMovement.objects.filter(reference=order.number).order_by("pk")
    kinds = [(m.kind, m.stock_level.product.sku, m.allocated_delta) for m in movements]
    assert (StockMovement.Kind.RELEASE, "BOOK-1", -2) in kinds
    assert (StockMovement.Kind.ALLOCATION, "BOOK-1", 3) in kinds
    assert (StockMovement.Kind.ALLOCATION, "CHAIR-1", 1) in kinds
    assert StockLevel.objects.get(product=catalogue.chair).allocated == 1
    assert StockLevel.objects.get(product=catalogue.book).allocated == 3
    ledger_matches_levels()


def test_an_edit_that_runs_short_puts_a_verified_order_on_hold(catalogue, staff_users):
    # given a verified order of one chair (10 in stock, not back-orderable)
    order = order_build(lines=[(catalogue.chair, 1)])
    # when it is edited to 11 chairs
    result = _edit(
        order, staff_users["Customer service"], lines=[LineRequest(product_id=catalogue.chair.pk, quantity=11)]
    )
    # then verification runs again and holds it
    assert result.order.status == Order.Status.ON_HOLD
    assert result.order.version == 1


def test_an_edit_beyond_stock_of_a_back_orderable_product_back_orders_and_tells_the_customer(catalogue, staff_users):
    # given a verified order of one book, books back-orderable (20 in stock), no first-order limit
    RiskRules.objects.filter(pk=RiskRules.current().pk).update(first_order_total=0)
    catalogue.book.is_backorderable = True
    catalogue.book.save(update_fields=["is_backorderable"])
    order = order_build(lines=[(catalogue.book, 1)])
    # when it is edited to 22 books
    result = _edit(
        order, staff_users["Customer service"], lines=[LineRequest(product_id=catalogue.book.pk, quantity=22)]
    )
    # then it waits for stock, and the customer hears when the missing books should be in
    assert result.order.status == Order.Status.BACKORDERED
    assert OrderEvent.objects.filter(order=order, kind=OrderEvent.Kind.ORDER_BACKORDER_EXPECTED).exists()
    assert EmailNotification.objects.filter(order=order, kind=EmailNotification.Kind.ORDER_BACKORDERED).exists()


def test_removing_a_line_gives_its_stock_back(catalogue, staff_users, ledger_matches_levels):
    order = order_build(lines=[(catalogue.chair, 2), (catalogue.book, 1)])
    result = _edit(order, staff_users["Managers"], lines=[LineRequest(product_id=catalogue.book.pk, quantity=1)])
    assert [line.sku for line in result.order.lines.all()] == ["BOOK-1"]
    assert StockLevel.objects.get(product=catalogue.chair).allocated == 0
    assert result.difference < 0
    ledger_matches_levels()


def test_an_edit_is_refused_once_a_parcel_is_dispatched(catalogue, staff_users):
    # given an order in fulfilment whose parcel went to the carrier
    order = order_build(lines=[(catalogue.book, 1)], state="packed")
    shipment_hand_to_carrier(shipment=parcels_of(order)[0], actor=staff_users["Warehouse"])
    order.refresh_from_db()
    # when customer service edits it, then it is refused and nothing is recorded
    with pytest.raises(TransitionRefused, match="dispatched|no longer be edited"):
        _edit(order, staff_users["Customer service"], shipping=address_data(line1="Elsewhere 1"))
    assert not OrderVersion.objects.exists()


def test_lines_of_an_order_waiting_to_be_picked_change_and_its_parcel_is_made_again(
    catalogue, staff_users, ledger_matches_levels
):
    # Given an order in fulfilment whose one parcel (one book) waits to be picked
    order = order_build(lines=[(catalogue.book, 1)], state="in_fulfillment")
    (old_parcel,) = parcels_of(order)

    # When customer service makes it three books and adds a lamp
    result = _edit(
        order,
        staff_users["Customer service"],
        lines=[
            LineRequest(product_id=catalogue.book.pk, quantity=3),
            LineRequest(product_id=catalogue.lamp.pk, quantity=1),
        ],
    )

    # Then the order stays in fulfilment with one pending parcel carrying the new lines, due as promised
    assert result.order.status == Order.Status.IN_FULFILLMENT and result.order.version == 1
    (parcel,) = parcels_of(result.order)
    assert parcel.status == "pending" and parcel.dispatch_by == old_parcel.dispatch_by
    assert sorted(parcel.lines.values_list("order_line__sku", "quantity")) == [("BOOK-1", 3), ("LAMP-1", 1)]
    assert sum(a.open_quantity for a in StockAllocation.objects.filter(order_line__order=order)) == 4
    ledger_matches_levels()


def test_lines_of_an_order_being_picked_are_refused_but_its_address_may_change(catalogue, staff_users):
    order = order_build(lines=[(catalogue.book, 1)], state="in_fulfillment")
    shipment_start_picking(shipment=parcels_of(order)[0], actor=staff_users["Warehouse"])
    with pytest.raises(EditRefused, match=r"warehouse is working on parcel .* \(“Picking”\)") as refused:
        _edit(order, staff_users["Customer service"], lines=[LineRequest(product_id=catalogue.book.pk, quantity=2)])
    assert refused.value.extra["field"] == "lines"
    assert list(parcels_of(order)[0].lines.values_list("quantity", flat=True)) == [1]
    result = _edit(order, staff_users["Customer service"], shipping=address_data(line1="Keizersgracht 1"))
    assert result.order.status == Order.Status.IN_FULFILLMENT and result.order.version == 1


def test_an_edit_that_would_leave_an_order_in_the_warehouse_short_is_refused_and_changes_nothing(
    catalogue, staff_users, ledger_matches_levels
):
    # Given an order in fulfilment, and fewer books in stock than customer service will ask for
    order = order_build(lines=[(catalogue.book, 1)], state="in_fulfillment")
    (parcel,) = parcels_of(order)
    free = sum(level.on_hand - level.allocated for level in StockLevel.objects.filter(product=catalogue.book))
    movements = StockMovement.objects.count()

    with pytest.raises(EditRefused, match="cannot wait for stock; short: 1 x BOOK-1"):
        _edit(
            order,
            staff_users["Customer service"],
            lines=[LineRequest(product_id=catalogue.book.pk, quantity=free + 2)],
        )

    # Then the parcel, the stock and the version are as they were
    assert parcels_of(order) == [parcel]
    assert list(parcel.lines.values_list("quantity", flat=True)) == [1]
    assert StockMovement.objects.count() == movements and not OrderVersion.objects.exists()
    ledger_matches_levels()


def test_a_stale_version_is_refused_naming_who_changed_what(catalogue, staff_users):
    # given Alice (customer service) saved version 1 of an order
    order = order_build(lines=[(catalogue.book, 1)])
    _edit(order, staff_users["Customer service"], lines=[LineRequest(product_id=catalogue.book.pk, quantity=2)])
    # when a manager saves a form that showed version 0
    with pytest.raises(EditConflict, match=r"customer_service changed the lines at \d\d:\d\d"):
        _edit(order, staff_users["Managers"], version=0, shipping=address_data(line1="Elsewhere 1"))
    assert OrderVersion.objects.filter(order=order).count() == 1


def test_reason_is_required_and_no_change_is_refused(catalogue, staff_users):
    order = order_build(lines=[(catalogue.book, 1)])
    with pytest.raises(EditRefused, match="Say why") as refused:
        _edit(order, staff_users["Customer service"], reason="  ", shipping=address_data(line1="Elsewhere 1"))
    assert refused.value.extra["field"] == "reason"
    with pytest.raises(EditRefused, match="Nothing was changed"):
        _edit(order, staff_users["Customer service"])
    assert Order.objects.get(pk=order.pk).version == 0


def test_warehouse_may_not_edit(catalogue, staff_users):
    order = order_build(lines=[(catalogue.book, 1)])
    with pytest.raises(PermissionRefused):
        _edit(order, staff_users["Warehouse"], shipping=address_data(line1="Elsewhere 1"))


def test_cancelled_orders_are_not_edited(catalogue, staff_users):
    order = order_advance(order=order_build(lines=[(catalogue.book, 1)]), state="cancelled")
    with pytest.raises(TransitionRefused, match="only orders not yet dispatched"):
        _edit(order, staff_users["Customer service"], shipping=address_data(line1="Elsewhere 1"))
