"""The ledger: every change writes its movement; the database refuses broken invariants."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F

from inventory.models import StockLevel, StockMovement
from inventory.services import (
    InsufficientStock,
    stock_adjust,
    stock_allocate_order,
    stock_receive,
    stock_return,
    stock_write_off,
)
from inventory.tests.factories import BinLocationFactory, ProductFactory, WarehouseFactory
from orders_site.core.exceptions import ApplicationError
from tests.builders import order_row

pytestmark = pytest.mark.django_db


def level_of(product, warehouse):
    return StockLevel.objects.get(product=product, warehouse=warehouse)


def test_receive_creates_the_level_and_writes_a_receipt(ledger_matches_levels):
    product, warehouse = ProductFactory(), WarehouseFactory(code="AMS")
    bin_location = BinLocationFactory(warehouse=warehouse, code="A-01-1")

    movement = stock_receive(
        product=product, warehouse=warehouse, quantity=12, reference="DN-1", bin_location=bin_location
    )

    level = level_of(product, warehouse)
    assert (level.on_hand, level.allocated, level.bin_location) == (12, 0, bin_location)
    assert (movement.kind, movement.on_hand_delta, movement.allocated_delta, movement.reference) == (
        "receipt", 12, 0, "DN-1"
    )  # fmt: skip
    ledger_matches_levels()


@pytest.mark.parametrize("quantity", [0, -3])
def test_receive_refuses_a_quantity_below_one(quantity):
    with pytest.raises(ApplicationError, match="at least 1"):
        stock_receive(product=ProductFactory(), warehouse=WarehouseFactory(), quantity=quantity)
    assert not StockMovement.objects.exists()


def test_receive_refuses_services_and_bins_of_another_warehouse():
    service = ProductFactory(kind="service")
    warehouse, other = WarehouseFactory(code="AMS"), WarehouseFactory(code="RTM")
    with pytest.raises(ApplicationError, match="service"):
        stock_receive(product=service, warehouse=warehouse, quantity=1)
    with pytest.raises(ApplicationError, match="not in AMS"):
        stock_receive(
            product=ProductFactory(), warehouse=warehouse, quantity=1, bin_location=BinLocationFactory(warehouse=other)
        )


def test_adjust_needs_a_reason_and_a_change():
    product, warehouse = ProductFactory(), WarehouseFactory()
    stock_receive(product=product, warehouse=warehouse, quantity=5)
    level = level_of(product, warehouse)
    with pytest.raises(ApplicationError, match="Say why"):
        stock_adjust(stock_level=level, delta=-1, reason="  ")
    with pytest.raises(ApplicationError, match="must change"):
        stock_adjust(stock_level=level, delta=0, reason="count")


def test_adjust_both_ways_with_reason(ledger_matches_levels):
    product, warehouse = ProductFactory(), WarehouseFactory()
    stock_receive(product=product, warehouse=warehouse, quantity=5)
    level = level_of(product, warehouse)

    stock_adjust(stock_level=level, delta=-2, reason="recount")
    stock_adjust(stock_level=level, delta=4, reason="found behind the rack")

    assert level_of(product, warehouse).on_hand == 7
    assert list(level.movements.order_by("pk").values_list("kind", "on_hand_delta", "reason")) == [
        ("receipt", 5, ""),
        ("adjustment", -2, "recount"),
        ("adjustment", 4, "found behind the rack"),
    ]
    ledger_matches_levels()


def test_adjust_cannot_take_away_promised_units(ledger_matches_levels):
    product, warehouse = ProductFactory(), WarehouseFactory()
    stock_receive(product=product, warehouse=warehouse, quantity=5)
    stock_allocate_order(order=order_row(lines=[(product, 4)]))
    level = level_of(product, warehouse)

    with pytest.raises(InsufficientStock, match="promised to orders"):
        stock_adjust(stock_level=level, delta=-2, reason="broken")

    assert level_of(product, warehouse).on_hand == 5
    stock_adjust(stock_level=level, delta=-1, reason="broken")
    assert level_of(product, warehouse).on_hand == 4
    ledger_matches_levels()


def test_return_adds_units_and_write_off_removes_unpromised_units(ledger_matches_levels):
    product, warehouse = ProductFactory(), WarehouseFactory()
    stock_receive(product=product, warehouse=warehouse, quantity=3)
    stock_allocate_order(order=order_row(lines=[(product, 2)]))
    level = level_of(product, warehouse)

    stock_return(product=product, warehouse=warehouse, quantity=2, reason="RMA 7", reference="RMA-7")
    with pytest.raises(InsufficientStock, match="Only 3 unit"):
        stock_write_off(stock_level=level, quantity=4, reason="water damage")
    with pytest.raises(ApplicationError, match="Say why"):
        stock_write_off(stock_level=level, quantity=1, reason="")
    stock_write_off(stock_level=level, quantity=3, reason="water damage")

    level.refresh_from_db()
    assert (level.on_hand, level.allocated) == (2, 2)
    kinds = list(level.movements.order_by("pk").values_list("kind", "on_hand_delta", "allocated_delta"))
    assert kinds == [("receipt", 3, 0), ("allocation", 0, 2), ("return", 2, 0), ("write_off", -3, 0)]
    ledger_matches_levels()


@pytest.mark.parametrize(
    "change",
    [
        {"on_hand": -1},
        {"allocated": -1},
        {"allocated": F("on_hand") + 1},
    ],
)
def test_database_constraints_are_the_backstop(change):
    product, warehouse = ProductFactory(), WarehouseFactory()
    stock_receive(product=product, warehouse=warehouse, quantity=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(product=product).update(**change)


@pytest.mark.parametrize(
    "kind, on_hand, allocated",
    [
        ("receipt", -1, 0),
        ("receipt", 1, 1),
        ("allocation", 1, 1),
        ("release", 0, 1),
        ("dispatch", -1, 0),
        ("write_off", 1, 0),
        ("return", 0, 0),
    ],
)
def test_a_movement_must_have_the_shape_of_its_kind(kind, on_hand, allocated):
    product, warehouse = ProductFactory(), WarehouseFactory()
    level = StockLevel.objects.create(product=product, warehouse=warehouse)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockMovement.objects.create(
            stock_level=level, kind=kind, on_hand_delta=on_hand, allocated_delta=allocated, reason="x"
        )


def test_movements_are_append_only():
    product, warehouse = ProductFactory(), WarehouseFactory()
    movement = stock_receive(product=product, warehouse=warehouse, quantity=2)
    with pytest.raises(ValueError, match="append-only"):
        movement.save()
    with pytest.raises(ValueError, match="append-only"):
        movement.delete()
    with pytest.raises(ValueError, match="append-only"):
        StockMovement.objects.filter(pk=movement.pk).update(on_hand_delta=3)
    with pytest.raises(ValueError, match="append-only"):
        StockMovement.objects.all().delete()


def test_postgresql_refuses_changing_a_movement_behind_the_orm(require_postgres):
    product, warehouse = ProductFactory(), WarehouseFactory()
    movement = stock_receive(product=product, warehouse=warehouse, quantity=2)
    table = StockMovement._meta.db_table
    for sql in (f"UPDATE {table} SET on_hand_delta = 5 WHERE id = %s", f"DELETE FROM {table} WHERE id = %s"):
        with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [movement.pk])
    assert StockMovement.objects.get(pk=movement.pk).on_hand_delta == 2


def test_deleting_a_staff_user_keeps_their_movements():
    from django.contrib.auth.models import User

    user = User.objects.create_user(username="temp", is_staff=True)
    movement = stock_receive(product=ProductFactory(), warehouse=WarehouseFactory(), quantity=2, actor=user)

    user.delete()

    movement = StockMovement.objects.get(pk=movement.pk)
    assert (movement.actor, movement.on_hand_delta) == (None, 2)


def test_a_count_over_several_levels_is_applied_whole_or_not_at_all(ledger_matches_levels):
    from inventory.services import stock_adjust_many, stock_write_off_many

    warehouse = WarehouseFactory()
    chair, lamp = ProductFactory(), ProductFactory()
    stock_receive(product=chair, warehouse=warehouse, quantity=5)
    stock_receive(product=lamp, warehouse=warehouse, quantity=3)
    stock_allocate_order(order=order_row(lines=[(lamp, 3)]))
    chair_level, lamp_level = level_of(chair, warehouse), level_of(lamp, warehouse)

    # One line cannot be applied (all lamps are promised): nothing of the count is
    with pytest.raises(InsufficientStock):
        stock_adjust_many(adjustments=[(chair_level, 2), (lamp_level, -1)], reason="recount")
    assert (level_of(chair, warehouse).on_hand, level_of(lamp, warehouse).on_hand) == (5, 3)

    stock_adjust_many(adjustments=[(chair_level, 2), (lamp_level, 1)], reason="recount")
    assert (level_of(chair, warehouse).on_hand, level_of(lamp, warehouse).on_hand) == (7, 4)
    with pytest.raises(InsufficientStock):
        stock_write_off_many(write_offs=[(chair_level, 1), (lamp_level, 2)], reason="water damage")
    assert level_of(chair, warehouse).on_hand == 7
    ledger_matches_levels()
