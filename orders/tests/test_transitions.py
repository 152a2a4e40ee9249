"""Order and shipment state machines, run through `transition_run` (CONVENTIONS rules 5 and 13).

The matrix puts a row straight into each state (the test is about the state alone) and checks
that every transition is allowed exactly from the states the README's state diagram shows, writing one event, and
refused from every other state with a readable message, changing nothing. The states come from
the models' `Status` choices, so a new state is covered without touching this file.
"""

import pytest

from lifecycle.cancellation import order_cancel
from orders.models import Order, OrderEvent, Shipment
from orders.services.fulfillment import order_fulfillment_start, shipment_start_picking
from orders.services.transitions import transition_run, transitions_available
from orders.services.verification import order_release
from orders_site.core.exceptions import PermissionRefused, TransitionRefused
from tests.builders import address_data, customer_signed_up, order_build, order_row, warehouse_build

pytestmark = pytest.mark.django_db

S = Order.Status
ORDER_TRANSITIONS = {
    # transition: (the states it may start from, the state it reaches)
    "place": ([S.DRAFT], S.PLACED),
    "hold": ([S.PLACED, S.BACKORDERED, S.VERIFIED], S.ON_HOLD),  # verified: an edit failed its re-check
    "backorder": ([S.PLACED, S.ON_HOLD, S.VERIFIED], S.BACKORDERED),
    "verify": ([S.PLACED, S.ON_HOLD, S.BACKORDERED], S.VERIFIED),
    "start_fulfillment": ([S.VERIFIED], S.IN_FULFILLMENT),
    # Ship what is in stock now, the back-ordered rest later (orders.services.partial_fulfilment).
    "start_partial_fulfillment": ([S.BACKORDERED], S.IN_FULFILLMENT),
    "ship_partially": ([S.IN_FULFILLMENT, S.PARTIALLY_SHIPPED], S.PARTIALLY_SHIPPED),
    "reship": ([S.SHIPPED, S.PARTIALLY_SHIPPED], S.PARTIALLY_SHIPPED),
    "ship": ([S.IN_FULFILLMENT, S.PARTIALLY_SHIPPED], S.SHIPPED),
    "deliver": ([S.SHIPPED], S.DELIVERED),
    "invoice": ([S.DELIVERED], S.INVOICED),
    "pay": ([S.INVOICED], S.PAID),
    "complete": ([S.PAID], S.COMPLETED),
    # Until dispatch.
    "cancel": ([S.DRAFT, S.PLACED, S.ON_HOLD, S.BACKORDERED, S.VERIFIED, S.IN_FULFILLMENT], S.CANCELLED),
}
SS = Shipment.Status
SHIPMENT_TRANSITIONS = {
    "start_picking": ([SS.PENDING], SS.PICKING),
    "pack": ([SS.PICKING], SS.PACKED),
    "dispatch": ([SS.PACKED], SS.SHIPPED),
    "mark_in_transit": ([SS.SHIPPED], SS.IN_TRANSIT),
    "deliver": ([SS.SHIPPED, SS.IN_TRANSIT], SS.DELIVERED),
    "fail_delivery": ([SS.SHIPPED, SS.IN_TRANSIT], SS.DELIVERY_FAILED),
    "redispatch": ([SS.DELIVERY_FAILED], SS.SHIPPED),
    "return_to_sender": ([SS.DELIVERY_FAILED], SS.RETURNED_TO_SENDER),
    # Only while nothing has left the warehouse.
    "cancel": ([SS.PENDING, SS.PICKING, SS.PACKED], SS.CANCELLED),
}


def allowed_cases(table):
    return [
        pytest.param(name, source, target, id=f"{name}-from-{source}")
        for name, (sources, target) in table.items()
        for source in sources
    ]


def refused_cases(table, status_class):
    return [
        pytest.param(name, state, id=f"{name}-from-{state}")
        for name, (sources, _) in table.items()
        for state in status_class.values
        if state not in sources
    ]


def transition_names(model) -> set[str]:
    return {t.name for t in model._meta.get_field("status").get_all_transitions(model)}


@pytest.fixture
def manager(staff_users):
    """Managers hold every orders permission, so refusals in the matrix are about the state only."""
    return staff_users["Managers"]


def shipment_row(*, status: str) -> Shipment:
    order = order_row(status=Order.Status.IN_FULFILLMENT)
    shipment = Shipment.objects.create(order=order, number=f"{order.number}-1", warehouse=warehouse_build())
    Shipment.objects.filter(pk=shipment.pk).update(status=status)
    shipment.refresh_from_db()
    return shipment


def assert_one_event(*, order, obj, name, source, target, actor):
    event = OrderEvent.objects.get(order=order)  # exactly one, or this raises
    assert (event.kind, event.object_type, event.object_id) == (
        f"{obj._meta.model_name}.{name}",
        obj._meta.model_name,
        obj.pk,
    )
    assert (event.from_state, event.to_state) == (source, target)
    assert event.actor == actor and event.actor_label == actor.username


def test_the_matrix_lists_every_transition_of_the_models():
    assert transition_names(Order) == set(ORDER_TRANSITIONS)
    assert transition_names(Shipment) == set(SHIPMENT_TRANSITIONS)


# --- Order -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "source", "target"), allowed_cases(ORDER_TRANSITIONS))
def test_order_transition_from_an_allowed_state_writes_one_event(manager, name, source, target):
    order = order_row(status=source)

    result = transition_run(model=Order, pk=order.pk, transition=name, actor=manager)

    order.refresh_from_db()
    assert result.status == order.status == target
    assert_one_event(order=order, obj=order, name=name, source=source, target=target, actor=manager)


@pytest.mark.parametrize(("name", "state"), refused_cases(ORDER_TRANSITIONS, Order.Status))
def test_order_transition_from_any_other_state_is_refused_and_changes_nothing(manager, name, state):
    order = order_row(status=state)

    with pytest.raises(TransitionRefused) as refused:
        transition_run(model=Order, pk=order.pk, transition=name, actor=manager)

    assert type(refused.value) is TransitionRefused, "the manager may do it; the state forbids it"
    message = str(refused.value)
    assert message.startswith("Cannot ") and f"order {order.number}" in message
    assert f"“{Order.Status(state).label}”" in message
    order.refresh_from_db()
    assert order.status == state
    assert not OrderEvent.objects.exists()


# --- Shipment ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "source", "target"), allowed_cases(SHIPMENT_TRANSITIONS))
def test_shipment_transition_from_an_allowed_state_writes_one_event_on_its_order(manager, name, source, target):
    shipment = shipment_row(status=source)

    transition_run(model=Shipment, pk=shipment.pk, transition=name, actor=manager)

    shipment.refresh_from_db()
    assert shipment.status == target
    assert_one_event(order=shipment.order, obj=shipment, name=name, source=source, target=target, actor=manager)
    assert shipment.order.status == Order.Status.IN_FULFILLMENT, "the bare transition changes only the parcel"


@pytest.mark.parametrize(("name", "state"), refused_cases(SHIPMENT_TRANSITIONS, Shipment.Status))
def test_shipment_transition_from_any_other_state_is_refused_and_changes_nothing(manager, name, state):
    shipment = shipment_row(status=state)

    with pytest.raises(TransitionRefused) as refused:
        transition_run(model=Shipment, pk=shipment.pk, transition=name, actor=manager)

    assert type(refused.value) is TransitionRefused
    message = str(refused.value)
    assert message.startswith("Cannot ") and f"shipment {shipment.number}" in message
    assert f"“{Shipment.Status(state).label}”" in message
    shipment.refresh_from_db()
    assert shipment.status == state
    assert not OrderEvent.objects.exists()


# --- Who may press which button ----------------------------------------------------------------

# The buttons people press, and the staff groups that may press them. The other transitions are
# consequences the services run for the system (placement, verification, dispatch, delivery, payment).
ORDER_BUTTONS = {
    "verify": {"Customer service", "Managers"},
    "start_fulfillment": {"Warehouse", "Managers"},
    "cancel": {"Customer service", "Managers"},
}
WAREHOUSE_STEPS = [
    "start_picking",
    "pack",
    "dispatch",
    "mark_in_transit",
    "deliver",
    "fail_delivery",
    "redispatch",
    "return_to_sender",
]
SHIPMENT_BUTTONS = {name: {"Warehouse", "Managers"} for name in WAREHOUSE_STEPS}
GROUPS = ["Warehouse", "Customer service", "Managers"]


def button_cases(table):
    return [
        pytest.param(name, group, group in groups, id=f"{name}-by-{group}")
        for name, groups in table.items()
        for group in GROUPS
    ]


@pytest.mark.parametrize(("name", "group", "permitted"), button_cases(ORDER_BUTTONS))
def test_order_buttons_are_limited_to_their_groups(staff_users, name, group, permitted):
    sources, target = ORDER_TRANSITIONS[name]
    order = order_row(status=sources[0])

    if permitted:
        transition_run(model=Order, pk=order.pk, transition=name, actor=staff_users[group])
    else:
        with pytest.raises(PermissionRefused, match=f"You are not allowed to .* order {order.number}"):
            transition_run(model=Order, pk=order.pk, transition=name, actor=staff_users[group])

    order.refresh_from_db()
    assert order.status == (target if permitted else sources[0])
    assert OrderEvent.objects.count() == (1 if permitted else 0)


@pytest.mark.parametrize(("name", "group", "permitted"), button_cases(SHIPMENT_BUTTONS))
def test_warehouse_steps_are_limited_to_their_groups(staff_users, name, group, permitted):
    sources, target = SHIPMENT_TRANSITIONS[name]
    shipment = shipment_row(status=sources[0])

    if permitted:
        transition_run(model=Shipment, pk=shipment.pk, transition=name, actor=staff_users[group])
    else:
        with pytest.raises(PermissionRefused, match=f"You are not allowed to .* shipment {shipment.number}"):
            transition_run(model=Shipment, pk=shipment.pk, transition=name, actor=staff_users[group])

    shipment.refresh_from_db()
    assert shipment.status == (target if permitted else sources[0])
    assert OrderEvent.objects.count() == (1 if permitted else 0)


def test_an_inactive_staff_member_may_press_nothing(staff_users):
    manager = staff_users["Managers"]
    manager.is_active = False
    manager.save()
    order = order_row(status=Order.Status.VERIFIED)

    with pytest.raises(PermissionRefused):
        transition_run(model=Order, pk=order.pk, transition="cancel", actor=manager)


# --- What every transition shares --------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "state"),
    [(Order, Order.Status.PAID), (Shipment, Shipment.Status.DELIVERED)],
    ids=["order", "shipment"],
)
def test_status_cannot_be_assigned_directly(model, state):
    instance = order_row() if model is Order else shipment_row(status=Shipment.Status.PENDING)
    before = instance.status

    with pytest.raises(AttributeError, match="Direct status modification is not allowed"):
        instance.status = state

    instance.refresh_from_db()
    assert instance.status == before


def test_a_stale_screen_is_refused_without_an_event(manager):
    # Given staff opened the order while it was verified, and someone else started fulfilment since.
    order = order_row(status=Order.Status.IN_FULFILLMENT)

    # When they press "cancel" on what they saw.
    with pytest.raises(TransitionRefused) as refused:
        transition_run(
            model=Order, pk=order.pk, transition="cancel", actor=manager, expected_status=Order.Status.VERIFIED
        )

    # Then nothing happens although cancelling from in_fulfillment is allowed, and they are told why.
    assert "changed to “In fulfilment” since you opened it" in str(refused.value)
    order.refresh_from_db()
    assert order.status == Order.Status.IN_FULFILLMENT
    assert not OrderEvent.objects.exists()


def test_an_unknown_action_is_refused():
    order = order_row(status=Order.Status.PLACED)

    with pytest.raises(TransitionRefused, match="Unknown action “delete”"):
        transition_run(model=Order, pk=order.pk, transition="delete")
    with pytest.raises(TransitionRefused, match="Unknown action “is_cancellable”"):
        transition_run(model=Order, pk=order.pk, transition="is_cancellable")


def test_a_system_change_names_the_system_on_the_timeline():
    order = order_row(status=Order.Status.PLACED)

    transition_run(model=Order, pk=order.pk, transition="hold", system="verification", note="risk: large order")

    event = OrderEvent.objects.get(order=order)
    assert event.actor is None and event.actor_label == "verification"
    assert event.note == "risk: large order"


def test_the_customer_timeline_shows_progress_but_not_internal_holds():
    order = order_row(status=Order.Status.PLACED)

    transition_run(model=Order, pk=order.pk, transition="hold", system="verification")
    transition_run(model=Order, pk=order.pk, transition="verify", system="verification")

    visible = dict(order.events.values_list("kind", "customer_visible"))
    assert visible == {"order.hold": False, "order.verify": True}


# --- The same rules through the services, as people use them ---------------------------------


@pytest.fixture
def verified_order(catalogue, customer):
    return order_build(customer=customer, lines=[(catalogue.chair, 1)])


def test_warehouse_may_start_fulfilment(staff_users, verified_order):
    order = order_fulfillment_start(order=verified_order, actor=staff_users["Warehouse"])

    assert order.status == Order.Status.IN_FULFILLMENT
    assert order.events.get(kind="order.start_fulfillment").actor == staff_users["Warehouse"]


def test_warehouse_may_not_cancel(staff_users, verified_order):
    events_before = verified_order.events.count()

    with pytest.raises(PermissionRefused) as refused:
        order_cancel(order=verified_order, actor=staff_users["Warehouse"])

    assert str(refused.value) == f"You are not allowed to cancel order {verified_order.number}."
    verified_order.refresh_from_db()
    assert verified_order.status == Order.Status.VERIFIED
    assert verified_order.events.count() == events_before


def test_customer_service_may_cancel(staff_users, verified_order):
    order = order_cancel(order=verified_order, actor=staff_users["Customer service"], reason="customer phoned")

    assert order.status == Order.Status.CANCELLED
    event = order.events.get(kind="order.cancel")
    assert event.actor == staff_users["Customer service"] and event.note == "customer phoned"


def test_customer_service_may_not_start_fulfilment_or_pick(staff_users, verified_order):
    with pytest.raises(PermissionRefused):
        order_fulfillment_start(order=verified_order, actor=staff_users["Customer service"])
    order = order_fulfillment_start(order=verified_order, actor=staff_users["Warehouse"])
    with pytest.raises(PermissionRefused):
        shipment_start_picking(shipment=order.shipments.get(), actor=staff_users["Customer service"])


@pytest.fixture
def held_order(catalogue, customer):
    # A Dutch postal code that is not one: the customer check fails and the order waits for staff.
    return order_build(
        state="on_hold",
        customer=customer,
        lines=[(catalogue.chair, 1)],
        shipping_address=address_data(postal_code="ABC"),
    )


def test_customer_service_may_verify_a_held_order(staff_users, held_order):
    assert held_order.status == Order.Status.ON_HOLD

    order = order_release(order=held_order, actor=staff_users["Customer service"], note="address confirmed by phone")

    assert order.status == Order.Status.VERIFIED
    assert order.events.get(kind="order.verify").actor == staff_users["Customer service"]


def test_warehouse_may_not_verify_a_held_order(staff_users, held_order):
    with pytest.raises(PermissionRefused):
        order_release(order=held_order, actor=staff_users["Warehouse"])

    held_order.refresh_from_db()
    assert held_order.status == Order.Status.ON_HOLD
    assert not held_order.events.filter(kind="order.verify").exists()


def test_the_customer_who_owns_the_order_may_cancel_it(catalogue):
    owner = customer_signed_up(email="anna@example.com")
    order = order_build(customer=owner.customer, lines=[(catalogue.chair, 1)])

    order = order_cancel(order=order, actor=owner.user)

    assert order.status == Order.Status.CANCELLED
    assert order.events.get(kind="order.cancel").actor == owner.user


def test_another_customer_may_not_cancel_it(catalogue):
    owner = customer_signed_up(email="anna@example.com")
    stranger = customer_signed_up(email="bert@example.com", full_name="Bert Jansen")
    order = order_build(customer=owner.customer, lines=[(catalogue.chair, 1)])

    with pytest.raises(PermissionRefused):
        order_cancel(order=order, actor=stranger.user)

    order.refresh_from_db()
    assert order.status == Order.Status.VERIFIED
    assert not order.events.filter(kind="order.cancel").exists()


def test_a_customer_cannot_press_staff_buttons_on_their_own_order(catalogue):
    owner = customer_signed_up(email="anna@example.com")
    order = order_build(customer=owner.customer, lines=[(catalogue.chair, 1)])

    assert transitions_available(instance=order, user=owner.user) == ["cancel"]
    with pytest.raises(PermissionRefused):
        order_fulfillment_start(order=order, actor=owner.user)
