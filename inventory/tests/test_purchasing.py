"""Purchase orders: draft -> sent -> partially received -> received (or closed short, or cancelled)."""

from datetime import date

import pytest
from django.contrib.auth.models import User

from inventory.models import PurchaseOrder, PurchaseOrderEvent, StockLevel
from inventory.services import (
    PurchaseLineRequest,
    purchase_order_cancel,
    purchase_order_close,
    purchase_order_create,
    purchase_order_draft_save,
    purchase_order_receive,
    purchase_order_send,
    purchase_orders_draft_from_suggestions,
    purchasing,
)
from inventory.tests.factories import ProductFactory, SupplierFactory, WarehouseFactory
from orders_site.core.exceptions import ApplicationError, PermissionRefused, TransitionRefused
from tests.builders import purchase_order_sent

pytestmark = pytest.mark.django_db


@pytest.fixture
def goods(db):
    return WarehouseFactory(code="AMS"), ProductFactory(sku="CHAIR"), ProductFactory(sku="LAMP")


def draft(warehouse, *lines):
    return purchase_order_create(
        supplier=SupplierFactory(name="Oak & Co"),
        warehouse=warehouse,
        lines=[PurchaseLineRequest(product=p, quantity=q) for p, q in lines],
        expected_on=date(2030, 1, 15),
    )


def timeline(purchase_order):
    return list(purchase_order.events.order_by("pk").values_list("kind", "from_state", "to_state"))


def test_create_numbers_the_draft_and_writes_an_event(goods):
    warehouse, chair, lamp = goods
    first, second = draft(warehouse, (chair, 5)), draft(warehouse, (chair, 5), (lamp, 2))
    assert (first.number, second.number) == ("PO-000001", "PO-000002")
    assert first.status == "draft"
    assert timeline(second) == [("purchase_order.created", "", "draft")]
    assert second.events.get().data == {"lines": {"CHAIR": 5, "LAMP": 2}}


@pytest.mark.parametrize(
    "lines, message",
    [([], "at least one line"), ([("chair", 0)], "at least 1"), ([("chair", 1), ("chair", 2)], "twice")],
)
def test_create_refuses_bad_lines(goods, lines, message):
    warehouse, chair, _ = goods
    with pytest.raises(ApplicationError, match=message):
        purchase_order_create(
            supplier=SupplierFactory(),
            warehouse=warehouse,
            lines=[PurchaseLineRequest(product=chair, quantity=q) for _, q in lines],
        )
    assert not PurchaseOrder.objects.exists()


def test_send_then_receive_in_two_deliveries(goods, ledger_matches_levels):
    warehouse, chair, lamp = goods
    purchase_order = purchase_order_send(purchase_order=draft(warehouse, (chair, 5), (lamp, 2)))
    assert purchase_order.status == "sent" and purchase_order.sent_at is not None
    chair_line, lamp_line = purchase_order.lines.order_by("pk")

    purchase_order_receive(purchase_order=purchase_order, quantities={chair_line.pk: 3, lamp_line.pk: 0})
    purchase_order.refresh_from_db()
    assert purchase_order.status == "partially_received" and purchase_order.received_at is None

    purchase_order_receive(
        purchase_order=purchase_order, quantities={chair_line.pk: 2, lamp_line.pk: 2}, note="second truck"
    )
    purchase_order.refresh_from_db()
    assert purchase_order.status == "received" and purchase_order.received_at is not None
    assert timeline(purchase_order) == [
        ("purchase_order.created", "", "draft"),
        ("purchase_order.send", "draft", "sent"),
        ("purchase_order.receive_partially", "sent", "partially_received"),
        ("purchase_order.receive_fully", "partially_received", "received"),
    ]
    assert StockLevel.objects.get(product=chair, warehouse=warehouse).on_hand == 5
    assert StockLevel.objects.get(product=lamp, warehouse=warehouse).on_hand == 2
    ledger_matches_levels()


def test_receive_refuses_more_than_outstanding_and_nothing_at_all(goods):
    warehouse, chair, _ = goods
    purchase_order = purchase_order_sent(warehouse=warehouse, lines=[(chair, 5)])
    line = purchase_order.lines.get()

    with pytest.raises(ApplicationError, match="between 0 and 5"):
        purchase_order_receive(purchase_order=purchase_order, quantities={line.pk: 6})
    with pytest.raises(ApplicationError, match="at least one line"):
        purchase_order_receive(purchase_order=purchase_order, quantities={line.pk: 0})

    assert not StockLevel.objects.filter(product=chair).exists()
    assert purchase_order.events.count() == 2


@pytest.mark.parametrize("reach", ["draft", "received", "cancelled"])
def test_receive_is_refused_unless_sent_or_partially_received(goods, reach):
    warehouse, chair, _ = goods
    purchase_order = draft(warehouse, (chair, 1))
    if reach == "received":
        purchase_order_send(purchase_order=purchase_order)
        purchase_order_receive(purchase_order=purchase_order, quantities={purchase_order.lines.get().pk: 1})
    elif reach == "cancelled":
        purchase_order_cancel(purchase_order=purchase_order)
    with pytest.raises(TransitionRefused, match="Cannot receive"):
        purchase_order_receive(purchase_order=purchase_order, quantities={purchase_order.lines.get().pk: 1})


def test_send_needs_lines_and_a_draft(goods):
    warehouse, chair, _ = goods
    empty = purchase_order_draft_save(purchase_order=PurchaseOrder(supplier=SupplierFactory(), warehouse=warehouse))
    with pytest.raises(ApplicationError, match="no lines"):
        purchase_order_send(purchase_order=empty)
    sent = purchase_order_sent(warehouse=warehouse, lines=[(chair, 1)])
    with pytest.raises(TransitionRefused, match="Cannot send"):
        purchase_order_send(purchase_order=sent)


def test_two_people_pressing_send_at_once_do_not_both_succeed(goods):
    warehouse, chair, _ = goods
    purchase_order = draft(warehouse, (chair, 1))
    purchase_order_send(purchase_order=purchase_order, expected_status="draft")
    with pytest.raises(TransitionRefused, match="since you opened it"):
        purchase_order_send(purchase_order=purchase_order, expected_status="draft")
    assert purchase_order.events.filter(kind="purchase_order.send").count() == 1


def test_close_a_partially_received_order_records_what_never_came(goods):
    warehouse, chair, _ = goods
    purchase_order = purchase_order_sent(warehouse=warehouse, lines=[(chair, 5)])
    with pytest.raises(TransitionRefused, match="Cannot close"):
        purchase_order_close(purchase_order=purchase_order)
    purchase_order_receive(purchase_order=purchase_order, quantities={purchase_order.lines.get().pk: 3})

    closed = purchase_order_close(purchase_order=purchase_order, note="supplier out of stock")

    assert closed.status == "received"
    event = closed.events.get(kind="purchase_order.close")
    assert (event.from_state, event.note, event.data) == (
        "partially_received",
        "supplier out of stock",
        {"not_delivered": {"CHAIR": 2}},
    )


@pytest.mark.parametrize("start", ["draft", "sent"])
def test_cancel_from_draft_or_sent(goods, start):
    warehouse, chair, _ = goods
    purchase_order = draft(warehouse, (chair, 1))
    if start == "sent":
        purchase_order_send(purchase_order=purchase_order)
    assert purchase_order_cancel(purchase_order=purchase_order).status == "cancelled"


def test_cancel_is_refused_once_goods_arrived(goods):
    warehouse, chair, _ = goods
    purchase_order = purchase_order_sent(warehouse=warehouse, lines=[(chair, 2)])
    purchase_order_receive(purchase_order=purchase_order, quantities={purchase_order.lines.get().pk: 1})
    with pytest.raises(TransitionRefused, match="Cannot cancel"):
        purchase_order_cancel(purchase_order=purchase_order)


def test_only_permitted_staff_send_and_receive(goods, staff_users):
    warehouse, chair, _ = goods
    purchase_order = draft(warehouse, (chair, 2))
    with pytest.raises(PermissionRefused, match="not allowed to send"):
        purchase_order_send(purchase_order=purchase_order, actor=staff_users["Warehouse"])
    purchase_order_send(purchase_order=purchase_order, actor=staff_users["Managers"])
    line = purchase_order.lines.get()
    with pytest.raises(PermissionRefused, match="not allowed to receive"):
        purchase_order_receive(
            purchase_order=purchase_order, quantities={line.pk: 1}, actor=staff_users["Customer service"]
        )

    purchase_order_receive(purchase_order=purchase_order, quantities={line.pk: 2}, actor=staff_users["Warehouse"])

    event = purchase_order.events.get(kind="purchase_order.receive_fully")
    assert event.actor == staff_users["Warehouse"] and event.actor_label == "warehouse"
    assert StockLevel.objects.get(product=chair).movements.get(kind="receipt").actor == staff_users["Warehouse"]


def test_a_sent_order_can_no_longer_be_edited(goods):
    warehouse, chair, _ = goods
    purchase_order = purchase_order_sent(warehouse=warehouse, lines=[(chair, 2)])
    purchase_order.note = "changed"
    with pytest.raises(TransitionRefused, match="can no longer be changed"):
        purchase_order_draft_save(purchase_order=purchase_order, actor=User.objects.create(username="x"))


def test_drafts_from_suggestions_one_per_warehouse(goods):
    warehouse, chair, lamp = goods
    other = WarehouseFactory(code="RTM", priority=5)
    levels = [
        StockLevel.objects.create(product=chair, warehouse=warehouse, reorder_point=5, reorder_quantity=20),
        StockLevel.objects.create(product=lamp, warehouse=other, reorder_point=2, reorder_quantity=0),
        StockLevel.objects.create(product=ProductFactory(), warehouse=other),  # nothing to suggest
    ]

    created = purchase_orders_draft_from_suggestions(
        supplier=SupplierFactory(), stock_level_ids=[lv.pk for lv in levels], backordered_units={}
    )

    assert [(po.warehouse.code, po.status) for po in created] == [("AMS", "draft"), ("RTM", "draft")]
    assert [(line.product.sku, line.quantity_ordered) for line in created[0].lines.all()] == [("CHAIR", 20)]
    assert [(line.product.sku, line.quantity_ordered) for line in created[1].lines.all()] == [("LAMP", 3)]
    with pytest.raises(ApplicationError, match="needs replenishing"):
        purchase_orders_draft_from_suggestions(
            supplier=SupplierFactory(), stock_level_ids=[levels[2].pk], backordered_units={}
        )


def test_every_purchase_order_transition_writes_a_kind_of_the_enum_with_the_code_it_always_had():
    transitions = {t.name for t in PurchaseOrder._meta.get_field("status").get_all_transitions(PurchaseOrder)}

    assert set(purchasing.TRANSITION_KINDS) == transitions
    for transition, kind in purchasing.TRANSITION_KINDS.items():
        assert kind in PurchaseOrderEvent.Kind and kind.value == f"purchase_order.{transition}"
