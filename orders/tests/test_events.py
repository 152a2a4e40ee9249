"""The timeline's kinds are one enum, OrderEvent.Kind, and each kind has its own small function.

Every transition of every model on the order's timeline has its member, the event functions
write exactly one row of their kind, and what the customer reads hangs off the same enum.
"""

import inspect
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.apps import apps
from django_fsm import FSMFieldMixin

from orders import events
from orders.events import (
    CUSTOMER_MESSAGES,
    CUSTOMER_NOTES,
    TRANSITION_KINDS,
    event_customer_message,
    event_transition,
    transition_kind,
)
from orders.models import OrderEvent, Shipment
from tests.builders import WAREHOUSE, order_build, staff_member

pytestmark = pytest.mark.django_db

Kind = OrderEvent.Kind
# Purchase orders keep a timeline of their own (inventory knows nothing of orders); a quote has no
# order until it is accepted (its sent, accepted and accepted-at times are on its own row).
OWN_TIMELINE = {"inventory.PurchaseOrder", "orders.Quote"}


def timeline_transitions() -> set[tuple[str, str]]:
    """(object, transition) for every django-fsm transition of every model whose changes land on
    an order's timeline, found from the models themselves."""
    found = set()
    for model in apps.get_models():
        if model._meta.label in OWN_TIMELINE:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, FSMFieldMixin):
                found |= {(model._meta.model_name, t.name) for t in field.get_all_transitions(model)}
    return found


def test_every_transition_of_every_timeline_model_has_its_member_with_the_code_it_always_had():
    transitions = timeline_transitions()

    assert {object_type for object_type, _ in transitions} == {
        "order",
        "shipment",
        "invoice",
        "payment",
        "refund",
        "returnrequest",
        "workitem",
    }
    for object_type, transition in transitions:
        kind = transition_kind(object_type=object_type, transition=transition)
        assert isinstance(kind, Kind)
        assert kind.value == f"{object_type}.{transition}", "stored codes stay the same (no data migration)"
        assert kind.label and kind.label != kind.value
    assert set(TRANSITION_KINDS) == transitions, "no kind for a transition that does not exist"


def test_an_unknown_transition_is_refused_loudly_and_writes_nothing(catalogue, customer):
    order = order_build(customer=customer, lines=[(catalogue.chair, 1)])
    before = OrderEvent.objects.count()

    with pytest.raises(LookupError, match="teleport"):
        event_transition(order=order, obj=order, transition="teleport", from_state="verified", to_state="gone")

    assert OrderEvent.objects.count() == before


@pytest.fixture
def placed(catalogue, customer):
    """A card order, and the arguments of every note function for it (its outbox row, its payment)."""
    order = order_build(
        customer=customer,
        lines=[(catalogue.chair, 1)],
        payment_method="card",
        card_token="4242424242424242",
    )
    payment = order.payments.get()
    notification = order.notifications.get()
    parcel = Shipment.objects.create(order=order, number=f"{order.number}-1", warehouse=catalogue.main)
    new_parcel = Shipment.objects.create(order=order, number=f"{order.number}-2", warehouse=catalogue.main)
    return order, {
        "event_order_backorder_expected": dict(
            order=order, expected_date=date(2031, 3, 5), note="Expected to ship around 5 March"
        ),
        "event_order_recheck_failed": dict(order=order, note="customer: no phone number.", data={"checks": []}),
        "event_order_address_changed": dict(order=order, note="Shipping address corrected: line1."),
        "event_order_edited": dict(order=order, note="Version 1: changed the lines.", data={"version": 1}),
        "event_stock_backorder_allocated": dict(order=order, note="Incoming stock allocated, still waiting."),
        "event_notification_resent": dict(notification=notification),
        "event_invoice_pdf_failed": dict(order=order, invoice_number="INV-2031-000001", error="OSError()"),
        "event_payment_capture_failed": dict(payment=payment, error="Timeout()"),
        "event_payment_void_failed": dict(payment=payment, error="Timeout()"),
        "event_feedback_received": dict(order=order, overall_rating=2, needs_follow_up=True),
        "event_feedback_followed_up": dict(order=order, feedback_id=7, note="Called back"),
        "event_order_staff_comment": dict(order=order, note="Box repacked.", actor=staff_member(WAREHOUSE)),
        "event_order_backorder_rest_ready": dict(order=order, note="The back-ordered rest is in stock."),
        "event_shipment_split": dict(
            shipment=parcel, new_shipment=new_parcel, note="Moved 1 x CHAIR-1 into new parcel.", data={}
        ),
        "event_work_item_assigned": dict(
            work_item=SimpleNamespace(pk=1, order_id=order.pk, kind="Engraving"), assignee=staff_member(WAREHOUSE)
        ),
        "event_shipment_out_for_delivery": dict(shipment=parcel, system="carrier postnl", data={"kind": "x"}),
        "event_shipment_tracking_noted": dict(shipment=parcel, kind_label="In transit", data={"kind": "x"}),
        "event_shipment_received_back": dict(shipment=parcel, data={"units": 1}),
        "event_shipment_return_decided": dict(shipment=parcel, decision_label="Refund due", note="Moved"),
        "event_credit_note_issued": dict(order=order, note="Credit note CN-2026-000001", data={"total": "1.00"}),
        "event_return_requested": dict(
            return_request=SimpleNamespace(pk=4, order_id=order.pk, number="RMA-1-1"), note="Return RMA-1-1: 1 x chair"
        ),
        "event_refund_requested": dict(
            refund=SimpleNamespace(pk=3, order_id=order.pk, amount=Decimal("4.00"), method="card"),
            note="€ 4.00 to the card: one book came back",
        ),
        "event_invoice_reminder_sent": dict(
            order=order,
            invoice=SimpleNamespace(pk=5, number="INV-2031-000001"),
            note="Friendly reminder for invoice INV-2031-000001: € 4.00 overdue by 3 days",
            data={},
        ),
        "event_invoice_reminders_held": dict(
            order=order, invoice=SimpleNamespace(pk=5, number="INV-2031-000001"), reason="Disputed"
        ),
        "event_invoice_reminders_resumed": dict(
            order=order, invoice=SimpleNamespace(pk=5, number="INV-2031-000001"), reason=""
        ),
    }


NOTE_FUNCTIONS = {
    "event_order_backorder_expected": Kind.ORDER_BACKORDER_EXPECTED,
    "event_order_recheck_failed": Kind.ORDER_RECHECK_FAILED,
    "event_order_address_changed": Kind.ORDER_ADDRESS_CHANGED,
    "event_order_edited": Kind.ORDER_EDITED,
    "event_stock_backorder_allocated": Kind.STOCK_BACKORDER_ALLOCATED,
    "event_notification_resent": Kind.NOTIFICATION_RESEND,
    "event_invoice_pdf_failed": Kind.INVOICE_PDF_FAILED,
    "event_payment_capture_failed": Kind.PAYMENT_CAPTURE_FAILED,
    "event_payment_void_failed": Kind.PAYMENT_VOID_FAILED,
    "event_feedback_received": Kind.FEEDBACK_RECEIVED,
    "event_feedback_followed_up": Kind.FEEDBACK_FOLLOWED_UP,
    "event_order_staff_comment": Kind.ORDER_STAFF_COMMENT,
    "event_order_backorder_rest_ready": Kind.ORDER_BACKORDER_REST_READY,
    "event_shipment_split": Kind.SHIPMENT_SPLIT,
    "event_work_item_assigned": Kind.WORK_ITEM_ASSIGN,
    "event_shipment_out_for_delivery": Kind.SHIPMENT_OUT_FOR_DELIVERY,
    "event_shipment_tracking_noted": Kind.SHIPMENT_TRACKING_NOTED,
    "event_shipment_received_back": Kind.SHIPMENT_RECEIVED_BACK,
    "event_shipment_return_decided": Kind.SHIPMENT_RETURN_DECIDED,
    "event_credit_note_issued": Kind.CREDIT_NOTE_ISSUED,
    "event_refund_requested": Kind.REFUND_REQUESTED,
    "event_return_requested": Kind.RETURN_REQUESTED,
    "event_invoice_reminder_sent": Kind.INVOICE_REMINDER_SENT,
    "event_invoice_reminders_held": Kind.INVOICE_REMINDERS_HELD,
    "event_invoice_reminders_resumed": Kind.INVOICE_REMINDERS_RESUMED,
}


def test_every_kind_that_is_not_a_transition_has_one_function_and_every_function_is_tested():
    functions = {
        name
        for name, function in inspect.getmembers(events, inspect.isfunction)
        if name.startswith("event_") and function.__module__ == events.__name__
    } - {"event_transition", "event_customer_message"}

    assert functions == set(NOTE_FUNCTIONS)
    assert set(NOTE_FUNCTIONS.values()) == set(Kind) - set(TRANSITION_KINDS.values())


@pytest.mark.parametrize("name", sorted(NOTE_FUNCTIONS))
def test_each_event_function_writes_exactly_one_row_of_its_kind(placed, name):
    order, arguments = placed
    before = set(OrderEvent.objects.values_list("pk", flat=True))

    returned = getattr(events, name)(**arguments[name])

    (written,) = OrderEvent.objects.exclude(pk__in=before)
    assert written == returned
    assert (written.order, written.kind) == (order, NOTE_FUNCTIONS[name])
    assert written.customer_visible == (written.kind in CUSTOMER_NOTES)
    assert written.note, "staff read what happened"


def test_customer_messages_hang_off_the_enum_and_are_found_for_stored_events(catalogue, customer):
    assert all(isinstance(kind, Kind) for kind in CUSTOMER_MESSAGES)
    assert all(isinstance(kind, Kind) for kind in CUSTOMER_NOTES)

    order = order_build(customer=customer, lines=[(catalogue.chair, 1)])
    events.event_order_backorder_expected(order=order, expected_date=date(2031, 3, 5), note="Around 5 March")
    staff_only = events.event_order_address_changed(order=order, note="Billing address corrected: city.")

    stored = {event.kind: event for event in OrderEvent.objects.filter(order=order)}  # kinds read back as text
    assert event_customer_message(stored["order.place"]) == "Order received"
    assert event_customer_message(stored["order.verify"]) == "Order confirmed"
    assert event_customer_message(stored["order.backorder_expected"]) == "Around 5 March"
    assert [event.kind for event in order.events.filter(customer_visible=True)] == [
        "order.place",
        "order.verify",
        "order.backorder_expected",
    ]
    assert not staff_only.customer_visible
