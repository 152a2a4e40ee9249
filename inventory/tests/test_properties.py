"""Property-based: any sequence of receipts, orders, cancellations, dispatches, adjustments,
returns and write-offs keeps every stock invariant, and the ledger always equals the levels."""

from collections import Counter
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inventory.models import StockAllocation, StockLevel
from inventory.selectors import stock_audit_differences
from inventory.services import (
    stock_dispatch,
    stock_write_off,
)
from inventory.tests.factories import ProductFactory, WarehouseFactory
from lifecycle.cancellation import order_cancel
from lifecycle.receiving import stock_adjust, stock_backorders_fill, stock_receive, stock_return
from orders.models import Order
from orders_site.core.exceptions import ApplicationError
from tests.builders import delivery_method_build, order_build

pytestmark = pytest.mark.django_db

PRODUCTS, WAREHOUSES = 3, 2
product_index = st.integers(0, PRODUCTS - 1)
warehouse_index = st.integers(0, WAREHOUSES - 1)
pick = st.integers(0, 1000)  # which existing order, allocation or level (modulo how many there are)

steps = st.one_of(
    st.tuples(st.just("receive"), product_index, warehouse_index, st.integers(1, 8)),
    st.tuples(st.just("return"), product_index, warehouse_index, st.integers(1, 3)),
    st.tuples(
        st.just("place"),
        st.lists(st.tuples(product_index, st.integers(1, 5)), min_size=1, max_size=2, unique_by=lambda t: t[0]),
    ),
    st.tuples(st.just("cancel"), pick),
    st.tuples(st.just("dispatch"), pick, st.integers(1, 4)),
    st.tuples(st.just("adjust"), pick, st.integers(-5, 5).filter(bool)),
    st.tuples(st.just("write_off"), pick, st.integers(1, 4)),
    st.tuples(st.just("fill")),
)


@pytest.fixture
def world(db):
    # Cheap products so no risk rule holds an order; the first two can be back-ordered.
    products = [ProductFactory(sku=f"P{i}", price=Decimal("1.00"), is_backorderable=i < 2) for i in range(PRODUCTS)]
    warehouses = [WarehouseFactory(code=f"W{i}", priority=i + 1) for i in range(WAREHOUSES)]
    delivery_method_build()
    return products, warehouses


def _nth(items, index):
    return items[index % len(items)] if items else None


class Model:
    """What on_hand must be, from the operations that succeeded, independently of the ledger."""

    def __init__(self):
        self.on_hand = Counter()

    def add(self, product, warehouse, quantity):
        self.on_hand[product.pk, warehouse.pk] += quantity


def apply(step, products, warehouses, model: Model):
    kind = step[0]
    if kind in ("receive", "return"):
        _, p, w, quantity = step
        if kind == "receive":
            stock_receive(product=products[p], warehouse=warehouses[w], quantity=quantity, reference="prop")
        else:
            stock_return(product=products[p], warehouse=warehouses[w], quantity=quantity, reason="returned")
        model.add(products[p], warehouses[w], quantity)
    elif kind == "place":
        order_build(state=None, lines=[(products[p], q) for p, q in step[1]])
    elif kind == "cancel":
        order = _nth(list(Order.objects.order_by("pk")), step[1])
        if order is not None and order.is_cancellable:
            order_cancel(order=order, reason="changed mind")
    elif kind == "dispatch":
        open_allocations = [
            a for a in StockAllocation.objects.select_related("stock_level").order_by("pk") if a.open_quantity
        ]
        allocation = _nth(open_allocations, step[1])
        if allocation is not None:
            quantity = min(step[2], allocation.open_quantity)
            level = allocation.stock_level
            stock_dispatch(allocation=allocation, quantity=quantity, reference="prop")
            model.on_hand[level.product_id, level.warehouse_id] -= quantity
    elif kind in ("adjust", "write_off"):
        level = _nth(list(StockLevel.objects.select_related("product", "warehouse").order_by("pk")), step[1])
        if level is None:
            return
        try:
            if kind == "adjust":
                stock_adjust(stock_level=level, delta=step[2], reason="count")
                model.on_hand[level.product_id, level.warehouse_id] += step[2]
            else:
                stock_write_off(stock_level=level, quantity=step[2], reason="damaged")
                model.on_hand[level.product_id, level.warehouse_id] -= step[2]
        except ApplicationError:
            pass  # refused without writing: the invariants below prove nothing changed
    elif kind == "fill":
        stock_backorders_fill(product_ids=[p.pk for p in products])


def assert_invariants(model: Model):
    for level in StockLevel.objects.all():
        assert 0 <= level.allocated <= level.on_hand, level
        assert level.on_hand == model.on_hand[level.product_id, level.warehouse_id], level
    assert stock_audit_differences() == []  # ledger = levels, and allocated = open order allocations
    for order in Order.objects.prefetch_related("lines__allocations"):
        promised = {
            line.pk: sum(a.quantity - a.released_quantity for a in line.allocations.all()) for line in order.lines.all()
        }
        complete = all(promised[line.pk] == line.quantity for line in order.lines.all())
        if order.status == Order.Status.CANCELLED:
            assert all(a.open_quantity == 0 for line in order.lines.all() for a in line.allocations.all())
        elif order.status == Order.Status.VERIFIED:
            assert complete, f"verified order {order.number} is missing stock"
        elif order.status == Order.Status.BACKORDERED:
            assert not complete, f"back-order {order.number} has all its stock but still waits"
        assert all(promised[line.pk] <= line.quantity for line in order.lines.all())


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=st.lists(steps, min_size=1, max_size=20))
def test_any_sequence_keeps_the_invariants_and_the_ledger(world, sequence):
    products, warehouses = world
    with transaction.atomic():
        model = Model()
        for step in sequence:
            apply(step, products, warehouses, model)
            assert_invariants(model)
        transaction.set_rollback(True)
